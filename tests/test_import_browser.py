"""Imported discussions in a real browser: a retracted comment is struck through, the likes open into names."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from forum_fixtures import ESSAY_FIRST, ESSAY_SECOND, response, thread
from test_import_webmentions import entries

from browser_support import static_server
from postil.cli import main

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


@pytest.fixture
def imported_page(site, tmp_path, browser):
    site.essay("talk.md", title="Talk", date="2026-01-20", body=f"{ESSAY_FIRST}\n\n{ESSAY_SECOND}\n")
    (tmp_path / "export.json").write_text(json.dumps(response(thread())), encoding="utf-8")
    (tmp_path / "feed.json").write_text(json.dumps({"type": "feed", "children": entries()}), encoding="utf-8")
    assert main(["-C", str(site.root), "import", "lesswrong", str(tmp_path / "export.json"), "--to", "content/talk/"]) == 0
    assert main(["-C", str(site.root), "import", "webmentions", str(tmp_path / "feed.json")]) == 0
    assert site.build() == 0
    with static_server(site.out) as url:
        yield f"{url}/talk/"


VIEWS = [(width, scheme) for width in (1440, 390) for scheme in ("light", "dark")]


def test_retracted_reply_is_struck_through_and_reactions_list_their_names(imported_page, new_context):
    context = new_context()
    for width, scheme in VIEWS:  # one site, built once, seen four ways, each in a tab of its own
        _check(context.new_page(), imported_page, width, scheme)


def _check(page, imported_page, width, scheme):
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    page.goto(imported_page)
    # A decoration is drawn through every line of text inside the element that sets it.
    retracted = page.locator("#reply-c10aaaaaaaaaaaaaa > .reply-body > del.reply-retracted")
    assert "line-through" in retracted.evaluate("element => getComputedStyle(element).textDecorationLine")
    assert retracted.locator("p").inner_text() == "I take it back."
    assert page.locator("#reply-c01aaaaaaaaaaaaaa > .reply-body del").count() == 0
    names = page.locator(".reactions li").first
    assert not names.is_visible()
    page.click(".reactions summary")
    assert names.is_visible() and names.inner_text() == "Cat liked"
    box = page.locator(".reactions").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".reactions").screenshot(path=str(SCREENSHOTS / f"import-reactions-{width}-{scheme}.png"))
    page.locator("#reply-c10aaaaaaaaaaaaaa").screenshot(path=str(SCREENSHOTS / f"import-retracted-{width}-{scheme}.png"))
    page.close()

"""Obsidian's callouts, highlights and transclusions as a reader meets them, in Chromium.

A site of its own (the shared fixture site stays as it is), served over HTTP on 127.0.0.1.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

import browser_support
from postil.cli import main

from .conftest import ARTIFACTS, NARROW, WIDE

GARDEN_NOTE = """\
---
title: "A Garden Note"
date: 2026-02-01
---
Written in Obsidian: [[Shard Theory]] and [[Shard Theory#How shards form|how they form]] are
linked by name, ==the important part== is highlighted, and %%this never shows%% nothing else.

> [!note] A note with *a title*
> Callouts carry their type's icon and colour.

> [!warning]- Folded shut: open me
> This text is hidden until the reader opens the callout.

> [!tip]+ Open, and nesting
> Tips can hold other callouts.
> > [!bug] A bug inside
> > Nested as a blockquote would be.

> [!quote]
> A quotation with the default title.

![[Shard Theory#How shards form]]

## A heading further down

Back to [[#A heading further down]].
"""

SHARD_THEORY = """\
---
title: "Shard Theory"
date: 2026-01-10
---
Values form as shards of a policy, reinforced by reward.

## How shards form

Each shard is a circuit that steers towards the situations which reinforced it.
"""


@pytest.fixture(scope="module")
def garden_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("garden-site")
    (root / "content").mkdir()
    (root / "pyproject.toml").write_text('[tool.postil]\ntitle = "Garden"\nbase_url = "https://example.org/"\nsearch = false\n', encoding="utf-8")
    (root / "content/garden-note.md").write_text(GARDEN_NOTE, encoding="utf-8")
    (root / "content/shard theory.md").write_text(SHARD_THEORY, encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    with browser_support.static_server(root / "public") as url:
        yield f"{url}/garden-note/"


@pytest.fixture(scope="module")
def garden_tabs(browser, garden_url) -> Iterator[browser_support.Tabs]:
    with browser_support.tabs(browser, garden_url) as opened:
        yield opened


@pytest.fixture
def open_garden(garden_tabs, garden_url):
    def open_garden(viewport: dict = WIDE, theme: str = "light"):
        page = garden_tabs.new_page(viewport, color_scheme=theme, storage={"theme": theme})
        page.goto(garden_url, wait_until="load")
        page.evaluate("document.fonts.ready")
        return page

    yield open_garden
    garden_tabs.close_pages()


def test_a_folded_callout_opens_when_its_title_is_clicked(open_garden):
    page = open_garden()
    hidden = page.get_by_text("This text is hidden until the reader opens the callout.")
    assert not hidden.is_visible()
    page.get_by_text("Folded shut: open me").click()
    assert hidden.is_visible()
    assert page.get_by_text("Nested as a blockquote would be.").is_visible()  # `+`: open from the start


def test_callout_icons_sit_beside_their_titles_at_text_size(open_garden):
    page = open_garden(NARROW)
    for title in ("A note with", "Folded shut: open me", "A bug inside", "Quote"):
        heading = page.locator(".callout-title", has_text=title).first
        icon, text = heading.locator(".callout-icon").bounding_box(), heading.locator("span").bounding_box()
        assert 12 <= icon["width"] <= 28 and icon["x"] + icon["width"] <= text["x"]
        assert abs((icon["y"] + icon["height"] / 2) - (text["y"] + text["height"] / 2)) < 6


def test_the_transclusion_links_to_the_section_it_quotes(open_garden):
    page = open_garden()
    excerpt = page.locator(".transclusion")
    assert "Each shard is a circuit" in excerpt.inner_text()
    excerpt.get_by_role("link").click()
    page.wait_for_url("**/shard*theory/#how-shards-form")
    assert page.evaluate("document.querySelector(':target').textContent").startswith("How shards form")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_violations_on_a_page_of_obsidian_syntax(open_garden, theme):
    page = open_garden(theme=theme)
    page.get_by_text("Folded shut: open me").click()
    violations = browser_support.axe_violations(page, browser_support.axe_source(), theme)
    assert [(violation["id"], [node["target"] for node in violation["nodes"]]) for violation in violations] == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_obsidian_screenshot_is_written_for_review(open_garden, theme, viewport):
    page = open_garden(viewport, theme)
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"obsidian-{viewport['width']}-{theme}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

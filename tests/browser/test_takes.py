"""The quick takes stream in Chromium: several takes on one page, each with its margin
(sidenotes, side comments) and its own thread controls; no accessibility violation at
phone and desktop widths in both themes; screenshots for review."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

import browser_support
from postil.cli import main
from takes_site import write_takes_site

from .conftest import ARTIFACTS, NARROW, WIDE

STREAM = "/takes/"
LONG = "#take-two-kinds-of-notes"
QUOTED = "#take-rereading"


@pytest.fixture(scope="module")
def takes_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("takes-site") / "site"
    write_takes_site(root)
    assert main(["-C", str(root), "build"]) == 0
    with browser_support.static_server(root / "public") as url:
        yield url


@pytest.fixture(scope="module")
def takes_tabs(browser, takes_url) -> Iterator[browser_support.Tabs]:
    with browser_support.tabs(browser, takes_url) as opened:
        yield opened


@pytest.fixture
def open_stream(takes_tabs):
    def open_stream(path: str = STREAM, viewport: dict = WIDE, theme: str = "light"):
        page = takes_tabs.new_page(viewport, storage={"theme": theme})
        page.goto(path)
        page.evaluate("document.fonts.ready")
        return page

    yield open_stream
    takes_tabs.close_pages()


def test_each_take_on_the_stream_has_its_notes_in_its_own_margin(open_stream):
    page = open_stream()
    body = page.locator(f"{LONG} .take-body").bounding_box()
    note = page.locator(f"{LONG} .sidenote").first
    reference = page.locator(f"{LONG} .take-body > p a[role=doc-noteref]").first.bounding_box()
    assert note.is_visible()
    box = note.bounding_box()
    assert box["x"] >= body["x"] + body["width"]  # in the right margin
    assert abs(box["y"] - reference["y"]) < 30  # level with its reference
    # A later take's note is in its own margin too, level with its own reference.
    titled_note = page.locator("#take-pencils-over-pens .sidenote")
    titled_reference = page.locator("#take-pencils-over-pens .take-body > p a[role=doc-noteref]").bounding_box()
    titled_body = page.locator("#take-pencils-over-pens .take-body").bounding_box()
    assert titled_note.is_visible() and not page.locator("#take-pencils-over-pens .take-body > .footnotes").is_visible()
    assert titled_note.bounding_box()["x"] >= titled_body["x"] + titled_body["width"]
    assert abs(titled_note.bounding_box()["y"] - titled_reference["y"]) < 30
    # The other take's side comment sits beside its own passage, not the first take's.
    comment = page.locator(f"{QUOTED} .side-comments").first.bounding_box()
    passage = page.locator(f"{QUOTED} .passage-with-comments").first.bounding_box()
    assert comment["x"] >= passage["x"] + passage["width"] and abs(comment["y"] - passage["y"]) < 40


def test_on_a_phone_the_notes_stay_in_the_text(open_stream):
    page = open_stream(viewport=NARROW)
    assert not page.locator(f"{LONG} .sidenote").first.is_visible()
    body = page.locator(f"{LONG} .take-body").bounding_box()
    assert body["x"] + body["width"] <= NARROW["width"]


def test_each_thread_sorts_on_its_own(open_stream):
    page = open_stream()
    authors = f"{LONG} .reply-list > details.reply > summary .p-name"
    other = f"{QUOTED} .reply-list > details.reply > summary .p-name"
    before_other = page.locator(other).all_text_contents()
    page.select_option(f"{LONG} .replies-sort", "top")
    assert page.locator(authors).all_text_contents() == ["Top 1", "Top 4", "Top 3"]
    page.select_option(f"{LONG} .replies-sort", "new")
    assert page.locator(authors).all_text_contents() == ["Top 4", "Top 3", "Top 1"]
    page.select_option(f"{LONG} .replies-sort", "old")
    assert page.locator(authors).all_text_contents() == ["Top 1", "Top 3", "Top 4"]
    assert page.locator(other).all_text_contents() == before_other
    assert page.locator(f"{LONG} .replies-controls").is_visible()
    assert page.locator(f"{QUOTED} .replies-controls").count() == 0  # one reply shown: nothing to sort


def test_read_more_is_found_by_find_in_page_and_links_to_the_take(open_stream):
    page = open_stream()
    assert not page.locator(f"{LONG} .take-more").is_visible()
    page.click(f"{LONG} .take-read-more a")
    page.wait_for_url("**/takes/two-kinds-of-notes/")
    assert page.locator("h2#take-two-kinds-of-notes-where-the-second-kind-goes, .take-body h2").first.is_visible()


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_axe_finds_no_violations_on_the_stream(open_stream, theme, viewport):
    page = open_stream(viewport=viewport, theme=theme)
    violations = browser_support.axe_violations(page, browser_support.axe_source(), theme)
    assert [(violation["id"], [node["target"] for node in violation["nodes"]]) for violation in violations] == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_axe_finds_no_violations_on_a_take_page(open_stream, theme, viewport):
    page = open_stream("/takes/rereading/", viewport=viewport, theme=theme)
    violations = browser_support.axe_violations(page, browser_support.axe_source(), theme)
    assert [(violation["id"], [node["target"] for node in violation["nodes"]]) for violation in violations] == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_stream_screenshots_are_written_for_review(open_stream, theme, viewport):
    page = open_stream(viewport=viewport, theme=theme)
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"takes-{viewport['width']}-{theme}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_search_finds_a_take_once_on_its_own_page_never_on_the_stream(browser, tmp_path):
    root = tmp_path / "site"
    (root / "content/takes").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.postil]\ntitle = "Searchable"\nbase_url = "http://127.0.0.1/"\n', encoding="utf-8")
    (root / "content/takes/glosses.md").write_text("---\ndate: 2026-01-02\n---\nA zymurgical gloss, written small.\n", encoding="utf-8")
    (root / "content/takes/other.md").write_text("---\ndate: 2026-01-03\n---\nAnother take.\n", encoding="utf-8")
    with browser_support.static_server(root / "public") as url:
        assert main(["-C", str(root), "build", "--base-url", url + "/"]) == 0
        page = browser.new_page()
        try:
            page.goto(url + "/search/?q=zymurgical")
            page.wait_for_function("""() => {
                const message = document.querySelector('.search-message');
                return message && !message.textContent.includes('Searching')
                    && document.querySelectorAll('.search-result-link').length >= parseInt(message.textContent, 10);
            }""", timeout=10_000)
            links = page.locator(".search-result-link")
            found = [(links.nth(i).inner_text(), links.nth(i).get_attribute("href")) for i in range(links.count())]
        finally:
            page.close()
    assert found == [("A zymurgical gloss, written small.", "/takes/glosses/")]

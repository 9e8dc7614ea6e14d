"""Whole pages in a real browser: accessibility, layout at every width, print, motion, origins."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

import browser_support

from .conftest import NARROW, WIDE

ESSAY = "/notes-in-the-margin/"
AXE_PAGES = ["/", ESSAY, "/tags/reading/", "/404.html"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    return browser_support.axe_source()


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_violations(open_page, axe_source, path, theme):
    page = open_page(path, storage={"theme": theme})
    violations = [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in browser_support.axe_violations(page, axe_source, theme)
    ]
    assert violations == []


@pytest.mark.parametrize("path", ["/", ESSAY, "/tags/", "/archive/", "/404.html"])
def test_no_horizontal_scrolling_at_320_px(open_page, path):
    page = open_page(path, viewport={"width": 320, "height": 640})
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_wide_code_and_tables_scroll_inside_their_own_box(open_page):
    page = open_page(ESSAY, viewport={"width": 320, "height": 640})
    for selector in ["pre.highlight", ".table-wrap"]:
        box = page.locator(selector).first
        assert box.evaluate("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === 'auto'")


def test_pages_make_no_request_to_another_origin(new_tab, base_url):
    origins = set()

    def note(request) -> None:
        origins.add(urlsplit(request.url).netloc)

    page = new_tab(WIDE)
    page.on("request", note)  # before the first load: each page is seen from its first request
    for path in ["/", "/tags/reading/", "/404.html", ESSAY]:
        page.goto(path, wait_until="networkidle")
    page.get_by_role("link", name="the companion essay", exact=True).hover()  # fetches the preview index
    page.locator(".popover-preview").wait_for()
    page.remove_listener("request", note)  # the tab is kept for other tests
    assert origins == {urlsplit(base_url).netloc}


def test_the_essay_font_is_the_self_hosted_serif(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('1em \"Source Serif 4\"')")
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('Source Serif 4') && f.status === 'loaded')")


def test_table_of_contents_stays_in_view_in_the_margin_while_reading(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    toc = page.locator(".toc")
    text_left = page.locator(".essay-body").bounding_box()["x"]
    page.mouse.wheel(0, 900)
    page.wait_for_function("scrollY > 800")
    box = toc.bounding_box()
    assert box["x"] + box["width"] <= text_left
    assert 0 <= box["y"] < 100


def test_table_of_contents_sits_above_the_text_at_390(open_page):
    page = open_page(ESSAY, viewport=NARROW)
    toc = page.locator(".toc").bounding_box()
    body = page.locator(".essay-body").bounding_box()
    assert toc["y"] + toc["height"] <= body["y"]


def test_print_shows_notes_inline_and_no_controls(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    page.emulate_media(media="print")
    styles = page.evaluate(
        """() => ({
        note: getComputedStyle(document.querySelector('.sidenote')).display,
        endnotes: getComputedStyle(document.querySelector('.essay-body > .footnotes')).display,
        toggle: getComputedStyle(document.querySelector('.theme-toggle')).display,
        toc: getComputedStyle(document.querySelector('.toc')).display,
    })"""
    )
    assert styles == {"note": "inline", "endnotes": "none", "toggle": "none", "toc": "none"}


def test_reduced_motion_turns_off_smooth_scrolling_and_animation(open_page):
    page = open_page(ESSAY, viewport=NARROW)
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "smooth"
    page.emulate_media(reduced_motion="reduce")
    page.locator(".essay-body a[role=doc-noteref]").first.click()
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
    assert page.evaluate("getComputedStyle(document.querySelector('.popover')).animationName") == "none"


def test_dark_mode_inverts_images_that_opt_in(open_page):
    page = open_page(ESSAY, viewport=WIDE, storage={"theme": "dark"})
    image = page.locator("img.invert-dark")
    assert "invert" in image.evaluate("e => getComputedStyle(e).filter")
    toggle = page.locator(".theme-toggle")
    toggle.click()  # dark → auto, under a light OS preference
    assert image.evaluate("e => getComputedStyle(e).filter") == "none"


def test_table_of_contents_marks_the_section_being_read(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    page.evaluate(
        "scrollTo({top: document.getElementById('reading-with-a-pencil').getBoundingClientRect().top + scrollY - 10, behavior: 'instant'})"
    )
    page.wait_for_function("document.querySelector('.toc a[aria-current]') !== null")
    assert page.locator(".toc a[aria-current]").inner_text() == "Reading with a pencil"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_violations_with_a_footnote_popover_open(open_page, axe_source, theme):
    page = open_page(ESSAY, viewport=NARROW, storage={"theme": theme})
    page.locator(".essay-body a[role=doc-noteref]").nth(3).click()
    page.locator(".popover").wait_for()
    violations = browser_support.axe_violations(page, axe_source, theme)
    assert [(violation["id"], [node["target"] for node in violation["nodes"]]) for violation in violations] == []


def test_reply_threads_collapse_and_sort_from_the_keyboard_with_a_visible_focus(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    page.locator(".replies-sort").focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("ArrowDown")  # oldest first → newest first
    assert page.locator(".reply-list > details.reply").first.get_attribute("id") == "reply-third"
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    else:
        pytest.fail("no reply could be reached with Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.parentElement.open") is False

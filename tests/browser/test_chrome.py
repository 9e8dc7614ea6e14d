"""The site's chrome in a real browser: interface face, header controls, the reply thread's
controls and the favicon."""
from __future__ import annotations

import pytest

from .conftest import NARROW, WIDE

ESSAY = "/notes-in-the-margin/"


def rect(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "e => e.getBoundingClientRect().toJSON()")


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_theme_pill_and_search_box_sit_on_one_line_with_one_height(open_page, viewport):
    page = open_page(ESSAY, viewport=viewport)
    page.evaluate("document.fonts.ready")
    pill, search = rect(page, ".theme-toggle"), rect(page, ".site-search input")
    assert abs(pill["top"] - search["top"]) <= 0.5 and abs(pill["bottom"] - search["bottom"]) <= 0.5
    # The label's glyphs and the field's text are centred alike in boxes of one height.
    label = page.eval_on_selector(".theme-toggle-label", "e => e.getBoundingClientRect().toJSON()")
    assert abs((label["top"] + label["bottom"]) / 2 - (search["top"] + search["bottom"]) / 2) <= 1.5


def test_interface_text_is_set_in_the_self_hosted_sans(open_page):
    page = open_page(ESSAY)
    page.evaluate("document.fonts.ready")
    for selector in (".site-nav a", ".essay-meta", ".theme-toggle", ".replies-controls"):
        family = page.eval_on_selector(selector, "e => getComputedStyle(e).fontFamily")
        assert family.startswith('"Source Sans 3"'), (selector, family)
    loaded = page.evaluate("[...document.fonts].filter(f => f.family.replace(/\"/g, '') === 'Source Sans 3' && f.status === 'loaded').length")
    assert loaded >= 1


def test_on_a_first_visit_the_highlight_choice_offers_no_last_visit_and_highlights_nothing(open_page):
    page = open_page(ESSAY)
    options = page.eval_on_selector_all(".replies-since option", "os => os.map(o => o.textContent)")
    assert options == ["a day ago", "a week ago", "a month ago", "no highlight"]
    assert page.eval_on_selector(".replies-since", "s => s.value") == "none"
    assert page.locator(".reply-new").count() == 0


def test_on_a_later_visit_the_choice_names_the_last_visit_and_counts_what_is_new(open_page):
    page = open_page(ESSAY, storage={"postil:last-visit:" + ESSAY: "1770120000000"})  # 3 Feb 2026, 12:00 UTC
    first = page.eval_on_selector(".replies-since option", "o => o.textContent")
    assert first.startswith("your last visit, ") and "2026" in first and "(" not in first
    new = page.locator(".reply-new").count()
    assert new == 2 and page.inner_text(".replies-new-count") == "2 new"


def test_sort_and_highlight_controls_are_drawn_by_the_theme(open_page):
    page = open_page(ESSAY)
    for selector in (".replies-sort", ".replies-since"):
        style = page.eval_on_selector(selector, "s => { const c = getComputedStyle(s); return [c.appearance, c.borderTopLeftRadius, c.fontFamily]; }")
        assert style[0] == "none" and float(style[1].rstrip("px")) > 8 and style[2].startswith('"Source Sans 3"')


def test_every_page_has_an_svg_favicon_and_loading_pages_meets_no_404(open_page, base_url):
    failures = []
    for path in ("/", ESSAY, "/tags/", "/archive/"):
        page = open_page(path, wait="networkidle")
        icon = page.eval_on_selector("link[rel=icon]", "l => l.href")
        response = page.request.get(icon)
        assert response.status == 200 and response.headers["content-type"].startswith("image/svg")
        failures += [(path, url) for url, status in page.evaluate(
            "performance.getEntriesByType('resource').map(r => [r.name, r.responseStatus])"
        ) if status >= 400]
    assert failures == []

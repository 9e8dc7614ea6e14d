"""Footnotes as sidenotes on wide screens, popovers on narrow ones, plain links without JS."""
from __future__ import annotations

from .conftest import NARROW, WIDE

ESSAY = "/notes-in-the-margin/"


def boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(selector, "els => els.map(e => { const r = e.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right}; })")


def essay_refs(page) -> list[dict]:
    return boxes(page, ".essay-body > :not(.footnotes) a[role=doc-noteref]")


def test_every_essay_footnote_becomes_a_visible_sidenote_at_1440(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    notes = page.locator(".essay-body .sidenote")
    assert notes.count() == 5
    assert all(notes.nth(i).is_visible() for i in range(5))
    assert notes.nth(1).inner_text().startswith("2The second note is longer")
    assert not page.locator(".essay-body > .footnotes").is_visible()


def test_sidenotes_sit_in_the_margin_right_of_the_text(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    text = boxes(page, ".essay-body > p")[0]
    assert all(note["left"] >= text["right"] + 16 and note["right"] <= WIDE["width"] for note in boxes(page, ".sidenote"))


def test_sidenotes_start_on_the_line_of_their_reference_unless_pushed_down(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    refs, notes = essay_refs(page), boxes(page, ".sidenote")
    assert abs(notes[0]["top"] - refs[0]["top"]) < 12
    assert abs(notes[3]["top"] - refs[3]["top"]) < 12
    assert all(note["top"] >= ref["top"] - 12 for note, ref in zip(notes, refs))


def test_sidenotes_never_overlap_each_other(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    notes = boxes(page, ".sidenote")
    assert notes[2]["top"] > essay_refs(page)[2]["top"] + 20  # the third note really was pushed
    assert all(earlier["bottom"] <= later["top"] for earlier, later in zip(notes, notes[1:]))


def test_clicking_a_reference_at_1440_highlights_its_sidenote(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    page.locator(".essay-body a[role=doc-noteref]").first.click()
    assert page.evaluate("document.activeElement.classList.contains('sidenote')")
    assert page.locator(".sidenote.is-highlighted").count() == 1
    assert page.locator(".popover").count() == 0


def test_at_390_footnotes_stay_at_the_end_with_back_links(open_page):
    page = open_page(ESSAY, viewport=NARROW)
    assert page.locator(".essay-body > .footnotes").is_visible()
    assert not page.locator(".sidenote").first.is_visible()
    assert page.locator(".essay-body > .footnotes a[role=doc-backlink]").count() == 5


def test_tapping_a_reference_at_390_shows_that_footnote_in_a_popover(browser, base_url):
    context = browser.new_context(viewport=NARROW, base_url=base_url, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(ESSAY)
        page.locator(".essay-body a[role=doc-noteref]").nth(1).tap()
        popover = page.locator(".popover")
        assert popover.inner_text().startswith("The second note is longer")
        assert page.url.endswith(ESSAY)  # the tap did not jump to the end
        box = popover.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
    finally:
        context.close()


def test_hovering_a_reference_shows_its_footnote(open_page):
    page = open_page(ESSAY, viewport=NARROW)
    page.locator(".essay-body a[role=doc-noteref]").nth(2).hover()
    assert page.locator(".popover").inner_text() == "The third note would overlap the second if nothing pushed it down."


def test_escape_closes_the_popover_and_returns_focus_to_the_reference(open_page):
    page = open_page(ESSAY, viewport=NARROW)
    reference = page.locator(".essay-body a[role=doc-noteref]").first
    reference.click()
    assert page.locator(".popover").is_visible()
    page.keyboard.press("Escape")
    assert page.locator(".popover").count() == 0
    assert page.evaluate("document.activeElement.getAttribute('href')") == reference.get_attribute("href")


def test_a_click_outside_closes_the_popover(open_page):
    page = open_page(ESSAY, viewport=NARROW)
    page.locator(".essay-body a[role=doc-noteref]").first.click()
    page.mouse.click(5, 600)
    assert page.locator(".popover").count() == 0


def test_keyboard_focus_on_a_reference_shows_the_popover_and_enter_follows_it(open_page):
    page = open_page(ESSAY, viewport=NARROW)
    page.locator(".essay-body a[role=doc-noteref]").first.focus()
    assert page.locator(".popover").inner_text() == "The first note is short."
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**#fn-1", timeout=5000)


def test_without_javascript_footnote_links_work_both_ways(new_tab):
    page = new_tab(WIDE, javascript=False)
    page.goto(ESSAY)
    assert page.locator(".essay-body > .footnotes").is_visible()
    page.locator(".essay-body a[role=doc-noteref]").first.click()
    assert page.url.endswith("#fn-1")
    assert page.locator("#fn-1:target").count() == 1
    page.locator("#fn-1 a[role=doc-backlink]").click()
    assert page.url.endswith("#fnref-1")


def test_hovering_a_link_to_another_essay_previews_its_title_and_summary(open_page):
    page = open_page(ESSAY, viewport=WIDE)
    page.get_by_role("link", name="the companion essay", exact=True).hover()
    popover = page.locator(".popover-preview")
    popover.wait_for()
    assert popover.inner_text() == "The Companion Essay\nWhat a second reader adds to a first reader's notes."


def test_links_to_other_sites_get_no_preview(open_page):
    """Every popover the page ever shows is recorded: after the outside link, the link to
    another essay shows its preview (so a preview of the first would have come by then),
    and it is the only one."""
    page = open_page(ESSAY, viewport=WIDE)
    page.evaluate("""() => {
        window.__popovers = [];
        new MutationObserver(() => document.querySelectorAll('.popover').forEach(popover => {
            if (!window.__popovers.includes(popover.innerText)) window.__popovers.push(popover.innerText);
        })).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
    }""")
    page.get_by_role("link", name="an outside page").hover()
    page.get_by_role("link", name="the companion essay", exact=True).hover()
    page.locator(".popover-preview").wait_for()
    assert page.evaluate("window.__popovers") == ["The Companion Essay\nWhat a second reader adds to a first reader's notes."]

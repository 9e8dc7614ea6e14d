"""The essay's margin in a real browser: side comments that show the reply beside the passage
it quotes, footnotes that keep their place, and nothing that overlaps.

The fixture essay is crowded on purpose: many notes, passages quoted by up to five replies,
a passage whose own note leaves no room for its stack of replies, and a note cited just
before a quoted paragraph (the layout that pushed a note beside the wrong text).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import browser_support
from postil.cli import main

from .conftest import ARTIFACTS, NARROW, WIDE, assert_in_theme, png_size

ESSAY = "/crowded-margin/"
SENTENCE = "Readers have always written beside the text, and the text has always been the better for it."
LONG_REPLY = " ".join(
    ["I think this is right, but only for books that are owned rather than borrowed."]
    + [f"Sentence {number} of a long reply goes on about pencils, libraries and fines." for number in range(1, 9)]
    + ["The last words of the long reply."]
)


def passage(label: str, sentences: int = 3) -> str:
    return f"{label}: " + " ".join([SENTENCE] * sentences)


BODY = f"""\
Opening: {SENTENCE}[^open] {" ".join([SENTENCE] * 4)}

{passage("Plain", 3)}

Crowded: {SENTENCE}[^c1] {SENTENCE}[^c2] {" ".join([SENTENCE] * 4)}

{passage("Spacer", 6)}

{passage("Squeezed", 3)} It ends on a note with a long text.[^squeeze]

{passage("Before", 5)} The note of this paragraph comes at its very end.[^before]

{passage("After", 4)}

{passage("Quiet", 6)}[^quiet]

{passage("Last", 3)}

[^open]: The opening note.
[^c1]: A note in a crowded paragraph.
[^c2]: Another note in the same paragraph, long enough to wrap over a few lines of the margin.
[^squeeze]: {" ".join(["A note long enough to fill the margin beside its paragraph."] * 3)}
[^before]: The note cited at the end of the paragraph before a quoted one. It must stay beside its own paragraph, however many replies the next paragraph has.
[^quiet]: A note beside a paragraph nobody quoted.
"""

# (passage label, number of replies quoting it); the first reply to each is long.
QUOTED = [("Opening", 2), ("Crowded", 5), ("Squeezed", 3), ("After", 2), ("Last", 1)]


def write_site(root: Path) -> Path:
    content = root / "content" / "crowded-margin"
    (content / "replies").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.postil]\ntitle = "Crowded Margins"\nbase_url = "https://example.org/"\nauthor = "Ada"\n', encoding="utf-8"
    )
    (content / "index.md").write_text(
        f'---\ntitle: "A Crowded Margin"\ndate: 2026-02-01\nsummary: "Notes and replies side by side."\n---\n{BODY}', encoding="utf-8"
    )
    day = 1
    for label, count in QUOTED:
        for number in range(count):
            day += 1
            words = LONG_REPLY if number == 0 else f"Reply {number} to the {label.lower()} passage, short and to the point."
            (content / "replies" / f"{label.lower()}-{number}.md").write_text(
                f"---\nauthor: \"{label} Reader {number}\"\ndate: 2026-02-{day:02}T10:00:00Z\n---\n"
                f"> {label}: Readers have always written beside the text\n\n{words}\n",
                encoding="utf-8",
            )
    assert main(["-C", str(root), "build"]) == 0
    return root / "public"


@pytest.fixture(scope="module")
def margin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    public = write_site(tmp_path_factory.mktemp("margin-site"))
    with browser_support.static_server(public) as url:
        yield url


@pytest.fixture(scope="module")
def margin_tabs(browser, margin_url) -> Iterator[browser_support.Tabs]:
    with browser_support.tabs(browser, margin_url) as opened:
        yield opened


@pytest.fixture
def essay(margin_tabs):
    """essay(viewport=WIDE, theme="light", javascript=True) → the crowded essay, fonts loaded, margin laid out."""

    def open_essay(viewport: dict = WIDE, theme: str = "light", javascript: bool = True):
        # Reduced motion: the passage's highlight then comes and goes without a fade to wait for.
        page = margin_tabs.new_page(viewport, color_scheme=theme, reduced_motion="reduce", javascript=javascript)
        page.goto(ESSAY)
        if javascript:
            page.evaluate("document.fonts.ready.then(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))))")
        return page

    yield open_essay
    margin_tabs.close_pages()


def box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right, height: r.height}; }")


def boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(selector, "els => els.map(e => { const r = e.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right, height: r.height}; })")


def aside_of(label: str) -> str:
    return f"xpath=//div[@class='passage-with-comments'][p[starts-with(normalize-space(.), '{label}:')]]/aside"


def paragraph_of(label: str) -> str:
    return f"xpath=//div[contains(@class,'essay-body')]//p[starts-with(normalize-space(.), '{label}:')]"


def locator_box(page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    scroll = page.evaluate("scrollY")
    return {"top": found["y"] + scroll, "bottom": found["y"] + found["height"] + scroll, "left": found["x"], "right": found["x"] + found["width"], "height": found["height"]}


def test_side_comments_show_each_replys_author_and_words_in_the_margin(essay):
    page = essay()
    text = box(page, ".essay-body")
    for label, count in QUOTED:
        aside = locator_box(page, aside_of(label))
        assert aside["left"] >= text["right"] + 20, label
        if label == "Squeezed":
            continue  # shrunk to a marker: see test_a_stack_that_does_not_fit_beside_its_passage_…
        assert page.locator(aside_of(label)).get_attribute("class") == "side-comments", label
        shown = page.locator(aside_of(label)).locator(".side-comments-fold > .side-comments-list .side-comment")
        assert shown.count() == min(count, 3), label
        first = shown.first
        assert first.locator(".side-comment-author").inner_text() == f"{label} Reader 0"
        assert first.locator(".side-comment-excerpt").inner_text().startswith("I think this is right, but only for books")
        assert first.locator(".side-comment-excerpt").is_visible()


def test_each_footnote_stays_level_with_its_reference_or_just_below_the_note_before(essay):
    page = essay()
    references = boxes(page, ".essay-body > :not(.footnotes) a[role=doc-noteref], .passage-with-comments a[role=doc-noteref]")
    notes = boxes(page, ".sidenote")
    assert len(notes) == len(references) == 6
    previous_bottom = float("-inf")
    for reference, note in zip(references, notes):
        expected = max(reference["top"], previous_bottom + 12)
        assert abs(note["top"] - expected) <= 2, (reference, note)
        previous_bottom = note["bottom"]


def test_the_note_before_a_quoted_paragraph_stays_beside_its_own_paragraph(essay):
    page = essay()
    note = boxes(page, ".sidenote")[4]
    before, after = locator_box(page, paragraph_of("Before")), locator_box(page, paragraph_of("After"))
    assert before["top"] <= note["top"] < before["bottom"] and note["top"] < after["top"]
    comments = locator_box(page, aside_of("After"))
    assert comments["top"] >= note["bottom"]


def test_nothing_in_the_margin_overlaps(essay):
    page = essay()
    items = sorted(boxes(page, ".sidenote") + boxes(page, ".passage-with-comments > .side-comments"), key=lambda item: item["top"])
    assert len(items) == 6 + len(QUOTED)
    for earlier, later in zip(items, items[1:]):
        assert earlier["bottom"] <= later["top"], (earlier, later)


def test_a_stack_that_does_not_fit_beside_its_passage_shrinks_to_a_marker_there(essay):
    page = essay()
    aside = page.locator(aside_of("Squeezed"))
    assert "is-compact" in aside.get_attribute("class")
    marker, paragraph = locator_box(page, aside_of("Squeezed")), locator_box(page, paragraph_of("Squeezed"))
    assert abs(marker["top"] - paragraph["top"]) <= 2 and marker["height"] < 40
    assert aside.locator(".side-comments-count").inner_text() == "3 replies"
    aside.locator(".side-comments-summary").click()
    assert aside.locator(".side-comment").first.is_visible()


def test_a_long_reply_opens_in_place_and_closes_again(essay):
    page = essay()
    comment = page.locator(aside_of("Opening")).locator(".side-comment").first
    assert not comment.locator(".side-comment-body").is_visible()
    comment.locator("summary").click()
    assert comment.locator(".side-comment-body").is_visible()
    assert "The last words of the long reply." in comment.locator(".side-comment-body").inner_text()
    assert not comment.locator("summary .side-comment-excerpt").is_visible()
    comment.locator("summary").click()
    assert not comment.locator(".side-comment-body").is_visible()


def test_past_three_replies_the_rest_of_a_stack_open_from_a_count(essay):
    page = essay()
    aside = page.locator(aside_of("Crowded"))
    rest = aside.locator(".side-comments-rest")
    assert rest.locator("summary").inner_text().endswith("2 more replies")
    assert not rest.locator(".side-comment").first.is_visible()
    rest.locator("summary").click()
    assert rest.locator(".side-comment").nth(1).is_visible()


def highlighted(page, label: str) -> bool:
    return page.locator(paragraph_of(label)).evaluate("p => getComputedStyle(p).backgroundColor !== 'rgba(0, 0, 0, 0)'")


def test_pointing_at_or_focusing_a_side_comment_lights_up_its_passage(essay):
    page = essay()
    page.mouse.move(5, 5)
    assert not highlighted(page, "Opening")
    page.locator(aside_of("Opening")).locator(".side-comment").first.hover()
    assert highlighted(page, "Opening") and not highlighted(page, "Crowded")
    page.mouse.move(5, 5)
    page.locator(aside_of("Crowded")).locator(".side-comment-link").first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert highlighted(page, "Crowded") and not highlighted(page, "Opening")


def test_the_keyboard_reaches_every_reply_in_the_margin_and_opens_it(essay):
    page = essay()
    reached = []
    page.locator(".essay-title").click()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.closest('.side-comments') ? document.activeElement.className || document.activeElement.tagName : null"))
        if page.evaluate("!!document.activeElement.closest('#replies')"):
            break
    assert reached.count("side-comment-link") == 2 + 3 + 2 + 1  # the squeezed stack and the "2 more" are folded
    page.locator(aside_of("Opening")).locator(".side-comment-reply > summary").first.focus()
    page.keyboard.press("Enter")
    assert page.locator(aside_of("Opening")).locator(".side-comment-body").first.is_visible()


def test_at_390_side_comments_follow_their_passage_folded_with_the_same_words(essay):
    page = essay(viewport=NARROW)
    aside, paragraph = locator_box(page, aside_of("Crowded")), locator_box(page, paragraph_of("Crowded"))
    assert aside["top"] >= paragraph["bottom"] and aside["left"] >= paragraph["left"] - 1
    fold = page.locator(aside_of("Crowded")).locator(".side-comments-fold")
    assert not fold.locator(".side-comment").first.is_visible()
    assert fold.locator(".side-comments-summary").inner_text().startswith("5 replies")
    fold.locator(".side-comments-summary").click()
    first = fold.locator(".side-comment").first
    assert first.is_visible() and first.locator(".side-comment-author").inner_text() == "Crowded Reader 0"
    assert first.locator(".side-comment-excerpt").inner_text().startswith("I think this is right")


def test_without_javascript_the_folded_side_comments_still_open(essay):
    page = essay(viewport=NARROW, javascript=False)
    fold = page.locator(aside_of("Opening")).locator(".side-comments-fold")
    fold.locator(".side-comments-summary").click()
    comment = fold.locator(".side-comment").first
    comment.locator("summary").click()
    assert "The last words of the long reply." in comment.locator(".side-comment-body").inner_text()


def test_without_javascript_wide_screens_show_one_line_markers_that_open(essay):
    page = essay(javascript=False)
    asides = page.locator(".passage-with-comments > .side-comments")
    markers = boxes(page, ".passage-with-comments > .side-comments")
    assert all(marker["height"] < 40 for marker in markers)
    assert all(earlier["bottom"] <= later["top"] for earlier, later in zip(markers, markers[1:]))
    first = asides.first
    assert not first.locator(".side-comment").first.is_visible()
    first.locator(".side-comments-summary").click()
    assert first.locator(".side-comment-author").first.inner_text() == "Opening Reader 0"


@pytest.fixture(scope="module")
def axe_source() -> str:
    return browser_support.axe_source()


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_axe_finds_no_violations_with_side_comments_open(essay, axe_source, theme, viewport):
    page = essay(viewport=viewport, theme=theme)
    page.evaluate("document.querySelectorAll('.side-comments details').forEach(d => { d.open = true; })")
    violations = browser_support.axe_violations(page, axe_source, theme)
    assert [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in violations] == []


def test_no_horizontal_scrolling_at_320_px_with_side_comments_open(essay):
    page = essay(viewport={"width": 320, "height": 640})
    page.evaluate("document.querySelectorAll('.side-comments details').forEach(d => { d.open = true; })")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_annotated_essay_screenshot_is_written_for_review(essay, theme, viewport):
    page = essay(viewport=viewport, theme=theme)
    if viewport is NARROW:
        page.locator(aside_of("Crowded")).locator(".side-comments-summary").click()
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"annotated-essay-{viewport['width']}-{theme}.png"
    assert_in_theme(page, theme)
    assert page.locator(aside_of("Crowded")).locator(".side-comment").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]
    page.screenshot(path=str(path), full_page=True)
    assert png_size(path.read_bytes()) == (viewport["width"], page.evaluate("document.documentElement.scrollHeight"))


@pytest.fixture(scope="module")
def example_url(example_site: Path) -> Iterator[str]:
    """The repository's example site (built once for the test run) served on 127.0.0.1."""
    with browser_support.static_server(example_site) as url:
        yield url


def test_in_the_example_essay_footnote_1_sits_beside_the_paragraph_that_cites_it(browser, example_url):
    context = browser.new_context(viewport=WIDE)
    try:
        page = context.new_page()
        page.goto(example_url + "/the-margin-is-the-message/")
        page.evaluate("document.fonts.ready.then(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))))")
        reference = box(page, ".essay-body a[role=doc-noteref]")
        note = box(page, ".sidenote")
        citing = page.locator(".essay-body a[role=doc-noteref]").first.evaluate(
            "a => { const p = a.closest('p'); const r = p.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY}; }"
        )
        assert abs(note["top"] - reference["top"]) <= 2 and note["top"] < citing["bottom"]
        items = sorted(boxes(page, ".sidenote") + boxes(page, ".passage-with-comments > .side-comments"), key=lambda item: item["top"])
        assert all(earlier["bottom"] <= later["top"] for earlier, later in zip(items, items[1:]))
    finally:
        context.close()

"""Reply threads in a real browser: type size, headers, indentation on a phone, collapsing
(nested and flat), sorting deep threads, and screenshots of a thread and of /replies/."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import browser_support
from postil.cli import main

from .conftest import ARTIFACTS, NARROW, WIDE

ESSAY = "/threads/"
SENTENCE = "A margin note is an argument with the page, kept short because the margin is narrow. "


def reply_file(author: str, day: int, body: str, parent: str = "", score: int | None = None, agreement: int | None = None) -> str:
    lines = [f'author: "{author}"', f"date: 2026-03-{day:02}T10:00:00Z"]
    lines += [f"parent: {parent}"] if parent else []
    lines += [f"score: {score}"] if score is not None else []
    lines += [f"agreement: {agreement}"] if agreement is not None else []
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def write_thread_site(root: Path) -> None:
    """An essay whose thread runs twelve replies deep, with a side branch above and below depth 8."""
    (root / "pyproject.toml").write_text('[tool.postil]\ntitle = "Thread Fixture"\nbase_url = "https://example.org/"\nsearch = false\n', encoding="utf-8")
    bundle = root / "content" / "threads"
    (bundle / "replies").mkdir(parents=True)
    (bundle / "index.md").write_text(
        "---\ntitle: \"Threads\"\ndate: 2026-03-01\n---\n" + SENTENCE * 4 + "\n\n" + SENTENCE * 3 + "\n", encoding="utf-8")
    replies = {
        "top": reply_file("Marguerite Okonkwo-Villanueva", 2, SENTENCE * 2, score=128, agreement=-12),
        "late": reply_file("Ben", 28, "Coming late to this -- but \"quotes\" still curl."),
    }
    parent = ""
    for depth in range(12):
        replies[f"d{depth}"] = reply_file(f"Reader {depth}", 3 + depth, f"Depth {depth}. " + SENTENCE, parent=parent, score=depth * 3, agreement=depth)
        parent = f"d{depth}"
    replies["d3b"] = reply_file("Side Branch", 20, "A second answer at depth 3. " + SENTENCE, parent="d2", score=50)
    replies["d9b"] = reply_file("Flat Branch", 21, "A second answer at depth 9. " + SENTENCE, parent="d8", score=99)
    for name, text in replies.items():
        (bundle / "replies" / f"{name}.md").write_text(text, encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0


@pytest.fixture(scope="module")
def thread_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("thread-site")
    write_thread_site(root)
    with browser_support.static_server(root / "public") as url:
        yield url


@pytest.fixture(scope="module")
def thread_tabs(browser, thread_url) -> Iterator[browser_support.Tabs]:
    with browser_support.tabs(browser, thread_url) as opened:
        yield opened


@pytest.fixture
def open_thread(thread_tabs):
    def open_thread(path: str = ESSAY, viewport: dict = WIDE, theme: str = "light", scripts: bool = True):
        page = thread_tabs.new_page(viewport, javascript=scripts, storage={"theme": theme})
        page.goto(path)
        return page

    yield open_thread
    thread_tabs.close_pages()


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def font_size(page, selector: str) -> float:
    return page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)")


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_replies_are_set_smaller_than_the_essay(open_thread, viewport):
    page = open_thread(viewport=viewport)
    essay = font_size(page, ".essay-body p")
    for selector in ["#reply-top .reply-body p", "#reply-d9 .reply-body p"]:
        assert font_size(page, selector) <= 0.92 * essay
    # Measured, not only declared: the same word ("margin") takes less room in a reply.
    first_word = "p => { const range = document.createRange(); range.setStart(p.firstChild, 2); range.setEnd(p.firstChild, 8); return range.getBoundingClientRect().width; }"
    assert page.eval_on_selector("#reply-top .reply-body p", first_word) <= 0.92 * page.eval_on_selector(".essay-body > p:nth-child(2)", first_word)


@pytest.mark.parametrize("width", [320, 390, 1440])
def test_no_header_unit_breaks_across_lines(open_thread, width):
    page = open_thread(viewport={"width": width, "height": 900})
    units = page.eval_on_selector_all(
        ".reply-header > :is(.reply-author, time, .reply-score, .reply-agreement)",
        "nodes => nodes.map(n => [n.closest('.reply').id, n.textContent, new Set(Array.from(n.getClientRects(), r => r.top)).size])")
    assert len(units) > 40
    assert [unit for unit in units if unit[2] != 1] == []


def test_a_depth_seven_reply_keeps_most_of_a_phone_screen(open_thread):
    page = open_thread(viewport=NARROW)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    for ident in ("d7", "d8", "d11"):
        assert box(page, f"#reply-{ident}")["width"] >= 0.7 * NARROW["width"]
    # Indentation stops growing after three levels on a phone, and the deeper replies say whom they answer.
    x = {depth: box(page, f"#reply-d{depth} > summary")["x"] for depth in range(12)}
    assert x[0] < x[1] < x[2] < x[3] == x[4] == x[7] == x[11]
    assert page.is_visible("#reply-d4 > .reply-parent") and not page.is_visible("#reply-d3 > .reply-parent")


def test_wide_threads_indent_to_depth_eight_then_run_flat_with_a_parent_link(open_thread):
    page = open_thread(viewport=WIDE)
    x = {depth: box(page, f"#reply-d{depth} > summary")["x"] for depth in range(12)}
    assert all(x[depth] < x[depth + 1] for depth in range(8))
    assert x[8] == x[9] == x[10] == x[11] == box(page, "#reply-d9b > summary")["x"]
    assert not page.is_visible("#reply-d7 > .reply-parent")
    link = page.locator("#reply-d10 > .reply-parent a")
    assert link.inner_text() == "Reader 9"
    link.click()
    page.wait_for_function("location.hash === '#reply-d9'")
    assert page.evaluate("document.querySelector(':target').id") == "reply-d9"


def test_collapsing_a_subthread_from_the_keyboard_hides_it_and_says_how_many(open_thread):
    page = open_thread(viewport=WIDE)
    assert not page.is_visible("#reply-d2 > summary .reply-folded")
    page.focus("#reply-d2 > summary")
    page.keyboard.press("Enter")
    assert page.locator("#reply-d2 > summary .reply-folded").inner_text() == "11 replies hidden"
    for hidden in ("#reply-d2 > .reply-body", "#reply-d3", "#reply-d3b", "#reply-d11"):
        assert not page.is_visible(hidden)
    assert page.is_visible("#reply-late")
    page.keyboard.press("Space")
    assert page.is_visible("#reply-d11") and not page.is_visible("#reply-d2 > summary .reply-folded")


def test_collapsing_a_flat_reply_hides_the_flat_replies_below_it(open_thread):
    page = open_thread(viewport=WIDE)
    page.click("#reply-d10 > summary .reply-author")  # d10 answers d9; d11 answers d10
    page.wait_for_function("document.getElementById('reply-d11').hidden")
    assert page.locator("#reply-d10 > summary .reply-folded").inner_text() == "1 reply hidden"
    assert page.is_visible("#reply-d10 > summary") and page.is_visible("#reply-d9b")
    page.click("#reply-d8 > summary .reply-author")
    page.wait_for_function("document.getElementById('reply-d9b').hidden")
    assert page.locator("#reply-d8 > summary .reply-folded").inner_text() == "4 replies hidden"
    # The folded replies take no room: the flat run ends where d8 ends.
    assert abs(box(page, "#reply-d7 > .reply-children")["y"] + box(page, "#reply-d7 > .reply-children")["height"]
               - box(page, "#reply-d8")["y"] - box(page, "#reply-d8")["height"]) < 1
    page.click("#reply-d8 > summary .reply-author")
    page.wait_for_function("!document.getElementById('reply-d9').hidden")
    # d10 is still closed: its own answer stays hidden.
    assert page.is_visible("#reply-d9b") and page.is_visible("#reply-d10") and not page.is_visible("#reply-d11")


def test_a_link_to_a_reply_inside_a_closed_flat_reply_opens_it(open_thread):
    page = open_thread(viewport=WIDE)
    page.click("#reply-d9 > summary .reply-author")
    page.wait_for_function("document.getElementById('reply-d11').hidden")
    page.evaluate("location.hash = '#reply-d11'")
    page.wait_for_function("!document.getElementById('reply-d11').hidden && document.getElementById('reply-d9').open")
    assert page.is_visible("#reply-d11") and page.is_visible("#reply-d10")


def reading_order(page) -> list[tuple[str, int]]:
    return page.eval_on_selector_all(".reply-list details.reply", "nodes => nodes.map(n => [n.id, Number(n.dataset.depth)])")


def test_sorting_keeps_every_flat_reply_after_its_parent(open_thread):
    page = open_thread(viewport=WIDE)
    as_built = reading_order(page)
    page.select_option(".replies-sort", "new")
    order = reading_order(page)
    ids = [ident for ident, _ in order]
    assert ids[:2] == ["reply-late", "reply-d0"]
    # d8's answers, newest first: the flat branch, then d9 with its own answers after it.
    assert ids[ids.index("reply-d8"):] == ["reply-d8", "reply-d9b", "reply-d9", "reply-d10", "reply-d11", "reply-top"][:len(ids) - ids.index("reply-d8")]
    page.select_option(".replies-sort", "top")
    ids = [ident for ident, _ in reading_order(page)]
    assert ids.index("reply-d9b") < ids.index("reply-d9") < ids.index("reply-d10") < ids.index("reply-d11")
    page.select_option(".replies-sort", "old")
    assert reading_order(page) == as_built


def test_without_script_every_reply_shows_and_flat_replies_claim_no_hidden_count(open_thread):
    page = open_thread(viewport=WIDE, scripts=False)
    assert all(page.is_visible(f"#reply-d{depth}") for depth in range(12))
    page.click("#reply-d9 > summary .reply-author")
    assert page.is_visible("#reply-d10") and not page.is_visible("#reply-d9 > summary .reply-folded")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_axe_finds_no_violations_in_a_deep_thread(open_thread, theme, viewport):
    page = open_thread(viewport=viewport, theme=theme)
    page.click("#reply-d8 > summary .reply-author")  # a closed reply shows its count
    violations = browser_support.axe_violations(page, browser_support.axe_source(), theme)
    assert [(violation["id"], [node["target"] for node in violation["nodes"]]) for violation in violations] == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
@pytest.mark.parametrize("path,name", [(ESSAY, "thread"), ("/replies/", "replies")])
def test_thread_and_replies_screenshots_are_written_for_review(open_thread, theme, viewport, path, name):
    page = open_thread(path, viewport=viewport, theme=theme)
    page.evaluate("document.fonts.ready")
    if name == "thread":
        page.click("#reply-d3b > summary .reply-author")  # a closed reply, and a closed one with answers
        page.click("#reply-d9 > summary .reply-author")
        page.locator("#replies").scroll_into_view_if_needed()
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{viewport['width']}-{theme}.png"
    if name == "thread":
        page.locator("#replies").screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000

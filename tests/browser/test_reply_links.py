"""Reply links in a real browser: the date and file name a click adds, the "Reply to this
passage" control (by mouse and by keyboard, placed off the selection, gone with it), the
quote it sends pinned beside its paragraph once stored, closed essays, pages without
JavaScript, axe, and screenshots of the control."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

import browser_support
from postil.cli import main
from postil.config import Config
from postil.content.reply import REPLY_ID, parse_reply

from .conftest import ARTIFACTS, NARROW, WIDE

FORGE = "https://forge.example/ada/essays/new/main?filename={path}&value={body}"
FIRST = ("The margin is where a reader answers the page, one pencilled line at a time, and "
         "the page keeps the record of the quarrel.")
LITERAL = r"1984\. Literal marks stay as typed: 5 \* 3 = 15, a\_b\_c, \[sic\], \<tag\> & \`ticks\` \$5 \#1 ~ \| {x}."  # Markdown's own characters
SECOND = "A second paragraph talks about glosses that outgrew the text they surrounded, *page* by page."
ESSAY = f"""---
title: "Talk"
date: 2026-03-01
---
{FIRST}[^1]

{SECOND}

A third paragraph, so that the second one is not the last thing on the page.

{LITERAL}

[^1]: A footnote whose words must never reach a quote.
"""
REPLY = "---\nauthor: Ann\ndate: 2026-03-02T10:00:00Z\n---\nA reply to answer.\n"


def write_site(root: Path, via: str) -> None:
    (root / "pyproject.toml").write_text(
        f'[tool.postil]\ntitle = "Reply Links"\nbase_url = "https://example.org/"\nsearch = false\nreplies_via = "{via}"\n', encoding="utf-8")
    for bundle, mode in (("talk", ""), ("closed", "replies: closed\n")):
        folder = root / "content" / bundle
        (folder / "replies").mkdir(parents=True)
        (folder / "index.md").write_text(ESSAY.replace("date: 2026-03-01\n", "date: 2026-03-01\n" + mode), encoding="utf-8")
        (folder / "replies" / "ann.md").write_text(REPLY, encoding="utf-8")


@pytest.fixture(scope="module")
def site_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reply-links") / "site"
    root.mkdir()
    write_site(root, FORGE)
    assert main(["-C", str(root), "build"]) == 0
    return root


@pytest.fixture(scope="module")
def site_url(site_root) -> Iterator[str]:
    with browser_support.static_server(site_root / "public") as url:
        yield url


@pytest.fixture(scope="module")
def talk_tabs(browser, site_url) -> Iterator[browser_support.Tabs]:
    with browser_support.tabs(browser, site_url) as opened:
        yield opened


@pytest.fixture
def open_essay(talk_tabs):
    def open_essay(path: str = "/talk/", viewport: dict = WIDE, theme: str = "light", scripts: bool = True):
        page = talk_tabs.new_page(viewport, javascript=scripts, storage={"theme": theme})
        page.goto(path)
        page.evaluate("document.fonts.ready")
        return page

    yield open_essay
    talk_tabs.close_pages()


def clicked_href(page, selector: str) -> str:
    """Click a link as a reader would and return where it went (the navigation itself is
    cancelled after the page's own handlers ran: the forge is not reachable from here)."""
    page.evaluate("""() => window.addEventListener('click', (event) => {
        const link = event.target.closest('a');
        if (link) { event.preventDefault(); window.postilClicked = link.href; }
    }, { once: true })""")
    page.click(selector)
    return page.evaluate("window.postilClicked")


def sent(href: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(href).query)
    return query["filename"][0], query["value"][0]


def test_a_click_adds_the_date_and_a_unique_file_name(open_essay):
    page = open_essay()
    static = page.get_attribute(".essay-reply .reply-link", "href")
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    first, second = clicked_href(page, ".essay-reply .reply-link"), clicked_href(page, ".essay-reply .reply-link")
    path, body = sent(first)
    assert re.fullmatch(r"content/talk/replies/[^/]+\.md", path)
    assert REPLY_ID.fullmatch(path.rsplit("/", 1)[1][:-3])
    assert sent(second)[0] != path
    (date,) = re.findall(r"^date: (.+)$", body, re.M)
    assert before <= dt.datetime.fromisoformat(date.replace("Z", "+00:00")) <= dt.datetime.now(dt.timezone.utc)
    # The script's reply is the page's (no-JavaScript) reply with the date: the two agree.
    assert body.replace(f"date: {date}\n", "") == sent(static)[1]
    reply = parse_reply(path, "content/talk", "talk/", body.replace("author: \n", "author: Bea\n").encode(), Config())
    assert reply.problems == () and reply.reply.draft and reply.reply.date is not None


def test_reply_to_this_names_the_reply_it_answers(open_essay):
    page = open_essay()
    _, body = sent(clicked_href(page, "#reply-ann .reply-link"))
    assert "\nparent: ann\n" in body and "\ndraft: true\n" in body


def select_text(page, selector: str, start: int, end_selector: str | None = None, end: int | None = None) -> None:
    page.evaluate("""([selector, start, endSelector, end]) => {
        const text = (element) => document.createTreeWalker(element, NodeFilter.SHOW_TEXT).nextNode();
        const from = text(document.querySelector(selector));
        const to = endSelector ? text(document.querySelector(endSelector)) : from;
        document.getSelection().setBaseAndExtent(from, start, to, end ?? to.length);
    }""", [selector, start, end_selector, end])


def control(page):
    return page.locator(".passage-reply a")


def selection_rects(page) -> list[dict]:
    return page.evaluate("""Array.from(document.getSelection().getRangeAt(0).getClientRects())
        .filter(r => r.width > 0 && r.height > 0).map(r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom}))""")


def overlaps(box: dict, rect: dict) -> bool:
    return box["x"] < rect["right"] and box["x"] + box["width"] > rect["left"] and box["y"] < rect["bottom"] and box["y"] + box["height"] > rect["top"]


def quote_of(page) -> str:
    _, body = sent(control(page).get_attribute("href"))
    return body.split("---\n", 2)[2]


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_selecting_with_the_mouse_shows_the_control_beside_not_over_the_selection(open_essay, viewport):
    page = open_essay(viewport=viewport)
    paragraph = page.locator(".essay-body > p").first.bounding_box()
    page.mouse.move(paragraph["x"] + 2, paragraph["y"] + 8)
    page.mouse.down()
    page.mouse.move(paragraph["x"] + paragraph["width"] * 0.6, paragraph["y"] + paragraph["height"] - 8, steps=8)
    page.mouse.up()
    control(page).wait_for()
    box = control(page).bounding_box()
    rects = selection_rects(page)
    assert rects and not any(overlaps(box, rect) for rect in rects)
    assert box["y"] >= max(rect["bottom"] for rect in rects) or box["y"] + box["height"] <= min(rect["top"] for rect in rects)
    assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"]
    selected = " ".join(page.evaluate("document.getSelection().toString()").split())
    assert quote_of(page).startswith("> " + selected[:20])


def test_the_quote_leaves_out_footnotes_and_margin_notes_and_keeps_paragraphs_together(open_essay):
    page = open_essay()  # wide: the footnote is also a sidenote inside the first paragraph
    assert page.locator(".essay-body > p .sidenote").count() == 1
    select_text(page, ".essay-body > p", 0, ".essay-body > p:nth-of-type(2)", 24)
    control(page).wait_for()
    quote = quote_of(page)
    assert quote.startswith(f"> {FIRST}\n>\n> A second paragraph talk")
    assert "footnote" not in quote and "1" not in quote


@pytest.mark.parametrize("paragraph, starts", [(2, "A second paragraph"), (4, "1984. Literal marks")], ids=["emphasis", "markdown-characters"])
def test_the_sent_quote_is_pinned_beside_its_paragraph_once_stored(open_essay, site_root, tmp_path, paragraph, starts):
    page = open_essay()
    select_text(page, f".essay-body > p:nth-of-type({paragraph})", 0)
    control(page).wait_for()
    path, body = sent(clicked_href(page, ".passage-reply a"))
    copy = tmp_path / "site"
    shutil.copytree(site_root, copy, ignore=shutil.ignore_patterns("public", ".public.*", ".postil-cache"))
    stored = body.replace("author: \n", "author: Bea\n").replace("draft: true\n", "") + "Glosses win.\n"
    (copy / path).write_text(stored, encoding="utf-8")
    assert main(["-C", str(copy), "build", "--strict"]) == 0
    html = LexborHTMLParser((copy / "public" / "talk" / "index.html").read_text(encoding="utf-8"))
    (pinned,) = html.css(".passage-with-comments")
    assert pinned.css_first("p").text().startswith(starts)
    assert pinned.css_first(".side-comment-author").text() == "Bea"


def test_a_selection_shorter_than_the_rule_offers_nothing(open_essay):
    page = open_essay()
    select_text(page, ".essay-body > p", 4, None, 4 + 15)
    select_text(page, ".essay-body > p", 4, None, 4 + 25)
    control(page).wait_for()
    select_text(page, ".essay-body > p", 4, None, 4 + 15)
    control(page).wait_for(state="detached")


def test_the_control_is_reached_by_keyboard_and_goes_with_the_selection(open_essay):
    page = open_essay()
    # Chromium extends a selection from the keyboard (or, with caret browsing, starts one).
    select_text(page, ".essay-body > p:nth-of-type(2)", 0, None, 1)
    for _ in range(29):
        page.keyboard.press("Shift+ArrowRight")
    assert len(page.evaluate("document.getSelection().toString()")) == 30
    control(page).wait_for()
    assert not any(overlaps(control(page).bounding_box(), rect) for rect in selection_rects(page))
    assert page.get_attribute(".passage-reply", "role") == "status"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "reply-passage-link"
    assert page.evaluate("document.activeElement.textContent") == "Reply to this passage"
    page.keyboard.press("Escape")
    control(page).wait_for(state="detached")
    select_text(page, ".essay-body > p:nth-of-type(2)", 0)
    control(page).wait_for()
    page.mouse.click(5, 5)  # elsewhere: the selection goes, and the control with it
    control(page).wait_for(state="detached")


def test_a_closed_essay_offers_no_reply_and_no_control(open_essay):
    page = open_essay("/closed/")
    assert page.locator("a.reply-link").count() == 0
    select_text(page, ".essay-body > p", 0)
    page.evaluate("new Promise(requestAnimationFrame)")
    page.evaluate("new Promise(requestAnimationFrame)")
    assert page.locator(".passage-reply").count() == 0
    assert page.locator("script[src*=reply-links]").count() == 0


def test_without_javascript_the_plain_links_work(open_essay):
    page = open_essay(scripts=False)
    link = page.locator(".essay-reply .reply-link")
    assert link.is_visible()
    path, body = sent(link.get_attribute("href"))
    assert path == "content/talk/replies/new-reply.md" and "date:" not in body
    assert page.locator("#reply-ann .reply-link").is_visible()


@pytest.fixture(scope="module")
def axe_source() -> str:
    return browser_support.axe_source()


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_control_showing_axe_and_screenshots(open_essay, axe_source, theme, viewport):
    page = open_essay(viewport=viewport, theme=theme)
    select_text(page, ".essay-body > p", 4, ".essay-body > p:nth-of-type(2)", 40)
    control(page).wait_for()
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"reply-passage-{viewport['width']}-{theme}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    violations = browser_support.axe_violations(page, axe_source, theme)
    assert [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in violations] == []


def test_on_a_touch_screen_the_control_keeps_clear_of_the_selection_handles(browser, site_url):
    context = browser.new_context(viewport=NARROW, has_touch=True, is_mobile=True, base_url=site_url)
    try:
        page = context.new_page()
        page.goto("/talk/")
        assert page.evaluate("matchMedia('(pointer: coarse)').matches")
        select_text(page, ".essay-body > p:nth-of-type(2)", 0)
        control(page).wait_for()
        box = control(page).bounding_box()
        assert box["y"] - max(rect["bottom"] for rect in selection_rects(page)) >= 24  # below the handles
    finally:
        context.close()

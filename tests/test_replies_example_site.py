"""The example site's reply thread, built with --strict: what a reader of it sees matches
the reply files it is made from (every reply once, at its depth, with its score and notes)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser

ROOT = Path(__file__).resolve().parent.parent
THREAD = "the-margin-is-the-message"
REPLY_FILES = sorted((ROOT / "content" / THREAD / "replies").glob("*.md"))


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n", 2)[2]


@pytest.fixture(scope="module")
def thread(example_site):
    return LexborHTMLParser((example_site / THREAD / "index.html").read_text(encoding="utf-8"))


def depth_of(node) -> int:
    depth, parent = 0, node.parent
    while parent is not None:
        depth += parent.tag == "details" and "reply" in (parent.attributes.get("class") or "")
        parent = parent.parent
    return depth


def test_every_reply_file_is_shown_once_nested_under_its_parent(thread):
    meta = {path.stem: front_matter(path) for path in REPLY_FILES}

    def expected_depth(ident: str) -> int:
        parent = meta[ident].get("parent")
        return 0 if parent is None else 1 + expected_depth(parent)

    shown = {reply.attributes["id"].removeprefix("reply-"): depth_of(reply) for reply in thread.css("details.reply")}
    assert len(thread.css("details.reply")) == len(REPLY_FILES) == 35
    assert shown == {ident: expected_depth(ident) for ident in meta}
    assert max(shown.values()) == 5


def test_each_reply_shows_its_author_and_score(thread):
    for path in REPLY_FILES:
        meta, reply = front_matter(path), thread.css_first(f"#reply-{path.stem}")
        assert meta["author"] in reply.css_first("summary").text(), path.name
        score = reply.css_first(".reply-score").text(strip=True)
        assert score == f"{meta['score']} point{'' if abs(meta['score']) == 1 else 's'}", path.name


def test_replies_with_footnotes_show_them_in_their_own_body(thread):
    with_notes = {path.stem for path in REPLY_FILES if "[^" in body(path)}
    # A reply's own body comes before the replies nested in it.
    shown = {reply.attributes["id"].removeprefix("reply-") for reply in thread.css("details.reply") if reply.css_first(".reply-body").css_first(".footnotes")}
    assert shown == with_notes and len(with_notes) == 5


def test_side_comments_point_at_replies_that_quote_the_passage_beside_them(thread):
    asides = thread.css("aside.side-comments")
    assert len(asides) == 7
    for aside in asides:
        for link in aside.css("a.side-comment-link"):
            reply = thread.css_first(link.attributes["href"])
            assert reply is not None and reply.tag == "details", link.attributes["href"]


def test_the_essay_lists_the_essay_that_answers_it(thread):
    assert [(link.text(), link.attributes["href"]) for link in thread.css(".responses a")] == [
        ("What the Margins Said Back", "/what-the-margins-said-back/")
    ]

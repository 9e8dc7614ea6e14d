"""The example site's reply thread, built with --strict: every quote finds its passage."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from postil.cli import main

ROOT = Path(__file__).resolve().parent.parent
THREAD = "the-margin-is-the-message"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    site = tmp_path_factory.mktemp("example")
    shutil.copytree(ROOT / "content", site / "content")
    shutil.copy(ROOT / "pyproject.toml", site / "pyproject.toml")
    assert main(["-C", str(site), "build", "--strict", "--out", str(site / "public")]) == 0
    return site / "public"


def page(example, path: str) -> LexborHTMLParser:
    return LexborHTMLParser((example / path).read_text(encoding="utf-8"))


def depth_of(node) -> int:
    depth, parent = 0, node.parent
    while parent is not None:
        depth += parent.tag == "details" and "reply" in (parent.attributes.get("class") or "")
        parent = parent.parent
    return depth


def test_example_thread_has_at_least_25_replies_four_levels_deep(example):
    replies = page(example, f"{THREAD}/index.html").css("details.reply")
    assert len(replies) >= 25
    assert max(depth_of(reply) for reply in replies) >= 3  # a top-level reply is depth 0


def test_example_thread_has_side_comments_footnotes_and_scores(example):
    html = page(example, f"{THREAD}/index.html")
    assert len(html.css(".side-comments")) >= 5
    assert html.css_first("details.reply .reply-body .footnotes") is not None
    assert html.css_first("details.reply .reply-score") is not None


def test_example_has_an_essay_answering_another(example):
    answered = page(example, f"{THREAD}/index.html")
    assert answered.css_first(".responses a") is not None

"""A corpus of known XSS payloads through every reply field: no script may run on any page.

Free-text fields (body, author) and decorations (url, score, agreement) build and are read
back from every page a reply appears on; structural fields (date, parent) must stop the
build with an error naming each file, so nothing is written at all.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from replies_helpers import essay_with_replies, write_reply

PAYLOADS = [
    line for line in (Path(__file__).parent / "data/xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("# ")
]
REPLY_CONTAINERS = ("details.reply", ".reply-entry", ".side-comments")
FORBIDDEN_IN_REPLIES = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style", "form",
    "base", "meta", "link", "img", "input", "button", "select", "textarea", "video", "audio", "source",
    "template", "noscript", "marquee", "isindex", "keygen", "xml", "plaintext", "image",
}
# The theme's own first-paint script, the one inline script a page may carry, in <head> only.
FIRST_PAINT_SCRIPT = LexborHTMLParser(
    (Path(__file__).parents[1] / "templates/partials/theme_init.html").read_text(encoding="utf-8")
).css_first("script").text()
DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data):")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")


# Each kind of vector the corpus must hold (a payload found by the pattern, case ignored).
VECTORS = {
    "a script element": r"<script", "an event attribute": r"\bon\w+\s*=", "a javascript: URL": r"javascript:",
    "a vbscript: URL": r"vbscript:", "a data: URL": r"data:", "SVG": r"<svg", "MathML": r"<math",
    "an iframe": r"<iframe", "a style": r"style", "a Markdown link": r"\]\(", "a Markdown image": r"!\[",
    "an autolink": r"<(javascript|https?):", "a character reference": r"&#", "a form": r"<form",
    "an object or embed": r"<(object|embed)", "a meta element": r"<meta", "a base element": r"<base",
    "a template": r"<template", "a link element": r"<link",
}


def test_the_corpus_holds_every_kind_of_vector_once_each_payload():
    assert len(set(PAYLOADS)) == len(PAYLOADS), "a payload is listed twice"
    missing = [kind for kind, pattern in VECTORS.items() if not any(re.search(pattern, payload, re.IGNORECASE) for payload in PAYLOADS)]
    assert missing == []


def assert_no_script_can_run(html: str, where: str) -> None:
    page = LexborHTMLParser(html)
    for node in page.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), f"{where}: event attribute {name} on <{node.tag}>"
            cleaned = _IGNORED_IN_URLS.sub("", value or "").lower()
            assert not DANGEROUS_SCHEME.match(cleaned), f"{where}: <{node.tag} {name}={value!r}>"
        if node.tag == "script" and node.attributes.get("type") == "application/ld+json":
            json.loads(node.text())  # a data block (the page's JSON-LD), never run: it must stay plain JSON
        elif node.tag == "script" and not (node.parent.tag == "head" and node.text() == FIRST_PAINT_SCRIPT):
            assert (node.attributes.get("src") or "").startswith("/assets/"), f"{where}: inline or foreign script"
    for selector in REPLY_CONTAINERS:
        for container in page.css(selector):
            tags = {node.tag for node in container.css("*")}
            assert not tags & FORBIDDEN_IN_REPLIES, f"{where}: {sorted(tags & FORBIDDEN_IN_REPLIES)} inside {selector}"


def assert_every_reply_page_is_safe(site) -> None:
    pages = [site.out / "talk/index.html", *sorted((site.out / "replies").rglob("index.html"))]
    for path in pages:
        assert_no_script_can_run(path.read_text(encoding="utf-8"), str(path.relative_to(site.out)))
    feed = ET.parse(site.out / "replies/feed.xml").getroot()
    for content in feed.iter("{http://www.w3.org/2005/Atom}content"):
        assert_no_script_can_run(f'<div class="reply-entry">{content.text}</div>', "replies/feed.xml")


def body_with(payload: str) -> str:
    """The payload as plain text, as a link target, as an autolink and as a reference link."""
    payload = payload.replace("\\n", "\n")
    return f"{payload}\n\n[link]({payload})\n\n<{payload}>\n\n[ref][r{len(payload)}]\n\n[r{len(payload)}]: {payload}\n\n> {payload}\n"


def test_payloads_in_reply_bodies_cannot_run(site):
    essay_with_replies(site)
    for number, payload in enumerate(PAYLOADS):
        write_reply(site, f"b{number}", body_with(payload), author=f"Reader {number}")
    assert site.build() == 0
    assert_every_reply_page_is_safe(site)
    shown = site.html("talk/index.html").css_first("#reply-b0 .reply-body").text()
    assert "<script>alert(1)</script>" in shown  # shown as text, not dropped


def test_payloads_as_author_names_cannot_run(site):
    essay_with_replies(site)
    short = [payload for payload in PAYLOADS if len(payload) <= 100]
    for number, payload in enumerate(short):
        write_reply(site, f"a{number}", "> The margin is where a reader answers the page", author=payload, date=f"2026-03-02T10:{number % 60:02d}:00Z")
    assert site.build() == 0
    assert_every_reply_page_is_safe(site)
    assert site.html("talk/index.html").css_first("#reply-a0 .p-author").text() == short[0]


def test_overlong_payloads_as_author_names_are_errors(site, capsys):
    essay_with_replies(site)
    long = [payload for payload in PAYLOADS if len(payload) > 100]
    assert long
    for number, payload in enumerate(long):
        write_reply(site, f"a{number}", author=payload)
    assert site.build() == 1
    assert capsys.readouterr().err.count("'author' must be one line of at most 100 characters") == len(long)
    assert not site.out.exists()


@pytest.mark.parametrize("field", ["url", "score", "agreement"])
def test_payloads_in_decorating_fields_are_dropped_and_cannot_run(site, capsys, field):
    essay_with_replies(site)
    for number, payload in enumerate(PAYLOADS):
        fields = {"url": "https://ok.example/", field: payload}
        write_reply(site, f"u{number}", author=f"Reader {number}", **fields)
    assert site.build() == 0
    assert_every_reply_page_is_safe(site)
    assert capsys.readouterr().err.count(f"'{field}' must be") == len(PAYLOADS)
    if field == "url":
        assert site.html("talk/index.html").css(".reply .reply-website") == []


@pytest.mark.parametrize("field,message", [("date", "missing or invalid 'date'"), ("parent", "'parent' must be the id of another reply")])
def test_payloads_in_structural_fields_stop_the_build_naming_each_file(site, capsys, field, message):
    essay_with_replies(site)
    for number, payload in enumerate(PAYLOADS):
        write_reply(site, f"s{number}", **{field: payload})
    assert site.build() == 1
    err = capsys.readouterr().err
    assert all(f"content/talk/replies/s{number}.md:" in err for number in range(len(PAYLOADS)))
    assert err.count(message) == len(PAYLOADS)
    assert not site.out.exists()

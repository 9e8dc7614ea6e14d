"""What a side comment shows in the margin: a reply's own words beside the passage it quotes.

The thread under the essay shows every reply whole; the margin shows, beside the quoted
passage, the author and the first words of what they said, and the whole reply on request.
Both come from the reply's sanitised HTML, as a view of it: the quote of the passage it sits
beside is left out (the passage is right there), and so are the reply's footnote marks and
ids, which belong to the copy in the thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .quotes import found_in, normalise

EXCERPT_LENGTH = 140  # about three lines of the margin's column


@dataclass(frozen=True, slots=True)
class MarginCopy:
    """A reply as its side comment shows it."""

    excerpt: str  # plain text: the first words of the reply, cut at a word with "…"
    html: str  # the whole reply without the quote of its passage, its footnotes or any id
    whole: bool  # the excerpt says all the reply says, so there is nothing to expand


@lru_cache(maxsize=2048)
def margin_copy(reply_html: str, passage_text: str) -> MarginCopy:
    """The side-comment view of a reply beside the passage whose normalised text is given.

    Cached: the same reply beside the same passage looks the same on every build."""
    # Imported on first use: most runs after an edit render no side comment, and would
    # pay for the parser's import all the same.
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(reply_html)
    body = tree.body
    if body is None:
        return MarginCopy("", "", True)
    for quote in body.css("blockquote"):
        if found_in(normalise(quote.text()), passage_text):
            quote.decompose()
    for node in body.css("section.footnotes, sup.footnote-ref"):
        node.decompose()
    for node in body.css("[id]"):
        del node.attrs["id"]
    html = body.inner_html.strip()
    words = " ".join(" ".join(block.text() for block in body.iter()).split())
    rich = bool(body.css("pre, ul, ol, table, blockquote, img")) or len(body.css("p")) > 1
    if len(words) <= EXCERPT_LENGTH:
        return MarginCopy(words, html, not rich)
    cut = words.rfind(" ", 0, EXCERPT_LENGTH)
    excerpt = words[: cut if cut > EXCERPT_LENGTH // 2 else EXCERPT_LENGTH].rstrip(" ,;:.") + "\u2026"
    return MarginCopy(excerpt, html, False)

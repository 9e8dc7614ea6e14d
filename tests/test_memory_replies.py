"""Replies' HTML and texts stay beside the parse cache, as essays' bodies do.

At 5,000 essays the 12,000 replies' HTML, whole texts and excerpts weighed 16 MB in a
build's main process and in every worker it forks (issue 17: at most 150 MB in each).
The model holds none of them: pages read a reply's HTML and excerpt through the Jinja
environment, and the quote check a reply's text, from where the parse cache keeps them."""
from __future__ import annotations

from replies_helpers import essay_with_replies, write_reply
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.pipeline import Builder, BuildOptions

FIRST = "Marginalia outlast the books they were pencilled into, more often than not."


def quoting_replies(site) -> None:
    essay_with_replies(site)
    write_reply(site, "r1", f"{FIRST}\n\nA *second* thought.")
    # Quotes r1, not the essay: the check finds the quote in the text of the reply above.
    write_reply(site, "r2", f"> {FIRST}\n\nQuite so.", author="B Reader", parent="r1", date="2026-03-03T10:00:00Z")


def test_a_reply_holds_neither_its_html_nor_its_texts_yet_pages_show_them(site):
    quoting_replies(site)
    assert site.build() == 0  # parsed, and kept in the parse cache
    # A new Builder reads the parse results back from the cache, as a new run would.
    result = Builder(site.root, BuildOptions(out_dir=site.root / "public", always_assemble=True)).build()
    assert result.site is not None
    reply = next(reply for reply, _ in result.site.replies if reply.id == "r1")
    assert not any("Marginalia" in repr(getattr(reply, name)) for name in reply.__slots__)
    page = HTMLParser((site.out / "talk/index.html").read_text(encoding="utf-8"))
    assert page.css_first("#reply-r1 em").text() == "second"
    listing = HTMLParser((site.out / "replies/index.html").read_text(encoding="utf-8"))
    assert any(node.text().startswith("Marginalia outlast") for node in listing.css(".reply-excerpt"))


def test_a_quote_of_the_reply_above_is_found_in_its_text_from_the_parse_cache(site):
    quoting_replies(site)
    write_reply(site, "r3", "> Words that nobody above ever wrote down.\n\nHm.", author="C Reader", parent="r2", date="2026-03-04T10:00:00Z")
    for builder in (Builder(site.root, BuildOptions(out_dir=site.root / "public", always_assemble=True)) for _ in range(2)):
        warnings = [problem.message for problem in builder.build().warnings]  # parsed afresh, then read back from the cache
        unfound = [message for message in warnings if "is not in the essay" in message]
        assert len(unfound) == 1 and "nobody above" in unfound[0]  # r2's quote of r1 was found


def test_the_preview_shows_replies_kept_in_memory(site):
    quoting_replies(site)
    result = Builder(site.root, BuildOptions(out_dir=None)).build()
    page = HTMLParser(result.files["talk/index.html"].decode())
    assert page.css_first("#reply-r1 em").text() == "second"

"""A reply's author is a microformats h-card, with their website as its u-url, and the
reply's header (a <summary>, which acts as a button) holds no interactive element."""
from __future__ import annotations

from replies_helpers import essay_with_replies, write_reply

INTERACTIVE = "a[href], button, input, select, textarea, [tabindex], details, iframe, audio[controls], video[controls]"


def author_card(site, ident: str):
    return site.html("talk/index.html").css_first(f"#reply-{ident} > summary .p-author.h-card")


def test_reply_author_h_card_carries_the_authors_website_as_u_url(site):
    essay_with_replies(site)
    write_reply(site, "r1", author="Ann", url="https://ann.example/")
    assert site.build() == 0
    card = author_card(site, "r1")
    assert card.css_first(".p-name").text() == "Ann"
    # For a non-link element, microformats parsers read a u-* property from <data value>.
    urls = card.css(".u-url")
    assert [(node.tag, node.attributes.get("value")) for node in urls] == [("data", "https://ann.example/")]


def test_reply_author_h_card_without_a_website_has_no_u_url(site):
    essay_with_replies(site)
    write_reply(site, "r1", author="Ann")
    assert site.build() == 0
    card = author_card(site, "r1")
    assert card.css_first(".p-name").text() == "Ann" and card.css(".u-url") == []


def test_reply_header_holds_no_interactive_element(site):
    essay_with_replies(site)
    write_reply(site, "r1", author="Ann", url="https://ann.example/", score=2, agreement=1)
    assert site.build() == 0
    assert site.html("talk/index.html").css(f"#reply-r1 > summary :is({INTERACTIVE})") == []

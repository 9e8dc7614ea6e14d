"""A reply's relative links point where they point on its essay's page, on every page that shows it."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from replies_helpers import essay_with_replies, write_reply

ATOM = "{http://www.w3.org/2005/Atom}"

RELATIVE = "See [the diagram](diagram.svg), [the other essay](../other/) and [my reply](#reply-r1)."


def hrefs(tree, selector: str) -> list[str]:
    return [node.attributes["href"] for node in tree.css(f"{selector} .reply-body a")]


def feed_hrefs(site) -> list[str]:
    """The links of the replies feed's first entry (its content is the reply's HTML, escaped)."""
    content = ET.parse(site.out / "replies/feed.xml").getroot().find(f"{ATOM}entry/{ATOM}content").text
    return [node.attributes["href"] for node in HTMLParser(content).css("a")]


def test_relative_links_in_a_reply_resolve_against_the_essay_in_the_thread_and_the_feed(site):
    essay_with_replies(site)
    write_reply(site, "r1", RELATIVE, author="Ann")
    assert site.build() == 0
    assert hrefs(site.html("talk/index.html"), "#reply-r1") == ["/talk/diagram.svg", "/other/", "/talk/#reply-r1"]
    assert feed_hrefs(site) == ["https://example.org/talk/diagram.svg", "https://example.org/other/", "https://example.org/talk/#reply-r1"]


def test_relative_links_in_a_reply_include_the_base_path_of_a_site_under_a_sub_path(site):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "T"\nbase_url = "https://example.org/blog/"\nsearch = false\n')
    essay_with_replies(site)
    write_reply(site, "r1", "[d](diagram.svg) [up](../../../../outside/)", author="Ann")
    assert site.build() == 0
    assert hrefs(site.html("talk/index.html"), "#reply-r1") == ["/blog/talk/diagram.svg", "/outside/"]


def test_a_reply_link_that_climbs_out_with_double_slashes_stays_on_the_site(site):
    essay_with_replies(site)
    write_reply(site, "r1", r"[x](..//evil.example/) [y](../..//evil.example/) [z](../\\evil.example/)", author="Ann")
    assert site.build() == 0
    assert hrefs(site.html("talk/index.html"), "#reply-r1") == ["/evil.example/", "/evil.example/", "/%5Cevil.example/"]


def test_a_broken_relative_link_in_a_reply_is_still_reported_with_its_line(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "First line.\n\n[gone](missing.svg)", author="Ann")
    assert site.build() == 0
    assert "content/talk/replies/r1.md:7:" in capsys.readouterr().err



def test_relative_link_in_a_reply_follows_its_essay_moved_by_a_slug(site, capsys):
    essay_with_replies(site, slug="renamed")
    site.write("content/talk/diagram.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
    write_reply(site, "r1", "[d](diagram.svg)", author="Ann")
    assert site.build() == 0
    assert "warning" not in capsys.readouterr().err
    link = site.html("renamed/index.html").css_first("a[href$='diagram.svg']")
    assert link.attributes["href"] == "/renamed/diagram.svg"
    assert feed_hrefs(site) == ["https://example.org/renamed/diagram.svg"]
    assert (site.out / "renamed/diagram.svg").is_file()


"""The site-wide reply pages can be found: from the site navigation and in the sitemap."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import unquote

from replies_helpers import essay_with_replies, write_reply

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_locations(site) -> list[str]:
    return [loc.text for loc in ET.parse(site.out / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]


def test_site_navigation_links_to_the_replies_page_when_there_are_replies(site):
    essay_with_replies(site)
    write_reply(site, "r1", author="Ann")
    site.essay("other.md", title="Other")
    assert site.build() == 0
    for page in ("index.html", "talk/index.html", "other/index.html", "replies/index.html"):
        assert [a.attributes["href"] for a in site.html(page).css(".site-nav a")].count("/replies/") == 1, page
    assert (site.out / "replies" / "index.html").is_file()


def test_site_navigation_has_no_replies_link_on_a_site_without_replies(site):
    site.essay("other.md", title="Other")
    assert site.build() == 0
    assert "/replies/" not in [a.attributes["href"] for a in site.html("index.html").css(".site-nav a")]


def test_sitemap_lists_the_replies_page_and_every_author_page(site):
    essay_with_replies(site)
    write_reply(site, "r1", author="Ann Lee")
    write_reply(site, "r2", author="Ben")
    assert site.build() == 0
    locations = sitemap_locations(site)
    expected = ["https://example.org/replies/", "https://example.org/replies/ann-lee/", "https://example.org/replies/ben/"]
    assert [location for location in locations if "/replies/" in location] == expected
    for location in expected:
        assert (site.out / location.removeprefix("https://example.org/") / "index.html").is_file()


def test_sitemap_has_no_replies_pages_on_a_site_without_replies(site):
    site.essay("other.md", title="Other")
    assert site.build() == 0
    assert not [location for location in sitemap_locations(site) if "/replies/" in location]


def test_author_links_the_author_pages_and_the_sitemap_agree_on_every_authors_folder(site):
    essay_with_replies(site)
    write_reply(site, "r1", author="Zoë O'Brien")
    write_reply(site, "r2", author="zoë o'brien", date="2026-03-03T10:00:00Z")
    write_reply(site, "r3", author="Ann  Lee (guest)")
    assert site.build() == 0
    written = sorted(path.parent.relative_to(site.out).as_posix() + "/" for path in (site.out / "replies").glob("*/index.html"))
    linked = sorted({unquote(a.attributes["href"]).lstrip("/") for a in site.html("replies/index.html").css("a.reply-entry-author")})
    listed = sorted(unquote(location).removeprefix("https://example.org/") for location in sitemap_locations(site) if "/replies/" in location)
    assert len(written) == 2  # the two spellings of one name share a page
    assert linked == written and listed == ["replies/", *written]

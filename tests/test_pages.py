"""The page set of the default theme, read back from the built files."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def three_essays(site):
    site.essay("old.md", title="Old", date="2024-05-01", tags="[history]", summary="From the past.")
    site.essay("mid.md", title="Mid", date="2025-06-01", tags="[history, craft]", body="word " * 700)
    site.essay("new.md", title="New", date="2026-02-03", tags="[Craft]", updated="2026-03-01")


def test_home_lists_essays_newest_first_with_date_summary_reading_time_and_tags(site):
    three_essays(site)
    assert site.build() == 0
    items = site.html("index.html").css(".essay-item")
    assert [item.css_first(".essay-item-title a").text() for item in items] == ["New", "Mid", "Old"]
    old = items[2]
    assert old.css_first("time").attributes["datetime"] == "2024-05-01T00:00:00Z"
    assert old.css_first("time").text() == "1 May 2024"
    assert old.css_first(".essay-summary").text() == "From the past."
    assert [a.text() for a in old.css(".tag-list a")] == ["history"]
    assert "4 min read" in items[1].css_first(".essay-meta").text()  # 700 words at 230 per minute


def test_home_lists_the_newest_essays_and_sends_readers_to_the_archive_for_the_rest(site):
    for day in range(1, 26):
        site.essay(f"e{day:02}.md", title=f"Essay {day}", date=f"2025-03-{day:02}")
    assert site.build() == 0
    home = site.html("index.html")
    assert [a.text() for a in home.css(".essay-item-title a")] == [f"Essay {day}" for day in range(25, 5, -1)]
    more = home.css_first(".more-essays a")
    assert (more.text(), more.attributes["href"]) == ("All 25 essays, in the archive →", "/archive/")
    assert len(site.html("archive/index.html").css(".archive-year li")) == 25

    site.write("pyproject.toml", (site.root / "pyproject.toml").read_text() + "home_essays = 25\n")
    assert site.build() == 0
    home = site.html("index.html")
    assert len(home.css(".essay-item")) == 25 and home.css_first(".more-essays") is None


def test_summary_defaults_to_the_opening_words(site):
    site.essay("a.md", body="The first paragraph is the summary.\n\nNot this one.\n")
    assert site.build() == 0
    assert site.html("index.html").css_first(".essay-summary").text() == "The first paragraph is the summary."


def test_essay_page_shows_title_dates_tags_reading_time_and_neighbours(site):
    three_essays(site)
    assert site.build() == 0
    page = site.html("mid/index.html")
    assert page.css_first("h1").text() == "Mid"
    assert page.css_first("title").text() == "Mid · Test Site"
    assert "4 min read" in page.css_first(".essay-meta").text()
    assert [a.text() for a in page.css(".essay-header .tag-list a")] == ["history", "craft"]
    assert page.css_first("a[rel=prev]").attributes["href"] == "/old/"
    assert page.css_first("a[rel=next]").attributes["href"] == "/new/"
    updated = site.html("new/index.html").css_first("time.dt-updated")
    assert updated.attributes["datetime"] == "2026-03-01T00:00:00Z"


def test_table_of_contents_only_when_asked(site):
    body = "## One\n\ntext\n\n### One point five\n\n## Two\n"
    site.essay("with.md", toc="true", body=body)
    site.essay("without.md", body=body)
    assert site.build() == 0
    toc = site.html("with/index.html").css_first("nav.toc")
    assert [(a.text(), a.attributes["href"]) for a in toc.css("a")] == [
        ("One", "#one"), ("One point five", "#one-point-five"), ("Two", "#two"),
    ]
    assert site.html("without/index.html").css_first("nav.toc") is None


def test_tag_pages_and_tag_index_group_case_insensitively(site):
    three_essays(site)
    assert site.build() == 0
    index = site.html("tags/index.html")
    assert [a.attributes["href"] for a in index.css(".tag-index a")] == ["/tags/craft/", "/tags/history/"]
    craft = [a.text() for a in site.html("tags/craft/index.html").css(".essay-item-title a")]
    assert craft == ["New", "Mid"]


def test_archive_groups_by_year_newest_first(site):
    three_essays(site)
    assert site.build() == 0
    years = site.html("archive/index.html").css(".archive-year")
    assert [y.css_first("h2").text() for y in years] == ["2026", "2025", "2024"]
    assert [a.text() for a in years[1].css("a")] == ["Mid"]


def test_feed_is_valid_atom_with_full_content_and_absolute_urls(site):
    three_essays(site)
    site.write("content/pic/index.md", "---\ntitle: Pic\ndate: 2026-01-01\n---\n![x](x.png) [home](/old/)\n", dedent=False)
    (site.root / "content/pic/x.png").write_bytes(b"\x89PNG")
    assert site.build("--base-url", "https://example.org/blog/") == 0
    feed = ET.parse(site.out / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "https://example.org/blog/"
    assert feed.findtext(f"{ATOM}updated") == "2026-03-01T00:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["New", "Pic", "Mid", "Old"]
    for entry in entries:
        for tag in ("id", "updated", "published", "content"):
            assert entry.find(f"{ATOM}{tag}") is not None
    pic = entries[1].findtext(f"{ATOM}content")
    assert 'src="https://example.org/blog/pic/x.png"' in pic
    assert 'href="https://example.org/blog/old/"' in pic
    assert feed.find(f"{ATOM}link[@rel='self']").attrib["href"] == "https://example.org/blog/feed.xml"


def test_sitemap_lists_every_essay_with_absolute_urls(site):
    three_essays(site)
    assert site.build() == 0
    locs = [loc.text for loc in ET.parse(site.out / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    for slug in ("old", "mid", "new"):
        assert f"https://example.org/{slug}/" in locs
    assert "https://example.org/tags/craft/" in locs


def test_robots_txt_points_at_the_sitemap(site):
    site.essay("a.md")
    assert site.build() == 0
    assert "Sitemap: https://example.org/sitemap.xml" in (site.out / "robots.txt").read_text()


def test_404_page_exists_and_links_home(site):
    site.essay("a.md")
    assert site.build("--base-url", "https://example.org/blog/") == 0
    page = site.html("404.html")
    assert page.css_first("h1").text() == "Page not found"
    assert page.css_first("main a").attributes["href"] == "/blog/"


def test_theme_assets_have_content_hashed_names(site):
    site.essay("a.md")
    assert site.build() == 0
    hrefs = [link.attributes["href"] for link in site.html("a/index.html").css("link[rel=stylesheet]")]
    assert hrefs
    for href in hrefs:
        assert re.fullmatch(r"/assets/[\w/-]+\.[0-9a-f]{10}\.css", href), href
        assert (site.out / href.lstrip("/")).is_file()


def test_every_internal_url_respects_a_sub_path_base_url(site):
    three_essays(site)
    site.essay("linker.md", body="[to mid](/mid/)", aliases='["/was/here/"]')
    assert site.build("--base-url", "https://example.org/blog/") == 0
    for page in site.out.rglob("*.html"):
        tree = site.html(page.relative_to(site.out).as_posix())
        for node in tree.css("[href], [src]"):
            url = node.attributes.get("href") or node.attributes.get("src")
            if url.startswith("/"):
                assert url.startswith("/blog/"), f"{page}: {url}"
        refresh = tree.css_first('meta[http-equiv="refresh"]')
        if refresh:
            assert refresh.attributes["content"].startswith("0; url=/blog/")

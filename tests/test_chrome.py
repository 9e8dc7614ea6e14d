"""The site's chrome in the built HTML: favicon and the home page's title."""
from __future__ import annotations


def test_every_page_links_an_svg_favicon_that_the_build_writes_for_both_themes(site):
    site.essay("notes.md", title="Notes")
    assert site.build() == 0
    pages = sorted(site.out.rglob("*.html"))
    hrefs = {site.html(str(page.relative_to(site.out))).css_first("head link[rel=icon]").attributes["href"] for page in pages}
    assert len(pages) > 3 and len(hrefs) == 1
    (href,) = hrefs
    icon = (site.out / href.lstrip("/")).read_text(encoding="utf-8")
    assert href.endswith(".svg") and icon.startswith("<svg") and "prefers-color-scheme:dark" in icon


def test_home_page_shows_the_site_title_once_and_still_has_a_heading(site):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "Marginalia"\nbase_url = "https://example.org/"\ndescription = "Essays."\n')
    site.essay("notes.md", title="Notes")
    assert site.build() == 0
    home = site.html("index.html")
    visible = [node for node in home.css("body *") if node.text(deep=False).strip() == "Marginalia" and "visually-hidden" not in node.attributes.get("class", "")]
    assert [node.tag for node in visible] == ["a"]
    assert home.css_first("h1").text() == "Marginalia"

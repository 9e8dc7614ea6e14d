"""The content model: where essays and bundles land, front matter, drafts, aliases."""
from __future__ import annotations

import pytest


def test_single_file_essay_is_published_as_a_folder_with_index_html(site):
    site.essay("notes/on-margins.md", title="On Margins")
    assert site.build() == 0
    assert site.html("notes/on-margins/index.html").css_first("h1").text() == "On Margins"


def test_bundle_essay_files_are_copied_beside_the_page(site):
    site.essay("garden/index.md", title="Garden", body="![A plan](plan.svg)\n")
    (site.root / "content/garden/plan.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (site.root / "content/garden/data").mkdir()
    (site.root / "content/garden/data/table.csv").write_text("a,b\n")
    assert site.build() == 0
    assert (site.out / "garden/plan.svg").read_text().startswith("<svg")
    assert (site.out / "garden/data/table.csv").is_file()
    image = site.html("garden/index.html").css_first(".essay-body img")
    assert image.attributes["src"] == "plan.svg"


def test_editor_leftovers_are_not_content(site):
    site.essay("a.md")
    site.write("content/.a.md.swp", "binary junk")
    site.write("content/a.md~", "---\ntitle: backup\n---\n")
    site.write("content/#a.md#", "autosave")
    assert site.build() == 0
    assert not list(site.out.rglob("*~*")) and not (site.out / "a.md~").exists()


def test_slug_replaces_the_last_part_of_the_url(site):
    site.essay("2026/long-file-name.md", slug="short")
    assert site.build() == 0
    assert (site.out / "2026/short/index.html").is_file()
    assert not (site.out / "2026/long-file-name").exists()


@pytest.mark.parametrize("slug", ["../escape", "/etc", "a\\\\b", "..", "a/../../b"])
def test_slug_that_escapes_the_site_is_an_error(site, capsys, slug):
    site.essay("a.md", slug=f'"{slug}"')
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "content/a.md:4: error: 'slug' must be one path segment inside the site" in err


@pytest.mark.parametrize("alias", ["../../etc/passwd", "https://evil.example/", "//evil.example/x", "a/../../b"])
def test_alias_that_escapes_the_site_is_an_error(site, capsys, alias):
    site.essay("a.md", aliases=f'["{alias}"]')
    assert site.build() == 1
    assert "points outside the site" in capsys.readouterr().err


def test_alias_writes_a_redirect_page_to_the_essay(site):
    site.essay("new-home.md", title="Moved", aliases='["/old/place/", "/legacy.html"]')
    assert site.build() == 0
    for output in ("old/place/index.html", "legacy.html"):
        page = site.html(output)
        refresh = page.css_first('meta[http-equiv="refresh"]').attributes["content"]
        assert refresh == "0; url=/new-home/"
        assert page.css_first('link[rel="canonical"]').attributes["href"] == "https://example.org/new-home/"


def test_drafts_are_left_out_unless_asked_for(site):
    site.essay("ready.md", title="Ready")
    site.essay("wip.md", title="Work in progress", draft="true")
    assert site.build() == 0
    assert not (site.out / "wip").exists()
    assert "Work in progress" not in (site.out / "index.html").read_text()
    assert "Work in progress" not in (site.out / "feed.xml").read_text()
    assert site.build("--drafts") == 0
    assert (site.out / "wip/index.html").is_file()


def test_datetimes_with_offsets_order_essays_by_instant(site):
    site.essay("a.md", title="Evening in New York", date="2026-03-01T23:30:00-05:00")  # 04:30 UTC on the 2nd
    site.essay("b.md", title="Small hours in London", date="2026-03-02T01:00:00Z")
    assert site.build() == 0
    titles = [node.text() for node in site.html("index.html").css(".essay-item-title a")]
    assert titles == ["Evening in New York", "Small hours in London"]


def test_author_defaults_to_the_site_author(site):
    site.essay("a.md")
    site.essay("b.md", author="Guest Writer")
    assert site.build() == 0
    assert site.html("a/index.html").css_first(".p-author").text() == "Ada"
    assert site.html("b/index.html").css_first(".p-author").text() == "Guest Writer"


def test_unknown_front_matter_key_is_a_warning_with_a_suggestion(site, capsys):
    site.essay("a.md", tilte="x")
    assert site.build() == 0
    assert "content/a.md:4: warning: unknown front matter key 'tilte' — did you mean 'title'?" in capsys.readouterr().err

"""Two things that would write one output file are an error found in the site model, naming
the essay and what it collides with; never a crash in the writer."""
from __future__ import annotations

import pytest

from conftest import Site


def failing(site: Site, capsys) -> str:
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "FileExistsError" not in err
    assert "Build failed" in err
    return err


@pytest.fixture
def fresh(site):
    """A site never built: the first build writes a new tree as it renders, where two pages
    with one output used to meet."""
    site.essay("fine.md", title="Fine")
    return site


@pytest.mark.parametrize("alias,owner", [
    ("/index.html", "the theme (the home page)"),
    ("/feed.xml", "the theme (the feed)"),
    ("/sitemap.xml", "the theme (the sitemap)"),
    ("/404.html", "the theme (the 404 page)"),
    ("/robots.txt", "the theme (robots.txt)"),
    ("/previews.json", "the theme (the link previews)"),
    ("/tags/", "the theme, which writes /tags/"),
    ("/archive/index.html", "the theme, which writes /archive/"),
    ("/search/", "the theme, which writes /search/"),
    ("/replies/", "the theme, which writes /replies/"),
    ("/fine/", "content/fine.md"),
    ("/fine/index.html", "content/fine.md"),
    ("/FINE/", "content/fine.md"),
    ("/feed.xml/", "the theme (the feed), which writes the file /feed.xml"),
])
def test_alias_colliding_with_a_page_is_an_error_naming_both(fresh, capsys, alias, owner):
    fresh.essay("moved.md", title="Moved", aliases=f"['{alias}']")
    err = failing(fresh, capsys)
    assert f"content/moved.md:4: error: alias /{alias.lstrip('/')} is already used by {owner}" in err
    assert not fresh.out.exists()


def test_alias_colliding_with_another_essays_alias(fresh, capsys):
    fresh.essay("one.md", title="One", aliases="[/old/]")
    fresh.essay("two.md", title="Two", aliases="['/old/index.html']")
    err = failing(fresh, capsys)
    assert "content/two.md:4: error: alias /old/index.html is already used by content/one.md" in err


def test_alias_colliding_with_a_bundle_file(fresh, capsys):
    fresh.essay("talk/index.md", title="Talk")
    fresh.write("content/talk/slides.pdf", "%PDF")
    fresh.essay("other.md", title="Other", aliases="[/talk/slides.pdf]")
    err = failing(fresh, capsys)
    assert "content/other.md:4: error: alias /talk/slides.pdf is already used by content/talk/slides.pdf" in err


def test_alias_that_would_need_a_file_to_be_a_folder(fresh, capsys):
    fresh.write("content/LICENSE", "text")
    fresh.essay("other.md", title="Other", aliases="[/LICENSE/]")
    err = failing(fresh, capsys)
    assert "content/other.md:4: error: alias /LICENSE/ is already used by content/LICENSE, which writes the file /LICENSE" in err


def test_file_of_content_colliding_with_an_essay_page(fresh, capsys):
    fresh.write("content/notes/index.html", "<p>by hand</p>")
    fresh.essay("notes.md", title="Notes")
    err = failing(fresh, capsys)
    assert "content/notes/index.html: error: this file would be published at /notes/index.html, which is already used by content/notes.md" in err


def test_file_of_content_inside_a_folder_of_the_theme(fresh, capsys):
    fresh.write("content/assets/style.css", "body{}")
    fresh.write("content/feed.xml", "<feed/>")
    err = failing(fresh, capsys)
    assert "content/assets/style.css: error: this file would be published at /assets/style.css, which is already used by the theme, which writes /assets/" in err
    assert "content/feed.xml: error: this file would be published at /feed.xml, which is already used by the theme (the feed)" in err


def test_essay_needing_a_folder_where_the_theme_writes_a_file(fresh, capsys):
    fresh.essay("feed.xml/index.md", title="Odd")
    err = failing(fresh, capsys)
    assert "URL /feed.xml/ is already used by the theme (the feed), which writes the file /feed.xml" in err


def test_alias_inside_the_reply_authors_pages(fresh, capsys):
    fresh.essay("moved.md", title="Moved", aliases="[/replies/ada/]")
    err = failing(fresh, capsys)
    assert "content/moved.md:4: error: alias /replies/ada/ is inside /replies/, which the theme writes" in err


def test_every_collision_is_reported_in_one_build(fresh, capsys):
    fresh.essay("a.md", title="A", aliases="[/feed.xml, /fine/]")
    fresh.essay("b.md", title="B", aliases="[/tags/]")
    err = failing(fresh, capsys)
    assert err.count(": error: alias ") == 3


def test_alias_of_an_essays_own_url_is_a_warning_and_writes_one_page(fresh, capsys):
    fresh.essay("moved.md", title="Moved", aliases="[/moved/, /moved/index.html, /old/, /old]")
    assert fresh.build() == 0
    err = capsys.readouterr().err
    assert "content/moved.md:4: warning: alias /moved/ is this essay's own URL — remove the alias" in err
    assert "<h1" in (fresh.out / "moved/index.html").read_text()
    assert 'http-equiv="refresh"' in (fresh.out / "old/index.html").read_text()


def test_collision_after_a_good_build_leaves_the_output_as_it_was(fresh, capsys):
    assert fresh.build() == 0
    before = fresh.snapshot()
    capsys.readouterr()
    fresh.essay("moved.md", title="Moved", aliases="[/feed.xml]")
    failing(fresh, capsys)
    assert fresh.snapshot() == before

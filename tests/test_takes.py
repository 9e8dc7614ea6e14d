"""Quick takes (issue 23): the stream, a page per take, and where takes appear on the site,
checked in the built HTML of a site shaped like the reference quick-takes page."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.cli import main
from takes_site import write_takes_site

LONG = "takes/two-kinds-of-notes/"
QUOTED = "takes/rereading/"
TITLED = "takes/pencils-over-pens/"
PLAIN = "takes/blank-page/"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("takes") / "site"
    write_takes_site(root)
    assert main(["-C", str(root), "build"]) == 0
    return root / "public"


def page(out: Path, path: str) -> HTMLParser:
    return HTMLParser((out / (path + "index.html" if path == "" or path.endswith("/") else path)).read_text(encoding="utf-8"))


def duplicate_ids(tree: HTMLParser) -> list[str]:
    counts = Counter(node.attributes.get("id") for node in tree.css("[id]"))
    return [ident for ident, count in counts.items() if count > 1]


def broken_links(tree: HTMLParser, out: Path, at: str) -> list[str]:
    """Links on the page at site path `at` that lead to no element of it or no file of the site."""
    ids = {node.attributes.get("id") for node in tree.css("[id]")}
    broken = []
    for node in tree.css("a[href]"):
        href = node.attributes["href"] or ""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue
        if not parts.path:
            if unquote(parts.fragment) not in ids:
                broken.append(href)
            continue
        target = out / unquote(parts.path).lstrip("/")
        file = target / "index.html" if parts.path.endswith("/") else target
        if not file.is_file():
            broken.append(href)
        elif parts.fragment:
            other = HTMLParser(file.read_text(encoding="utf-8"))
            if other.css_first(f'[id="{unquote(parts.fragment)}"]') is None:
                broken.append(href)
    return broken


def test_the_stream_shows_every_take_newest_first_with_its_date_as_permalink(built):
    tree = page(built, "takes/")
    takes = tree.css("article.take")
    assert [take.css_first(".take-permalink").attributes["href"] for take in takes] == [f"/{LONG}", f"/{QUOTED}", f"/{TITLED}", f"/{PLAIN}"]
    assert takes[0].css_first(".take-permalink time").text() == "1 April 2026"
    assert tree.css_first("title").text() == "Quick takes · Takes Fixture"


def test_no_id_repeats_on_the_stream_and_every_link_leads_somewhere(built):
    tree = page(built, "takes/")
    assert duplicate_ids(tree) == []
    assert broken_links(tree, built, "takes/") == []
    # Each take's ids are its own: its footnotes, passages and thread carry its prefix.
    long_take = tree.css("article.take")[0]
    assert long_take.attributes["id"] == "take-two-kinds-of-notes"
    assert {node.attributes["id"].split("-")[0] for node in long_take.css("[id]")} >= {"take", "fn", "fnref", "passage"}
    assert all("take-two-kinds-of-notes" in node.attributes["id"] or node.attributes["id"].startswith(("fn-reply-", "fnref-reply-"))
               for node in long_take.css("[id]"))


def test_every_take_page_has_unique_ids_and_valid_links(built):
    for path in (LONG, QUOTED, TITLED, PLAIN):
        tree = page(built, path)
        assert duplicate_ids(tree) == [], path
        assert broken_links(tree, built, path) == [], path


def test_the_stream_shows_a_thread_collapsed_to_its_top_replies(built):
    long_take = page(built, "takes/").css("article.take")[0]
    thread = long_take.css_first("section.replies")
    assert thread.css_first(".take-replies-title").text().startswith("14 replies")
    shown = [node.css_first(".reply-author .p-name").text() for node in thread.css("details.reply")]
    assert shown == ["Top 1", "Top 3", "Top 4"]  # the three best scored, in the thread's order
    more = thread.css_first(".take-all-replies a")
    assert more.text().startswith("Show all 14 replies") and more.attributes["href"] == f"/{LONG}#replies"
    assert thread.css_first(".replies-controls .replies-sort") is not None
    # Its count in the take's header too.
    assert long_take.css_first(".take-meta .reply-count").text() == "14 replies"


def test_a_long_take_folds_with_read_more_and_a_short_one_is_whole(built):
    takes = page(built, "takes/").css("article.take")
    long_take, short_take = takes[0], takes[3]
    rest = long_take.css_first(".take-more")
    assert rest is not None and rest.attributes["hidden"] == "until-found"
    assert rest.css_first("h2") is not None and rest.css_first(".footnotes") is not None  # the rest, notes included
    assert long_take.css_first(".take-read-more a").attributes["href"] == f"/{LONG}"
    assert short_take.css_first(".take-more") is None and short_take.css_first(".take-read-more") is None


def test_a_take_page_has_the_whole_ten_deep_thread_and_a_title_from_its_first_words(built):
    tree = page(built, LONG)
    assert tree.css_first("title").text() == "I keep two kinds of notes while I read, and only lately… · Takes Fixture"
    heading = tree.css_first("h1")
    assert "visually-hidden" in heading.attributes["class"]  # untitled: the heading is for assistive technology
    depths = sorted(int(node.attributes["data-depth"]) for node in tree.css("#replies details.reply"))
    assert len(depths) == 14 and max(depths) == 9
    assert tree.css_first("#reply-d9") is not None
    assert len(tree.css("#reply-d2 > .reply-body .footnotes li")) == 3


def test_a_titled_take_shows_its_title(built):
    tree = page(built, TITLED)
    assert tree.css_first("h1").text() == "Pencils over pens" and "visually-hidden" not in tree.css_first("h1").attributes["class"]
    stream_title = page(built, "takes/").css("article.take")[2].css_first(".take-title")
    assert "visually-hidden" not in stream_title.attributes["class"]


def test_a_reply_quoting_two_paragraphs_of_a_take_is_a_side_comment_on_both_pages(built):
    for path in (QUOTED, "takes/"):
        tree = page(built, path)
        comments = [node for node in tree.css(".passage-with-comments .side-comment-author") if node.text() == "Quoter"]
        assert comments, path
    link = page(built, "takes/").css_first(".side-comment-link").attributes["href"]
    assert link.startswith("/takes/") and "#reply-" in link  # to the reply on the take's own page


def test_takes_have_their_own_newer_and_older_links_and_stay_out_of_the_archive(built):
    tree = page(built, QUOTED)
    assert tree.css_first(".essay-nav .newer").attributes["href"] == f"/{LONG}"
    assert tree.css_first(".essay-nav .older").attributes["href"] == f"/{TITLED}"
    essay = page(built, "an-essay/")
    assert essay.css_first(".essay-nav .newer").attributes["href"] == "/answering-a-take/"  # not a take, though takes are newer
    archive = [node.attributes["href"] for node in page(built, "archive/").css("main a")]
    assert "/an-essay/" in archive and not any(href.startswith("/takes/") for href in archive)
    home = page(built, "")
    assert [node.attributes["href"] for node in home.css(".essay-list .essay-item-title a")] == ["/answering-a-take/", "/an-essay/"]
    assert [node.attributes["href"] for node in home.css(".latest-takes-list a")] == [f"/{LONG}", f"/{QUOTED}", f"/{TITLED}", f"/{PLAIN}"]
    assert home.css_first(".latest-takes-more a").attributes["href"] == "/takes/"


def test_takes_are_in_the_feed_sitemap_tags_replies_and_backlinks(built):
    feed = (built / "feed.xml").read_text(encoding="utf-8")
    assert "<title>I keep two kinds of notes while I read, and only lately…</title>" in feed and "https://example.org/takes/blank-page/" in feed
    sitemap = (built / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://example.org/takes/pencils-over-pens/" in sitemap
    assert "/takes/pencils-over-pens/" in [node.attributes["href"] for node in page(built, "tags/reading/").css("main a")]
    recent = page(built, "replies/")
    assert any(node.attributes["href"].startswith(f"/{LONG}#reply-") for node in recent.css("main a[href]"))
    take = page(built, LONG)
    assert [node.attributes["href"] for node in take.css(".responses a")] == ["/answering-a-take/"]
    assert "/answering-a-take/" in [node.attributes["href"] for node in take.css(".backlinks a")]
    assert "/takes/blank-page/" in [node.attributes["href"] for node in page(built, TITLED).css(".backlinks a")]


def test_only_take_pages_are_indexed_for_search_never_the_stream(built):
    assert page(built, "takes/").css("[data-pagefind-body]") == []
    assert page(built, LONG).css("[data-pagefind-body]")


def test_the_stream_pages_twenty_takes_at_a_time_with_rel_next(tmp_path):
    root = tmp_path / "site"
    write_takes_site(root, extra_takes=30)
    assert main(["-C", str(root), "build"]) == 0
    first, second = page(root / "public", "takes/"), page(root / "public", "takes/page/2/")
    assert len(first.css("article.take")) == 20 and len(second.css("article.take")) == 14
    assert first.css_first('link[rel="next"]').attributes["href"] == "/takes/page/2/"
    assert second.css_first('link[rel="prev"]').attributes["href"] == "/takes/"
    assert second.css_first('link[rel="next"]') is None
    assert second.css_first(".takes-pager .newer-page").attributes["href"] == "/takes/"
    assert duplicate_ids(second) == [] and broken_links(second, root / "public", "takes/page/2/") == []


def test_slug_and_aliases_work_for_takes(site):
    site.write("content/takes/first.md", "---\ndate: 2026-01-01\nslug: renamed\naliases: [/old-take/]\n---\nA take.\n")
    assert site.build() == 0
    assert (site.out / "takes/renamed/index.html").is_file()
    assert "/takes/renamed/" in (site.out / "old-take/index.html").read_text(encoding="utf-8")


def test_the_takes_setting_renames_the_folder(site):
    with open(site.root / "pyproject.toml", "a", encoding="utf-8") as config:
        config.write('takes = "notes"\n')
    site.write("content/notes/a-note.md", "---\ndate: 2026-01-01\n---\nA take in another folder.\n")
    site.essay("takes/an-old-essay.md", title="Still an essay", summary="kept")
    assert site.build() == 0
    assert site.html("notes/index.html").css_first("article.take") is not None
    assert site.html("takes/an-old-essay/index.html").css_first("h1").text() == "Still an essay"


@pytest.mark.parametrize("relative,meta,expected", [
    ("takes/index.md", "", "where the quick takes stream is published"),
    ("takes.md", "", "where the quick takes stream is published"),
    ("takes/old/deeper/essay.md", "", "nested deeper"),
    ("takes/an-essay.md", "summary: An essay's summary\n", "'summary' belongs to essays"),
    ("takes/page.md", "", "may not be named 'page'"),
])
def test_essays_already_in_the_takes_folder_are_a_clear_error(site, capsys, relative, meta, expected):
    site.write(f"content/{relative}", f"---\ntitle: An essay\ndate: 2026-01-01\n{meta}---\nText.\n")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert f"content/{relative}" in err and expected in err
    assert "rename the folder" in err or "rename the file" in err
    assert "Traceback" not in err


def test_a_take_without_a_date_is_an_error(site, capsys):
    site.write("content/takes/undated.md", "---\ntags: [x]\n---\nNo date.\n")
    assert site.build() == 1
    assert re.search(r"content/takes/undated\.md:\d+: error: missing 'date'", capsys.readouterr().err)


def test_new_take_never_overwrites(site, capsys):
    assert main(["-C", str(site.root), "new", "--take"]) == 0
    assert main(["-C", str(site.root), "new", "--take"]) == 0
    made = sorted(path.name for path in (site.root / "content/takes").iterdir())
    assert len(made) == 2 and any(name.endswith("-2.md") for name in made)
    assert main(["-C", str(site.root), "new", "--take", "On pencils"]) == 0
    before = (site.root / "content/takes/on-pencils.md").read_text(encoding="utf-8")
    assert main(["-C", str(site.root), "new", "--take", "On pencils"]) == 1
    assert (site.root / "content/takes/on-pencils.md").read_text(encoding="utf-8") == before
    assert "already exists" in capsys.readouterr().err
    assert site.build("--drafts") == 0 and (site.out / "takes/on-pencils/index.html").is_file()


def test_serve_previews_a_take_and_its_stream_after_a_save(site):
    import http.client
    import io
    import socket

    from postil.serve.preview import Preview

    take = site.write("content/takes/first.md", "---\ndate: 2026-01-01\n---\nThe first words.\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    preview = Preview(site.root, port=port, out=io.StringIO()).start()
    try:
        def get(path: str) -> str:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            body = connection.getresponse().read().decode()
            connection.close()
            return body

        assert "The first words." in get("/takes/first/") and "The first words." in get("/takes/")
        before = preview.builds
        take.write_text("---\ndate: 2026-01-01\n---\nWords saved later.\n", encoding="utf-8")
        assert preview.wait_for_builds(before + 1)
        assert "Words saved later." in get("/takes/first/") and "Words saved later." in get("/takes/")
        assert "<title>Words saved later. ·" in get("/takes/first/")
    finally:
        preview.close()


def test_the_stream_is_in_the_sitemap_and_the_site_nav(built):
    sitemap = (built / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/takes/</loc>" in sitemap
    assert "/takes/" in [node.attributes["href"] for node in page(built, "an-essay/").css(".site-nav a")]


def test_a_site_without_takes_has_no_stream_and_no_link_to_one(site):
    site.essay("one.md")
    assert site.build() == 0
    assert not (site.out / "takes").exists()
    assert "/takes/" not in [node.attributes["href"] for node in site.html("one/index.html").css(".site-nav a")]


def test_closed_replies_on_a_take_say_take(site):
    site.write("content/takes/shut/index.md", "---\ndate: 2026-01-01\nreplies: closed\n---\nA take.\n")
    site.write("content/takes/shut/replies/one.md", '---\nauthor: "Bo"\ndate: 2026-01-02\n---\nA reply.\n')
    assert site.build() == 0
    assert site.html("takes/shut/index.html").css_first(".replies-closed").text() == "Replies to this take are closed."
    assert site.html("takes/index.html").css_first(".replies-closed").text() == "Replies to this take are closed."


@pytest.mark.parametrize("value,expected", [("My Notes", "one folder name"), ("a/b", "one folder name")])
def test_a_takes_setting_that_cannot_be_a_stream_is_a_config_error(site, capsys, value, expected):
    with open(site.root / "pyproject.toml", "a", encoding="utf-8") as config:
        config.write(f"takes = {value!r}\n".replace("'", '"'))
    site.essay("one.md")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "pyproject.toml:" in err and expected in err


def test_takes_in_a_folder_the_theme_writes_are_refused(site, capsys):
    with open(site.root / "pyproject.toml", "a", encoding="utf-8") as config:
        config.write('takes = "tags"\n')
    site.write("content/tags/a-take.md", "---\ndate: 2026-01-01\n---\nA take.\n")
    assert site.build() == 1
    assert "content/tags/a-take.md: error: URL /tags/a-take/ is inside /tags/, which the theme writes" in capsys.readouterr().err


def test_an_alias_onto_the_stream_is_an_error(site, capsys):
    site.write("content/takes/one.md", "---\ndate: 2026-01-01\n---\nA take.\n")
    site.essay("old.md", aliases="[/takes/]")
    assert site.build() == 1
    assert "content/old.md:4: error: alias /takes/ is a page of the quick takes stream" in capsys.readouterr().err

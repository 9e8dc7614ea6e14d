"""Obsidian-flavoured Markdown and Quartz-style links in built sites.

The rendering of each construct is pinned by tests/fixtures/markdown/; here: what the
site around it does (warnings, backlinks, settings, replies, incremental builds).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from clean_build import clean_build
from conftest import files_in
from replies_helpers import essay_with_replies, write_reply


def _body(site, output: str):
    return site.html(output).css_first(".essay-body")


def test_reference_style_links_work_beside_wikilinks(site):
    """markdown-it keeps link definitions in env["references"]: wikilinks must not share it."""
    site.essay("other.md", title="Other")
    site.essay("a.md", title="A", body="See [the other][ref] and [[Other]].\n\n[ref]: /other/\n")
    assert site.build() == 0
    hrefs = [link.attributes["href"] for link in _body(site, "a/index.html").css("a")]
    assert hrefs.count("/other/") == 2


def test_a_wikilink_to_no_note_is_a_broken_link_warning_with_its_line(site, capsys):
    site.essay("a.md", body="Intro.\n\nSee [[Nowhere Note]].\n")
    assert site.build() == 0
    assert "content/a.md:7: warning: [[Nowhere Note]] names no essay of the site" in capsys.readouterr().err
    assert site.build("--strict") == 1


def test_a_wikilink_to_a_missing_heading_warns_and_names_the_file(site, capsys):
    site.essay("b.md", title="Beta", body="## Real\n\nText.\n")
    site.essay("a.md", body="See [[Beta#Imagined]] and [[#Nor this]].\n")
    assert site.build() == 0
    err = capsys.readouterr().err
    assert "content/a.md:5: warning: [[Beta#Imagined]]: content/b.md has no heading 'Imagined'" in err
    assert "content/a.md:5: warning: [[#Nor this]] names no heading of this essay" in err


def test_wikilinks_and_transclusions_count_as_backlinks(site):
    site.essay("target.md", title="Target", body="The target's first words.\n")
    site.essay("linker.md", title="Linker", body="A link to [[target]].\n")
    site.essay("embedder.md", title="Embedder", body="![[Target]]\n")
    assert site.build() == 0
    linked_from = [a.text() for a in site.html("target/index.html").css(".backlinks a")]
    assert sorted(linked_from) == ["Embedder", "Linker"]


def test_each_obsidian_construct_can_be_turned_off(site):
    site.write("pyproject.toml", """
        [tool.postil]
        title = "T"
        obsidian_wikilinks = false
        obsidian_callouts = false
        obsidian_highlights = false
        obsidian_comments = false
    """)
    site.essay("a.md", body="[[Note]] ==a== %%b%%\n\n> [!note] Title\n> Body\n")
    assert site.build() == 0
    body = _body(site, "a/index.html")
    assert "[[Note]] ==a== %%b%%" in body.css_first("p").text()
    assert body.css_first("blockquote").text().strip().startswith("[!note] Title")
    assert not body.css("mark, a.internal, .callout")


def test_a_bad_link_resolution_setting_is_an_error_naming_the_choices(site, capsys):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "T"\nmarkdown_link_resolution = "nearest"\n')
    site.essay("a.md")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "pyproject.toml:3: error: 'markdown_link_resolution' must be one of shortest, absolute, relative" in err
    assert "Traceback" not in err


def test_quartz_style_links_resolve_to_the_essays_url(site, capsys):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "T"\nmarkdown_link_resolution = "shortest"\n')
    site.essay("research.md", title="Research")
    site.essay("notes/shard-theory.md", title="Shard Theory", body="## Values\n\nText.\n")
    site.essay("notes/gradient.md", title="Gradient", slug="gradient-routing-demo", aliases="[/gradient-routing]")
    site.write("content/notes/figure.png", "png")
    site.essay("notes/a.md", body=(
        "[beside](./shard-theory) [root](/research) [name](shard-theory#Values) "
        "[alias](/gradient-routing) [theme](/tags/) [outside](https://example.org/x)\n\n"
        "![a figure](./figure.png)\n"
    ))
    assert site.build() == 0
    assert "warning" not in capsys.readouterr().err
    body = _body(site, "notes/a/index.html")
    hrefs = [a.attributes["href"] for a in body.css("a")]
    assert hrefs == ["/notes/shard-theory/", "/research/", "/notes/shard-theory/#values", "/notes/gradient-routing-demo/", "/tags/", "https://example.org/x"]
    assert body.css_first("img").attributes["src"] == "/notes/figure.png"  # beside the note, not beside its page


def test_relative_mode_reads_a_bare_name_beside_the_note_not_anywhere(site, capsys):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "T"\nmarkdown_link_resolution = "relative"\n')
    site.essay("elsewhere/shard.md", title="Elsewhere")
    site.essay("notes/shard.md", title="Beside")
    site.essay("notes/a.md", body="[x](shard)\n")
    assert site.build() == 0
    assert _body(site, "notes/a/index.html").css_first("a").attributes["href"] == "/notes/shard/"


def test_replies_never_read_obsidian_syntax_nor_embed_site_files(site):
    essay_with_replies(site)
    site.write("content/talk/secret.png", "not for replies")
    write_reply(site, "r1", body="![[secret.png]] [[Talk]] ==loud== %%hidden%%\n\n> [!danger] Boom\n> text")
    assert site.build() == 0
    reply = site.html("talk/index.html").css_first("#reply-r1")
    text = reply.text()
    for written in ("![[secret.png]]", "[[Talk]]", "==loud==", "%%hidden%%", "[!danger] Boom"):
        assert written in text
    assert not reply.css("img, mark, .callout, a.internal, .transclusion")


@pytest.mark.slow
def test_a_transcluding_page_follows_the_note_it_transcludes_across_incremental_builds(tmp_path):
    """Build, change the transcluded note, build again with the cache: the bytes equal a
    clean build's, made in another process with an empty cache."""
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "pyproject.toml").write_text('[tool.postil]\ntitle = "T"\nsearch = false\n', encoding="utf-8")
    note = site / "content/note.md"
    note.write_text("---\ntitle: Note\ndate: 2024-01-01\n---\nThe first version.\n\n## Part\n\nPart one.\n", encoding="utf-8")
    (site / "content/page.md").write_text("---\ntitle: Page\ndate: 2024-01-02\n---\n![[Note]]\n\n![[Note#Part]]\n", encoding="utf-8")
    _postil(site, "build")
    note.write_text("---\ntitle: Renamed Note\ndate: 2024-01-01\n---\nThe second version.\n\n## Part\n\nPart two.\n", encoding="utf-8")
    _postil(site, "build")
    page = (site / "public/page/index.html").read_text(encoding="utf-8")
    assert "The second version." in page and "Part two." in page and "Renamed Note" in page
    assert files_in(site / "public") == clean_build(site)


def _postil(site: Path, *args: str) -> None:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    subprocess.run([sys.executable, "-m", "postil", "-C", str(site), *args], check=True, capture_output=True, env=environment)


def test_a_heading_id_that_changed_keeps_its_old_anchor_and_postil_check_passes(site):
    from postil.commands.check import check_site

    site.essay("a.md", body="## Notes\n\nText.\n\n## Notes\n\nMore.\n\n[old](#notes-2) [new](#notes-1)\n")
    assert site.build() == 0
    assert check_site(site.root, site.out).problems == []


def test_feed_and_pages_carry_resolved_links_and_never_a_placeholder(site):
    site.essay("target.md", title="Target", body="The target's first words.\n")
    site.essay("linker.md", title="Linker", date="2026-02-01", body="A link to [[target]].\n\n![[Target]]\n\n![[nowhere.png]]\n")
    assert site.build() == 0
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ElementTree.parse(site.out / "feed.xml").getroot().iter(f"{atom}entry")
    linker = next(entry for entry in entries if entry.findtext(f"{atom}title") == "Linker")
    content = HTMLParser(linker.findtext(f"{atom}content"))
    assert [a.attributes["href"] for a in content.css("a")] == ["https://example.org/target/", "https://example.org/target/"]
    assert content.css_first(".transclusion-excerpt").text() == "The target’s first words."
    for output, data in files_in(site.out).items():
        assert "\ue000".encode() not in data, output

"""`postil import quartz`: a Quartz/Obsidian folder moved into a site, then built."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from conftest import files_in
from postil.cli import main
from postil.content.discover import discover
from postil.errors import Report


def _write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


@pytest.fixture
def garden(tmp_path) -> Path:
    """A small Quartz content folder with the front matter and links real gardens have."""
    root = tmp_path / "garden"
    _write(root, "index.md", "---\ntitle: Welcome\n---\nStart with [[shard theory]] or [the research](/research).\n")
    _write(root, "research.md", "---\ntitle: Research\ndate: 2023-05-01\ndescription: What I work on.\ntags: [ai, '#safety']\n---\nSee [this](./notes/shard-theory#Core%20Idea) and [old](/gradient-routing).\n\n```\n[not a link](./research)\n```\n")
    _write(root, "notes/shard theory.md", "---\ncreated: 2022-02-02\nmodified: 2023-03-03\naliases: [Shards, /old/shards]\ncssclasses: [wide]\n---\n## Core Idea\n\n![[diagram.png|300]] and ![](../assets/photo.jpg)\n")
    _write(root, "notes/gradient.md", "---\ntitle: Gradient routing\ndate: 2024-01-01\npermalink: gradient-routing-demo\naliases: [gradient-routing]\n---\nBack to [[index|home]].\n")
    _write(root, "notes/private.md", "---\ntitle: Private\ndate: 2024-01-01\npublish: false\n---\nNot yet.\n")
    _write(root, "notes/draft.md", "---\ntitle: Draft\ndate: 2024-01-01\ndraft: true\n---\nNot yet.\n")
    _write(root, "notes/diagram.png", b"\x89PNG\r\n")
    _write(root, "assets/photo.jpg", b"\xff\xd8\xff")
    _write(root, "tags/ai.md", "---\ntitle: About AI\ndate: 2024-01-01\n---\nA tag page.\n")
    _write(root, "projects/index.md", "---\ntitle: Projects\ndate: 2024-01-01\n---\nMy projects.\n")
    _write(root, ".obsidian/workspace.json", "{}")
    return root


def _import(site: Path, garden: Path, *extra: str) -> int:
    site.mkdir(exist_ok=True)
    return main(["-C", str(site), "import", "quartz", str(garden), *extra])


def test_front_matter_is_mapped_to_postils_keys(tmp_path, garden, capsys):
    site = tmp_path / "site"
    assert _import(site, garden) == 0
    out = capsys.readouterr().out
    assert "description → summary ×1" in out and "permalink → the note's path ×1" in out and "publish → draft ×1" in out
    assert "Front matter kept under 'extra' (postil has no such key): cssclasses ×1" in out
    research = _front_matter(site / "content/research.md")
    assert research == {"title": "Research", "date": dt.date(2023, 5, 1), "summary": "What I work on.", "tags": ["ai", "safety"]}
    shards = _front_matter(site / "content/notes/shard theory.md")
    assert shards["title"] == "shard theory"  # no title: the file name
    assert shards["date"] == dt.date(2022, 2, 2) and shards["updated"] == dt.date(2023, 3, 3)
    assert shards["aliases"] == ["/Shards/", "/old/shards/"]
    assert shards["extra"] == {"cssclasses": ["wide"]}  # what postil has no key for
    assert _front_matter(site / "content/notes/private.md")["draft"] is True
    assert _front_matter(site / "content/notes/draft.md")["draft"] is True
    # A permalink is a whole path: the note goes there.
    assert _front_matter(site / "content/gradient-routing-demo.md")["title"] == "Gradient routing"
    assert not (site / ".obsidian").exists() and not (site / "content/.obsidian").exists()


def test_what_lands_on_the_themes_paths_is_moved_and_reported(tmp_path, garden, capsys):
    site = tmp_path / "site"
    assert _import(site, garden) == 0
    out = capsys.readouterr().out
    assert "moved: index.md → content/home.md (index.md is the site's home page, which the theme writes)" in out
    assert "moved: tags/ai.md → content/tag-notes/ai.md (/tags/ is written by the theme)" in out
    assert "moved: assets/photo.jpg → content/attachments/photo.jpg (/assets/ is written by the theme)" in out
    assert (site / "content/home.md").is_file() and (site / "content/tag-notes/ai.md").is_file()
    assert (site / "content/attachments/photo.jpg").read_bytes() == b"\xff\xd8\xff"
    assert (site / "content/projects/index.md").is_file()  # a folder's index stays the folder's page


def test_the_imported_site_builds_with_every_link_and_embed_resolved(tmp_path, garden, capsys):
    site = tmp_path / "site"
    assert _import(site, garden) == 0
    capsys.readouterr()
    assert main(["-C", str(site), "build"]) == 0
    assert "warning" not in capsys.readouterr().err
    from selectolax.lexbor import LexborHTMLParser

    def body(output: str):
        return LexborHTMLParser((site / "public" / output).read_text(encoding="utf-8")).css_first(".essay-body")

    # The URL postil gives a file name with a space, whatever its rule: asked of discovery.
    shards = next(source.url_path for source in discover(site, Report()).essays if source.path == "content/notes/shard theory.md")
    research = [a.attributes["href"] for a in body("research/index.html").css("a")]
    assert research == [f"/{quote(shards)}#core-idea", "/gradient-routing-demo/"]
    assert body("research/index.html").css_first("pre").text() == "[not a link](./research)\n"  # code is never rewritten
    home = body("home/index.html")
    assert [a.attributes["href"] for a in home.css("a")] == [f"/{quote(shards)}", "/research/"]
    images = [img.attributes["src"] for img in body(f"{shards}index.html").css("img")]
    assert images == ["/notes/diagram.png", "/attachments/photo.jpg"]
    assert body("gradient-routing-demo/index.html").css_first("a").attributes["href"] == "/home/"
    assert (site / "public/gradient-routing/index.html").is_file()  # the alias redirects


def test_a_second_run_changes_nothing(tmp_path, garden, capsys):
    site = tmp_path / "site"
    assert _import(site, garden) == 0
    before = files_in(site)
    capsys.readouterr()
    assert _import(site, garden) == 0
    out = capsys.readouterr().out
    assert files_in(site) == before
    assert "files written: 0" in out and "kept the existing content/research.md" in out


def test_an_existing_file_is_never_overwritten(tmp_path, garden):
    site = tmp_path / "site"
    _write(site, "content/research.md", "---\ntitle: Mine\ndate: 2020-01-01\n---\nMine.\n")
    assert _import(site, garden) == 0
    assert "Mine." in (site / "content/research.md").read_text(encoding="utf-8")


def test_outside_a_site_it_makes_one_first(tmp_path, garden, capsys):
    site = tmp_path / "new-site"
    assert _import(site, garden) == 0
    assert "[tool.postil]" in (site / "pyproject.toml").read_text(encoding="utf-8")
    assert "Made a new site here" in capsys.readouterr().out


def test_into_a_folder_of_content(tmp_path, garden, capsys):
    site = tmp_path / "site"
    assert _import(site, garden, "--to", str(site / "content/garden")) == 0
    assert (site / "content/garden/research.md").is_file()
    assert (site / "content/garden/index.md").is_file()  # under garden/ an index is that folder's page
    capsys.readouterr()
    assert main(["-C", str(site), "build"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_to_outside_content_is_refused(tmp_path, garden, capsys):
    site = tmp_path / "site"
    assert _import(site, garden, "--to", str(tmp_path / "elsewhere")) == 1
    assert "--to must be content/ or a folder inside it" in capsys.readouterr().err


def test_dates_come_from_git_when_the_folder_is_in_git_and_it_says_so(tmp_path, capsys):
    garden = tmp_path / "garden"
    _write(garden, "undated.md", "---\ntitle: Undated\n---\nText.\n")
    environment = {**os.environ, "GIT_AUTHOR_DATE": "2021-06-07T08:09:10+00:00", "GIT_COMMITTER_DATE": "2021-06-07T08:09:10+00:00",
                   "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org"}
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", "-C", str(garden), *command], check=True, env=environment)
    later = {**environment, "GIT_AUTHOR_DATE": "2022-01-01T00:00:00+00:00", "GIT_COMMITTER_DATE": "2022-01-01T00:00:00+00:00"}
    (garden / "notes").mkdir()
    for command in (["mv", "undated.md", "notes/moved.md"], ["commit", "-q", "-m", "move"]):
        subprocess.run(["git", "-C", str(garden), *command], check=True, env=later)
    site = tmp_path / "site"
    assert _import(site, garden) == 0
    # The first commit of the text, before it was moved, not the move.
    assert _front_matter(site / "content/notes/moved.md")["date"] == dt.datetime(2021, 6, 7, 8, 9, 10, tzinfo=dt.timezone.utc)
    assert "Dates from: git (first commit) ×1" in capsys.readouterr().out


def test_without_git_dates_come_from_the_modification_time_and_it_says_so(tmp_path, capsys):
    garden = tmp_path / "garden"
    note = _write(garden, "undated.md", "Just text, no front matter.\n")
    os.utime(note, (1_600_000_000, 1_600_000_000))
    site = tmp_path / "site"
    assert _import(site, garden) == 0
    meta = _front_matter(site / "content/undated.md")
    assert meta == {"title": "undated", "date": dt.datetime(2020, 9, 13, 12, 26, 40, tzinfo=dt.timezone.utc)}
    out = capsys.readouterr().out
    assert "Dates from: file modification time ×1" in out and "Titles taken from file names: 1 (undated.md)" in out


def test_broken_front_matter_is_reported_and_the_text_kept(tmp_path, capsys):
    garden = tmp_path / "garden"
    _write(garden, "bad.md", "---\ntitle: [unclosed\n---\nBody.\n")
    site = tmp_path / "site"
    assert _import(site, garden) == 0
    assert "not carried over: bad.md: front matter is not valid YAML" in capsys.readouterr().out
    assert "Body." in (site / "content/bad.md").read_text(encoding="utf-8")

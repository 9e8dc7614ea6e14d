"""`new` and `init`: files made for the author, never over one they wrote."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from postil.cli import main
from postil.commands.scaffold import SLUG_MAX_LENGTH, slug_from_title


def new(site, *args: str) -> int:
    return main(["-C", str(site.root), "new", *args])


def front_matter(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def test_new_writes_a_draft_with_title_date_and_tags_and_prints_its_path(site, capsys):
    assert new(site, "Notes on Margins", "--tags", "reading, marginalia") == 0
    path = site.root / "content" / "notes-on-margins.md"
    assert capsys.readouterr().out.strip() == str(path)
    meta = front_matter(path)
    assert meta == {"title": "Notes on Margins", "date": dt.date.today(), "draft": True, "tags": ["reading", "marginalia"]}


def test_new_essay_builds_with_drafts(site):
    assert new(site, "A First Draft") == 0
    assert site.build("--drafts") == 0
    assert site.html("a-first-draft/index.html").css_first("h1").text() == "A First Draft"


def test_new_never_overwrites_and_names_the_existing_file(site, capsys):
    existing = site.essay("notes-on-margins.md", title="Mine", body="My words.")
    before = existing.read_bytes()
    assert new(site, "Notes on Margins") == 1
    err = capsys.readouterr().err
    assert "content/notes-on-margins.md" in err and "already exists" in err
    assert existing.read_bytes() == before


def test_new_refuses_a_title_whose_bundle_already_exists(site, capsys):
    site.essay("notes/index.md", title="Notes")
    assert new(site, "Notes") == 1
    assert "content/notes/index.md" in capsys.readouterr().err
    assert not (site.root / "content" / "notes.md").exists()


def test_new_refuses_a_title_whose_url_differs_only_in_case(site, capsys):
    site.essay("Notes.md", title="Notes")
    assert new(site, "notes") == 1
    assert "content/Notes.md" in capsys.readouterr().err
    assert not (site.root / "content" / "notes.md").exists()


def test_new_bundle_makes_a_folder_with_index(site):
    assert new(site, "With Pictures", "--bundle") == 0
    assert (site.root / "content" / "with-pictures" / "index.md").is_file()


def test_new_reply_to_a_site_essay_file_records_its_site_path(site):
    site.essay("answered.md", title="Answered")
    assert new(site, "An Answer", "--reply-to", "content/answered.md") == 0
    assert front_matter(site.root / "content" / "an-answer.md")["in_reply_to"] == "/answered/"


def test_new_reply_to_a_url_keeps_the_url(site):
    assert new(site, "An Answer", "--reply-to", "https://example.com/their-essay/") == 0
    assert front_matter(site.root / "content" / "an-answer.md")["in_reply_to"] == "https://example.com/their-essay/"


def test_title_with_quotes_and_colons_survives_the_round_trip(site):
    title = 'Reading "Slowly": a defence — part 2'
    assert new(site, title) == 0
    assert front_matter(site.root / "content" / "reading-slowly-a-defence-part-2.md")["title"] == title


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Über Fußnoten und Ränder", "uber-fussnoten-und-rander"),
        ("  Spaces   and---dashes  ", "spaces-and-dashes"),
        ("L'été à Paris", "l-ete-a-paris"),
        ("東京の本屋", "dong-jing-noben-wu"),
        ("Ἀρχή", "arkhe"),
        ("C++ & Rust: 2 ways", "c-rust-2-ways"),
    ],
)
def test_slugs_transliterate_to_lower_case_words_and_hyphens(title, slug):
    assert slug_from_title(title) == slug


@pytest.mark.parametrize("title", ["!!! ???", "🎉🎉", "—"])
def test_title_without_letters_gets_a_dated_file_name(site, title):
    assert new(site, title) == 0
    assert (site.root / "content" / f"essay-{dt.date.today().isoformat()}.md").is_file()


def test_long_title_is_cut_at_a_word_boundary():
    slug = slug_from_title("A very long title " * 10)
    assert len(slug) <= SLUG_MAX_LENGTH
    assert not slug.endswith("-") and slug.split("-")[-1] in ("a", "very", "long", "title")


def test_reply_moves_a_single_file_essay_into_a_bundle_keeping_its_url(site):
    site.essay("margins.md", title="Margins", body="Some text.")
    assert site.build() == 0
    assert new(site, "--reply", "content/margins.md", "--author", "Ada Lovelace") == 0
    assert not (site.root / "content" / "margins.md").exists()
    assert (site.root / "content" / "margins" / "index.md").is_file()
    replies = list((site.root / "content" / "margins" / "replies").glob("*.md"))
    assert len(replies) == 1 and replies[0].stem.endswith("-ada-lovelace")
    meta = front_matter(replies[0])
    assert meta["author"] == "Ada Lovelace" and "parent" not in meta and meta["draft"] is True
    assert site.build() == 0
    page = site.html("margins/index.html")
    assert page.css_first("h1").text() == "Margins"
    assert page.css_first(f"#reply-{replies[0].stem}") is None  # a draft until it is written
    replies[0].write_text(replies[0].read_text().replace("draft: true\n", "").replace("Write the reply here.", "Well put."))
    assert site.build() == 0
    assert site.html("margins/index.html").css_first(f"#reply-{replies[0].stem} .reply-author").text() == "Ada Lovelace"


def test_reply_with_parent_gets_a_fresh_id_and_the_parent(site):
    site.essay("margins/index.md", title="Margins")
    assert new(site, "--reply", "/margins/", "--author", "Ada") == 0
    first = next((site.root / "content" / "margins" / "replies").glob("*.md"))
    assert new(site, "--reply", "/margins/", "--author", "Ada", "--parent", first.stem) == 0
    second = [p for p in (site.root / "content" / "margins" / "replies").glob("*.md") if p != first]
    assert len(second) == 1 and second[0].stem == first.stem + "-2"
    assert front_matter(second[0])["parent"] == first.stem


def test_reply_to_an_unknown_parent_is_refused_and_writes_nothing(site, capsys):
    site.essay("margins.md", title="Margins")
    assert new(site, "--reply", "content/margins.md", "--author", "Ada", "--parent", "nobody") == 1
    assert "no reply 'nobody'" in capsys.readouterr().err
    assert (site.root / "content" / "margins.md").is_file()
    assert not (site.root / "content" / "margins").exists()


def test_reply_to_an_unknown_essay_is_refused(site, capsys):
    assert new(site, "--reply", "/nothing-here/", "--author", "Ada") == 1
    assert "no essay '/nothing-here/'" in capsys.readouterr().err


def test_init_creates_a_config_gitignore_workflow_and_a_first_essay_with_replies_that_build(tmp_path, capsys):
    folder = tmp_path / "my-essays"
    assert main(["init", str(folder)]) == 0
    created = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert created == [".github/workflows/pages.yml", ".gitignore", "content/hello/index.md",
                       "content/hello/replies/first-reader.md", "content/hello/replies/the-author.md", "pyproject.toml"]
    assert 'title = "My Essays"' in (folder / "pyproject.toml").read_text()
    assert main(["-C", str(folder), "build"]) == 0
    assert (folder / "public" / "hello" / "index.html").is_file()


def test_init_never_overwrites_an_existing_site(tmp_path, capsys):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    assert main(["init", str(folder)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (folder / "pyproject.toml").read_text() == "[project]\nname = 'mine'\n"
    assert not (folder / "content").exists()

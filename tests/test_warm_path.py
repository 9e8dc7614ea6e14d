"""The warm paths (an edit, nothing changed, a CI run) do only the work their change calls for."""
from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from clean_build import clean_build
from conftest import files_in
from test_ci_cache import build, fresh_install, git, restore

import postil.site.threads
from postil.speed.digests import Digests
from postil.speed.disk_cache import DiskCache

pytestmark = pytest.mark.fresh_cache  # tests of what the caches keep

REPO = Path(__file__).resolve().parent.parent


class CountingDigests(Digests):
    """Digests that count the values they had to pickle."""

    def __init__(self) -> None:
        super().__init__()
        self.pickled = 0

    def _pickled(self, value: object) -> str | None:
        self.pickled += 1
        return super()._pickled(value)


def replies_page_contexts(authors: tuple) -> list[dict]:
    """Contexts shaped like the pages of /replies/: each its own entries, all one list of authors."""
    return [{"authors": authors, "total": 500, "entries": tuple(range(number * 50, number * 50 + 50))} for number in range(10)]


def test_a_value_every_page_shares_is_digested_once_not_once_per_page():
    authors = tuple((f"reader-{number}", f"Reader {number}", number) for number in range(2000))
    digests = CountingDigests()
    found = [digests.of_context(context) for context in replies_page_contexts(authors)]
    assert digests.pickled == 1 + 10  # the authors once, then each page's own entries
    assert len(set(found)) == 10


def test_a_small_value_made_for_one_page_is_not_held_once_digested():
    """Each page's own small values (its neighbours, its pager) are digested again if met
    again rather than held until the build ends; a large one is held, and digested once."""
    digests = CountingDigests()
    neighbours = ("essays/older/", "essays/newer/")
    large = tuple(f"essays/essay-{number}/" for number in range(200))
    first = [digests.of(neighbours), digests.of(large)]
    assert [digests.of(neighbours), digests.of(large)] == first
    assert digests.pickled == 3  # the small value twice, the large one once
    assert [value for value, _ in digests._memo.values()] == [large]
    assert digests.of(("essays/older/", "essays/newest/")) != first[0]


def test_a_context_digest_follows_the_values_not_the_objects():
    authors = tuple((f"reader-{number}", f"Reader {number}", number) for number in range(3))
    before = Digests().of_context({"authors": authors, "total": 3})
    assert Digests().of_context({"authors": tuple(list(authors)), "total": 3}) == before
    assert Digests().of_context({"authors": authors[:2], "total": 3}) != before
    assert Digests().of_context({"authors": authors, "total": 4}) != before
    assert Digests().of_context({"writers": authors, "total": 3}) != before


def test_a_new_run_looks_for_quotes_only_in_the_essay_an_edit_changed(site, monkeypatch, capsys):
    """Where replies' quotes lie in their essays is kept between runs: after an edit, only
    the edited essay's passages are searched, and the site is the one a clean build makes."""
    looked: list[str] = []
    searching = postil.site.threads.places_in_passages

    def counted(passage_texts):
        find = searching(passage_texts)

        def places(essay, quotes):
            looked.append(essay.source)
            return find(essay, quotes)
        return places

    monkeypatch.setattr(postil.site.threads, "places_in_passages", counted)
    for name in ("one", "two", "three"):
        site.essay(f"{name}/index.md", title=name.title(), body=f"The {name} passage says something worth quoting, at some length.\n")
        site.write(f"content/{name}/replies/r1.md", f"---\nauthor: Ann\ndate: 2026-02-01\n---\n> The {name} passage says something worth quoting\n\nAgreed.\n")
    assert site.build() == 0
    assert sorted(looked) == ["content/one/index.md", "content/three/index.md", "content/two/index.md"]
    assert site.html("two/index.html").css_first(".side-comments") is not None

    looked.clear()
    site.essay("two/index.md", title="Two", body="The second essay now says something else entirely.\n")
    capsys.readouterr()
    assert site.build() == 0
    assert looked == ["content/two/index.md"]
    assert "content/two/replies/r1.md:5: warning: the quote" in capsys.readouterr().err
    assert site.html("two/index.html").css_first(".side-comments") is None
    assert site.snapshot() == clean_build(site.root)


@pytest.fixture
def built_site(site, tmp_path):
    for number in range(6):
        site.essay(f"e{number}.md", title=f"Essay {number}", date=f"2025-01-0{number + 1}", tags="[words]", body=f"Words {number}.")
    site.write("templates/partials/essay_item.html", "<li>{{ essay.title }}</li>\n")
    assert not build(site.root, REPO, tmp_path / "runner")["up_to_date"]
    return site


def test_files_saved_again_with_the_same_bytes_leave_nothing_to_do(built_site, tmp_path):
    """New stats alone (an editor saving without a change, a checkout) are not a change:
    the bytes decide, and the output is left as it was."""
    before = files_in(built_site.root / "public")
    times = {path: path.stat().st_mtime_ns for path in (built_site.root / "public").rglob("*")}
    for path in [*(built_site.root / "content").rglob("*.md"), built_site.root / "templates/partials/essay_item.html"]:
        path.write_bytes(path.read_bytes())
    assert build(built_site.root, REPO, tmp_path / "runner")["up_to_date"]
    assert files_in(built_site.root / "public") == before
    assert {path: path.stat().st_mtime_ns for path in (built_site.root / "public").rglob("*")} == times


def test_a_changed_byte_under_new_stats_is_built(built_site, tmp_path):
    for path in (built_site.root / "content").rglob("*.md"):
        path.write_bytes(path.read_bytes())
    built_site.write("templates/partials/essay_item.html", "<li>{{ essay.title }}!</li>\n")
    result = build(built_site.root, REPO, tmp_path / "runner")
    assert not result["up_to_date"] and result["parsed"] == 0
    assert "<li>Essay 3!</li>" in (built_site.root / "public/index.html").read_text(encoding="utf-8")
    assert files_in(built_site.root / "public") == clean_build(built_site.root)


def test_a_fresh_clone_with_nothing_changed_has_nothing_to_do(built_site, tmp_path):
    """A CI run with no change: every source new to the file system (not even older than
    the racy window), postil installed afresh, cache and output restored: nothing to do."""
    repository = built_site.root
    git("init", "-q", cwd=repository)
    (repository / ".gitignore").write_text("public/\n", encoding="utf-8")
    git("add", "-A", cwd=repository)
    git("commit", "-q", "-m", "The site", cwd=repository)
    clone = tmp_path / "checkout"
    git("clone", "-q", str(repository), str(clone), cwd=tmp_path)
    restore(repository, clone)
    before = files_in(clone / "public")

    assert build(clone, fresh_install(tmp_path / "install"), tmp_path / "runner-2")["up_to_date"]
    assert files_in(clone / "public") == before


def test_an_edit_that_renders_no_list_of_replies_saves_their_kept_items_as_they_were(site, tmp_path):
    """Kept list items are stored packed by template: a run that never asks for a group's
    items (an essay with no replies edited) neither unpacks nor re-encodes them."""
    for number in range(4):
        site.essay(f"e{number}/index.md", title=f"Essay {number}", date=f"2025-01-0{number + 1}", body=f"Words {number}.")
        site.write(f"content/e{number}/replies/r1.md", f"---\nauthor: Reader {number}\ndate: 2025-02-01\n---\nA reply.\n")
    site.essay("quiet.md", title="Quiet", date="2025-01-09", body="No replies here.")
    assert not build(site.root, REPO, tmp_path / "runner")["up_to_date"]
    stored = DiskCache(site.root, "fragments").load()["groups"]
    assert isinstance(stored["partials/reply_entry.html"], bytes)

    site.essay("quiet.md", title="Quiet", date="2025-01-09", body="Other words, and more of them.")
    assert 0 < build(site.root, REPO, tmp_path / "runner")["rendered"]
    kept = DiskCache(site.root, "fragments").load()["groups"]
    assert kept["partials/reply_entry.html"] == stored["partials/reply_entry.html"]
    assert "Other words" in (site.root / "public/quiet/index.html").read_text(encoding="utf-8")
    assert files_in(site.root / "public") == clean_build(site.root)


def test_an_edit_that_renders_lists_of_replies_keeps_every_item_it_did_not_ask_for(site, tmp_path):
    """An essay with replies edited renders its reply pages again: the entries they ask
    for are read from the kept items one by one, the rest are saved again as they were
    read, beside the entries the edit made, and the output is a clean build's."""
    for number in range(4):
        site.essay(f"e{number}/index.md", title=f"Essay {number}", date=f"2025-01-0{number + 1}", body=f"Words {number}.")
        site.write(f"content/e{number}/replies/r1.md", f"---\nauthor: Reader {number}\ndate: 2025-02-01\n---\nA reply.\n")
    assert not build(site.root, REPO, tmp_path / "runner")["up_to_date"]
    stored = zlib.decompress(DiskCache(site.root, "fragments").load()["groups"]["partials/reply_entry.html"]).splitlines()

    site.essay("e0/index.md", title="Essay 0", date="2025-01-01", body="Words 0, and a second thought.")
    assert 0 < build(site.root, REPO, tmp_path / "runner")["rendered"]
    kept = zlib.decompress(DiskCache(site.root, "fragments").load()["groups"]["partials/reply_entry.html"]).splitlines()
    assert set(stored) < set(kept)
    assert "second thought" in (site.root / "public/e0/index.html").read_text(encoding="utf-8")
    assert files_in(site.root / "public") == clean_build(site.root)


def test_an_edit_the_reply_pages_do_not_show_leaves_them_undigested_and_one_they_show_renders_them(site, monkeypatch):
    """The pages of replies are made from the site's replies alone: while those are the
    last run's, a new run takes each page's context digest from its record instead of
    digesting thousands of contexts; a change they show (a retitled essay with replies)
    still renders the pages that show it, as a clean build would."""
    from postil.pipeline import BuildOptions, Builder

    for number in range(3):
        site.essay(f"e{number}/index.md", title=f"Essay {number}", date=f"2025-01-0{number + 1}", body=f"Words {number}.")
        for reader in range(10):
            site.write(f"content/e{number}/replies/r{reader}.md", f"---\nauthor: Reader {number}-{reader}\ndate: 2025-02-01\n---\nA reply.\n")
    site.essay("quiet.md", title="Quiet", date="2025-01-09", body="No replies here.")
    options = BuildOptions(out_dir=site.root / "public")
    Builder(site.root, options).build()
    assert len(list((site.root / "public/replies").rglob("index.html"))) == 31  # a page per reader, and the list

    digested: list[dict] = []
    of_context = Digests.of_context
    monkeypatch.setattr(Digests, "of_context", lambda self, context: digested.append(context) or of_context(self, context))
    site.essay("quiet.md", title="Quiet", date="2025-01-09", body="Other words, and more of them.")
    edit = Builder(site.root, options).build()  # a new run: what it knows of the last comes from disk
    assert edit.parsed == 1 and 0 < edit.rendered < 10
    assert digested and not [context["page_path"] for context in digested if context["page_path"].startswith("replies/")]
    assert files_in(site.root / "public") == clean_build(site.root)

    (site.root / "public/replies/reader-2-7/index.html").unlink()  # the family's pages are current but for one
    site.essay("quiet.md", title="Quiet", date="2025-01-09", body="Yet other words.")
    assert Builder(site.root, options).build().rendered < 10
    assert files_in(site.root / "public") == clean_build(site.root)

    site.essay("e1/index.md", title="Essay One, retitled", date="2025-01-02", body="Words 1.")
    retitled = Builder(site.root, options).build()
    assert retitled.rendered > 10  # the reader pages of the essay's replies, among others
    assert "Essay One, retitled" in (site.root / "public/replies/reader-1-3/index.html").read_text(encoding="utf-8")
    assert files_in(site.root / "public") == clean_build(site.root)


def test_the_output_folder_is_checked_by_its_recorded_files_and_folders_not_walked(built_site, monkeypatch):
    """Nothing changed: a stat of each file and folder the last build recorded tells that
    the output is intact, with no folder listed; a name added to a folder, even in the
    clock tick of the record, is still found, and the next build removes it."""
    import os

    from postil.pipeline import BuildOptions, Builder
    from postil.speed import uptodate

    options = BuildOptions(out_dir=built_site.root / "public")
    listed: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": listed.append(os.fspath(path)) or scandir(path))
    public = str((built_site.root / "public").resolve())

    folder = built_site.root / "public/e3"
    before = folder.stat()
    (folder / "stray.html").write_text("not from the site", encoding="utf-8")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))  # as if in the clock tick of the record
    assert not Builder(built_site.root, options).build().up_to_date
    assert not (built_site.root / "public/e3/stray.html").exists()

    monkeypatch.setattr(uptodate, "RACY_NANOSECONDS", 0)  # as when the record is older than a clock tick
    listed.clear()
    assert Builder(built_site.root, options).build().up_to_date
    assert not [path for path in listed if path.startswith(public)]

    (built_site.root / "public/e2/stray.html").write_text("not from the site", encoding="utf-8")
    assert not Builder(built_site.root, options).build().up_to_date
    assert files_in(built_site.root / "public") == clean_build(built_site.root)


def test_a_reply_page_that_failed_fails_the_next_build_too_though_its_family_is_unchanged(site):
    """The dev server's next build, with nothing changed: the pages of replies that were
    current are not made again, but the one that failed is, and fails the build again."""
    from postil.errors import PostilError
    from postil.pipeline import BuildOptions, Builder

    for reader in range(3):
        site.essay(f"e{reader}/index.md", title=f"Essay {reader}", date=f"2025-01-0{reader + 1}", body="Words.")
        site.write(f"content/e{reader}/replies/r1.md", f"---\nauthor: Reader {reader}\ndate: 2025-02-01\n---\nA reply.\n")
    site.write("templates/replies_author.html", '{% extends "replies.html" %}{% block main %}{{ author }}{{ [][1] if author == "Reader 1" }}{% endblock %}\n')
    builder = Builder(site.root, BuildOptions(out_dir=None))
    for _ in range(2):
        with pytest.raises(PostilError, match="replies_author.html"):
            builder.build([])

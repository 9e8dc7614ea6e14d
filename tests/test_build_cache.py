"""The on-disk caches between runs: a second build reuses work and still equals a clean build."""
from __future__ import annotations

import os
import shutil

import pytest

from clean_build import clean_build
from conftest import SITE_SETTINGS

from postil.speed.disk_cache import DiskCache
from postil.cli import main
from postil.errors import PostilError
from postil.pipeline import Builder, BuildOptions


@pytest.fixture
def cached(site):
    site.essay("a.md", title="Alpha", tags="[one]", body="First.[^1]\n\n[^1]: Note.\n")
    site.essay("b.md", title="Beta", date="2025-06-01", tags="[one, two]", body="See [alpha](/a/).\n")
    site.essay("c/index.md", title="Gamma", date="2024-01-01", body="Third.\n")
    site.write("content/c/figure.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    site.write("content/c/replies/r1.md", "---\nauthor: Reader\ndate: 2024-02-01\n---\nSee [the figure](figure.svg).\n")
    assert site.build() == 0
    assert list((site.root / ".postil-cache").glob("*.pickle"))  # the build kept what it parsed
    return site


def age_sources(site) -> None:
    """Make every source look older than the cache's racy-clean window, as after a pause."""
    for path in [site.root / "pyproject.toml", *(site.root / "content").rglob("*")]:
        status = path.stat()
        os.utime(path, ns=(status.st_atime_ns - 10**10, status.st_mtime_ns - 10**10))


def test_second_build_with_nothing_changed_leaves_the_output_alone(cached, capsys):
    age_sources(cached)
    assert cached.build() == 0
    before = cached.snapshot()
    stamps = {p: p.stat().st_mtime_ns for p in cached.out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert cached.build() == 0
    assert "Nothing changed since the last build" in capsys.readouterr().out
    assert cached.snapshot() == before
    assert {p: p.stat().st_mtime_ns for p in cached.out.rglob("*") if p.is_file()} == stamps


def test_a_damaged_output_is_rebuilt_even_when_sources_did_not_change(cached, capsys):
    age_sources(cached)
    assert cached.build() == 0
    (cached.out / "a/index.html").unlink()
    assert cached.build() == 0
    assert "Built " in capsys.readouterr().out.splitlines()[-1]
    assert (cached.out / "a/index.html").is_file()


@pytest.mark.slow  # a clean build in another process for each change
@pytest.mark.parametrize("change", ["edit", "template", "config", "delete", "corrupt", "new-file", "slug"])
def test_cached_build_equals_a_clean_build_after(cached, tmp_path, change):
    age_sources(cached)
    assert cached.build() == 0
    if change == "edit":
        cached.essay("a.md", title="Alpha, revised", tags="[two]", body="Changed words.\n")
    elif change == "template":
        cached.write("templates/404.html", "{% extends 'base.html' %}{% block main %}<h1>Lost</h1>{% endblock %}\n")
    elif change == "config":
        cached.write("pyproject.toml", '[tool.postil]\ntitle = "Renamed"\nbase_url = "https://example.org/blog/"\nsearch = false\n')
    elif change == "delete":
        (cached.root / "content/b.md").unlink()
    elif change == "corrupt":
        for path in (cached.root / ".postil-cache").glob("*.pickle"):
            path.write_bytes(b"\x80\x05garbage" + path.read_bytes()[20:40])
        cached.essay("c/index.md", title="Gamma", date="2024-01-01", body="Third, edited.\n")
    elif change == "new-file":
        cached.essay("d.md", title="Delta", tags="[one]")
    elif change == "slug":  # moves the essay, and with it the target of its replies' relative links
        cached.essay("c/index.md", title="Gamma", date="2024-01-01", slug="moved", body="Third.\n")
    assert cached.build() == 0
    assert cached.snapshot() == clean_build(cached.root)


def test_a_file_edited_without_changing_its_size_or_mtime_is_still_seen(cached, tmp_path):
    """Stat alone is trusted only for files that were already old when they were recorded."""
    path = cached.root / "content/a.md"
    # Recorded by a build just after it was written, as an editor's save is: the fixture's own
    # build may have been slower than the racy-clean window when the machine is busy.
    os.utime(path)
    assert cached.build() == 0
    status = path.stat()
    text = path.read_text().replace("First.", "Fresh.")
    path.write_text(text)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert cached.build() == 0
    assert "Fresh." in (cached.out / "a/index.html").read_text()


def many_essays(site, count: int) -> None:
    for number in range(count):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number + 1:02}", body=f"Words {number}.\n")


@pytest.mark.slow  # builds in another process
def test_a_new_run_renders_only_the_pages_an_edit_touches(site, tmp_path):
    """Page digests are kept on disk: a fresh process links unchanged pages from the last output."""
    many_essays(site, 12)
    assert site.build() == 0
    age_sources(site)
    site.essay("e05.md", title="Essay 5", date="2025-01-06", body="Other words.\n")
    far = site.out / "e11/index.html"
    inode = far.stat().st_ino
    result = Builder(site.root, BuildOptions(out_dir=site.out)).build()
    # e05, its two neighbours, and the pages listing every essay (home, archive, feed, ...)
    assert 0 < result.rendered < result.pages / 2
    assert far.stat().st_ino == inode
    assert "Other words." in (site.out / "e05/index.html").read_text()
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_list_items_cached_by_worker_processes_serve_a_later_run(site, tmp_path):
    """Enough pages for a process pool: the items its workers cached come back to the parent,
    and a new run after a retitle shows the new title and every other item as before."""
    for number in range(60):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}")
    site.write("pyproject.toml", SITE_SETTINGS + "home_essays = 60\n")  # every essay on the home page
    assert site.build() == 0
    age_sources(site)
    site.essay("e30.md", title="Essay thirty, retitled", date="2025-02-03")
    assert site.build() == 0
    titles = [a.text() for a in site.html("index.html").css("h2.essay-item-title a")]
    assert titles == [f"Essay {n}" if n != 30 else "Essay thirty, retitled" for n in reversed(range(60))]
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_an_output_file_changed_by_hand_is_rendered_again(site, tmp_path):
    many_essays(site, 6)
    assert site.build() == 0
    age_sources(site)
    (site.out / "e00/index.html").write_text("edited by hand")
    site.essay("e03.md", title="Essay 3", date="2025-01-04", body="Revised.\n")
    assert site.build() == 0
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_a_failed_build_does_not_leave_the_next_one_believing_its_pages_were_written(site, tmp_path):
    many_essays(site, 6)
    builder = Builder(site.root, BuildOptions(out_dir=site.out))
    builder.build()
    site.essay("e02.md", title="Essay 2, renamed", date="2025-01-03", body="New.\n")
    site.write("content/e04.md", "no front matter\n")
    with pytest.raises(PostilError):
        builder.build()
    site.essay("e04.md", title="Essay 4", date="2025-01-05", body="Words 4.\n")
    builder.build()
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow
def test_edits_over_several_runs_and_a_damaged_change_file_still_equal_a_clean_build(site):
    """Small edits go to a second cache file beside the large one; both must combine right."""
    many_essays(site, 12)
    assert site.build() == 0
    for number in (3, 7, 5):
        age_sources(site)
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number + 1:02}", body=f"Edit {number}.\n")
        (site.root / f"content/e{number + 1:02}.md").unlink()
        assert site.build() == 0
        assert site.snapshot() == clean_build(site.root)
    changes = site.root / ".postil-cache/parsed-changes.pickle"
    assert changes.is_file()
    changes.write_bytes(changes.read_bytes()[:-30])
    site.essay("e00.md", title="Essay 0", date="2025-01-01", body="Last edit.\n")
    assert site.build() == 0
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_code_blocks_are_highlighted_anew_only_where_they_changed(site, tmp_path):
    """A re-parse reuses the last highlighting of unchanged blocks; an edited block shows its new code."""
    fence = "```python\ndef {name}():\n    return {value}\n```\n"
    site.essay("code.md", title="Code", body="Intro.\n\n" + fence.format(name="first", value=1) + "\n" + fence.format(name="second", value=2))
    assert site.build() == 0
    age_sources(site)
    site.essay("code.md", title="Code", body="Intro, edited.\n\n" + fence.format(name="first", value=1) + "\n" + fence.format(name="second", value=3))
    assert site.build() == 0
    blocks = [pre.text() for pre in site.html("code/index.html").css("pre.highlight")]
    assert blocks == ["def first():\n    return 1\n", "def second():\n    return 3\n"]
    assert site.html("code/index.html").css_first("pre.highlight span.k").text() == "def"
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_a_cached_partials_file_of_the_wrong_shape_is_ignored(cached, tmp_path):
    """A cache file that unpickles fine but holds something else is not trusted either."""
    age_sources(cached)
    DiskCache(cached.root, "fragments").save({"scope": 7, "outputs": ["not", "a", "mapping"]})
    cached.essay("a.md", title="Alpha, again", tags="[one]", body="First.\n")
    assert cached.build() == 0
    DiskCache(cached.root, "fragments").save({"scope": "x", "outputs": {"key": 3}})
    cached.essay("b.md", title="Beta, again", date="2025-06-01", tags="[one, two]", body="See [alpha](/a/).\n")
    assert cached.build() == 0
    saved = DiskCache(cached.root, "fragments").load()
    DiskCache(cached.root, "fragments").save({**saved, "packed": [b"not packed", b"x\x9c\x03\x00"]})
    cached.essay("c/index.md", title="Gamma, again", date="2024-01-01", body="Third.\n")
    assert cached.build() == 0
    assert cached.snapshot() == clean_build(cached.root)


def essays_over_months(site, count: int) -> None:
    for number in range(count):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}",
                   body=f"Body of essay {number}.\n\n```python\nx = {number}\n```\n")


@pytest.mark.slow  # builds in another process
@pytest.mark.parametrize("damage", ["missing", "cut-short", "another-site's"])
def test_a_parse_cache_whose_values_file_is_damaged_is_discarded(site, tmp_path, damage):
    """Essay bodies lie in .postil-cache/blobs, which the parse cache points into: with that
    file gone, cut short or replaced, every file is parsed afresh and the output is right."""
    essays_over_months(site, 60)  # enough for worker processes, which read the bodies from the file
    assert site.build() == 0
    values = site.root / ".postil-cache/blobs"
    if damage == "missing":
        values.unlink()
    elif damage == "cut-short":
        values.write_bytes(values.read_bytes()[: values.stat().st_size // 2])
    else:
        other = tmp_path / "other"
        shutil.copytree(site.root, other, ignore=shutil.ignore_patterns("public", ".public.*", ".postil-cache"))
        (other / "content/e00.md").write_text((other / "content/e00.md").read_text() + "\nA longer body.\n" * 100)
        assert main(["-C", str(other), "build"]) == 0
        shutil.copyfile(other / ".postil-cache/blobs", values)
    age_sources(site)
    site.essay("e05.md", title="Essay 5", date="2025-01-06", body="Other words.\n")
    result = Builder(site.root, BuildOptions(out_dir=site.out)).build()
    assert result.parsed == 60
    assert "Other words." in (site.out / "e05/index.html").read_text()
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_a_new_run_renders_unchanged_essays_from_bodies_the_last_run_kept(site, tmp_path):
    """After an edit, a new process parses one file and renders the other essays' pages from
    the bodies the first run kept on disk."""
    essays_over_months(site, 60)
    assert site.build() == 0
    age_sources(site)
    site.write("templates/partials/essay_body.html", "<div class='edited'>{{ essay.html|safe }}</div>\n")
    site.essay("e30.md", title="Essay 30", date="2025-02-03", body="Edited body.\n")
    result = Builder(site.root, BuildOptions(out_dir=site.out)).build()
    assert result.parsed == 1
    assert "Body of essay 12." in site.html("e12/index.html").css_first("div.edited").text()
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_list_items_made_by_workers_serve_the_next_build_in_the_same_process(site, tmp_path):
    """The dev server builds again and again in one process: the items its workers sent back
    (packed) are reused, and the next build still shows every title as a clean build does."""
    for number in range(60):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    site.essay("e30.md", title="Essay thirty, retitled", date="2025-02-03")
    result = builder.build()
    assert 0 < result.rendered < result.pages / 2
    clean = clean_build(site.root)
    assert result.files["index.html"] == clean["index.html"]

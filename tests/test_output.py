"""Writing the output: atomic, complete, and byte-for-byte reproducible."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clean_build import clean_build
from conftest import files_in

REPO = Path(__file__).resolve().parent.parent


def test_failed_build_leaves_previous_output_byte_identical(site):
    site.essay("a.md", title="Good")
    assert site.build() == 0
    before = site.snapshot()
    site.essay("a.md", title="Changed")
    site.write("content/broken.md", "---\ntitle: [unclosed\ndate: 2026-01-01\n---\n")
    assert site.build() == 1
    assert site.snapshot() == before
    assert not [p for p in site.root.iterdir() if p.name.startswith(".public.tmp-")]


@pytest.mark.slow
def test_killed_build_leaves_previous_output_whole(site):
    """Killed while it makes its new tree (every page changed), once the tree's folder
    exists and once every file is in it, a build leaves the previous output as it was."""
    for number in range(150):
        site.essay(f"e{number:03}.md", title=f"Essay {number}", body="```python\nx = 1\n```\n" + "word " * 300)
    assert site.build() == 0
    before = site.snapshot()
    for number in range(150):
        site.essay(f"e{number:03}.md", title=f"Essay {number}, edited", body="```python\nx = 2\n```\n" + "word " * 300)

    # Test points of the build (postil/write/tempfiles.py): it stops there until killed, so
    # the kill lands at that very point however busy the machine is.
    for point, pause in (("its new tree's folder exists", "new-tree"), ("its new tree is written whole", "swap")):
        marker = site.root.parent / f"paused-{pause}"
        env = dict(os.environ, POSTIL_TEST_PAUSE=f"{pause}:{marker}")
        process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(site.root)], stdout=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + 60
            while not marker.exists():  # polls an event of the build's, no fixed wait
                assert process.poll() is None, f"the build ended before {point}"
                assert time.monotonic() < deadline, f"the build never reached: {point}"
                time.sleep(0.005)
            if pause == "swap":
                assert sum(len(files) for folder in site.root.glob(".public.tmp-*") for _, _, files in os.walk(folder)) >= 150
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert site.snapshot() == before, f"output changed after a kill once {point}"


def test_deleted_essay_disappears_from_pages_feed_and_sitemap(site):
    site.essay("keep.md", title="Keep")
    gone = site.essay("gone.md", title="Gone", tags="[lonely]")
    assert site.build() == 0
    assert (site.out / "gone/index.html").exists()
    gone.unlink()
    assert site.build() == 0
    assert not (site.out / "gone").exists()
    assert not (site.out / "tags/lonely").exists()
    for name in ("feed.xml", "sitemap.xml", "index.html"):
        assert "gone" not in (site.out / name).read_text().lower()


def test_unchanged_files_keep_their_timestamps(site):
    site.essay("a.md", title="A")
    site.essay("b.md", title="B", date="2025-01-01")
    site.essay("c.md", title="C", date="2024-01-01")  # not a neighbour of A: its page does not change
    assert site.build() == 0
    page = site.out / "c/index.html"
    earlier = page.stat().st_mtime_ns - 10**9
    os.utime(page, ns=(earlier, earlier))
    site.essay("a.md", title="A, revised", body="New words.")
    assert site.build() == 0
    assert page.stat().st_mtime_ns == earlier
    assert "revised" in (site.out / "a/index.html").read_text()


def test_output_files_are_world_readable(site):
    site.essay("a.md")
    assert site.build() == 0
    for path in site.out.rglob("*"):
        wanted = 0o444 if path.is_file() else 0o555
        assert path.stat().st_mode & wanted == wanted, path


def _build_copy(source: Path, target: Path, tz: str, lang: str) -> dict[str, bytes]:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("public", ".public.*"))
    for index, path in enumerate(sorted(target.rglob("*"))):
        os.utime(path, (1_000_000 + index * 7919, 1_000_000 + index * 7919))
    env = {**os.environ, "TZ": tz, "LC_ALL": lang, "LANG": lang, "PYTHONHASHSEED": str(len(tz))}
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "-C", str(target)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return files_in(target / "public")


@pytest.mark.slow
def test_two_builds_are_byte_identical_across_folders_time_zones_locales_and_mtimes(tmp_path):
    example = tmp_path / "example"
    example.mkdir()
    shutil.copytree(REPO / "content", example / "content")
    shutil.copy(REPO / "pyproject.toml", example / "pyproject.toml")
    first = _build_copy(example, tmp_path / "one", "Pacific/Kiritimati", "C.UTF-8")
    second = _build_copy(example, tmp_path / "a" / "deeper" / "two", "America/Los_Angeles", "POSIX")
    assert first.keys() == second.keys()
    assert first == second
    assert len(first) > 20


@pytest.mark.slow  # builds in another process
def test_a_small_change_is_applied_in_place_and_equals_a_clean_build(site, tmp_path):
    """An edit that touches a few pages renames them into the output instead of swapping a new tree in."""
    for number in range(80):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}", body=f"Words {number}.")
    assert site.build() == 0
    folder = site.out.stat().st_ino
    site.essay("e40.md", title="Essay 40", date="2025-02-13", body="Words 40, and more.")
    (site.root / "content/e10.md").unlink()
    assert site.build() == 0
    assert site.out.stat().st_ino == folder
    assert not (site.out / "e10").exists()
    assert "and more" in (site.out / "e40/index.html").read_text()
    assert not [p for p in site.root.iterdir() if p.name.startswith(".public.")]
    assert site.snapshot() == clean_build(site.root)


def test_a_failed_build_with_no_previous_output_leaves_nothing_behind(site):
    """Pages go into a new tree as they render; a template error later must drop the whole tree."""
    for number in range(60):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number % 28 + 1:02}")
    site.write("templates/tags.html", "{{ no_such_thing.attribute }}\n")
    assert site.build() == 1
    assert not site.out.exists()
    assert not [p for p in site.root.iterdir() if p.name.startswith(".public.")]

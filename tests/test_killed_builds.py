"""Builds killed with SIGKILL at chosen points, and what the next command makes of what they left.

A test-only hook (POSTIL_TEST_PAUSE, see postil/tempfiles.py) stops a real build at a
named point; the test waits for it to get there, then kills it.
"""
from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clean_build import clean_build
from postil.cli import main
from postil.serve.preview import Preview

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # each test builds in processes of its own


def start_build(site, pause: str | None = None, marker: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    if pause is not None:
        env["POSTIL_TEST_PAUSE"] = f"{pause}:{marker}"
    return subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(site.root)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(condition, process: subprocess.Popen, what: str) -> None:
    """Wait until `condition()` holds (a bounded loop on an event, not a sleep)."""
    for _ in range(6000):
        if condition():
            return
        assert process.poll() is None, f"the build ended before {what}"
        time.sleep(0.01)
    raise AssertionError(f"no {what} within a minute")


def leftovers(site) -> list[str]:
    """Staging folders beside the output (a retired output may still be being removed in the background)."""
    return sorted(path.name for path in site.root.iterdir() if path.name.startswith(".public.tmp-"))


def serve_briefly(site) -> int:
    Preview(site.root, port=0, out=io.StringIO()).start().close()
    return 0


def failing_build(site) -> int:
    """A build that fails on a new broken essay: it still finishes the killed one's change first."""
    site.write("content/broken.md", "---\ntitle: [unclosed\ndate: 2026-01-01\n---\n")
    return 0 if site.build() == 1 else 1


NEXT_COMMANDS = {
    "build": lambda site: site.build(),
    "failing build": failing_build,
    "check": lambda site: main(["-C", str(site.root), "check"]),
    "serve": serve_briefly,
}


@pytest.mark.parametrize("command", NEXT_COMMANDS)
def test_a_build_killed_amid_its_renames_is_finished_by_the_next_command(site, tmp_path, command):
    for number in range(80):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}", body=f"Words {number}.")
    assert site.build() == 0
    before = site.snapshot()
    site.essay("e40.md", title="Essay 40", date="2025-02-13", body="Words 40, and more.")
    site.essay("e41.md", title="Essay 41", date="2025-02-14", body="Words 41, and more.")
    after = clean_build(site.root)
    changed = {name for name in after if before.get(name) != after[name]}
    assert {"e40/index.html", "e41/index.html"} <= changed

    marker = tmp_path / "paused"
    build = start_build(site, "renames", marker)
    try:
        wait_for(marker.exists, build, "the first rename")
        # What a reader sees meanwhile: every file whole, old or new; one new page so far.
        seen = site.snapshot()
        assert seen.keys() == before.keys()
        assert all(seen[name] in (before[name], after[name]) for name in seen)
        assert len([name for name in changed if seen[name] == after[name]]) == 1
    finally:
        build.kill()
        build.wait()
    assert len(leftovers(site)) == 1 and (site.root / leftovers(site)[0] / "journal").is_file()

    assert NEXT_COMMANDS[command](site) == 0
    assert site.snapshot() == after
    assert leftovers(site) == []


def test_a_build_killed_before_its_journal_was_whole_leaves_the_output_as_it_was(site, tmp_path):
    for number in range(60):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number % 28 + 1:02}", body=f"Words {number}.")
    assert site.build() == 0
    before = site.snapshot()
    site.essay("e30.md", title="Essay 30", date="2025-01-03", body="Words 30, and more.")
    staging = site.root / ".public.tmp-left"
    staging.mkdir()
    (staging / "0").write_text("new page")
    (staging / "journal").write_text('{"remove": [], "rename": [["0", "e30/index.html"]')  # cut short
    assert site.snapshot() == before
    assert site.build() == 0
    assert leftovers(site) == []
    assert site.snapshot() == clean_build(site.root)


def test_the_staging_folder_of_a_build_killed_before_its_swap_is_removed_by_the_next_build(site, tmp_path):
    for number in range(150):
        site.essay(f"e{number:03}.md", title=f"Essay {number}", body="```python\nx = 1\n```\n" + "word " * 200)
    marker = tmp_path / "paused"
    build = start_build(site, "swap", marker)  # paused with its new tree written, not yet swapped in
    try:
        wait_for(marker.exists, build, "the new tree's swap")
    finally:
        build.kill()
        build.wait()
    (staging,) = leftovers(site)
    assert (site.root / staging / "e000" / "index.html").is_file() and not site.out.exists()
    assert site.build() == 0
    assert leftovers(site) == []
    assert (site.out / "e000/index.html").is_file()


def cache_temporaries(site) -> list[str]:
    folder = site.root / ".postil-cache"
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".") and path.name != ".gitignore")


def test_a_cache_save_killed_midway_leaves_a_file_the_next_build_removes_unless_its_writer_lives(site, tmp_path):
    for number in range(10):
        site.essay(f"e{number}.md", title=f"Essay {number}")
    marker = tmp_path / "paused"
    paused = start_build(site, "cache-save", marker)
    try:
        wait_for(marker.exists, paused, "a cache save")
        left = cache_temporaries(site)
        assert len(left) == 1
        # Another build waits for this one (see test_a_build_started_while_another_runs...);
        # the dev server, starting beside it, must not take a file still being written.
        assert serve_briefly(site) == 0
        assert left[0] in cache_temporaries(site)
    finally:
        paused.kill()
        paused.wait()
    assert site.build() == 0
    assert left[0] not in cache_temporaries(site)


HOLDER = "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()"


@pytest.mark.skipif(sys.platform == "win32", reason="flock marks a live writer")
def test_folders_beside_the_output_are_removed_once_no_live_process_holds_them(site):
    site.essay("a.md")
    assert site.build() == 0
    retired, staging = site.root / ".public.old-x", site.root / ".public.tmp-y"
    for folder in (retired, staging):
        (folder / "deep").mkdir(parents=True)
        (folder / "deep/page.html").write_text("old")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(retired)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        site.essay("a.md", title="Changed")
        assert site.build() == 0
        assert retired.exists() and not staging.exists()  # the first is still being removed by its holder
    finally:
        holder.stdin.close()
        holder.wait()
    assert site.build() == 0
    assert not retired.exists()


def test_a_build_started_while_another_runs_waits_for_it_says_so_and_builds_as_a_clean_build(site, tmp_path):
    """Two builds of one site at once raced on its output and cache folder (one failed with
    a traceback); the second now waits for the first to end, however it ends."""
    for number in range(60):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number % 28 + 1:02}", body=f"Words {number}.")
    assert site.build() == 0
    site.essay("e30.md", title="Essay 30", date="2025-01-03", body="Words 30, and more.")
    marker = tmp_path / "paused"
    first = start_build(site, "new-tree", marker)  # holds the site's lock, paused as it begins to write
    second = None
    try:
        wait_for(marker.exists, first, "the first build's pause")
        second = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(site.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([second.stderr], [], [], 60)
        assert ready, "the second build said nothing within a minute"
        assert second.stderr.readline().strip() == "Waiting for another build of this site to finish…"
        assert second.poll() is None
    finally:
        first.kill()
        first.wait()
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out.startswith("Built ")
    assert leftovers(site) == []
    assert site.snapshot() == clean_build(site.root)

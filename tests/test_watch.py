"""The watcher on real files: a finished save is handed over at once, an unfinished one waits."""
from __future__ import annotations

import time
from pathlib import Path

from postil.watch import Watcher

QUIET = 2.0  # long, so that "at once" and "after the quiet period" cannot be mistaken


def started(folder: Path) -> Watcher:
    folder.mkdir(exist_ok=True)
    return Watcher([folder], [], quiet=QUIET).start()


def test_a_file_closed_after_writing_is_handed_over_without_the_quiet_wait(tmp_path):
    watcher = started(tmp_path / "content")
    try:
        path = tmp_path / "content" / "essay.md"
        began = time.monotonic()
        path.write_text("---\ntitle: Saved\n---\nWhole.\n", encoding="utf-8")
        batch = watcher.next_batch(timeout=10)
        assert batch is not None and path.resolve() in batch.paths
        assert time.monotonic() - began < QUIET / 2
    finally:
        watcher.close()


def test_a_file_renamed_into_place_is_handed_over_without_the_quiet_wait(tmp_path):
    watcher = started(tmp_path / "content")
    try:
        staged = tmp_path / "content" / ".essay.md.tmp"  # as editors' safe saves write it
        staged.write_text("Whole.\n", encoding="utf-8")
        time.sleep(0.2)  # the temporary file's own events are not content: none are handed over
        began = time.monotonic()
        staged.rename(tmp_path / "content" / "essay.md")
        batch = watcher.next_batch(timeout=10)
        assert batch is not None and (tmp_path / "content" / "essay.md").resolve() in batch.paths
        assert time.monotonic() - began < QUIET / 2
    finally:
        watcher.close()


def test_a_file_still_being_written_waits_for_the_quiet_period(tmp_path):
    watcher = started(tmp_path / "content")
    try:
        with open(tmp_path / "content" / "essay.md", "w", encoding="utf-8") as unfinished:
            began = time.monotonic()
            unfinished.write("---\ntitle: Half")
            unfinished.flush()
            batch = watcher.next_batch(timeout=10)
            waited = time.monotonic() - began
        assert batch is not None and waited >= QUIET * 0.9
    finally:
        watcher.close()

"""The watcher on real files: a finished save is handed over at once, an unfinished one waits."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from postil.serve.watch import Watcher

QUIET = 2.0  # long, so that "at once" and "after the quiet period" cannot be mistaken


@pytest.fixture
def content(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    return folder


@pytest.fixture
def watcher(content):
    started = Watcher([content], [], quiet=QUIET).start()
    yield started
    started.close()


def waited_for(watcher: Watcher, path: Path, began: float) -> float:
    """How long after `began` the batch naming `path` was handed over."""
    batch = watcher.next_batch(timeout=10)
    assert batch is not None and path.resolve() in batch.paths
    return time.monotonic() - began


def test_a_file_closed_after_writing_is_handed_over_without_the_quiet_wait(watcher, content):
    began = time.monotonic()
    (content / "essay.md").write_text("---\ntitle: Saved\n---\nWhole.\n", encoding="utf-8")
    assert waited_for(watcher, content / "essay.md", began) < QUIET / 2


def test_a_file_renamed_into_place_is_handed_over_without_the_quiet_wait(watcher, content):
    staged = content / ".essay.md.tmp"  # as editors' safe saves write it
    staged.write_text("Whole.\n", encoding="utf-8")
    # The temporary file's own events are not content: a file saved after it comes alone.
    (content / "other.md").write_text("Other.\n", encoding="utf-8")
    assert watcher.next_batch(timeout=10).paths == {(content / "other.md").resolve()}
    began = time.monotonic()
    staged.rename(content / "essay.md")
    assert waited_for(watcher, content / "essay.md", began) < QUIET / 2


def test_a_file_still_being_written_waits_for_the_quiet_period(watcher, content):
    with open(content / "essay.md", "w", encoding="utf-8") as unfinished:
        began = time.monotonic()
        unfinished.write("---\ntitle: Half")
        unfinished.flush()
        assert waited_for(watcher, content / "essay.md", began) >= QUIET * 0.9


def test_a_file_renamed_away_waits_for_the_new_one(watcher, content):
    """Editors that keep a backup rename the old file away, then write the new one: the
    batch, taken as the preview takes it (while the editor is at work), comes after both."""
    essay = content / "essay.md"
    essay.write_text("Old.\n", encoding="utf-8")
    assert watcher.next_batch(timeout=10) is not None
    taken: list[str | None] = []

    def take() -> None:
        watcher.next_batch(timeout=10)
        taken.append(essay.read_text(encoding="utf-8") if essay.exists() else None)

    taker = threading.Thread(target=take)
    taker.start()
    essay.rename(content / "essay.md~")  # the backup: an editor's leftover, not content
    time.sleep(0.2)  # the editor writes the new file a moment later
    essay.write_text("New.\n", encoding="utf-8")
    taker.join(timeout=10)
    assert taken == ["New.\n"]

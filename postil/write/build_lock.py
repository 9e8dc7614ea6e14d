"""One build of a site into a folder at a time.

Builds of one site share its cache folder, whose file of parsed bodies is appended to in
place, and usually its output folder. Two at once (an editor's build-on-save beside one
typed by hand) raced: one could swap a new output in while the other was linking the
files of the output it replaced, and fail with a traceback. So a build holds a lock on a
file in the cache folder from its start to its end, and a second one waits for it,
saying so, as cargo does. The lock goes with the process that holds it, however it ends.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on a POSIX system: builds are not kept apart there
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "build.lock"


@contextmanager
def one_build_at_a_time(folder: Path, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold the lock in `folder` (the site's cache folder) while the block runs;
    `waiting()` is called first if another process holds it."""
    descriptor = _lock_file(folder)
    if descriptor is None:
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _lock_file(folder: Path) -> int | None:
    """The lock file, opened; None where there is no flock, or where the site cannot keep
    a cache (a read-only folder): such a build goes unlocked."""
    if fcntl is None:
        return None
    try:
        return os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None

"""Temporary files and folders that tell whether the process writing them is still alive.

A build writes new pages, and its caches, into temporary files and folders first and then
renames them into place. A build killed meanwhile leaves them behind; the next one removes
them, but never those of a build still running beside it. Each writer holds an exclusive
`flock` on its temporary file or folder for as long as it writes it; the kernel lets go of
the lock when the writer, and every worker forked from it, has ended. So a lock that can
be taken marks a leftover. Where there is no `flock` (Windows), a leftover is one that
nothing has touched for an hour.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on a POSIX system
    fcntl = None  # type: ignore[assignment]

STALE_SECONDS = 3600  # without flock: how old a temporary file must be to count as left over


def temporary_file(folder: Path, prefix: str) -> tuple[int, str]:
    """`tempfile.mkstemp` in `folder`, held by this process until the descriptor is closed."""
    descriptor, path = tempfile.mkstemp(dir=folder, prefix=prefix)
    _hold(descriptor)
    return descriptor, path


def temporary_folder(parent: Path, prefix: str) -> tuple[Path, int | None]:
    """A new folder in `parent` and a descriptor holding it for this process (and the
    workers it forks) until `let_go` (None where there is no flock)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    return folder, hold(folder)


def hold(path: Path) -> int | None:
    """A descriptor holding the temporary file or folder at `path` for this process (and
    the processes it hands the descriptor to) until `let_go` (None where there is no flock)."""
    if fcntl is None:
        return None
    descriptor = os.open(path, os.O_RDONLY)
    _hold(descriptor)
    return descriptor


def let_go(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)


def _hold(descriptor: int) -> None:
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)


def abandoned(path: Path | str) -> bool:
    """Whether no live process holds the temporary file or folder at `path`."""
    if fcntl is None:
        try:
            return time.time() - os.stat(path).st_mtime > STALE_SECONDS
        except OSError:
            return False
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(descriptor)
    return True


def remove_abandoned_files(folder: Path) -> None:
    """Delete the temporary files (named `.<name>.<random>`) that killed writers left in `folder`."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") and entry.name != ".gitignore" and entry.is_file(follow_symlinks=False) and abandoned(entry.path):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


PAUSE_VARIABLE = "POSTIL_TEST_PAUSE"


def pause_for_tests(point: str) -> None:
    """Tests only: stop here so that a test can kill the build at this very point.

    With POSTIL_TEST_PAUSE=<point>:<file>, a build reaching `point` writes `file` (the test
    waits for it to appear) and then waits to be killed. Unset, as always outside the tests,
    this costs one look-up in the environment."""
    wanted = os.environ.get(PAUSE_VARIABLE)
    if wanted and wanted.partition(":")[0] == point:
        Path(wanted.partition(":")[2]).write_text(f"{os.getpid()}\n", encoding="utf-8")
        threading.Event().wait()

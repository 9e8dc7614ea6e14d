"""The journal of a small change to an output folder, and what puts right a killed build.

A small change is applied in place (see write/output.py): its new files are written into a
staging folder beside the output, then a journal of the removals and renames it is about
to make, fsync'd, then the renames, one tight loop of atomic steps. So a reader browsing
the output sees, at any moment, each file either whole and old or whole and new, never
half written. A build killed before the journal was whole leaves the output exactly as it
was. One killed after that leaves some files new and some old (the essay edited new, the
home page still old, say) until the next `build`, `check` or `serve` of the site, which
first of all finishes the journal (`finish_interrupted`), then goes on as usual. The
journal is finished, not undone: its files are those of a build that had passed every
check, and undoing would need a copy of each old file on the fast path.

The staging folders of builds still running are left alone (see tempfiles.py).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .tempfiles import abandoned, pause_for_tests

FILE_MODE = 0o644  # of the output's files and folders (and so of what is renamed into it)
DIR_MODE = 0o755
JOURNAL = "journal"  # in a small change's staging folder: what to remove, and to rename where


def write_journal(staging: Path, removed: list[str], renames: list[tuple[str, str]]) -> None:
    """Write and fsync the journal: once it is whole, the change is as good as made.

    One fsync, of the journal alone (a millisecond or two): the staged pages and the folders
    are not synced, as the promise is about a killed build, not a power cut."""
    import json  # here: a build that finds nothing to do never needs it

    descriptor = os.open(staging / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(json.dumps({"remove": removed, "rename": renames}).encode())
        while view:
            view = view[os.write(descriptor, view):]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def carry_out(root: str, staging: str, removed: list[str], renames: list[tuple[str, str]]) -> None:
    """Carry out a journal. Each step is atomic and is skipped when it was done already, so
    running it again after a kill finishes the change."""
    for name in removed:
        try:
            os.unlink(f"{root}/{name}")
        except FileNotFoundError:
            pass
        except OSError:
            if not os.path.isdir(f"{root}/{name}"):  # a folder since: a page was renamed into it
                raise
    for index, (staged, name) in enumerate(renames):
        folder = name.rpartition("/")[0]
        if folder:
            os.makedirs(f"{root}/{folder}", mode=DIR_MODE, exist_ok=True)
        try:
            os.replace(f"{staging}/{staged}", f"{root}/{name}")
        except FileNotFoundError:  # renamed already
            pass
        if index == 0:
            pause_for_tests("renames")
    _remove_empty_folders(root, removed)


def _read_journal(staging: Path) -> tuple[list[str], list[tuple[str, str]]] | None:
    """The journal in `staging`, or None when it is missing, cut short or not postil's."""
    import json  # here: a build that finds nothing to do never needs it

    try:
        journal = json.loads((staging / JOURNAL).read_bytes())
        removed, renames = journal["remove"], [tuple(pair) for pair in journal["rename"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(len(pair) == 2 for pair in renames):
        return None
    names = [*removed, *(name for pair in renames for name in pair)]  # each file staged at its own path
    if not all(isinstance(name, str) and _inside(name) for name in names):
        return None
    return removed, renames  # type: ignore[return-value]


def _inside(name: str) -> bool:
    parts = name.split("/")
    return "\0" not in name and not name.startswith("/") and all(part not in ("", ".", "..") for part in parts)


def finish_interrupted(out_dir: Path) -> None:
    """Put right what killed builds left beside `out_dir`: finish a small change whose
    journal is whole, and delete the staging folders and retired outputs no live process holds.
    Called before a build (or `check`, or `serve`) looks at the output."""
    out_dir = out_dir.resolve()
    prefix = f".{out_dir.name}."
    try:
        entries = [entry for entry in os.scandir(out_dir.parent) if entry.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        staging, retired = entry.name.startswith(prefix + "tmp-"), entry.name.startswith(prefix + "old-")
        if (staging or retired) and abandoned(path):
            journal = _read_journal(path) if staging else None
            if journal is not None and out_dir.is_dir():
                carry_out(str(out_dir), str(path), *journal)
            shutil.rmtree(path, ignore_errors=True)


def _remove_empty_folders(root: str, removed: list[str]) -> None:
    """Remove the folders that removing files left empty, deepest first."""
    folders = {name.rpartition("/")[0] for name in removed} - {""}
    for folder in sorted(folders, key=lambda name: name.count("/"), reverse=True):
        while folder:
            try:
                os.rmdir(f"{root}/{folder}")
            except OSError:  # not empty (or already gone)
                break
            folder = folder.rpartition("/")[0]

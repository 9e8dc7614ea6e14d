"""Write a build so that a reader never sees a half-written file or a half-built site.

A build is written into a folder beside the output, which is then swapped in whole.
Files whose bytes did not change are hard-linked from the previous output, so they keep
their timestamps (and cost no write); everything else is written fresh with ordinary
0644 permissions. A failed build never touches the previous output, nor does one
interrupted before it begins to put its files in place.

An output folder that is as the last build left it is updated (`OutputUpdate`): only the
files whose bytes changed are written beside it, as they come, so that a build rendering
every page again holds none in memory. Linking thousands of files into a new tree costs a
good part of a second, most of it in the kernel, which is slow for an edit that changed
three pages. So a small change is applied in place: a journal listing the removals and
renames (fsync'd), then the new files are renamed over the old ones in one tight loop, each
rename atomic. See journal.py for what a build killed meanwhile leaves, and how the next
one puts it right. A large change is completed into a whole new tree and swapped in.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .journal import DIR_MODE, FILE_MODE, JOURNAL, carry_out, write_journal
from .tempfiles import hold, let_go, pause_for_tests, temporary_folder

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


# A change to more than this share of the files is swapped in as a whole new tree.
PATCH_MAX_SHARE = 0.1

Manifest = dict[str, tuple[int, int]]  # output path → (size, mtime_ns)


def write_site(files: dict[str, bytes], kept: Iterable[str], tree: NewTree) -> tuple[list[str], Manifest, bool]:
    """Make the output hold exactly `files` plus its own `kept` files, through `tree` (a
    NewTree or an OutputUpdate, which may hold some of the files already).

    `kept` names files known to be unchanged (the caller checked them), which are taken
    as they are without being read. Returns the output paths whose bytes are new (and,
    for an OutputUpdate, those removed), every output file's size and modification time,
    and whether the change was made in place (then those paths are the only ones written
    or removed, and no other folder was touched).
    """
    try:
        for name in sorted(set(kept).union(files)):
            if not tree.has(name):
                tree.add(name, None if name in kept else files[name])
        return tree.commit()
    except BaseException:
        tree.discard()
        raise


@dataclass(frozen=True)
class Added:
    """One file written into a NewTree: its size and mtime, and whether its bytes are new."""

    status: tuple[int, int]
    changed: bool


class NewTree:
    """A whole new output, written file by file into a folder beside it, then swapped in.

    Files may be added as soon as they exist, while other pages are still rendering, so
    that writing overlaps with rendering. Until `commit`, the output is untouched.
    """

    updating = False  # True for an OutputUpdate: the output is as the last build left it

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging, self._hold = temporary_folder(self.out_dir.parent, f".{self.out_dir.name}.tmp-")
        os.chmod(self.staging, DIR_MODE)
        pause_for_tests("new-tree")
        self._root, self._previous_root = str(self.staging), str(self.out_dir)
        self._had_output = self.out_dir.is_dir()
        self._made = {""}
        self.changed: list[str] = []
        self.written: Manifest = {}

    def has(self, name: str) -> bool:
        return name in self.written

    def add(self, name: str, data: bytes | None) -> None:
        """Write one file; None takes the current output's file as it is."""
        self.record(name, self.put(name, data))

    def put(self, name: str, data: bytes | None) -> Added:
        """Write one file without noting it: a forked worker may write pages this way,
        so that their bytes never travel to the tree's own process, which `record`s them."""
        if data is None or (self._had_output and _same_bytes(f"{self._previous_root}/{name}", data)):
            return self._take_previous(name, data)
        return Added(_write_file(self._target(name), data), changed=True)

    def _target(self, name: str) -> str:
        """Where `name` goes in the new tree, its folders made."""
        folder = name.rpartition("/")[0]
        if folder not in self._made:
            os.makedirs(os.path.join(self._root, folder), mode=DIR_MODE, exist_ok=True)
            parts = folder.split("/")
            self._made.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
        return f"{self._root}/{name}"

    def _take_previous(self, name: str, data: bytes | None = None) -> Added:
        """The current output's file into the new tree, as a hard link where the file system
        allows (else a copy: of `data`, its bytes, when given)."""
        target, previous = self._target(name), f"{self._previous_root}/{name}"
        try:
            os.link(previous, target)
            return Added(_size_and_mtime(os.stat(target)), changed=False)
        except OSError:  # another file system or no hard links: write a copy
            return Added(_write_file(target, Path(previous).read_bytes() if data is None else data), changed=False)

    def record(self, name: str, added: Added) -> None:
        """Note a file `put` wrote, here or in a worker."""
        self.written[name] = added.status
        if added.changed:
            self.changed.append(name)

    def read(self, name: str) -> bytes:
        """A file as added (which may be a link to the current output's)."""
        return Path(self._root, name).read_bytes()

    def commit(self) -> tuple[list[str], Manifest, bool]:
        """Swap the tree in: the paths whose bytes are new, every file's size and mtime,
        and False (the output was replaced, not changed in place)."""
        pause_for_tests("swap")
        _swap(self.staging, self.out_dir)
        let_go(self._hold)
        self._hold = None
        return sorted(self.changed), self.written, False

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        let_go(self._hold)
        self._hold = None


class OutputUpdate(NewTree):
    """An output folder, as the last build left it (`current`), brought up to date.

    Files are handed over as they are made, as to a NewTree, but only those whose bytes
    differ from the output's are written into the folder beside it (at the same paths);
    the others are just noted. So rendering every page again into a large output holds
    none of them in memory, and an edit writes only its few pages. `commit` then renames
    a small change into place through a journal (see journal.py), or, when more than
    PATCH_MAX_SHARE of the files changed, completes the folder into a whole new tree (hard
    links to the output's unchanged files) and swaps it in. Until then the output is untouched.
    """

    updating = True

    def __init__(self, out_dir: Path, current: Manifest):
        super().__init__(out_dir)
        self._current = current
        self._journaled = False

    def put(self, name: str, data: bytes | None) -> Added:
        """Write one file beside the output if its bytes are new; None, or the output's
        very bytes, notes the output's file as it is."""
        if data is not None and not _same_bytes(f"{self._previous_root}/{name}", data):
            return Added(_write_file(self._target(name), data), changed=True)
        status = self._current.get(name)
        return Added(status if status is not None else _size_and_mtime(os.stat(f"{self._previous_root}/{name}")), changed=False)

    def read(self, name: str) -> bytes:
        """A file as added: written beside the output, or the output's own."""
        try:
            return Path(self._root, name).read_bytes()
        except FileNotFoundError:
            return Path(self._previous_root, name).read_bytes()

    def commit(self) -> tuple[list[str], Manifest, bool]:
        """Put the files in place: the paths written or removed, every file's size and
        mtime, and whether that was done in place (True) or by swapping a new tree in."""
        removed = sorted(name for name in self._current if name not in self.written)
        if not self.changed and not removed:  # nothing to put in place (`check` building a site as it was built)
            self.discard()
            return [], self.written, True
        if not self._in_place(removed):
            return self._swap_whole(removed)
        renames = [(name, name) for name in sorted(self.changed)]
        write_journal(self.staging, removed, renames)
        self._journaled = True
        # From here on a reader may see some new files beside old ones, for a few renames.
        carry_out(self._previous_root, self._root, removed, renames)
        shutil.rmtree(self.staging, ignore_errors=True)
        let_go(self._hold)
        self._hold = None
        return sorted(self.changed + removed), self.written, True

    def _in_place(self, removed: list[str]) -> bool:
        """Whether the change is small enough to be renamed into place, and can be: no file
        turns into a folder (or back), and no page is staged where the journal goes."""
        if len(self.changed) + len(removed) > PATCH_MAX_SHARE * len(self.written) or JOURNAL in self.changed:
            return False
        root, gone = self._previous_root, set(removed)
        for name in self.changed:
            if os.path.isdir(f"{root}/{name}"):
                return False
            folder = name.rpartition("/")[0]
            while folder and folder not in gone and not os.path.isdir(f"{root}/{folder}"):
                if os.path.lexists(f"{root}/{folder}"):
                    return False
                folder = folder.rpartition("/")[0]
        return True

    def _swap_whole(self, removed: list[str]) -> tuple[list[str], Manifest, bool]:
        """Link the output's unchanged files beside the new ones, and swap the whole in."""
        new = set(self.changed)
        for name in self.written:
            if name not in new:
                self.written[name] = self._take_previous(name).status
        changed, written, _ = super().commit()
        return sorted(changed + removed), written, False

    def discard(self) -> None:
        """Remove the folder beside the output, unless its journal is whole: then a change
        cut short is finished by the next build (see journal.py)."""
        if not self._journaled:
            shutil.rmtree(self.staging, ignore_errors=True)
        let_go(self._hold)
        self._hold = None


def _size_and_mtime(status: os.stat_result) -> tuple[int, int]:
    return status.st_size, status.st_mtime_ns


def _write_file(path: str, data: bytes) -> tuple[int, int]:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # whatever the umask: a static host must read it
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
        return _size_and_mtime(os.fstat(descriptor))
    finally:
        os.close(descriptor)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    return result == 0


def _swap(staging: Path, out_dir: Path) -> None:
    """Put `staging` where `out_dir` is, so that a reader sees the old tree or the new one."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(retired)
    # Held from before it leaves its place, so that no other build's clean-up takes the
    # previous output while it is still on its way out (see tempfiles.py).
    previous = hold(out_dir)
    try:
        if _exchange(staging, out_dir):
            os.rename(staging, retired)  # staging now holds the previous output
        else:
            os.rename(out_dir, retired)
            os.rename(staging, out_dir)
        _remove_in_background(retired, previous)
    finally:
        let_go(previous)


def _remove_in_background(folder: Path, held: int | None) -> None:
    """Delete the retired output without making the user wait for it.

    The new output is already in place; if the removal is cut short, the next build's
    `finish_interrupted` finishes it. The `rm` is handed `held`, the descriptor holding the
    folder, so that a build right after this one leaves the folder to it.
    """
    rm = shutil.which("rm")
    if rm is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        subprocess.Popen([rm, "-rf", "--", str(folder)], start_new_session=True, pass_fds=() if held is None else (held,),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)

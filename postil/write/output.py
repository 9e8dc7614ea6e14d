"""Write a build so that a reader never sees a half-written file or a half-built site.

A build is written into a folder beside the output, which is then swapped in whole.
Files whose bytes did not change are hard-linked from the previous output, so they keep
their timestamps (and cost no write); everything else is written fresh with ordinary
0644 permissions. A failed build never touches the previous output, nor does one
interrupted before it begins to put its files in place.

Linking thousands of files into a new tree costs a good part of a second, most of it
in the kernel, which is slow for an edit that changed three pages. So a small change to
an output folder that is as the last build left it is applied in place: the new files are
written into a folder beside the output, then a journal listing the removals and renames
(fsync'd), then the files are renamed over the old ones in one tight loop, each rename
atomic. See journal.py for what a build killed meanwhile leaves, and how the next one
puts it right.
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

from .journal import DIR_MODE, FILE_MODE, carry_out, write_journal
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


def write_site(out_dir: Path, files: dict[str, bytes], kept: Iterable[str] = (), current: Manifest | None = None, tree: NewTree | None = None) -> tuple[list[str], Manifest, bool]:
    """Make `out_dir` hold exactly `files` plus its own `kept` files.

    `kept` names files known to be unchanged (the caller checked them), which are taken
    as they are without being read. `current` (the output folder's files now, as the last
    build wrote them) allows a small change to be applied in place. `tree`, a new tree
    that already holds some of the files, is completed and swapped in. Returns the output
    paths whose bytes changed, every output file's size and modification time, and
    whether the change was made in place (then those paths are the only ones written or
    removed, and no other folder was touched).
    """
    kept = set(kept)
    if tree is None:
        out_dir = out_dir.resolve()
        if current is not None and out_dir.is_dir():
            patch = _plan_patch(str(out_dir), files, kept, current)
            if patch is not None:
                return (*_apply_patch(out_dir, files, current, *patch), True)
        tree = NewTree(out_dir)
    try:
        for name in sorted(kept.union(files)):
            if not tree.has(name):
                tree.add(name, None if name in kept else files[name])
        return (*tree.commit(), False)
    except BaseException:
        tree.discard()
        raise


def _plan_patch(out_dir: str, files: dict[str, bytes], kept: set[str], current: Manifest) -> tuple[list[str], list[str]] | None:
    """The files to write and to remove for an in-place update, or None when it is too big
    or a file must turn into a folder (or back)."""
    changed = [name for name, data in files.items() if name not in kept and not _same_bytes(f"{out_dir}/{name}", data)]
    removed = [name for name in current if name not in files and name not in kept]
    if len(changed) + len(removed) > PATCH_MAX_SHARE * (len(files) + len(kept)):
        return None
    gone = set(removed)
    for name in changed:
        target = f"{out_dir}/{name}"
        if os.path.isdir(target):
            return None
        folder = name.rpartition("/")[0]
        while folder and folder not in gone and not os.path.isdir(f"{out_dir}/{folder}"):
            if os.path.lexists(f"{out_dir}/{folder}"):
                return None
            folder = folder.rpartition("/")[0]
    return sorted(changed), sorted(removed)


def _apply_patch(out_dir: Path, files: dict[str, bytes], current: Manifest, changed: list[str], removed: list[str]) -> tuple[list[str], Manifest]:
    written = {name: status for name, status in current.items() if name not in removed}
    staging, hold = temporary_folder(out_dir.parent, f".{out_dir.name}.tmp-")
    journaled = False
    try:
        renames = []
        for number, name in enumerate(changed):
            written[name] = _write_file(f"{staging}/{number}", files[name])
            renames.append((str(number), name))
        write_journal(staging, removed, renames)
        journaled = True
        # From here on a reader may see some new files beside old ones, for a few renames.
        carry_out(str(out_dir), str(staging), removed, renames)
    except BaseException:
        if not journaled:
            shutil.rmtree(staging, ignore_errors=True)
        raise  # a journaled change cut short is finished by the next build
    else:
        shutil.rmtree(staging, ignore_errors=True)
    finally:
        let_go(hold)
    return sorted(changed + removed), written


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
        folder = name.rpartition("/")[0]
        if folder not in self._made:
            os.makedirs(os.path.join(self._root, folder), mode=DIR_MODE, exist_ok=True)
            parts = folder.split("/")
            self._made.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
        target = f"{self._root}/{name}"
        previous = f"{self._previous_root}/{name}"
        if data is None or (self._had_output and _same_bytes(previous, data)):
            try:
                os.link(previous, target)
                return Added(_size_and_mtime(os.stat(target)), changed=False)
            except OSError:  # another file system or no hard links: write a copy
                return Added(_write_file(target, Path(previous).read_bytes() if data is None else data), changed=False)
        return Added(_write_file(target, data), changed=True)

    def record(self, name: str, added: Added) -> None:
        """Note a file `put` wrote, here or in a worker."""
        self.written[name] = added.status
        if added.changed:
            self.changed.append(name)

    def read(self, name: str) -> bytes:
        """A file as added (which may be a link to the current output's)."""
        return Path(self._root, name).read_bytes()

    def commit(self) -> tuple[list[str], Manifest]:
        pause_for_tests("swap")
        _swap(self.staging, self.out_dir)
        let_go(self._hold)
        self._hold = None
        return sorted(self.changed), self.written

    def discard(self) -> None:
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

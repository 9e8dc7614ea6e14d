"""Write a whole build atomically: into a folder beside the output, then swap it in.

A failed or interrupted build never touches the previous output. Files whose bytes did
not change are hard-linked from the previous output, so they keep their timestamps (and
cost no write); everything else is written fresh with ordinary 0644 permissions.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

FILE_MODE = 0o644
DIR_MODE = 0o755
STALE_STAGING_SECONDS = 3600
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


def write_site(out_dir: Path, files: dict[str, bytes], kept: Iterable[str] = ()) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """Replace `out_dir` with exactly `files` plus the `kept` files of the current output.

    `kept` names files known to be unchanged (the caller checked them), which are linked
    without being read. Returns the output paths whose bytes changed, and every written
    file's size and modification time.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    changed = []
    written: dict[str, tuple[int, int]] = {}
    kept = set(kept)
    try:
        os.chmod(staging, DIR_MODE)
        root, previous_root = str(staging), str(out_dir)
        had_output = out_dir.is_dir()
        made = {""}
        for name in sorted(kept.union(files)):
            folder = name.rpartition("/")[0]
            if folder not in made:
                os.makedirs(os.path.join(root, folder), mode=DIR_MODE, exist_ok=True)
                parts = folder.split("/")
                made.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
            target = f"{root}/{name}"
            previous = f"{previous_root}/{name}"
            data = files.get(name)
            if name in kept or (had_output and data is not None and _same_bytes(previous, data)):
                try:
                    os.link(previous, target)
                    written[name] = _size_and_mtime(os.stat(target))
                    continue
                except OSError:  # another file system or no hard links: write a copy
                    if data is None:
                        data = Path(previous).read_bytes()
            else:
                changed.append(name)
            written[name] = _write_file(target, data)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return changed, written


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


def _remove_leftovers(out_dir: Path) -> None:
    """Delete staging folders that a killed build left behind (old enough not to be live)."""
    now = time.time()
    for path in out_dir.parent.glob(f".{out_dir.name}.*-*"):
        try:
            stale = path.name.startswith(f".{out_dir.name}.old-") or now - path.stat().st_mtime > STALE_STAGING_SECONDS
        except OSError:
            continue
        if stale and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


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
    if _exchange(staging, out_dir):
        os.rename(staging, retired)  # staging now holds the previous output
    else:
        os.rename(out_dir, retired)
        os.rename(staging, out_dir)
    _remove_in_background(retired)


def _remove_in_background(folder: Path) -> None:
    """Delete the retired output without making the user wait for it.

    The new output is already in place; if the removal is cut short, the next build's
    `_remove_leftovers` finishes it.
    """
    rm = shutil.which("rm")
    if rm is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        subprocess.Popen([rm, "-rf", "--", str(folder)], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)

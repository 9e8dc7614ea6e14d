"""Write a whole build atomically: into a folder beside the output, then swap it in.

A failed or interrupted build never touches the previous output. Files whose bytes did
not change are hard-linked from the previous output, so they keep their timestamps (and
cost no write); everything else is written fresh with ordinary 0644 permissions.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

FILE_MODE = 0o644
DIR_MODE = 0o755


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def write_site(out_dir: Path, files: dict[str, bytes]) -> list[str]:
    """Replace `out_dir` with exactly `files`; return the output paths whose bytes changed."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    changed = []
    try:
        os.chmod(staging, DIR_MODE)
        made: set[Path] = {staging}
        for name in sorted(files):
            data = files[name]
            target = staging / name
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
                made.update(target.parents)
            previous = out_dir / name
            if _same_bytes(previous, data):
                try:
                    os.link(previous, target)
                    continue
                except OSError:
                    pass  # another file system or no hard links: write a copy
            else:
                changed.append(name)
            with open(target, "wb") as handle:
                handle.write(data)
            os.chmod(target, FILE_MODE)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return changed


def _swap(staging: Path, out_dir: Path) -> None:
    """Put `staging` where `out_dir` is; the old tree is removed only after the swap."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(retired)
    os.rename(out_dir, retired)
    os.rename(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)

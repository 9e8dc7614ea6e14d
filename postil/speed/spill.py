"""Bytes set aside in a file until they are asked for again, rather than held in memory.

A cold build's render workers send back the items of every list they rendered, packed, to
be kept for the next run; they are read once more, when the caches are saved. Held until
then, they were the largest part of what a build's main process grows by while it renders
(see fragments.py). So are the items the last run kept, until a page opens their list:
an edit opens few. The file is in the site's cache folder, not in the system's temporary
folder, which may be memory itself, and it has no name: it goes with the process however
the process ends, so a killed build leaves nothing behind.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

Kept = bytes | tuple[int, int]  # the bytes themselves, or where they lie in the file: (offset, length)


class Spill:
    """An unnamed file in `folder`, opened when first written to; with no folder (the dev
    server, which keeps all in memory) what it is given is held as it is."""

    def __init__(self, folder: Path | None = None):
        self._folder = folder
        self._file: BinaryIO | None = None
        self._size = 0

    def keep(self, data: bytes) -> Kept:
        """`data` set aside, to be `read` back; kept as it is when the file cannot be
        written (no cache folder yet, a read-only one, a full disk): it only saves memory."""
        if self._folder is None:
            return data
        try:
            if self._file is None:
                # No name leads to it (where the system needs one to make it, it is removed at once).
                self._file = tempfile.TemporaryFile(dir=self._folder, buffering=0)
            offset, view = self._size, memoryview(data)
            while view:
                view = view[os.pwrite(self._file.fileno(), view, offset + len(data) - len(view)):]
        except OSError:
            return data
        self._size += len(data)
        return (offset, len(data))

    def read(self, kept: Kept) -> bytes:
        if isinstance(kept, bytes):
            return kept
        offset, length = kept
        assert self._file is not None, "read before anything was kept"
        return os.pread(self._file.fileno(), length, offset)

"""Bulky parse results kept in a file beside the parse cache, not in memory.

An essay's packed body and passage index, and the code blocks its parse highlighted, are
most of what its parse result weighs: at 5,000 essays, 80 of 130 MB. Held in a build's
main process, they would make every worker it forks start that large too (a forked
process's resident set counts the pages it shares). Yet they are read only where the
essay's page is rendered (in a worker), where replies' quotes of it are checked, and when
its file is parsed again. So a build into a folder appends each, as parsing hands it over,
to `.postil-cache/blobs`, and keeps only where it lies (`Stored`).

The file is only ever appended to, so what an earlier parse cache points at stays where it
was. It begins with a random id; the parse cache records that id and the file's length
when it was saved (`mark`), and is discarded when the file is another one or shorter.
"""
from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import NamedTuple

from ..write.tempfiles import temporary_file

_MAGIC = b"postil-blobs\n"
_ID_BYTES = 16


class Stored(NamedTuple):
    """Where one value lies in a `BlobFile`. A named tuple: the parse cache reads back
    thousands of them (see parse_cache.Entry)."""

    file: BlobFile
    offset: int
    length: int

    def read(self) -> bytes:
        return self.file.read(self.offset, self.length)


def load(value: bytes | Stored) -> bytes:
    """The bytes a value stands for, whether it is kept in memory or in a file."""
    return value.read() if isinstance(value, Stored) else value


class BlobFile:
    """An append-only file of values; until `start` or `resume`, `add` keeps values in memory."""

    def __init__(self, path: Path):
        self.path = path
        self.ident = ""
        self.size = 0
        self._descriptor: int | None = None
        self._writable = False
        self._closer: weakref.finalize | None = None

    def resume(self, mark: object) -> bool:
        """Go on with the file a parse cache was saved with (`mark`, as `mark()` gave it);
        False when the file is missing, another one, or shorter than it was then."""
        self.close()
        if not (isinstance(mark, tuple) and len(mark) == 2 and isinstance(mark[0], str) and isinstance(mark[1], int)):
            return False
        ident, length = mark
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            header = os.pread(descriptor, len(_MAGIC) + 2 * _ID_BYTES, 0)
            size = os.fstat(descriptor).st_size
        except OSError:
            os.close(descriptor)
            return False
        if header != _MAGIC + ident.encode("ascii", "replace") or size < length:
            os.close(descriptor)
            return False
        self._open(descriptor, ident, size)
        return True

    def start(self) -> None:
        """Begin a new, empty file, in place of any other; when it cannot be written,
        values are kept in memory instead."""
        self.close()
        ident = os.urandom(_ID_BYTES).hex()
        try:
            self.path.parent.mkdir(exist_ok=True)
            descriptor, temporary = temporary_file(self.path.parent, f".{self.path.name}.")
        except OSError:
            return
        try:
            header = _MAGIC + ident.encode("ascii")
            _write_all(descriptor, header, 0)
            os.replace(temporary, self.path)
        except OSError:
            os.close(descriptor)
            Path(temporary).unlink(missing_ok=True)
            return
        self._open(descriptor, ident, len(header))

    def holds(self, mark: object) -> bool:
        """Whether `mark` was given by this very file, as long as it is now or shorter."""
        return isinstance(mark, tuple) and len(mark) == 2 and mark[0] == self.ident != "" and isinstance(mark[1], int) and mark[1] <= self.size

    def mark(self) -> tuple[str, int] | None:
        """The file's id and length, for a parse cache to be checked against (None: no file)."""
        return (self.ident, self.size) if self._descriptor is not None else None

    def add(self, value: bytes) -> bytes | Stored:
        """Append `value`, giving where it lies; small or unwritable values stay as they are."""
        if not value or not self._writable:
            return value
        try:
            _write_all(self._descriptor, value, self.size)  # type: ignore[arg-type]
        except OSError:  # a full disk only costs memory
            self._writable = False
            return value
        stored = Stored(self, self.size, len(value))
        self.size += len(value)
        return stored

    def read(self, offset: int, length: int) -> bytes:
        """OSError when the file no longer holds it (cut short since)."""
        if self._descriptor is None:
            raise OSError(f"{self.path} is closed")
        data = os.pread(self._descriptor, length, offset)
        if len(data) != length:
            raise OSError(f"{self.path} is shorter than the parse cache says")
        return data

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
        self._descriptor, self._writable, self._closer, self.ident, self.size = None, False, None, "", 0

    def _open(self, descriptor: int, ident: str, size: int) -> None:
        self._descriptor, self._writable, self.ident, self.size = descriptor, True, ident, size
        self._closer = weakref.finalize(self, os.close, descriptor)


def _write_all(descriptor: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view, offset = view[written:], offset + written

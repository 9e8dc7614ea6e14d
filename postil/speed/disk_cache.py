"""Parsed files kept on disk between runs, in `.postil-cache/` beside the site.

The cache is an optimisation, never a source of truth: a missing, corrupt, truncated or
foreign file (another postil version, another Python) is discarded and the build parses
from scratch. It is written to a temporary file and renamed into place, so an interrupted
build leaves the previous cache whole. Reading uses pickle restricted to an allow-list
of plain data classes, so a planted cache file cannot run code.
"""
from __future__ import annotations

import copyreg
import gc
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from pathlib import Path
from typing import BinaryIO

from .. import __version__
from ..write.tempfiles import pause_for_tests, temporary_file

CACHE_DIR = ".postil-cache"
FORMAT = 2
# Items of a large mapping saved in one pickle (see DiskCache's `chunked`). Read back, each
# object a chunk reaches twice is read once, and each class is looked up once a chunk (in
# Python, by the restricted unpickler): at 1,000 essays the parse cache was read in 70%
# of the time that a pickle without a memo took, and is 45% smaller.
CHUNK = 512
# A file changed less than this before a record of it was made may have changed again
# within the same clock tick: its stat cannot vouch for its bytes.
RACY_NANOSECONDS = 2_000_000_000
_HEADER = ("postil-cache", FORMAT, __version__, sys.version_info[:2])

# Only these may be built while reading: data classes whose construction has no effects.
_ALLOWED = {
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
    ("postil.speed.blobs", "Stored"),
    ("postil.config", "Config"),
    ("postil.errors", "Problem"),
    ("postil.markdown", "Link"),
    ("postil.site.model", "Essay"),
    ("postil.site.model", "Quote"),
    ("postil.site.model", "Reply"),
    ("postil.site.model", "ReplyBody"),
    ("postil.speed.parse_cache", "_essay"),  # an Essay, with values shared (see there)
    ("postil.speed.parse_cache", "_reply"),  # a Reply, likewise
    ("postil.speed.parse_cache", "_link"),  # a Link, likewise
    ("postil.content.essay", "Parsed"),
    ("postil.content.reply", "ParsedReply"),
    ("postil.speed.parse_cache", "Entry"),
}


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Stands for postil's own code: its version and the bytes of its modules.

    Editing the code (even without a new version) voids every cache; installing the same
    code afresh (a CI runner's `pip install`, which gives every file a new modification
    time) keeps them. Reading the ~80 modules costs a few milliseconds."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    hasher = hashlib.sha256(f"{__version__}\0".encode())
    for path in _modules(package):
        with open(path, "rb") as stream:
            hasher.update(f"{os.path.relpath(path, package)}\0".encode() + stream.read() + b"\0")
    return hasher.hexdigest()


def _modules(package: str) -> list[str]:
    """Every Python file in `package`, sorted: one `scandir` per folder (`rglob` took
    three times as long)."""
    found = []
    pending = [package]
    while pending:
        for entry in os.scandir(pending.pop()):
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    pending.append(entry.path)
            elif entry.name.endswith(".py"):
                found.append(entry.path)
    return sorted(found)


def make_cache_folder(folder: Path) -> None:
    """The site's cache folder, made if need be, which git is told to ignore."""
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, stream: BinaryIO, shared: Mapping[str, object]):
        super().__init__(stream)
        self.shared = shared
        # Classes found once an unpickler: a pickle without a memo names the class of each object again.
        self.classes: dict[tuple[str, str], type] = {}

    def find_class(self, module: str, name: str):
        found = self.classes.get((module, name))
        if found is None:
            if (module, name) == (shared_object.__module__, shared_object.__name__):
                # Not a method of this unpickler: kept in `classes`, it made a cycle, which
                # kept each chunk's unpickler, and with it every object its memo held (the
                # argument tuples of each entry, its strings before they were interned),
                # until the next collection (none while loading): at 5,000 essays, 27 MB.
                found = partial(_shared, self.shared)
            elif (module, name) not in _ALLOWED:
                raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")
            else:
                found = super().find_class(module, name)
            self.classes[module, name] = found
        return found


def _shared(shared: Mapping[str, object], name: object) -> object:
    if not isinstance(name, str) or name not in shared:
        raise pickle.UnpicklingError(f"no shared object {name!r}")
    return shared[name]


def shared_object(name: str) -> object:
    """What a shared object is saved as: loading calls this with its name (see DiskCache)."""
    raise pickle.UnpicklingError(f"shared object {name!r} read outside a DiskCache")


class _SharingPickler(pickle.Pickler):
    """Saves each shared object as a call of `shared_object` with its name.

    A reducer for the shared objects' types leaves every other object to the C pickler;
    a `persistent_id`, called in Python for each of the parse cache's 330,000 objects,
    was half the time of saving it."""

    def __init__(self, stream: BinaryIO, shared: Mapping[str, object]):
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)
        names = {id(value): name for name, value in shared.items()}

        def by_name(value: object) -> tuple:
            if id(value) not in names:
                raise pickle.PicklingError(f"{value!r} is not one of the cache's shared objects")
            return shared_object, (names[id(value)],)

        self.dispatch_table = copyreg.dispatch_table | {type(value): by_name for value in shared.values()}


class DiskCache:
    """One named pickle file in the site's cache folder."""

    def __init__(self, site_root: Path, name: str, shared: Mapping[str, object] | None = None, chunked: bool = False):
        """`shared` names objects this process provides (a file the entries point into):
        they are saved by name, and loading gives back this process's object of that name.
        `chunked` saves each large mapping among the stored mapping's values (the parse
        cache's entries) in chunks of CHUNK items, each a pickle of its own: pickle's memo
        then holds one chunk's objects while saving, not every object written (at 5,000
        essays, 30 MB while the parse cache is saved), and within a chunk a class, or a
        string reached twice, is written once (see CHUNK)."""
        self.path = site_root / CACHE_DIR / f"{name}.pickle"
        self.shared = shared or {}
        self.chunked = chunked

    def load(self, wanted: Callable[[dict], bool] | None = None) -> dict:
        """The stored mapping, or an empty one when there is none worth trusting, or when
        `wanted`, shown the mapping before its chunked values are read, refuses it: a parse
        cache kept for another configuration is then not read whole only to be dropped
        (at 5,000 essays, 60 MB of objects and a second of CPU)."""
        try:
            stream = open(self.path, "rb")
        except OSError:
            return {}
        was_enabled = gc.isenabled()
        gc.disable()  # unpickling makes no garbage; collections would only walk what it builds
        try:
            # Read as it is unpickled, frame by frame: the whole file read first was 31 MB
            # more at the peak of loading the parse cache at 5,000 essays.
            with stream:
                if _RestrictedUnpickler(stream, {}).load() != _HEADER:
                    return {}
                entries = _RestrictedUnpickler(stream, self.shared).load()
                if not isinstance(entries, dict) or (wanted is not None and not wanted(entries)):
                    return {}
                if self.chunked:
                    # Each chunk is read by an unpickler of its own, as each was written with a memo of its own.
                    for key, chunks in _RestrictedUnpickler(stream, {}).load():
                        entries[key] = large = {}
                        for _ in range(chunks):
                            large.update(_RestrictedUnpickler(stream, self.shared).load())
        except Exception:  # any damage at all means: start afresh
            return {}
        finally:
            if was_enabled:
                gc.enable()
        return entries

    def save(self, entries: dict) -> None:
        """Replace the stored mapping atomically; a failure to write only costs speed."""
        folder = self.path.parent
        try:
            make_cache_folder(folder)
            handle, temporary = temporary_file(folder, f".{self.path.name}.")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(_HEADER, stream, protocol=pickle.HIGHEST_PROTOCOL)
                pickler = _SharingPickler(stream, self.shared) if self.shared else pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
                large = {key: list(value.items()) for key, value in entries.items() if self.chunked and isinstance(value, dict) and len(value) > CHUNK}
                pickler.dump({key: value for key, value in entries.items() if key not in large})
                pickle.dump([(key, -(-len(items) // CHUNK)) for key, items in large.items()], stream, protocol=pickle.HIGHEST_PROTOCOL)
                for items in large.values():
                    for start in range(0, len(items), CHUNK):
                        pickler.clear_memo()
                        pickler.dump(dict(items[start : start + CHUNK]))
                pause_for_tests("cache-save")
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)


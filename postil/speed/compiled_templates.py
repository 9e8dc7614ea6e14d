"""Compiled templates, kept in memory and, signed, in this user's cache folder.

Compiling the thirty-odd templates of a site takes ~0.25 s of a new process, and the twenty
a one-essay edit renders ~100 ms. Jinja can keep compiled code in a file, but code read
back from a file runs with the build's rights: a file that came from elsewhere (an archive,
a shared drive) must not be able to make postil run it. So the file is signed with a key
that only this user's own cache folder holds (`$XDG_CACHE_HOME/postil/key`, made on first
use, readable by the user alone), and a file whose signature does not verify is ignored
unread. Without a key (no home, or none writable), templates are compiled in memory only.

The file lives beside the key, one per site cache folder (`postil/templates/`, named by a
digest of that folder's path), not in the site's `.postil-cache/`: a cold build, with the
site's cache folder deleted, then compiles nothing either. Each template's code is taken
only for the source it was compiled from; the least recently used files are removed
beyond `KEPT_STORES`.

What each compiled template says of itself (the templates it pulls in and the names it
reads, see template_code.py) is plain data, not code: it is kept unsigned in the site's
cache folder, with the digest of the source it was found in. A CI runner, which restores
that folder but has a new key, then tells which pages are current without compiling a
template, and compiles only the templates of the pages it renders.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib.util
import marshal
import os
import secrets
from functools import lru_cache
from pathlib import Path

import jinja2
import jinja2.bccache

from .disk_cache import DiskCache, code_fingerprint
from ..write.tempfiles import remove_abandoned_files, temporary_file

STORES_FOLDER = "templates"  # in this user's postil cache folder
KEPT_STORES = 64  # sites whose compiled templates are kept; a site beyond them compiles again
_KEY_BYTES = 32
_SIGNATURE_BYTES = hashlib.sha256().digest_size
FACTS_CACHE = "template-facts"  # in the site's cache folder

# What a compiled template says of itself: the templates it pulls in, the names it reads.
Facts = tuple[tuple[str, ...], tuple[str, ...]]


def _user_cache() -> Path | None:
    """This user's cache folder: `$XDG_CACHE_HOME`, else `~/.cache`. A relative path (the
    XDG spec says to ignore one; an empty HOME gives one) would put the key in the folder
    the build runs in, maybe the site's own, so there is then no key."""
    configured = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(configured):
        return Path(configured)
    home = os.path.expanduser("~")  # unexpanded, or empty, when no home can be found
    return Path(home) / ".cache" if os.path.isabs(home) else None


def _postil_cache() -> Path | None:
    cache = _user_cache()
    return cache / "postil" if cache is not None else None


def store_path(folder: Path) -> Path | None:
    """Where the templates compiled for the site cache folder `folder` are kept (None: nowhere)."""
    root = _postil_cache()
    if root is None:
        return None
    name = hashlib.sha256(os.fsencode(os.path.abspath(folder))).hexdigest()[:32]
    return root / STORES_FOLDER / f"{name}.marshal"


@lru_cache(maxsize=1)
def user_key() -> bytes | None:
    """This user's signing key, made on first use; None when it cannot be kept (a CI
    runner makes a new one each run: templates are then compiled afresh, ~0.1 s, and the
    rest of a restored cache still serves)."""
    root = _postil_cache()
    if root is None:
        return None
    path = root / "key"
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
        else:
            key = secrets.token_bytes(_KEY_BYTES)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(key)
    except OSError:
        return None
    return key if len(key) == _KEY_BYTES else None


def _made_by() -> tuple[bytes, str, str]:
    """What compiled code depends on: Python's bytecode, Jinja's code generator, and
    postil's code (the environment's options)."""
    return importlib.util.MAGIC_NUMBER, jinja2.__version__, code_fingerprint()


def _are_facts(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(
        isinstance(names, tuple) and all(isinstance(name, str) for name in names) for names in value
    )


def _sign(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


class CompiledTemplates(jinja2.BytecodeCache):
    """Each template's compiled code, by name, with the checksum of the source it came from.

    Each build makes a new environment (config and assets may change), which would
    otherwise compile every template again; the dev server builds on every save.
    """

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, object]] = {}
        self._folder: Path | None = None
        self._store: Path | None = None
        self._unsaved = False
        self._facts: dict[str, Facts] = {}  # by the digest of a template's name and source (see `facts`)
        self._facts_store: DiskCache | None = None
        self._facts_unsaved = False
        self._facts_used: set[str] = set()  # those asked for or noted since the store was read

    def use_folder(self, folder: Path) -> None:
        """Take what an earlier run compiled for the site cache folder `folder`, if signed
        with this user's key, and the templates' facts kept there."""
        if folder == self._folder:
            return
        self._folder = folder
        self._store = store_path(folder)
        code = self._read(self._store) if self._store is not None else {}
        self._unsaved = any(name not in code for name in self._code)  # compiled for another folder
        self._code = {**code, **self._code}
        self._facts_store = DiskCache(folder.parent, FACTS_CACHE)  # `folder` is the site's CACHE_DIR
        saved = self._facts_store.load()
        facts = saved.get("facts") if saved.get("made_by") == _made_by()[1:] else None
        facts = facts if isinstance(facts, dict) else {}
        self._facts_unsaved = any(key not in facts for key in self._facts)
        self._facts = {**facts, **self._facts}

    def facts(self, key: str) -> Facts | None:
        """What the template whose name and source `key` digests said of itself when an
        earlier build compiled it (the caller's key holds whatever else the facts depend on)."""
        found = self._facts.get(key)
        if not _are_facts(found):  # a damaged file is only a cost, as every cache
            return None
        self._facts_used.add(key)
        return found  # type: ignore[return-value]

    def note_facts(self, key: str, facts: Facts) -> None:
        """Keep what a compiled template says of itself, for the next runs (see `facts`)."""
        self._facts_used.add(key)
        if self._facts.get(key) != facts:
            self._facts[key] = facts
            self._facts_unsaved = True

    @staticmethod
    def _read(path: Path) -> dict:
        key = user_key()
        try:
            signed = path.read_bytes()
        except OSError:
            return {}
        try:
            os.utime(path)  # used: the last to be removed (see `_prune`)
        except OSError:
            pass
        signature, data = signed[:_SIGNATURE_BYTES], signed[_SIGNATURE_BYTES:]
        if key is None or not hmac.compare_digest(signature, _sign(key, data)):
            return {}
        try:
            made_by, code = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return {}
        return code if made_by == _made_by() and isinstance(code, dict) else {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]  # type: ignore[assignment]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)
        self._unsaved = True

    def save(self) -> None:
        """Write what was compiled since the folder was read; a failure only costs speed."""
        if self._facts_unsaved and self._facts_store is not None:
            # Only those of this run: the facts of a template's earlier sources go.
            self._facts = {key: self._facts[key] for key in self._facts_used}
            self._facts_store.save({"made_by": _made_by()[1:], "facts": self._facts})
            self._facts_unsaved = False
        key = user_key()
        store = self._store
        if not self._unsaved or store is None or key is None:
            return
        data = marshal.dumps((_made_by(), self._code))
        try:
            store.parent.mkdir(mode=0o700, exist_ok=True)
            handle, temporary = temporary_file(store.parent, f".{store.name}.")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(_sign(key, data) + data)
            os.replace(temporary, store)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            return
        self._unsaved = False
        _prune(store.parent)


def _prune(folder: Path) -> None:
    """Remove the least recently used stores beyond KEPT_STORES, and what killed writers left."""
    remove_abandoned_files(folder)
    try:
        stores = [entry for entry in os.scandir(folder) if entry.name.endswith(".marshal") and not entry.name.startswith(".")]
        stores.sort(key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
        for entry in stores[KEPT_STORES:]:
            os.unlink(entry.path)
    except OSError:
        pass


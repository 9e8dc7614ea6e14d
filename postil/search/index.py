"""The site's search index, kept between builds: only the shards whose pages changed are
indexed again.

A shard's bundle depends only on its pages' bytes, the site's language, its folder and
Pagefind's version; those make its key. The Builder owns one `SearchIndex`. Given a store,
it keeps each shard's bundle on disk in the site's cache folder, and a small list of each
shard's key and file names, so a new process indexes again only what it must. A shard
whose files the output folder still holds as the last build wrote them is not even read:
its files are named as kept. Pagefind names every file of a bundle by a hash of its
contents (and the entry file names the hash of the rest), so the same names mean the same
bundle. Stale shards are indexed in parallel, one Pagefind process each.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from ..config import CONFIG_FILE, Config
from ..errors import Report
from ..site.model import Site
from . import pagefind
from .shards import SEARCH_DIR, plan

_LIST = "search"  # the store holding each shard's key and file names


class Store(Protocol):
    """Somewhere to keep data between processes (speed/disk_cache.DiskCache)."""

    def load(self) -> dict: ...
    def save(self, data: dict) -> None: ...


class SearchIndex:
    """Pagefind's bundles for a site's essays, shard by shard (see shards.py)."""

    def __init__(self, store: Callable[[str], Store] | None = None):
        """`store(name)` gives where to keep what is called `name`; None keeps all in memory."""
        self._store = store
        self._bundles: dict[str, tuple[str, dict[str, bytes]]] = {}  # folder → (key, files) held in memory
        self._names: dict[str, tuple[str, list[str]]] | None = None  # folder → (key, file names), as last made
        self.indexed_last = 0  # how many shards the last update indexed afresh

    def update(
        self, site: Site, config: Config, read_page: Callable[[str], bytes], report: Report, on_disk: Collection[str] = (),
    ) -> tuple[dict[str, bytes], set[str]]:
        """The index's files for the essays of `site`, as ({output path: bytes}, {output
        paths kept as they are}). `read_page(output path)` gives an essay page as this
        build made it; `on_disk` names the output files that are exactly as the last build
        wrote them. Nothing when search is off; a problem goes into `report`."""
        self.indexed_last = 0
        if not config.search or report.errors:
            return {}, set()
        if reason := pagefind.unavailable_reason():
            report.warning(CONFIG_FILE, None, f"built without search: {reason}",
                           "pip install 'pagefind[extended]', or set search = false in [tool.postil]")
            return {}, set()
        if not site.essays:
            return {}, set()
        language = _language(config)
        shards = plan(site.essays)
        keys = {folder: _key(folder, outputs, read_page, language) for folder, outputs in shards.items()}
        names = self._known_names()
        kept = {
            folder for folder, key in keys.items()
            if folder in names and names[folder][0] == key and all(folder + name in on_disk for name in names[folder][1])
        }
        stale = [folder for folder in keys if folder not in kept and not self._holds(folder, keys[folder])]
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(len(stale), os.cpu_count() or 1))) as pool:
                indexed = pool.map(lambda folder: self._index(folder, keys[folder], shards[folder], read_page, language), stale)
                for folder, made in zip(stale, indexed):
                    self._bundles[folder] = (keys[folder], made)
        except RuntimeError as exc:
            report.error(CONFIG_FILE, None, f"the search index could not be built: {exc}",
                         "set search = false in [tool.postil] to build without search")
            return {}, set()
        self.indexed_last = len(stale)
        files = {folder + name: data for folder in sorted(keys) if folder not in kept for name, data in self._bundles[folder][1].items()}
        kept_files = {folder + name for folder in kept for name in names[folder][1]}
        self._remember({folder: (key, names[folder][1] if folder in kept else sorted(self._bundles[folder][1])) for folder, key in keys.items()})
        if self._store is not None:  # on disk now: no need to hold them
            self._bundles.clear()
        else:
            self._bundles = {folder: self._bundles[folder] for folder in keys}
        return files, kept_files

    def _known_names(self) -> dict[str, tuple[str, list[str]]]:
        if self._names is None:
            stored = self._store(_LIST).load() if self._store is not None else {}
            self._names = stored.get("shards", {}) if isinstance(stored.get("shards"), dict) else {}
        return self._names

    def _remember(self, names: dict[str, tuple[str, list[str]]]) -> None:
        if names != self._names and self._store is not None:
            self._store(_LIST).save({"shards": names})
        self._names = names

    def _holds(self, folder: str, key: str) -> bool:
        """Whether the bundle for `key` is at hand, in memory or in the store."""
        if folder in self._bundles and self._bundles[folder][0] == key:
            return True
        if self._store is None:
            return False
        stored = self._store(_store_name(folder)).load()
        if stored.get("key") == key and isinstance(stored.get("files"), dict):
            self._bundles[folder] = (key, stored["files"])
            return True
        return False

    def _index(self, folder: str, key: str, outputs: list[str], read_page: Callable[[str], bytes], language: str) -> dict[str, bytes]:
        files = pagefind.index_pages({output: read_page(output) for output in outputs}, language, primary=folder == SEARCH_DIR + "/")
        if self._store is not None:
            self._store(_store_name(folder)).save({"key": key, "files": files})
        return files


def _key(folder: str, outputs: list[str], read_page: Callable[[str], bytes], language: str) -> str:
    """What the shard's bundle depends on. The pages are read one at a time, so that the
    site's pages are never all in memory at once."""
    digest = hashlib.sha256(f"{pagefind.version()}\0{language}\0{folder}\0".encode())
    for output in outputs:
        digest.update(output.encode() + b"\0" + hashlib.sha256(read_page(output)).digest())
    return digest.hexdigest()


def _store_name(folder: str) -> str:
    """'pagefind/' → 'search-pagefind', 'pagefind/12/' → 'search-pagefind-12'."""
    return "search-" + folder.strip("/").replace("/", "-")


def _language(config: Config) -> str:
    """Pagefind wants an ISO 639-1 code: 'en-GB' → 'en'."""
    return config.language.split("-")[0].lower() or "en"

"""The site's search index, kept between builds: only the shards whose pages changed are
indexed again.

A shard's bundle depends only on its pages' bytes, the site's language, whether it is the
primary bundle and Pagefind's version; those make its key. The Builder owns one
`SearchIndex`: it holds the last bundles in memory (the dev server, a watch loop) and, given
a store, on disk in the site's cache folder, so a new process indexes again only what it
must. Stale shards are indexed in parallel, one Pagefind process each.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from ..config import CONFIG_FILE, Config
from ..errors import Report
from ..site.model import Site
from . import pagefind
from .shards import SEARCH_DIR, plan


class Store(Protocol):
    """Somewhere to keep one shard's bundle between processes (speed/disk_cache.DiskCache)."""

    def load(self) -> dict: ...
    def save(self, data: dict) -> None: ...


class SearchIndex:
    """Pagefind's bundles for a site's essays, shard by shard (see shards.py)."""

    def __init__(self, store: Callable[[str], Store] | None = None):
        """`store(name)` gives where to keep the bundle called `name`; None keeps them in memory only."""
        self._store = store
        self._bundles: dict[str, tuple[str, dict[str, bytes]]] = {}  # folder → (key, files)
        self.indexed_last = 0  # how many shards the last update indexed afresh

    def update(self, site: Site, config: Config, read_page: Callable[[str], bytes], report: Report) -> dict[str, bytes]:
        """The index's files ({output path: bytes}) for the essays of `site`, whose pages
        `read_page(output path)` gives as this build made them. Empty when search is off;
        a problem (no Pagefind, Pagefind failing) goes into `report`."""
        self.indexed_last = 0
        if not config.search or report.errors:
            return {}
        if reason := pagefind.unavailable_reason():
            report.warning(CONFIG_FILE, None, f"built without search: {reason}",
                           "pip install 'pagefind[extended]', or set search = false in [tool.postil]")
            return {}
        if not site.essays:
            return {}
        language = _language(config)
        shards = plan(site.essays)
        keys = {folder: _key(folder, outputs, read_page, language) for folder, outputs in shards.items()}
        stale = [folder for folder, key in keys.items() if not self._holds(folder, key)]
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(len(stale), os.cpu_count() or 1))) as pool:
                indexed = pool.map(lambda folder: self._index(folder, keys[folder], shards[folder], read_page, language), stale)
                for folder, files in zip(stale, indexed):
                    self._bundles[folder] = (keys[folder], files)
        except RuntimeError as exc:
            report.error(CONFIG_FILE, None, f"the search index could not be built: {exc}",
                         "set search = false in [tool.postil] to build without search")
            return {}
        self.indexed_last = len(stale)
        self._bundles = {folder: self._bundles[folder] for folder in keys}
        return {folder + name: data for folder, (_, files) in sorted(self._bundles.items()) for name, data in files.items()}

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

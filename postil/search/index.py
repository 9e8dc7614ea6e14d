"""The site's search index, kept between builds: only the shards whose pages changed are
indexed again, and a shard is indexed as soon as its pages exist.

A shard's bundle depends only on its pages' bytes, the site's language, its folder and
Pagefind's version; those make its key. The Builder owns one `SearchIndex`. Given a store,
it keeps each shard's bundle on disk in the site's cache folder, and a small list of each
shard's key and file names, so a new process indexes again only what it must. Pagefind
names every file of a bundle by a hash of its contents (and the entry file names the hash
of the rest), so the same names mean the same bundle.

Reading every essay page to learn that nothing changed cost more than the rest of such a
build, so the list also notes, per shard, a digest of what its pages were rendered from
(the render cache's digests, which the driver hands over): while those are the same, so
are the pages, and the shard's key is known without reading one. A shard whose files the
output folder still holds as the last build wrote them is not even loaded.

One build's indexing is an `IndexRun`. The driver tells it of each essay page as it is
rendered; once every page of a shard is, Pagefind starts on it (one process per shard, as
many at once as there are cores) while the rest of the site renders. When the driver also
says which pages a build renders at all (`rendering`), a shard whose other pages the output
holds as they are starts as soon as its pages to render are done: an edit's shard is
indexed while the lists and the rest render, not after. Its pages rendered are then
compared with the output's: the same (an essay beside the edited one, rendered again
because it names it), the shard keeps its bundle without its other pages being read;
different, Pagefind starts on it at once. `finish` indexes the
shards left, waits for all, and hands each bundle to `place` as soon as it is made (the
new output tree), so that a large build never holds every bundle in memory.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Mapping
import concurrent.futures
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import NamedTuple, Protocol

from ..config import CONFIG_FILE, Config
from ..errors import Report
from ..site.model import Site
from . import pagefind
from .shards import SEARCH_DIR, plan

_LIST = "search"  # the store holding each shard's key, file names and pages' digest

ReadPage = Callable[[str], bytes]  # an essay page's output path → its bytes as this build made them
Place = Callable[[str, bytes], None]  # an output path and its bytes → into the output


class Store(Protocol):
    """Somewhere to keep data between processes (speed/disk_cache.DiskCache)."""

    def load(self) -> dict: ...
    def save(self, data: dict) -> None: ...


class Made(NamedTuple):
    """A shard's bundle as last made: its key, its files' names, and the digest of what its
    pages were rendered from ("" when unknown)."""

    key: str
    names: list[str]
    pages: str


class Bundle(NamedTuple):
    """What a page that searches needs to know of one bundle to fetch it all at once: its
    folder, the name of its metadata file, and that of the WebAssembly that reads it (the
    primary bundle's, which serves all)."""

    folder: str
    meta: str
    wasm: str


class SearchIndex:
    """Pagefind's bundles for a site's essays, shard by shard (see shards.py)."""

    def __init__(self, store: Callable[[str], Store] | None = None):
        """`store(name)` gives where to keep what is called `name`; None keeps all in memory."""
        self._store = store
        self._bundles: dict[str, tuple[str, dict[str, bytes]]] = {}  # folder → (key, files), without a store
        self._made: dict[str, Made] | None = None  # folder → its bundle as last made

    def begin(
        self, site: Site, config: Config, report: Report, on_disk: Collection[str], read_rendered: ReadPage | None = None, place: Place | None = None,
        kept_in: Path | None = None,
    ) -> IndexRun | None:
        """This build's indexing, or None when it builds no index (search off or unavailable:
        that problem goes into `report`). `on_disk` names the output files that are exactly
        as the last build wrote them, in the folder `kept_in`. With an output tree (new, or
        an update of the output), `read_rendered` reads a page said to be rendered without
        its bytes (they went straight into the tree) and `place` puts each new bundle's
        files there as soon as it is made."""
        if not config.search or report.errors or not site.essays:
            return None
        if reason := pagefind.unavailable_reason():
            report.warning(CONFIG_FILE, None, f"built without search: {reason}",
                           "pip install 'pagefind[extended]', or set search = false in [tool.postil]")
            return None
        return IndexRun(self, plan(site.essays), _language(config), report, on_disk, read_rendered, place, kept_in)

    def known(self) -> dict[str, Made]:
        if self._made is None:
            stored = self._store(_LIST).load() if self._store is not None else {}
            shards = stored.get("shards")
            self._made = {
                folder: Made(*made) for folder, made in shards.items()
                if isinstance(made, (list, tuple)) and len(made) == len(Made._fields)
            } if isinstance(shards, dict) else {}
        return self._made

    def remember(self, made: dict[str, Made]) -> None:
        if made != self._made and self._store is not None:
            self._store(_LIST).save({"shards": {folder: tuple(entry) for folder, entry in made.items()}})
        self._made = made

    def stored(self, folder: str, key: str) -> dict[str, bytes] | None:
        """The bundle made for `key`, if it was kept."""
        if self._store is None:
            held = self._bundles.get(folder)
            return held[1] if held is not None and held[0] == key else None
        stored = self._store(_store_name(folder)).load()
        return stored["files"] if stored.get("key") == key and isinstance(stored.get("files"), dict) else None

    def keep(self, folder: str, key: str, files: dict[str, bytes]) -> None:
        if self._store is None:
            self._bundles[folder] = (key, files)
        else:
            self._store(_store_name(folder)).save({"key": key, "files": files})

    def forget_others(self, folders: Collection[str]) -> None:
        """Let go of the bundles held in memory for shards the site no longer has."""
        self._bundles = {folder: held for folder, held in self._bundles.items() if folder in folders}


class IndexRun:
    """One build's indexing: shards start as their pages are rendered, `finish` does the rest."""

    def __init__(
        self, index: SearchIndex, shards: dict[str, list[str]], language: str, report: Report,
        on_disk: Collection[str], read_rendered: ReadPage | None, place: Place | None, kept_in: Path | None = None,
    ):
        self._index, self._shards, self._language, self._report = index, shards, language, report
        self._read_page, self._place, self._page_on_disk = read_rendered, place, on_disk
        self._kept_in = kept_in
        self._read_kept: ReadPage | None = (lambda output: (kept_in / output).read_bytes()) if kept_in is not None else None
        self._known = index.known()
        # The shards whose files the output still holds as last made: kept if their key is the same.
        self._on_disk = {folder for folder, last in self._known.items() if all(folder + name in on_disk for name in last.names)}
        self._shard_of = {output: folder for folder, outputs in shards.items() for output in outputs}
        self._places = {folder: place for place, folder in enumerate(shards)}
        self._waiting = {folder: set(outputs) for folder, outputs in shards.items()}  # pages not yet rendered
        self._to_render: set[str] | None = None  # the pages this build renders, once told
        self._handed: dict[str, dict[str, bytes]] = {}  # folder → pages handed over with their bytes
        self._placed: set[str] = set()  # folders with a page handed over without its bytes (read back with `read_rendered`)
        self._pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="postil-search")
        # Pagefind's temporary folders are removed by a thread of their own. Removed in the
        # pool, each held up the next shard (40-140 ms on a busy machine: each file removed
        # waited for the interpreter), and the last one held up the build's end.
        self._removing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postil-search-removal")
        self._started: set[str] = set()
        self._running: dict[str, Future[tuple[str, dict[str, bytes] | None]]] = {}
        self._done: dict[str, tuple[str, list[str]]] = {}  # folder → (key, its files' names)
        self._files: dict[str, bytes] = {}  # new bundles' files, when there is no `place`
        self._in_output: set[str] = set()  # files the output holds already: kept, or placed
        self._failed: str | None = None

    def rendering(self, outputs: Collection[str]) -> None:
        """Pages this build renders, told a batch at a time before they are rendered. A
        batch holding a shard's pages holds all that this build renders of that shard (the
        driver sees to it): the others stay as the output holds them."""
        self._to_render = (self._to_render or set()) | {output for output in outputs if output in self._shard_of}

    def together(self, outputs: Collection[str]) -> set[str]:
        """The essay pages indexed in one shard with any of `outputs` (those included)."""
        folders = {self._shard_of[output] for output in outputs if output in self._shard_of}
        return {output for folder in folders for output in self._shards[folder]}

    def rank(self, output: str) -> int:
        """Where the page `output` comes in rendering: an essay's page by its shard's place in
        the plan, any other page after them all. Rendered in that order, the shards are
        complete one after another, and each is indexed while the next renders; in the
        site's order, every shard waited for the last of the essays' pages."""
        folder = self._shard_of.get(output)
        return self._places[folder] if folder is not None else len(self._places)

    def rendered(self, output: str, data: bytes | None) -> None:
        """`output` was rendered: its bytes, or None when it went into the new output tree."""
        self._take(wait=False)
        folder = self._shard_of.get(output)
        if folder is None or folder in self._started or (data is None and self._read_page is None):
            return
        if data is not None:
            self._handed.setdefault(folder, {})[output] = data
        else:
            self._placed.add(folder)
        waiting = self._waiting[folder]
        waiting.discard(output)
        if self._report.errors:
            return
        if waiting and not self._kept_as_they_are(waiting):
            return
        same = self._same_as_output(folder)
        if same:
            self._started.add(folder)
            self._handed.pop(folder, None)
            self._keep(folder, self._known[folder].key)
        else:
            # The output holds the pages not rendered; those placed are read back as placed.
            self._start(folder, None, self._read_kept if waiting and folder not in self._placed else None, changed=same is False)

    def _same_as_output(self, folder: str) -> bool | None:
        """Whether every page of the shard is as the output holds it, with the shard's
        bundle as last made (None: cannot tell). The build that wrote them made that bundle
        from those pages. An edit rerenders pages of other shards that come out the same
        (their neighbour's title, say): those shards are known unchanged from the few
        pages rendered, not by reading and hashing all of their pages; and the edited
        shard is known changed, so Pagefind starts on it at once."""
        handed = self._handed.get(folder, {})
        if folder not in self._on_disk or self._read_kept is None or len(handed) != len(self._shards[folder]) - len(self._waiting[folder]):
            return None
        if any(output not in self._page_on_disk for output in handed):
            return None
        return all(self._read_kept(output) == data for output, data in handed.items())

    def _kept_as_they_are(self, outputs: set[str]) -> bool:
        """Whether none of `outputs` is rendered this build and the output holds them all."""
        return (self._to_render is not None and self._read_kept is not None
                and not outputs & self._to_render and all(output in self._page_on_disk for output in outputs))

    def finish(self, read_page: ReadPage, digests: Mapping[str, str]) -> tuple[dict[str, bytes], set[str]]:
        """The index's files, as ({output path: bytes}, {output paths the output holds already}).

        `read_page` gives any essay page as this build made it; `digests` gives, per page,
        a digest of what it was rendered from. A failure goes into the report."""
        if self._report.errors:  # the build fails: no index
            return {}, set()
        self._read_page = read_page
        rendered_from = {folder: _pages_digest(folder, outputs, digests, self._language) for folder, outputs in self._shards.items()}
        for folder in self._shards:
            if folder in self._started:
                continue
            last = self._known.get(folder)
            unchanged = last is not None and rendered_from[folder] != "" and last.pages == rendered_from[folder]
            if unchanged and folder in self._on_disk:
                self._keep(folder, last.key)  # type: ignore[union-attr]
            else:
                self._start(folder, last.key if unchanged else None)  # type: ignore[union-attr]
        self._take(wait=True)
        if self._failed is not None:
            self._report.error(CONFIG_FILE, None, f"the search index could not be built: {self._failed}",
                               "set search = false in [tool.postil] to build without search")
            return {}, set()
        self._index.remember({folder: Made(key, names, rendered_from[folder]) for folder, (key, names) in sorted(self._done.items())})
        self._index.forget_others(self._shards)
        return self._files, self._in_output

    def bundles(self) -> list[Bundle]:
        """The bundles made or kept, primary first (as `plan` orders them), once `finish`
        has given their files.
        Pagefind names the metadata file by a hash of its contents, and picks the
        WebAssembly of the index's language when it has one."""
        primary = self._done[SEARCH_DIR + "/"][1]
        wasm = next((name for name in (f"wasm.{self._language}.pagefind", "wasm.unknown.pagefind") if name in primary), "")
        return [Bundle(folder, next(name for name in self._done[folder][1] if name.endswith(".pf_meta")), wasm) for folder in self._shards]

    def close(self) -> None:
        """Wait for the Pagefind runs begun (none is left running) and for their temporary
        folders to be removed; start no more."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._removing.shutdown(wait=True)

    def _start(self, folder: str, key: str | None, read_page: ReadPage | None = None, changed: bool = False) -> None:
        """Index the shard in the pool. A `changed` shard (its pages differ from those the
        output's bundle was made from) goes straight to Pagefind, its pages written for it
        here and now: in the pool, each file written waited for this thread, busy rendering
        the rest of the site, to let go of the interpreter."""
        self._started.add(folder)
        handed = self._handed.pop(folder, {})
        read = read_page or self._read_page or handed.__getitem__
        if changed:
            pages = {output: handed[output] if output in handed else read(output) for output in self._shards[folder]}
            # The pages the output holds as they are go in as links to its files where they can.
            kept = {output: self._kept_in / output for output in pages if output not in handed} if read is self._read_kept and self._kept_in else {}
            self._running[folder] = self._pool.submit(self._made_afresh, folder, pages, pagefind.stage(pages, kept))
        else:
            self._running[folder] = self._pool.submit(self._bundle, folder, handed, read, key)

    def _remove(self, folder: TemporaryDirectory) -> None:
        """Have Pagefind's temporary folder removed in the background (see `close`)."""
        self._removing.submit(folder.cleanup)

    def _take(self, wait: bool) -> None:
        """Take the bundles made (with `wait`, all of them) into the output, in this thread.
        A bundle taken is let go of at once: its job is dropped, which held it."""
        while self._running:
            if wait:
                concurrent.futures.wait(self._running.values(), return_when=concurrent.futures.FIRST_COMPLETED)
            done = [folder for folder, job in self._running.items() if job.done()]
            if not done:
                return
            for folder in done:
                self._take_one(folder, self._running.pop(folder))

    def _take_one(self, folder: str, job: Future[tuple[str, dict[str, bytes] | None]]) -> None:
        try:
            key, made = job.result()
        except RuntimeError as exc:
            self._failed = self._failed or str(exc)
            return
        if made is None:  # the very bundle the output holds
            self._keep(folder, key)
            return
        self._done[folder] = (key, sorted(made))
        for name, data in made.items():
            if self._place is not None:
                self._place(folder + name, data)
                self._in_output.add(folder + name)
            else:
                self._files[folder + name] = data

    def _keep(self, folder: str, key: str) -> None:
        names = self._known[folder].names
        self._done[folder] = (key, names)
        self._in_output.update(folder + name for name in names)

    def _bundle(self, folder: str, handed: dict[str, bytes], read_page: ReadPage, key: str | None) -> tuple[str, dict[str, bytes] | None]:
        """The shard's key and bundle, the bundle None when the output
        holds it as it is; kept from an earlier build when its key is known or its pages are
        the same, else made afresh. Runs in the pool."""
        if key is not None and (files := self._index.stored(folder, key)) is not None:
            return key, files
        pages = {output: handed[output] if output in handed else read_page(output) for output in self._shards[folder]}
        key = _key(folder, pages, self._language)
        last = self._known.get(folder)
        if last is not None and last.key == key and folder in self._on_disk:
            return key, None
        if (files := self._index.stored(folder, key)) is not None:
            return key, files
        return self._made_afresh(folder, pages)

    def _made_afresh(self, folder: str, pages: dict[str, bytes], staged: TemporaryDirectory | None = None) -> tuple[str, dict[str, bytes]]:
        """The shard's key and the bundle Pagefind makes of `pages` (`staged` for it, if
        they are), kept for later builds. Runs in the pool."""
        files = pagefind.index_pages(pages, self._language, primary=folder == SEARCH_DIR + "/", staged=staged, discard=self._remove)
        key = _key(folder, pages, self._language)
        self._index.keep(folder, key, files)
        return key, files


def _key(folder: str, pages: dict[str, bytes], language: str) -> str:
    """What the shard's bundle depends on."""
    digest = hashlib.sha256(f"{pagefind.version()}\0{language}\0{folder}\0".encode())
    for output in sorted(pages):
        digest.update(output.encode() + b"\0" + hashlib.sha256(pages[output]).digest())
    return digest.hexdigest()


def _pages_digest(folder: str, outputs: list[str], digests: Mapping[str, str], language: str) -> str:
    """A digest of what the shard's pages were rendered from; "" when one is not known."""
    digest = hashlib.sha256(f"{pagefind.version()}\0{language}\0{folder}\0".encode())
    for output in outputs:
        rendered_from = digests.get(output)
        if not rendered_from:
            return ""
        digest.update(f"{output}\0{rendered_from}\0".encode())
    return digest.hexdigest()


def _store_name(folder: str) -> str:
    """'pagefind/' → 'search-pagefind', 'pagefind/12/' → 'search-pagefind-12'."""
    return "search-" + folder.strip("/").replace("/", "-")


def _language(config: Config) -> str:
    """Pagefind wants an ISO 639-1 code: 'en-GB' → 'en'."""
    return config.language.split("-")[0].lower() or "en"

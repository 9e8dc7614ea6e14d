"""Full-text search: Pagefind indexes the essay pages during the build.

The index is a folder of static files (`pagefind/`) that the search page's script reads
in the browser, so search works on any static host. Only essay pages are given to
Pagefind, and in them only the element marked `data-pagefind-body` (the essay), so the
site's navigation is never indexed. Pagefind's output depends only on its input (two
builds give the same bytes), so builds stay reproducible; the last result is kept in
memory and in the site's cache folder, so a build that changed no essay page does not run
Pagefind again.

Pagefind is a dependency, but its binary is platform-specific: where it cannot be
imported the build warns once and the site is built without search.
"""
from __future__ import annotations

import hashlib
import tempfile
from functools import lru_cache
from pathlib import Path

from ..speed.disk_cache import DiskCache
from ..config import CONFIG_FILE, Config
from ..errors import Report
from ..site.model import Site

SEARCH_DIR = "pagefind"
SEARCH_PAGE = "search/index.html"
INDEX_TIMEOUT = 300  # seconds; Pagefind's service has none of its own, and a hung build helps nobody

_last: tuple[str, dict[str, bytes]] | None = None


@lru_cache(maxsize=1)
def unavailable_reason() -> str:
    """Why search cannot be built here, or "" when Pagefind is ready."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return "the pagefind package is not installed"
    if get_executable() is None:
        return "the pagefind package has no binary for this platform"
    return ""


def search_enabled(config: Config) -> bool:
    return config.search and not unavailable_reason()


def add_search_index(site: Site, config: Config, files: dict[str, bytes], report: Report, store: DiskCache | None = None) -> None:
    """Add Pagefind's index of the essay pages in `files` to `files`, when search is on."""
    if not config.search or report.errors:
        return
    if not search_enabled(config):
        report.warning(CONFIG_FILE, None, f"built without search: {unavailable_reason()}",
                       "pip install 'pagefind[extended]', or set search = false in [tool.postil]")
        return
    essay_pages = {output: files[output] for essay in site.essays if (output := essay.url_path + "index.html") in files}
    try:
        files.update(build_index(essay_pages, config, store))
    except RuntimeError as exc:
        report.error(CONFIG_FILE, None, f"the search index could not be built: {exc}",
                     "set search = false in [tool.postil] to build without search")


def build_index(pages: dict[str, bytes], config: Config, store: DiskCache | None = None) -> dict[str, bytes]:
    """Index `pages` ({output path: HTML}); return Pagefind's files as {output path: bytes}.

    Raises RuntimeError when Pagefind fails.
    """
    global _last
    digest = hashlib.sha256(_language(config).encode())
    for output in sorted(pages):
        digest.update(output.encode() + b"\0" + hashlib.sha256(pages[output]).digest())
    key = digest.hexdigest()
    if _last is None or _last[0] != key:
        stored = store.load() if store else {}
        if stored.get("key") == key and isinstance(stored.get("files"), dict):
            _last = (key, stored["files"])
        else:
            _last = (key, _run_pagefind(pages, config))
            if store:
                store.save({"key": key, "files": _last[1]})
    return dict(_last[1])


def _language(config: Config) -> str:
    """Pagefind wants an ISO 639-1 code: 'en-GB' → 'en'."""
    return config.language.split("-")[0].lower() or "en"


def _run_pagefind(pages: dict[str, bytes], config: Config) -> dict[str, bytes]:
    import asyncio  # here: most builds (and every preview) never index, and asyncio is slow to import
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory(prefix="postil-search-") as folder:
        staging, bundle = Path(folder) / "site", Path(folder) / "bundle"
        # Result URLs are site paths ('/essay/'); the search page gives Pagefind the base path.
        for output, html in pages.items():
            target = staging / output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html)
        try:
            # A thread of its own: the caller may already run an event loop (asyncio.run cannot nest).
            with ThreadPoolExecutor(max_workers=1) as thread:
                thread.submit(asyncio.run, asyncio.wait_for(_index(staging, bundle, _language(config)), INDEX_TIMEOUT)).result()
        except TimeoutError as exc:
            raise RuntimeError(f"Pagefind did not finish within {INDEX_TIMEOUT} s") from exc
        except Exception as exc:  # Pagefind reports failures as bare Exceptions from its service
            raise RuntimeError(str(exc) or type(exc).__name__) from exc
        return {
            f"{SEARCH_DIR}/{path.relative_to(bundle).as_posix()}": path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file()
        }


async def _index(staging: Path, bundle: Path, language: str) -> None:
    from pagefind.index import PagefindIndex

    async with PagefindIndex(config={"force_language": language, "output_path": str(bundle)}) as index:
        await index.add_directory(str(staging))

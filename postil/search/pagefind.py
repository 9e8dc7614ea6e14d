"""Running Pagefind's binary on one shard's pages.

The binary reading files is far faster than feeding Pagefind's Python service one record
at a time, and a process of its own per shard keeps each run's memory to one shard's.
The pages are staged in a temporary folder under their percent-encoded addresses, which
Pagefind takes as the result URLs as they are: an address with non-ASCII letters then
reaches the browser encoded, as every other link of the site is. Pagefind numbers the
pages in the order its walk of the folder meets them, that is in the order the file system
lists it: the same pages give the same bundle on one file system, not on every one (ext4
lists by a hash with a seed of its own, tmpfs by creation). Its service, fed the pages in
our order, is independent of it but took ~1.6 times as long (100 essay pages: ~1.0 s
against 0.63 s), so the binary reads files.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from ..site.paths import url_quote

INDEX_TIMEOUT = 300  # seconds; a hung indexer helps nobody


@lru_cache(maxsize=1)
def executable() -> str | None:
    """The Pagefind binary the `pagefind[extended]` package ships, or None.

    Asked of the binary's own package first: Pagefind's finder is in `pagefind.service`,
    whose import (asyncio and the service's types) costs a build that finds its index up
    to date more than the rest of its index step."""
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:
        try:
            from pagefind.service import get_executable  # type: ignore[assignment]
        except ImportError:
            return None
    try:
        found = get_executable()
    except FileNotFoundError:
        return None
    return None if found is None else str(found)


@lru_cache(maxsize=1)
def unavailable_reason() -> str:
    """Why search cannot be built here, or "" when Pagefind is ready."""
    try:
        import pagefind  # noqa: F401
    except ImportError:
        return "the pagefind package is not installed"
    if executable() is None:
        return "the pagefind package has no binary for this platform"
    return ""


@lru_cache(maxsize=1)
def version() -> str:
    """Pagefind's version: a new one may lay out its bundle differently.

    Read off the name of the package's metadata folder next to it where there is one:
    importing importlib.metadata (email, csv, zipfile) costs an edit's build more than the
    rest of its index step."""
    import pagefind

    beside = list(Path(pagefind.__file__).parent.parent.glob("pagefind-*.dist-info"))
    if len(beside) == 1:
        return beside[0].name.removeprefix("pagefind-").removesuffix(".dist-info")
    from importlib.metadata import version as installed

    return installed("pagefind")


def stage(pages: dict[str, bytes], files: Mapping[str, Path] | None = None) -> tempfile.TemporaryDirectory:
    """A temporary folder holding `pages` ({output path: HTML}) as `index_pages` hands them
    to Pagefind, for a caller that has the time to write them now and not later.

    `files` names, for some of the pages, a file holding those very bytes (the output's
    own, left as they are): the page is staged as a hard link to it where the file system
    allows one. Writing the pages of an edit's shard cost 12-70 ms on the build's path
    (2 cores, busy), linking them 2-6 ms."""
    folder = tempfile.TemporaryDirectory(prefix="postil-search-")
    staging = Path(folder.name) / "site"
    files = files or {}
    for output, html in pages.items():
        target = staging / url_quote(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        if output in files:
            try:
                os.link(files[output], target)
                continue
            except OSError:  # another file system, or no hard links there: a copy
                pass
        target.write_bytes(html)
    return folder


def index_pages(
    pages: dict[str, bytes], language: str, primary: bool, staged: tempfile.TemporaryDirectory | None = None,
    discard: Callable[[tempfile.TemporaryDirectory], object] = tempfile.TemporaryDirectory.cleanup,
) -> dict[str, bytes]:
    """Index `pages` ({output path: HTML}); return the bundle's files by their path in it.

    A `primary` bundle keeps Pagefind's scripts and styles; another keeps only its index.
    `staged`, if given, is `stage(pages)`. `discard(folder)` removes the temporary folder
    once the bundle is read (or Pagefind failed): by default here and now; a caller may
    have it removed elsewhere, so that the next shard need not wait for it. Raises
    RuntimeError when Pagefind fails or leaves an incomplete bundle.
    """
    folder = staged or stage(pages)
    try:
        staging, bundle = Path(folder.name) / "site", Path(folder.name) / "bundle"
        command = [executable() or "pagefind", "--site", str(staging), "--output-path", str(bundle),
                   "--force-language", language, "--silent"]
        try:
            run = subprocess.run(command, capture_output=True, timeout=INDEX_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"Pagefind did not finish within {INDEX_TIMEOUT} s") from exc
        except OSError as exc:
            raise RuntimeError(f"Pagefind could not be started: {exc.strerror}") from exc
        if run.returncode != 0:
            message = run.stderr.decode(errors="replace").strip() or f"exit code {run.returncode}"
            raise RuntimeError(f"Pagefind failed: {message.splitlines()[-1]}")
        # Only what the bundle keeps is read back: not a merged bundle's copy of the scripts.
        names = [path.relative_to(bundle).as_posix() for path in sorted(bundle.rglob("*")) if path.is_file()]
        files = {name: (bundle / name).read_bytes() for name in names if primary or _needed_when_merged(name)}
    finally:
        discard(folder)
    _check_complete(files, len(pages))
    return files


def _needed_when_merged(name: str) -> bool:
    """A merged bundle needs its index; the primary's scripts, styles and WebAssembly serve all."""
    return name == "pagefind-entry.json" or name.endswith(".pf_meta") or name.startswith(("index/", "fragment/", "filter/"))


def _check_complete(files: dict[str, bytes], pages: int) -> None:
    """Refuse a bundle whose entry file does not count every page (Pagefind's service was
    seen leaving it empty under load): a search would silently miss essays."""
    try:
        entry = json.loads(files["pagefind-entry.json"])
        indexed = sum(language["page_count"] for language in entry["languages"].values())
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise RuntimeError("Pagefind left an incomplete index (its pagefind-entry.json is missing or unreadable)") from exc
    if indexed != pages:
        raise RuntimeError(f"Pagefind indexed {indexed} of {pages} pages")

"""What `postil check` read of each built page, kept between runs by a digest of the
page's bytes, so that a page the build left as it was is not parsed again: parsing is most
of check's time (at 5,000 essays, 6 of its 12 CPU seconds), hashing a page 1/10 of it.
Bytes, not stats, vouch for a page: a CI runner that restored `public/` and
`.postil-cache/` has every file anew, and the same pages. The facts are check's own plain
data; this store keeps them and discards them whole when postil's code changed."""
from __future__ import annotations

from pathlib import Path

from .disk_cache import DiskCache, code_fingerprint

NAME = "page-facts"


class PageFactsStore:
    """One file in the site's cache folder: a list of URLs and, by page digest, each page's
    facts as a tuple of strings, bytes and numbers (URLs by their place in the list)."""

    def __init__(self, site_root: Path):
        self._disk = DiskCache(site_root, NAME, chunked=True)  # the facts of thousands of pages: saved a chunk at a time

    def load(self, scope: object) -> tuple[list[str], dict[bytes, tuple]]:
        """The URLs and the facts by page digest kept for `scope` (the reader's own version
        of what facts are) and this code, or none."""
        entries = self._disk.load()
        if entries.get("scope") != (scope, code_fingerprint()):
            return [], {}
        urls, pages = entries.get("urls"), entries.get("pages")
        return (urls, pages) if isinstance(urls, list) and isinstance(pages, dict) else ([], {})

    def save(self, scope: object, urls: list[str], pages: dict[bytes, tuple]) -> None:
        """Keep these instead of what was kept; a failure to write only costs time."""
        self._disk.save({"scope": (scope, code_fingerprint()), "urls": urls, "pages": pages})

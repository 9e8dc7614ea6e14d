"""Where replies' quotes lie in their essay, kept from one run to the next.

The quote check (site/threads.py) looks for each checked quote of an essay among the
essay's passages, which are unpacked from the parse cache's file of bodies for it: an edit
did so for every essay that has replies, though one essay had changed (at 1,000 essays,
~30 ms of the edit's path, most of it unpacking). Where an essay's quotes lie depends only
on what the essay was parsed from and on the quotes themselves, so the places found are
kept under those two digests and found again only when either changes. A build into a
folder keeps them on disk, with the parse cache's scope (the config and postil's code, on
which the passages depend too); the dev server keeps them in memory.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from ..site.model import Essay
from ..site.threads import QuotePlaces
from .digests import digest_of
from .disk_cache import DiskCache

Key = tuple[str, str]  # the essay's digest, the digest of its quotes
Places = tuple["str | None", ...]


class KeptQuotePlaces:
    """`QuotePlaces` that finds an essay's quotes with `find` only when the essay (as
    `essay_digest` gives it; None: unknown) or its quotes changed since they were found."""

    def __init__(self, find: QuotePlaces, essay_digest: Callable[[Essay], str | None], store: DiskCache | None):
        self._find, self._essay_digest, self._store = find, essay_digest, store
        self._scope: object = None
        self._kept: dict[Key, Places] = {}
        self._now: dict[Key, Places] = {}
        self._found = False  # places were found anew since they were last saved

    def begin(self, scope: object) -> None:
        """Start a build under `scope`: what was kept under another is dropped."""
        if self._scope is None and self._store is not None:
            stored = self._store.load()
            if stored.get("scope") == scope and isinstance(stored.get("places"), dict):
                self._kept, self._scope = stored["places"], scope
        if scope != self._scope:
            self._kept, self._scope, self._found = {}, scope, True
        self._now = {}

    def __call__(self, essay: Essay, quotes: Sequence[str]) -> Sequence[str | None]:
        digest = self._essay_digest(essay)
        if digest is None:
            return self._find(essay, quotes)
        key = (digest, digest_of(*quotes))
        places = self._kept.get(key)
        if places is None or len(places) != len(quotes):
            places = tuple(self._find(essay, quotes))
            self._found = True
        self._now[key] = places
        return places

    def end(self) -> None:
        """Keep the places this build asked for, and only those, for the next."""
        if len(self._now) != len(self._kept):
            self._found = True
        self._kept = self._now

    def save(self) -> None:
        if self._store is not None and self._found:
            self._store.save({"scope": self._scope, "places": self._kept})
            self._found = False

"""What a page read of the `discussions` global, as a digest.

A new reply changes one essay's discussion. A page that read only other essays'
discussions, or only whether there are any, need not be rendered again, so a page's
digest covers the discussions it read (noted by `render.pages.Discussions`), not the
whole mapping.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..render.pages import ALL_DISCUSSIONS, ANY_DISCUSSION
from ..site.model import same_objects
from .digests import Digests, digest_of

_SPECIAL_READS = (ANY_DISCUSSION, ALL_DISCUSSIONS)
# What a set of reads of `discussions` came to: the values read, a part for each (None
# for a single read), the digest.
ReadsDigest = tuple[tuple, list[str | None] | None, str | None]


class DiscussionReads:
    """Digests of what a page (or a cached partial) read of the `discussions` global.

    A list of every essay reads each one's discussion, a thousand different reads in all,
    and the page itself reads them all at once. `carried` gives the last build's digests
    with the discussions they were made from and the part of each, so that the very same
    discussions are not digested again: after an edit, only the edited essay's is.
    """

    def __init__(self, entries: dict, digests: Digests, carried: dict[tuple[str, ...], ReadsDigest] | None = None):
        self.entries, self.digests = entries, digests
        self.carried = carried or {}
        self.memo: dict[tuple[str, ...], ReadsDigest] = {}

    def digest(self, reads: Iterable[str]) -> str | None:
        """The digest of what `reads` names (as kept: a sorted tuple of distinct names, or any iterable)."""
        key = reads if type(reads) is tuple else tuple(sorted(set(reads)))
        found = self.memo.get(key)
        if found is None:
            # The special reads sort first; most keys name only essays' discussions.
            values = tuple(map(self._value if key and key[0] in _SPECIAL_READS else self.entries.get, key))
            found = self.carried.get(key)
            if found is None or not same_objects(found[0], values):
                if found is not None and found[1] is not None and len(found[0]) == len(values):
                    parts = [part if before is value else self._part(read, value) for read, value, before, part in zip(key, values, *found[:2])]
                else:
                    parts = list(map(self._part, key, values))
                digest = None if None in parts else digest_of("reads", *parts)  # type: ignore[arg-type]
                # Most reads name one discussion (an essay's page, an item of a list), whose
                # part is made again whenever it changed: kept, the parts of 10,000 such
                # reads weighed 3 MB at 5,000 essays.
                found = (values, parts if len(parts) > 1 else None, digest)
            self.memo[key] = found
        return found[2]

    def _value(self, read: str) -> object:
        if read == ANY_DISCUSSION:
            return bool(self.entries)
        return self.entries if read == ALL_DISCUSSIONS else self.entries.get(read)

    def _part(self, read: str, value: object) -> str | None:
        if read == ANY_DISCUSSION:
            return f"{read}:{value}"
        digest = self.digests.of(value)
        return None if digest is None else f"{read}:{digest}"

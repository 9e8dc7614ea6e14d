"""Content digests of the values a page is rendered from.

A page (or a list item) is rendered again only when the digest of its inputs changed.
`Digests` reduces a context value to such a digest; `same_data` tells, without digesting,
that a value holds the very objects of the last build, which is all the dev server needs
to know for most pages after an edit.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import pickle
import types

from collections.abc import Callable

from ..site.model import Essay, Reply, same_objects

_PLAIN = (str, bytes, int, float, bool, type(None), dt.datetime, dt.date)
_PLAIN_TYPES = frozenset(_PLAIN)
_PICKLED_AS_IS = _PLAIN_TYPES | {tuple, list, dict}
# Types whose pickle is their value (subclasses too: named tuples, Markup), and the
# classes and functions pickle names on the way.
_VALUES = (*_PLAIN, tuple, list, dict, dt.time, dt.timedelta, dt.tzinfo, type, types.FunctionType, types.BuiltinFunctionType)
# Parse results whose bodies are kept apart from them (see site/model.py): two with equal
# fields may come from files whose bodies differ, so only the very same object is the same.
_PARSE_RESULTS = frozenset((Essay, Reply))


# A value whose pickle is smaller is digested again each time it is met rather than
# remembered: remembering holds the value and its digest until the build ends, which for
# the small values made anew for each page (a page's neighbours, its pager) cost more
# memory than digesting them again costs time (at 5,000 essays, 37,000 of them).
REMEMBERED_PICKLE_BYTES = 256


def digest_of(*parts: str) -> str:
    """One digest for several strings; '#' marks it apart from any plain value's repr."""
    return "#" + hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _no_parse_results(value: object) -> None:
    return None


class _Unknown(Exception):
    """A value of a type whose pickle may not stand for its content."""


class _ContextPickler(pickle.Pickler):
    """Pickles a context value for its digest: a parse result stands as the digest of its
    source file, and a dataclass as its type's name and its fields, so its pickle does not
    hang on what else its instance holds (such as a cached property)."""

    def __init__(self, stream: io.BytesIO, known: Callable[[object], str | None]):
        super().__init__(stream, protocol=5)
        self.fast = True  # no memo: equal values pickle the same, however they are shared
        self.known = known
        self._fields: dict[type, tuple[str, ...]] = {}

    def persistent_id(self, value: object) -> object:
        kind = type(value)
        if kind in _PICKLED_AS_IS:
            return None
        if kind in _PARSE_RESULTS and (known := self.known(value)) is not None:
            return known
        if dataclasses.is_dataclass(kind):
            if kind not in self._fields:
                self._fields[kind] = tuple(field.name for field in dataclasses.fields(kind))
            return (kind.__module__, kind.__qualname__, *(getattr(value, name) for name in self._fields[kind]))
        if isinstance(value, _VALUES):
            return None
        raise _Unknown(kind.__qualname__)


class Digests:
    """Content digests of context values: a digest of each value's pickle.

    Pickling walks a context in C, several times faster than a walk in Python (3,400
    pages at 1,000 essays: 40 ms, not 100). Parse results stand in it as the digests of
    their source files (`known` gives that of a parse result, None for any other object:
    asked, not looked up in a table by id, which held 17,000 strings at 5,000 essays).
    Within a build each value is digested once, but for small ones (see
    REMEMBERED_PICKLE_BYTES). None stands for "unknown": a value of a type this cannot
    read, whose page is then rendered again.

    The site model is never changed once made, so a frozen dataclass met again (a
    discussion the dev server's last build made from the same replies) keeps the digest
    it had: `carried` gives those of the last build, and `frozen` holds this build's.
    """

    def __init__(self, known: Callable[[object], str | None] | None = None, carried: dict[int, tuple[object, str | None]] | None = None):
        self.known = known or _no_parse_results
        self.carried = carried or {}
        self.frozen: dict[int, tuple[object, str | None]] = {}
        # By id, with the value: a value is digested by identity only while it is alive
        # (a page's context may be made, digested and let go: see render.pages.Page).
        self._memo: dict[int, tuple[object, str | None]] = {}
        self._buffer = io.BytesIO()
        self._pickler = _ContextPickler(self._buffer, self.known)

    def of(self, value: object) -> str | None:
        kind = type(value)
        if kind in _PLAIN_TYPES:
            return repr(value)
        key = id(value)
        memo = self._memo.get(key)
        if memo is not None and memo[0] is value:
            return memo[1]
        known = self.known(value) if kind in _PARSE_RESULTS else None
        if known is not None:
            result = known
        else:
            carried = self.carried.get(key)
            if carried is not None and carried[0] is value:
                result = carried[1]
            else:
                result = self._pickled(value)
                if result is not None and self._buffer.tell() < REMEMBERED_PICKLE_BYTES:
                    return result
            if dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
                self.frozen[key] = (value, result)
        self._memo[key] = (value, result)
        return result

    def of_context(self, context: dict[str, object]) -> str | None:
        """A page's context, value by value, so that a value many pages share is digested
        once: every page of /replies/ holds the site's list of authors, which digested
        within each page's dict made those 48 pages (at 1,000 essays) cost more than the
        site's 3,400 others."""
        parts = []
        for name, value in context.items():
            digest = self.of(value)
            if digest is None:
                return None
            parts += (name, digest)
        return digest_of(*parts)

    def _pickled(self, value: object) -> str | None:
        self._buffer.seek(0)
        self._buffer.truncate()
        try:
            self._pickler.dump(value)
            return "#" + hashlib.blake2b(self._buffer.getvalue(), digest_size=16).hexdigest()
        except (_Unknown, pickle.PicklingError, TypeError, AttributeError, RecursionError):
            self._pickler = _ContextPickler(self._buffer, self.known)  # a failed dump may leave it mid-frame
            return None



def same_data(old: object, new: object) -> bool:
    """Whether two context values hold the same data, found without digesting them.

    An object met again is taken as unchanged: the site model is never changed once made
    (parse results and what assembly builds from them are frozen), so a page whose context
    holds the very objects of the last build needs no walk. New containers are compared
    item by item, which is mostly a run of identity checks; a parse result made anew is
    never the same, as its body is not among its fields.
    """
    if old is new:
        return True
    kind = type(old)
    if kind is not type(new):
        return False
    if kind in _PLAIN_TYPES:
        return old == new
    if kind in _PARSE_RESULTS:
        return False
    if kind is tuple or kind is list:
        return _same_items(old, new)  # type: ignore[arg-type]
    if kind is dict:
        return old.keys() == new.keys() and _same_items(list(old.values()), list(map(new.__getitem__, old)))  # type: ignore[attr-defined]
    if dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return all(same_data(getattr(old, field.name), getattr(new, field.name)) for field in dataclasses.fields(kind))
    return False


def _same_items(old: list | tuple, new: list | tuple) -> bool:
    # The identity checks run in C; most containers hold the very same items as last time.
    return same_objects(old, new) or (len(old) == len(new) and all(map(same_data, old, new)))


"""Which pages must be rendered again: a dependency record per page.

A page's bytes depend on three things only: its template (with every template it extends,
includes or imports), the values in its context, and what the Jinja environment exposes
to every page (the config and the asset names). `RenderCache` remembers, for each output
path, a fingerprint of those three and the bytes they gave; a page whose fingerprint did
not change is not rendered again. When it cannot tell what a page depends on (a template
chosen at run time, a context value of an unknown type) it renders the page again: being
unsure costs time, never correctness.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from collections.abc import Hashable
from typing import Callable

import jinja2
import jinja2.meta

from .render import Page

_PLAIN = (str, int, float, bool, type(None), dt.datetime, dt.date)


class _Unknown:
    """A fingerprint part equal to nothing, not even itself: forces a render."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]


class Fingerprints:
    """Comparable copies of context values' content, computed once per object.

    Within a build, an object met twice (an essay on its page, on the home page, in its
    tags) is walked once. Across builds, a frozen dataclass that is the very same object
    as last time (a parsed essay or reply reused from the parse cache) keeps last build's
    fingerprint; the objects are held here, so their ids cannot be reused meanwhile.
    """

    def __init__(self, previous: dict[int, tuple[object, object]] | None = None):
        self.previous = previous or {}
        self.frozen: dict[int, tuple[object, object]] = {}  # carried to the next build
        self._memo: dict[int, object] = {}
        self._fields: dict[type, tuple[str, ...]] = {}

    def of(self, value: object) -> object:
        if isinstance(value, _PLAIN):
            return value
        key = id(value)
        if key in self._memo:
            return self._memo[key]
        kind = type(value)
        if isinstance(value, (tuple, list)):
            result: object = (kind.__name__, tuple(self.of(item) for item in value))
        elif isinstance(value, dict):
            result = ("dict", tuple((k, self.of(v)) for k, v in value.items()))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            result = self._dataclass(value, kind)
        else:
            result = _Unknown()
        self._memo[key] = result
        return result

    def _dataclass(self, value: object, kind: type) -> object:
        frozen = kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
        known = self.previous.get(id(value)) if frozen else None
        if known is not None and known[0] is value:
            result = known[1]
        else:
            if kind not in self._fields:
                self._fields[kind] = tuple(f.name for f in dataclasses.fields(value))  # type: ignore[arg-type]
            result = (kind.__qualname__, tuple(self.of(getattr(value, name)) for name in self._fields[kind]))
        if frozen:
            self.frozen[id(value)] = (value, result)
        return result


# Only for finding references: templates use Jinja's default syntax and no extensions.
_PARSER = jinja2.Environment()


@functools.lru_cache(maxsize=512)
def _referenced_templates(source: str) -> frozenset[str] | None:
    """Parsing a template is the slow part of fingerprinting it: done once per source text."""
    try:
        found = set(jinja2.meta.find_referenced_templates(_PARSER.parse(source)))
    except jinja2.TemplateSyntaxError:
        return frozenset()  # rendering reports the syntax error; the source itself is in the digest
    return None if None in found else frozenset(found)  # type: ignore[arg-type]


class TemplateFingerprints:
    """The sources of a template and of every template it pulls in, as one digest."""

    def __init__(self, environment: jinja2.Environment):
        self.environment = environment
        self._digests: dict[str, str | None] = {}

    def _source(self, name: str) -> str | None:
        loader = self.environment.loader
        assert loader is not None
        try:
            return loader.get_source(self.environment, name)[0]
        except jinja2.TemplateNotFound:
            return None

    def digest(self, name: str) -> str | None:
        """None when unsure (a dynamic include): the caller renders the page again."""
        if name in self._digests:
            return self._digests[name]
        seen: set[str] = set()
        pending = [name]
        hasher = hashlib.sha256()
        unsure = False
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            source = self._source(current)
            hasher.update(current.encode() + b"\0" + (source.encode() if source is not None else b"\1missing") + b"\0")
            if source is None:
                continue
            referenced = _referenced_templates(source)
            if referenced is None:
                unsure = True
                break
            pending.extend(sorted(referenced))
        self._digests[name] = None if unsure else hasher.hexdigest()
        return self._digests[name]


@dataclasses.dataclass
class RenderCache:
    """Rendered bytes per output path, kept while their inputs stay the same."""

    _environment_key: Hashable = None
    _pages: dict[str, tuple[object, bytes]] = dataclasses.field(default_factory=dict)
    _frozen: dict[int, tuple[object, object]] = dataclasses.field(default_factory=dict)
    rendered_last: int = 0  # how many pages the last call really rendered (for tests and figures)

    def render(
        self,
        pages: list[Page],
        environment: jinja2.Environment,
        environment_key: Hashable,
        render_many: Callable[[list[Page]], list[bytes | None]],
        remember: bool = True,
    ) -> dict[str, bytes]:
        """Bytes for every page; `render_many` is given only the pages whose inputs changed
        (and returns None for a page that failed).

        `environment_key` stands for what the environment's functions read (config, asset
        names); data put in the environment's globals is fingerprinted here, as a page may
        read any of it. With `remember=False` (a one-shot build) nothing is fingerprinted or
        kept: every page is rendered.
        """
        if not remember:
            self._pages, self._frozen, self._environment_key = {}, {}, None
            results = render_many(pages)
            self.rendered_last = len(pages)
            return {page.output: data for page, data in zip(pages, results) if data is not None}
        fingerprints = Fingerprints(self._frozen)
        shared_data = {name: value for name, value in environment.globals.items() if not callable(value)}
        environment_key = (environment_key, fingerprints.of(shared_data))
        if environment_key != self._environment_key:
            self._pages = {}
            self._environment_key = environment_key
        templates = TemplateFingerprints(environment)
        fingerprinted = []
        stale: list[Page] = []
        for page in pages:
            digest = templates.digest(page.template)
            fingerprint = (page.template, digest, fingerprints.of(page.context)) if digest else _Unknown()
            cached = self._pages.get(page.output)
            fresh = cached is not None and cached[0] == fingerprint
            fingerprinted.append((page, fingerprint, cached[1] if fresh else None))
            if not fresh:
                stale.append(page)
        rendered = dict(zip((page.output for page in stale), render_many(stale)))
        self.rendered_last = len(stale)
        kept: dict[str, tuple[object, bytes]] = {}
        output: dict[str, bytes] = {}
        for page, fingerprint, data in fingerprinted:
            data = data if data is not None else rendered[page.output]
            if data is None:
                continue
            kept[page.output] = (fingerprint, data)
            output[page.output] = data
        self._pages = kept
        self._frozen = fingerprints.frozen
        return output

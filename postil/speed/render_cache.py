"""Which pages must be rendered again: a content digest per page.

A page's bytes depend on three things only: its template (with every template it extends,
includes or imports), the values in its context, and what the Jinja environment exposes
to every page (the config, the asset names, the data in its globals). `RenderCache`
remembers, for each output path, a digest of those three; a page whose digest did not
change is not rendered again. The digests are plain strings, so a build into a folder
can keep them on disk and a later run can reuse the files it wrote (see uptodate.py).
When it cannot tell what a page depends on (a template chosen at run time, a context
value of an unknown type) it renders the page again: being unsure costs time, never
correctness.

Within one process (the dev server) a page whose context holds the very objects of the
last build is not even digested (`same_data`). Inside pages, `cached_partial` reuses the
output of a partial, such as one item of a long list, on the same principle (`Fragments`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import os
import pickle
import re
import types
import zlib
from collections.abc import Container, Iterable
from typing import Callable

import jinja2
import markupsafe

from ..site.model import same_objects
from ..render.pages import ALL_DISCUSSIONS, ANY_DISCUSSION, Discussions, Page

_PLAIN = (str, bytes, int, float, bool, type(None), dt.datetime, dt.date)
_PLAIN_TYPES = frozenset(_PLAIN)
_PICKLED_AS_IS = _PLAIN_TYPES | {tuple, list, dict}
# Types whose pickle is their value (subclasses too: named tuples, Markup), and the
# classes and functions pickle names on the way.
_VALUES = (*_PLAIN, tuple, list, dict, dt.time, dt.timedelta, dt.tzinfo, type, types.FunctionType, types.BuiltinFunctionType)
_UNSEEN = object()


def digest_of(*parts: str) -> str:
    """One digest for several strings; '#' marks it apart from any plain value's repr."""
    return "#" + hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class _Unknown(Exception):
    """A value of a type whose pickle may not stand for its content."""


class _ContextPickler(pickle.Pickler):
    """Pickles a context value for its digest: a parse result stands as the digest of its
    source file, and a dataclass as its type's name and its fields, so its pickle does not
    hang on what else its instance holds (such as a cached property)."""

    def __init__(self, stream: io.BytesIO, known: dict[int, tuple[object, str]]):
        super().__init__(stream, protocol=5)
        self.fast = True  # no memo: equal values pickle the same, however they are shared
        self.known = known
        self._fields: dict[type, tuple[str, ...]] = {}

    def persistent_id(self, value: object) -> object:
        kind = type(value)
        if kind in _PICKLED_AS_IS:
            return None
        known = self.known.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
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
    their source files (`known`: id → (object, digest); the objects are held there, so
    their ids cannot be reused meanwhile). Within a build each value is digested once.
    None stands for "unknown": a value of a type this cannot read, whose page is then
    rendered again.

    The site model is never changed once made, so a frozen dataclass met again (a
    discussion the dev server's last build made from the same replies) keeps the digest
    it had: `carried` gives those of the last build, and `frozen` holds this build's.
    """

    def __init__(self, known: dict[int, tuple[object, str]] | None = None, carried: dict[int, tuple[object, str | None]] | None = None):
        self.known = known or {}
        self.carried = carried or {}
        self.frozen: dict[int, tuple[object, str | None]] = {}
        self._memo: dict[int, str | None] = {}
        self._buffer = io.BytesIO()
        self._pickler = _ContextPickler(self._buffer, self.known)

    def of(self, value: object) -> str | None:
        kind = type(value)
        if kind in _PLAIN_TYPES:
            return repr(value)
        key = id(value)
        result = self._memo.get(key, _UNSEEN)
        if result is not _UNSEEN:
            return result  # type: ignore[return-value]
        known = self.known.get(key)
        if known is not None and known[0] is value:
            result = known[1]
        else:
            carried = self.carried.get(key)
            if carried is not None and carried[0] is value:
                result = carried[1]
            else:
                result = self._pickled(value)
            if dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
                self.frozen[key] = (value, result)
        self._memo[key] = result
        return result

    def _pickled(self, value: object) -> str | None:
        self._buffer.seek(0)
        self._buffer.truncate()
        try:
            self._pickler.dump(value)
            return "#" + hashlib.blake2b(self._buffer.getvalue(), digest_size=16).hexdigest()
        except (_Unknown, pickle.PicklingError, TypeError, AttributeError, RecursionError):
            self._pickler = _ContextPickler(self._buffer, self.known)  # a failed dump may leave it mid-frame
            return None


# `{% extends|include|import|from WHAT ... %}`, WHAT ending where the tag or its own
# keywords begin; and `cached_partial(WHAT, ...)` or `cached_partial_each(WHAT, ...)`.
# Templates use Jinja's default delimiters.
_REFERENCE = re.compile(
    r"{%[-+]?\s*(?:extends|include|import|from)\s+(.*?)\s*(?:[-+]?%}|\s(?:import|as|with|without|ignore)\b)"
    r"|\bcached_partial(?:_each)?\(\s*([^,)]*?)\s*[,)]",
    re.S,
)
_STRING = re.compile(r"""^(?:"([^"\\]*)"|'([^'\\]*)')$""")


@functools.lru_cache(maxsize=512)
def _referenced_templates(source: str) -> frozenset[str] | None:
    """The templates a source pulls in, found by a scan of its tags, not a parse: parsing
    every template cost ~70 ms of each new run. The scan errs on the safe side: a tag
    inside a comment or a raw block still counts, and a reference that is not a plain
    string (a variable, a list, an expression) gives None, "unsure"."""
    found = set()
    for match in _REFERENCE.finditer(source):
        literal = _STRING.match(match[1] if match[1] is not None else match[2])
        if literal is None:
            return None
        found.add(literal[1] if literal[1] is not None else literal[2])
    return frozenset(found)


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


def same_data(old: object, new: object) -> bool:
    """Whether two context values hold the same data, found without digesting them.

    An object met again is taken as unchanged: the site model is never changed once made
    (parse results and what assembly builds from them are frozen), so a page whose context
    holds the very objects of the last build needs no walk. New containers are compared
    item by item, which is mostly a run of identity checks.
    """
    if old is new:
        return True
    kind = type(old)
    if kind is not type(new):
        return False
    if kind in _PLAIN_TYPES:
        return old == new
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


class Fragments:
    """`cached_partial(name, **values)` for templates: a partial rendered with only `values`
    (and the environment's globals) in its context, its output reused while they are the same.

    Lists of every essay (the home page, the archive) are most of what a one-essay edit
    renders again; with each item a cached partial, such a page is a join of strings but
    for the item that changed. The key is the build's scope (config, assets, global data,
    code), the partial's template closure and the digests of the values; what the partial
    read of `discussions` is checked on each use. So a reused output is always the one
    rendering would give. Values of unknown digest are rendered every time. Outputs not used by this build or the one before are dropped, and all of
    them when the scope changes.

    Pages rendered in worker processes send back the outputs they made (`take_added`,
    `merge`); a build into a folder keeps the outputs on disk for the next run (`saved`,
    `restore`), so a new process after an edit renders one item, not every list again.
    What workers send back stays packed until a later build in this process needs it: it
    is kept for later builds only (at 5,000 essays, unpacked, it grew a cold build's main
    process by 30 MB).
    """

    def __init__(self) -> None:
        self._outputs: dict[tuple, _Fragment] = {}
        self._packed: list[bytes] = []  # outputs made by workers, as `take_added` packed them
        self._owner = os.getpid()  # the process that renders with `_outputs` at hand
        self._used: set[tuple] = set()
        self._used_before: set[tuple] = set()
        self._scope = ""
        self._added: dict[tuple, _Fragment] = {}
        self.changed = False  # outputs were made or dropped by the last build
        self._held: list[dict] = []  # values digested by id must outlive the build
        # Keys by the identity of the values (held with them), of this build and the last.
        self._keys: dict[tuple, tuple[tuple, tuple]] = {}
        self._keys_now: dict[tuple, tuple[tuple, tuple]] = {}
        self._bound: tuple[jinja2.Environment, Digests, TemplateFingerprints, DiscussionReads] | None = None

    def begin(self, environment: jinja2.Environment, digests: Digests, templates: TemplateFingerprints, scope: str, reads: DiscussionReads) -> None:
        for packed in self._packed:  # made by the last build's workers: used by it, so kept
            outputs = _unpack_fragments(packed)
            self._outputs.update(outputs)
            self._used_before.update(outputs)
        self._packed, self._owner = [], os.getpid()
        self.changed = scope != self._scope
        if self.changed:
            self._outputs, self._scope, self._keys = {}, scope, {}
        self._bound = (environment, digests, templates, reads)
        environment.globals["cached_partial"] = self
        environment.globals["cached_partial_each"] = self.each

    def end(self) -> None:
        kept = self._used | self._used_before
        count = len(self._outputs)
        self._outputs = {key: output for key, output in self._outputs.items() if key in kept}
        self.changed = self.changed or len(self._outputs) != count
        self._used_before, self._used = self._used, set()
        self._keys, self._keys_now = self._keys_now, {}
        self._held, self._bound, self._added = [], None, {}

    def take_added(self) -> bytes:
        """The outputs a worker made since the last call, packed for the parent to `merge`
        (b"" in the process that began the build: they are in its `_outputs` already)."""
        added, self._added = self._added, {}
        return _pack_fragments(added) if added and os.getpid() != self._owner else b""

    def merge(self, packed: bytes) -> None:
        if packed:
            self._packed.append(packed)
            self.changed = True

    def saved(self) -> dict:
        outputs = {key: (str(output), reads, digest) for key, (output, reads, digest) in self._outputs.items()}
        return {"scope": self._scope, "outputs": outputs, "packed": list(self._packed)}

    def restore(self, saved: dict) -> None:
        """Take the outputs `saved` gave; anything but what it writes is ignored."""
        scope, outputs, packed = saved.get("scope"), saved.get("outputs"), saved.get("packed", [])
        if not isinstance(scope, str) or not isinstance(outputs, dict) or not isinstance(packed, list):
            return
        self._scope = scope
        self._outputs = {
            key: (markupsafe.Markup(value[0]), value[1], value[2])
            for key, value in outputs.items()
            if isinstance(key, tuple) and isinstance(value, tuple) and len(value) == 3
            and isinstance(value[0], str) and isinstance(value[1], tuple) and isinstance(value[2], str)
        }
        for item in packed:
            if isinstance(item, bytes):
                self._outputs.update(_unpack_fragments(item))
        self._used_before = set(self._outputs)

    def __call__(self, name: str, **values: object) -> markupsafe.Markup:
        assert self._bound is not None, "cached_partial outside a build"
        environment, digests, templates, discussion_reads = self._bound
        # The very values of an earlier call (a thousand list items, most unchanged): same key.
        ident = (name, tuple(values), *map(id, values.values()))
        known = self._keys.get(ident)
        if known is not None and same_objects(known[0], values.values()) and known[1][1] == templates.digest(name):
            key = known[1]
        else:
            self._held.append(values)
            key = (name, templates.digest(name), *sorted((key, digests.of(value)) for key, value in values.items()))
            if key[1] is None or any(digest is None for _, digest in key[2:]):
                return markupsafe.Markup(environment.get_template(name).render(values))
        if self._owner == os.getpid():  # a worker's keys would die with it, and weigh on it meanwhile
            self._keys_now[ident] = (tuple(values.values()), key)
        self._used.add(key)
        found = self._outputs.get(key)
        # What the partial read of `discussions` is part of its key, checked on each use.
        if found is not None and discussion_reads.digest(found[1]) == found[2]:
            environment.globals["discussions"].note(found[1])
            return found[0]
        with environment.globals["discussions"].noting() as reads:
            output = markupsafe.Markup(environment.get_template(name).render(values))
        digest = discussion_reads.digest(reads)
        if digest is not None:
            self._outputs[key] = self._added[key] = (output, tuple(sorted(reads)), digest)
            self.changed = True
        return output

    def each(self, name: str, **values: Iterable) -> markupsafe.Markup:
        """`cached_partial(name, item=value)` for each value of one iterable, joined:
        `cached_partial_each("partials/essay_item.html", essay=essays)`.

        The home page lists every essay; called once per item from the template, the
        reuse cost ~30 µs an item, 30 ms of a preview save. Here an item held by the
        very same object as last build costs a few dict look-ups.
        """
        if len(values) != 1:
            raise TypeError("cached_partial_each takes one keyword argument: the item's name and the items")
        assert self._bound is not None, "cached_partial_each outside a build"
        ((field, items),) = values.items()
        template_digest = self._bound[2].digest(name)
        reads_digest = self._bound[3].digest
        keys, keys_now, outputs, used = self._keys, self._keys_now, self._outputs, self._used
        owner = self._owner == os.getpid()
        fields = (field,)
        parts: list[str] = []
        reads: set[str] = set()
        for item in items:
            # `__call__`'s reuse check, inlined: the same identity keys, so each path finds
            # what the other kept; anything else goes through `__call__` itself.
            ident = (name, fields, id(item))
            known = keys.get(ident)
            if known is not None and known[0][0] is item and known[1][1] == template_digest:
                found = outputs.get(known[1])
                if found is not None and reads_digest(found[1]) == found[2]:
                    if owner:
                        keys_now[ident] = known
                    used.add(known[1])
                    reads.update(found[1])
                    parts.append(found[0])
                    continue
            parts.append(self(name, **{field: item}))
        self._bound[0].globals["discussions"].note(reads)
        return markupsafe.Markup("".join(parts))


# A cached partial: its output, what it read of `discussions`, and the digest of that.
_Fragment = tuple[markupsafe.Markup, tuple[str, ...], str]


def _pack_fragments(outputs: dict[tuple, _Fragment]) -> bytes:
    """One JSON line per output, compressed as it goes: the home page's thousands of items
    are packed without their JSON being held whole."""
    compressor = zlib.compressobj(1)
    parts = [
        compressor.compress(json.dumps([[*key[:2], *map(list, key[2:])], str(output), list(reads), digest]).encode("ascii") + b"\n")
        for key, (output, reads, digest) in outputs.items()
    ]
    parts.append(compressor.flush())
    return b"".join(parts)


def _unpack_fragments(packed: bytes) -> dict[tuple, _Fragment]:
    """What `_pack_fragments` packed; nothing when it is damaged (it only saves time)."""
    outputs: dict[tuple, _Fragment] = {}
    try:
        for line in zlib.decompress(packed).splitlines():
            key, output, reads, digest = json.loads(line)
            if not (
                len(key) >= 2 and isinstance(key[0], str) and isinstance(key[1], str)
                and all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair) for pair in key[2:])
                and isinstance(output, str) and isinstance(reads, list) and all(isinstance(read, str) for read in reads) and isinstance(digest, str)
            ):
                return {}
            outputs[(key[0], key[1], *map(tuple, key[2:]))] = (markupsafe.Markup(output), tuple(reads), digest)
    except (zlib.error, ValueError, TypeError):
        return {}
    return outputs


_SPECIAL_READS = (ANY_DISCUSSION, ALL_DISCUSSIONS)
# What a set of reads of `discussions` came to: the values read, a part for each, the digest.
_ReadsDigest = tuple[tuple, list[str | None], str | None]


class DiscussionReads:
    """Digests of what a page (or a cached partial) read of the `discussions` global.

    A list of every essay reads each one's discussion, a thousand different reads in all,
    and the page itself reads them all at once. `carried` gives the last build's digests
    with the discussions they were made from and the part of each, so that the very same
    discussions are not digested again: after an edit, only the edited essay's is.
    """

    def __init__(self, entries: dict, digests: Digests, carried: dict[tuple[str, ...], _ReadsDigest] | None = None):
        self.entries, self.digests = entries, digests
        self.carried = carried or {}
        self.memo: dict[tuple[str, ...], _ReadsDigest] = {}

    def digest(self, reads: Iterable[str]) -> str | None:
        """The digest of what `reads` names (as kept: a sorted tuple of distinct names, or any iterable)."""
        key = reads if type(reads) is tuple else tuple(sorted(set(reads)))
        found = self.memo.get(key)
        if found is None:
            # The special reads sort first; most keys name only essays' discussions.
            values = tuple(map(self._value if key and key[0] in _SPECIAL_READS else self.entries.get, key))
            found = self.carried.get(key)
            if found is None or not same_objects(found[0], values):
                if found is not None and len(found[0]) == len(values):
                    parts = [part if before is value else self._part(read, value) for read, value, before, part in zip(key, values, *found[:2])]
                else:
                    parts = list(map(self._part, key, values))
                found = (values, parts, None if None in parts else digest_of("reads", *parts))  # type: ignore[arg-type]
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


@dataclasses.dataclass
class Renders:
    """What a build's pages came to: fresh bytes, and pages whose previous output stands."""

    files: dict[str, bytes]
    kept: list[str]  # output paths to take unchanged from the previous output folder
    written: list[str]  # output paths rendered and already handed to the writer (see WRITTEN)

    @property
    def pages(self) -> int:
        return len(self.files) + len(self.kept) + len(self.written)


class _Written(bytes):
    """The type of WRITTEN."""


# What `render_many` may give for a page whose bytes it handed straight to the output
# writer, so that a large build does not hold every page in memory until the end.
WRITTEN = _Written()


@dataclasses.dataclass
class RenderCache:
    """Per output path, the digest a page was last rendered from (and, in memory, its bytes).

    With `keep_bytes` (the dev server, which has no output folder) the bytes of every page
    stay here for the next build. Without it only digests are kept, and an unchanged page
    is reused from the previous output folder when its file there is intact.
    """

    keep_bytes: bool = True
    scope: str = ""
    digests: dict[str, str] = dataclasses.field(default_factory=dict)
    reads: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # per output: what it read of `discussions`
    _bytes: dict[str, bytes] = dataclasses.field(default_factory=dict)
    fragments: Fragments = dataclasses.field(default_factory=Fragments)
    # Per output, as last digested: template, its digest, the context, its digest, and the
    # digest of what the page read of `discussions`.
    _contexts: dict[str, tuple[str, str, dict, str, str | None]] = dataclasses.field(default_factory=dict)
    _frozen: dict[int, tuple[object, str | None]] = dataclasses.field(default_factory=dict)  # see Digests
    _read_digests: dict[tuple[str, ...], _ReadsDigest] = dataclasses.field(default_factory=dict)  # see DiscussionReads
    rendered_last: int = 0  # how many pages the last call really rendered (for tests and figures)

    def restore(self, scope: str, digests: dict[str, str], reads: dict[str, tuple[str, ...]]) -> None:
        """Take the scope, page digests and reads of an earlier build (as kept on disk)."""
        self.scope, self.digests, self.reads, self._contexts = scope, digests, reads, {}

    def render(
        self,
        pages: Iterable[Page],
        environment: jinja2.Environment,
        environment_key: str,
        render_many: Callable[[list[Page]], list[tuple[bytes | None, frozenset[str]]]],
        known: dict[int, tuple[object, str]],
        on_disk: Container[str] = (),
        first: list[list[Page]] | None = None,
        early: Callable[[dict[str, bytes]], None] | None = None,
    ) -> Renders:
        """Render the pages whose inputs changed; `render_many` is given only those and
        returns, for each, its bytes (None when it failed) and what it read of `discussions`.

        `environment_key` stands for what the environment's functions read (config, asset
        names, postil's code); data put in the environment's globals is digested here, as
        a page may read any of it, but for `discussions`: a page's digest covers only the
        discussions it read last time it was rendered. `known` gives digests of parse
        results by object id; `on_disk` names the previous output's files that are intact.

        `first` holds groups of pages (also in `pages`), such as the one just edited and
        then the lists it is in, seen to in order before all others; the bytes of each
        group's pages rendered afresh are handed to `early`, so that they can be shown
        while the rest of the site is checked.
        """
        digests = Digests(known, self._frozen)
        discussions = environment.globals.get("discussions")
        discussion_reads = DiscussionReads(discussions.entries if isinstance(discussions, Discussions) else {}, digests, self._read_digests)
        shared_data = {name: value for name, value in environment.globals.items() if not callable(value) and not isinstance(value, Discussions)}
        scope = digest_of(environment_key, str(digests.of(shared_data)))
        previous = self.digests if scope == self.scope else {}
        templates = TemplateFingerprints(environment)
        fresh: dict[str, str] = {}
        kept: list[str] = []
        contexts: dict[str, tuple[str, str, dict, str, str | None]] = {}

        def is_stale(page: Page) -> bool:
            template = templates.digest(page.template)
            seen = self._contexts.get(page.output)
            reads = self.reads.get(page.output) if page.output in previous else None
            read = discussion_reads.digest(reads) if reads is not None else None
            same = bool(template and seen and seen[:2] == (page.template, template) and same_data(seen[2], page.context))
            context = seen[3] if same else digests.of(page.context) if template else None  # type: ignore[index]
            if template and context:
                contexts[page.output] = (page.template, template, page.context, context, read)
            digest = None
            if template and context and read:
                # The same inputs as when the last build took this digest: no need to hash them.
                digest = previous.get(page.output) if same and read == seen[4] else digest_of(page.template, template, context, read)  # type: ignore[index]
            unchanged = digest is not None and previous.get(page.output) == digest
            if unchanged and (page.output in self._bytes or page.output in on_disk):
                if page.output not in self._bytes:
                    kept.append(page.output)
                fresh[page.output] = digest  # type: ignore[assignment]
                return False
            return True

        self.fragments.begin(environment, digests, templates, scope, discussion_reads)
        try:
            stale: list[Page] = []
            rendered: dict[str, tuple[bytes | None, frozenset[str]]] = {}
            done: set[str] = set()
            for group in first or ():
                group_stale = [page for page in group if page.output not in done and is_stale(page)]
                done.update(page.output for page in group)
                if not group_stale:
                    continue
                made = dict(zip((page.output for page in group_stale), render_many(group_stale)))
                shown = {output: data for output, (data, _) in made.items() if data is not None and data is not WRITTEN}
                if early is not None and shown:
                    early(shown)
                stale += group_stale
                rendered.update(made)
            pages = list(pages)  # made only now: `first` need not wait for every page to be listed
            rest = [page for page in pages if page.output not in done and is_stale(page)]
            rendered.update(zip((page.output for page in rest), render_many(rest)))
            stale += rest
        finally:
            self.fragments.end()
        self.rendered_last = len(stale)
        files: dict[str, bytes] = {}
        written: list[str] = []
        new_reads: dict[str, tuple[str, ...]] = {}
        for page in pages:
            if page.output in rendered:
                data, reads_now = rendered[page.output]
                inputs = contexts.get(page.output)
                read = discussion_reads.digest(reads_now)
                if data is not None and inputs is not None and read is not None:
                    fresh[page.output] = digest_of(page.template, inputs[1], inputs[3], read)
                    new_reads[page.output] = tuple(sorted(reads_now))
                    contexts[page.output] = (*inputs[:4], read)
            else:
                data = self._bytes.get(page.output)
                if page.output in fresh:
                    new_reads[page.output] = self.reads[page.output]
            if data is WRITTEN:
                written.append(page.output)
            elif data is not None:
                files[page.output] = data
            if page.output not in fresh:
                contexts.pop(page.output, None)
        self.scope, self.digests, self.reads, self._contexts = scope, fresh, new_reads, contexts
        self._frozen, self._read_digests = digests.frozen, discussion_reads.memo
        self._bytes = files if self.keep_bytes else {}
        return Renders(files, kept, written)

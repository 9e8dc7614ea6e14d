"""Reused outputs of partials: the items of long lists, rendered once.

Lists of essays (the home page, the archive, tag pages) are most of what a one-essay
edit renders again. Each item is rendered by a partial: an `{% include %}` inside a
`{% for %}` loop (compiled into `include_list_item`, see template_code.py) or a theme's
own `cached_partial(name, **values)`. Its output is kept, keyed by the digest of
what it was rendered from, and reused while that is the same: such a page is a join of
strings but for the item that changed.
"""
from __future__ import annotations

import itertools
import json
import operator
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import jinja2
import markupsafe
from jinja2.utils import missing

from ..site.model import same_objects
from .digests import Digests, digest_of
from .discussion_reads import DiscussionReads
from .spill import Kept, Spill
from .template_closure import TemplateClosures

if TYPE_CHECKING:
    from ..render.pages import Discussions


def include_list_item(environment: jinja2.Environment, name: str, parent: str | None, context: jinja2.runtime.Context, loop_names: dict) -> str:
    """`{% include name %}` inside a loop, as compiled templates call it: the item's output,
    reused while the build's `Fragments` hold it."""
    fragments = getattr(environment, "fragments", None)
    if isinstance(fragments, Fragments):
        return fragments.include(name, parent, context, loop_names)
    return _include(environment, name, parent, context, loop_names)


def _include(environment: jinja2.Environment, name: str, parent: str | None, context: jinja2.runtime.Context, loop_names: dict) -> str:
    """What Jinja's own `{% include %}` renders: the template, in this context and the loop's names."""
    template = environment.get_template(name, parent)
    return "".join(template.root_render_func(template.new_context(context.get_all(), True, loop_names)))


class Fragments:
    """The outputs of partials, kept and reused while what they were rendered from is the same.

    A list item's key is its template, its template's closure (see template_closure.py)
    and one digest of the names it reads and their values' digests, but for the
    environment's globals, which the build's scope covers (config, assets, global data,
    code); `cached_partial(name, **values)` renders with only `values` and the globals in
    the context, and keys the same way. What the partial read of `discussions` is checked
    on each use. So a reused output is always the one rendering would give. Values of
    unknown digest are rendered every time. Outputs not used by this build or the one
    before are dropped, and all of them when the scope changes.

    Pages rendered in worker processes send back the outputs they made (`take_added`,
    `merge`) and keep none: a worker that kept them for its own later pages grew by every
    item it rendered (~15 MB at 5,000 essays, every page rendered again), for the few
    items another of its pages would reuse (rendered again, 17% more items at 1,000
    essays, under 1% of a cold build's work). A build into a folder keeps the outputs on
    disk for the next run (`saved`, `restore`), so a new process after an edit renders one
    item, not every list again. What workers send back stays packed until a later build
    in this process needs it: it is kept for later builds only (at 5,000 essays, unpacked,
    it grew a cold build's main process by 30 MB). Given a `spill` in a folder (a build
    into a folder), it is not even held: it waits there to be saved, as do the last run's
    outputs until they are asked for.
    """

    def __init__(self) -> None:
        self._outputs: dict[tuple, _Fragment] = {}
        # Outputs made by workers, as `take_added` packed them: (template, its packed lines), as `spill` keeps them.
        self._packed: list[tuple[str, Kept]] = []
        self.spill = Spill()  # in memory unless given a folder
        # The last run's outputs by template, packed as read from disk, as `spill` keeps
        # them. A group is opened when a page first asks for one of its partials, and then
        # only indexed: an item is parsed when asked for. So a run that renders a few pages
        # neither reads back nor unpacks the thousands of items of the lists it never renders
        # (the replies' entries: 4,800 at 1,000 essays; 3.5 MB packed at 5,000), nor packs
        # them again: a group to which this build added nothing is saved as it came.
        self._stored: dict[str, Kept] = {}
        self._kept: dict[str, dict[str, bytes]] = {}  # opened groups: an item's key as text (see `_key_text`) -> the rest of its line, until parsed
        self._grown: set[str] = set()  # groups with outputs made since they were read
        self._owner = os.getpid()  # the process that renders with `_outputs` at hand
        self._used: set[tuple] = set()
        self._used_before: set[tuple] = set()
        self._scope = ""
        self._added: dict[tuple, _Fragment] = {}
        self.changed = False  # outputs were made or dropped by the last build
        self.rendered_last = 0  # outputs the last build rendered in this process (for tests and figures)
        self._rendered = 0
        self._held: list[dict] = []  # values digested by id must outlive the build
        # Keys by the identity of the values (held with them), of this build and the last:
        # they spare the next build in this process (the dev server's) digesting the very
        # same values again. A build into a folder does without (`by_identity` False): an
        # edit there took 20,000 of them, 2.7 MB at 5,000 essays, for no later build.
        self.by_identity = True
        self._keys: dict[tuple, tuple[tuple, tuple]] = {}
        self._keys_now: dict[tuple, tuple[tuple, tuple]] = {}
        self._bound: tuple[jinja2.Environment, Digests, TemplateClosures, DiscussionReads] | None = None
        self._plans: dict[str, tuple[tuple[str, ...], str] | None] = {}  # per included template, this build: its names and digest

    def begin(self, environment: jinja2.Environment, digests: Digests, templates: TemplateClosures, scope: str, reads: DiscussionReads) -> None:
        for name, part in self._packed:  # made by the last build's workers: used by it, so kept
            outputs = _unpack_fragments({name: self.spill.read(part)})
            self._outputs.update(outputs)
            self._used_before.update(outputs)
            self._grown.add(name)
        self._packed, self._owner = [], os.getpid()
        self.changed = scope != self._scope
        if self.changed:
            self._outputs, self._scope, self._keys, self._stored, self._kept = {}, scope, {}, {}, {}
        self._bound = (environment, digests, templates, reads)
        environment.globals["cached_partial"] = self
        environment.globals["cached_partial_each"] = self.each
        environment.fragments = self  # type: ignore[attr-defined]  # for include_list_item

    def end(self) -> None:
        kept = self._used | self._used_before
        count = len(self._outputs)
        self._outputs = {key: output for key, output in self._outputs.items() if key in kept}
        self.changed = self.changed or len(self._outputs) != count
        self._used_before, self._used = self._used, set()
        self._keys, self._keys_now = self._keys_now, {}
        if self._bound is not None:
            self._bound[0].fragments = None  # type: ignore[attr-defined]
        self._held, self._bound, self._added, self._plans = [], None, {}, {}
        self.rendered_last, self._rendered = self._rendered, 0

    def take_added(self) -> dict[str, bytes]:
        """The outputs a worker made since the last call, packed by template for the parent
        to `merge` (none in the process that began the build: they are in its `_outputs` already)."""
        added, self._added = self._added, {}
        return _pack_fragments(added) if added and self._in_worker() else {}

    def merge(self, packed: dict[str, bytes]) -> None:
        for name, lines in packed.items():
            self._packed.append((sys.intern(name), self.spill.keep(lines)))
            self.changed = True

    def saved(self) -> dict:
        """The outputs to keep for the next run, packed by template (see `restore`): a
        group this build added nothing to as it came."""
        outputs: dict[str, list[tuple]] = {}
        for key in self._outputs:
            outputs.setdefault(key[0], []).append(key)
        # A template's lines are packed as they are read, the newest of each key first: this
        # build's workers' (not yet taken in here), then this process's, then the last run's.
        # Held whole, a cold build's every list item was 40 MB at 5,000 essays.
        from_workers = {name for name, _ in self._packed}
        groups = {}
        for name in sorted(self._stored.keys() | outputs.keys() | from_workers):
            if name in self._stored and name not in self._grown and name not in from_workers:
                groups[name] = self.spill.read(self._stored[name])
                continue
            # Read line by line: unpacked whole, a group (the essays' list items from every
            # worker) was held three times over (its text, its lines, their dict) while it
            # was packed again.
            kept = self._kept[name].items() if name in self._kept else _lines(self.spill.read(self._stored.get(name, b"")))
            groups[name] = _pack_lines(itertools.chain(
                itertools.chain.from_iterable(_lines(self.spill.read(part)) for made, part in reversed(self._packed) if made == name),
                (_fragment_line(key, self._outputs[key]) for key in outputs.get(name, ())),
                kept,
            ))
        return {"scope": self._scope, "groups": groups}

    def restore(self, saved: dict) -> None:
        """Take the outputs `saved` gave, to be checked when first asked for; anything but
        what it writes is ignored."""
        scope, groups = saved.get("scope"), saved.get("groups")
        if not isinstance(scope, str) or not isinstance(groups, dict):
            return
        self._scope, self._kept, self._grown = scope, {}, set()
        self._stored = {name: self.spill.keep(packed) for name, packed in groups.items() if isinstance(name, str) and isinstance(packed, bytes)}

    def _kept_output(self, name: str, key: tuple) -> _Fragment | None:
        """The output the last run kept under `key` (a partial of template `name`), if any."""
        kept = self._kept.get(name)
        if kept is None:
            if name not in self._stored:
                return None
            kept = self._kept[name] = _kept_lines(self.spill.read(self._stored[name]))
        # Parsed, an output lives in `_outputs` (and is saved from there): its line is let go,
        # or a list's thousands of items would be held twice until the build ends.
        line = kept.pop(_key_text(key), None)
        fragment = None if line is None else _parse_fragment(line)
        if fragment is not None:
            self._outputs[key] = fragment
        return fragment

    def __call__(self, name: str, **values: object) -> markupsafe.Markup:
        assert self._bound is not None, "cached_partial outside a build"
        environment = self._bound[0]
        return self._reused(name, values, lambda: markupsafe.Markup(environment.get_template(name).render(values)))

    def include(self, name: str, parent: str | None, context: jinja2.runtime.Context, loop_names: dict) -> str:
        """`{% include name %}` in a loop: keyed by the values of the names its templates
        read from the context (the loop's names first), but for the environment's globals.

        A tag page of a thousand essays makes a thousand calls: an item whose values
        are the very objects of its last use is found with a few look-ups, here rather
        than through `_reused`, whose keys it shares."""
        assert self._bound is not None, "include_list_item outside a build"
        environment = self._bound[0]
        plan = self._plans.get(name, _UNSEEN)
        if plan is _UNSEEN:
            closure = self._bound[2].closure(name)
            plan = self._plans[name] = None if closure is None else (closure.context_names, closure.digest)
        if plan is None:
            return _include(environment, name, parent, context, loop_names)
        names, template_digest = plan  # type: ignore[misc]
        shared = environment.globals
        keys, values = [], []
        for key in names:
            value = loop_names.get(key, missing)
            if value is missing:
                value = context.resolve_or_missing(key)
            if value is not shared.get(key, missing):  # an undefined name is left out too
                keys.append(key)
                values.append(value)
        ident = (name, tuple(keys), *map(id, values))
        known = self._keys.get(ident)
        if known is not None and known[1][1] == template_digest and all(map(operator.is_, known[0], values)):
            found = self._outputs.get(known[1])
            if found is not None and self._bound[3].digest(found[1]) == found[2]:
                if self._keeps_keys():
                    self._keys_now[ident] = known
                self._used.add(known[1])
                self._discussions().note(found[1])
                return found[0]
        return self._reused(name, dict(zip(keys, values)), lambda: markupsafe.Markup(_include(environment, name, parent, context, loop_names)))

    def _reused(self, name: str, values: dict[str, object], render: Callable[[], markupsafe.Markup]) -> markupsafe.Markup:
        """The output of partial `name` rendered from `values`: the kept one, or `render()`'s."""
        assert self._bound is not None
        _, digests, templates, discussion_reads = self._bound
        # The very values of an earlier call (a thousand list items, most unchanged): same key.
        ident = (name, tuple(values), *map(id, values.values()))
        known = self._keys.get(ident)
        if known is not None and same_objects(known[0], values.values()) and known[1][1] == templates.digest(name):
            key = known[1]
        else:
            self._held.append(values)
            template_digest = templates.digest(name)
            pairs = sorted((key, digests.of(value)) for key, value in values.items())
            if template_digest is None or any(digest is None for _, digest in pairs):
                return render()
            key = (name, template_digest, digest_of(*itertools.chain.from_iterable(pairs)))
        if self._keeps_keys():
            self._keys_now[ident] = (tuple(values.values()), key)
        self._used.add(key)
        found = self._outputs.get(key) or self._kept_output(name, key)
        # What the partial read of `discussions` is part of its key, checked on each use.
        if found is not None and discussion_reads.digest(found[1]) == found[2]:
            self._discussions().note(found[1])
            return found[0]
        self._rendered += 1
        with self._discussions().noting() as reads:
            output = render()
        digest = discussion_reads.digest(reads)
        if digest is not None:
            self._added[key] = (output, tuple(sorted(reads)), digest)
            if not self._in_worker():  # a worker hands its outputs back and keeps none (see the class)
                self._outputs[key] = self._added[key]
            self._grown.add(name)
            self.changed = True
        return output

    def _keeps_keys(self) -> bool:
        """Whether to keep keys by identity for the next build (a worker's would die with it,
        and weigh on it meanwhile)."""
        return self.by_identity and not self._in_worker()

    def _in_worker(self) -> bool:
        """Whether this process is a worker forked to render pages, not the one that began the build."""
        return os.getpid() != self._owner

    def _discussions(self) -> Discussions:
        """The build's `discussions` global, which notes what each page reads of it."""
        assert self._bound is not None
        return self._bound[0].globals["discussions"]

    def each(self, name: str, **values: Iterable) -> markupsafe.Markup:
        """`cached_partial(name, item=value)` for each value of one iterable, joined:
        `cached_partial_each("partials/essay_item.html", essay=essays)`.

        Called once per item from the template, the reuse cost ~30 µs an item: 30 ms of
        a preview save for a list of a thousand. Here an item held by the very same
        object as last build costs a few dict look-ups.
        """
        if len(values) != 1:
            raise TypeError("cached_partial_each takes one keyword argument: the item's name and the items")
        assert self._bound is not None, "cached_partial_each outside a build"
        ((field, items),) = values.items()
        template_digest = self._bound[2].digest(name)
        reads_digest = self._bound[3].digest
        keys, keys_now, outputs, used = self._keys, self._keys_now, self._outputs, self._used
        keep_keys = self._keeps_keys()
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
                    if keep_keys:
                        keys_now[ident] = known
                    used.add(known[1])
                    reads.update(found[1])
                    parts.append(found[0])
                    continue
            parts.append(self(name, **{field: item}))
        self._discussions().note(reads)
        return markupsafe.Markup("".join(parts))


_UNSEEN = object()

# A cached partial: its output, what it read of `discussions`, and the digest of that.
_Fragment = tuple[markupsafe.Markup, tuple[str, ...], str]


def _key_text(key: tuple) -> str:
    """A key within its template's group, as its line begins: the closure's digest and
    the values' one digest, neither holding a space, tab or newline. Cheap to make: an
    edit in a new process looks up two thousand items by it."""
    return f"{key[1]} {key[2]}"


def _fragment_line(key: tuple, fragment: _Fragment) -> tuple[str, bytes]:
    """An output as its key's text and the rest of its line (JSON escapes tabs within
    strings, so a tab can part the two)."""
    output, reads, digest = fragment
    return _key_text(key), json.dumps([str(output), list(reads), digest]).encode("ascii")


def _pack_lines(lines: Iterable[tuple[str, bytes]]) -> bytes:
    """One line per output (the first given of each key), compressed as it goes: the
    thousands of items of a list are packed without being held whole."""
    compressor = zlib.compressobj(1)
    seen: set[str] = set()
    parts = []
    for key, rest in lines:
        if key not in seen:
            seen.add(key)
            parts.append(compressor.compress(key.encode("ascii") + b"\t" + rest + b"\n"))
    parts.append(compressor.flush())
    return b"".join(parts)


def _pack_fragments(outputs: dict[tuple, _Fragment]) -> dict[str, bytes]:
    """Outputs as `_pack_lines` packs them, by template."""
    groups: dict[str, dict[str, bytes]] = {}
    for key, fragment in outputs.items():
        text, line = _fragment_line(key, fragment)
        groups.setdefault(key[0], {})[text] = line
    return {name: _pack_lines(lines.items()) for name, lines in groups.items()}


def _kept_lines(packed: bytes) -> dict[str, bytes]:
    """The lines `_pack_lines` packed, by key, not yet parsed; nothing when damaged (they
    only save time)."""
    try:
        return dict(_lines(packed, strict=True))
    except ValueError:
        return {}


def _lines(packed: bytes, strict: bool = False) -> Iterator[tuple[str, bytes]]:
    """The lines `_pack_lines` packed, as (key, rest of the line), unpacked a piece at a
    time. Damaged, they end where the damage begins, or raise ValueError when `strict`."""
    decompressor = zlib.decompressobj()
    pending = b""
    try:
        for start in range(0, len(packed), _PIECE):
            pending += decompressor.decompress(packed[start : start + _PIECE])
            *lines, pending = pending.split(b"\n")
            for line in lines:
                key, tab, rest = line.partition(b"\t")
                if not tab:
                    raise ValueError("a line without its key")
                yield key.decode("ascii", "replace"), rest
        if pending or not decompressor.eof:
            raise ValueError("cut short")
    except (zlib.error, ValueError):
        if strict:
            raise ValueError("damaged fragments") from None


_PIECE = 2**16  # packed bytes unpacked at a time (see `_lines`)


def _parse_fragment(line: bytes) -> _Fragment | None:
    try:
        output, reads, digest = json.loads(line)
    except (ValueError, TypeError):
        return None
    if isinstance(output, str) and isinstance(reads, list) and all(isinstance(read, str) for read in reads) and isinstance(digest, str):
        return markupsafe.Markup(output), tuple(reads), digest
    return None


def _unpack_fragments(packed: dict[str, bytes]) -> dict[tuple, _Fragment]:
    """What `_pack_fragments` packed, parsed; nothing when it is damaged."""
    outputs: dict[tuple, _Fragment] = {}
    for name, lines in packed.items():
        for text, line in _kept_lines(lines).items():
            digests, fragment = text.split(" "), _parse_fragment(line)
            if len(digests) != 2 or fragment is None:
                return {}
            outputs[(name, *digests)] = fragment
    return outputs

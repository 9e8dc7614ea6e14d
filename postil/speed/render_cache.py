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
last build is not even digested (`same_data`). Inside pages, the items of lists are
reused on the same principle (see fragments.py).

Some pages are made, all together, from one value of the site model and the config: the
thousands of pages of replies by author come from the site's list of replies alone. The
driver hands such a family of pages with that value; when its digest is the one of the
last build, each page's context digest is the one it had then (kept per page), and the
pages are not digested one by one; when every one of them is current, they are not even
made. When the value changed, they are digested one by one, so that only the pages whose
own context changed are rendered again.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterable, Mapping
from typing import Callable, NamedTuple

import jinja2

from ..render.pages import Discussions, Page
from .digests import Digests, digest_of, same_data
from .discussion_reads import DiscussionReads, ReadsDigest
from .fragments import Fragments
from .template_closure import TemplateClosures
from .template_code import equip

# What `render_many` gives for each page: its bytes (None when it failed) and what it read
# of `discussions`, as a sorted tuple of distinct names.
Rendered = tuple[bytes | None, tuple[str, ...]]


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


class PageInputs(NamedTuple):
    """What a page was last rendered from, as digested."""

    template: str
    template_digest: str
    context: dict | None  # kept only where the next build is in this process (see RenderCache)
    context_digest: str
    reads_digest: str | None  # of what it read of `discussions`


@dataclasses.dataclass
class RenderCache:
    """Per output path, the digest a page was last rendered from (and, in memory, its bytes).

    With `keep_bytes` (the dev server, which has no output folder) the bytes of every page
    stay here for the next build, and so do their contexts (see `same_data`). Without it
    only digests are kept, and an unchanged page is reused from the previous output folder
    when its file there is intact: each page's context is let go once the page is rendered,
    not held until the build ends. Nor are the memos kept that spare a next build in this
    process digesting the very same values again (see Digests, DiscussionReads, Fragments):
    a build into a folder is run once, and they weighed on its peak.
    """

    keep_bytes: bool = True
    scope: str = ""
    digests: dict[str, str] = dataclasses.field(default_factory=dict)
    reads: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # per output: what it read of `discussions`
    _bytes: dict[str, bytes] = dataclasses.field(default_factory=dict)
    fragments: Fragments = dataclasses.field(default_factory=Fragments)
    _inputs: dict[str, PageInputs] = dataclasses.field(default_factory=dict)
    _frozen: dict[int, tuple[object, str | None]] = dataclasses.field(default_factory=dict)  # see Digests
    _read_digests: dict[tuple[str, ...], ReadsDigest] = dataclasses.field(default_factory=dict)  # see DiscussionReads
    rendered_last: int = 0  # how many pages the last call really rendered (for tests and figures)

    # Per family of pages (see the module's docstring): the digest of the value they were
    # made from, and for each of its pages the template and context digest it is current
    # for (None: it is not, as when it failed to render).
    families: dict[str, tuple[str, dict[str, tuple[str, str] | None]]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fragments.by_identity = self.keep_bytes  # see Fragments: for the next build in this process

    def restore(self, scope: str, digests: dict[str, str], reads: dict[str, tuple[str, ...]], families: dict[str, tuple[str, dict[str, tuple[str, str] | None]]]) -> None:
        """Take the scope, page digests, reads and families of an earlier build (as kept on disk)."""
        self.scope, self.digests, self.reads, self.families, self._inputs = scope, digests, reads, families, {}

    def render(
        self,
        pages: Iterable[Page],
        environment: jinja2.Environment,
        environment_key: str,
        render_many: Callable[[list[Page]], list[Rendered]],
        known: Callable[[object], str | None],
        on_disk: Container[str] = (),
        first: list[list[Page]] | None = None,
        early: Callable[[dict[str, bytes]], None] | None = None,
        families: Mapping[str, tuple[object, Iterable[Page]]] | None = None,
    ) -> Renders:
        """Render the pages whose inputs changed; `render_many` is given only those and
        returns, for each, its bytes (None when it failed) and what it read of `discussions`.

        `environment_key` stands for what the environment's functions read (config, asset
        names, postil's code); data put in the environment's globals is digested here, as
        a page may read any of it, but for `discussions`: a page's digest covers only the
        discussions it read last time it was rendered. `known` gives the digest of a parse
        result (None for any other object); `on_disk` names the previous output's files that are intact.

        `first` holds groups of pages (also in `pages`), such as the one just edited and
        then the lists it is in, seen to in order before all others; the bytes of each
        group's pages rendered afresh are handed to `early`, so that they can be shown
        while the rest of the site is checked.

        `families` names pages made together from one value (with the config and nothing
        else) as (that value, its pages): they come after `pages` (see the module's docstring).
        """
        equip(environment)
        check = _Staleness(self, environment, environment_key, known, on_disk)
        self.fragments.begin(environment, check.digests, check.templates, check.scope, check.reads)
        try:
            rendered: dict[str, Rendered] = {}
            done: set[str] = set()
            for group in first or ():
                stale = [page for page in group if page.output not in done and check.is_stale(page)]
                done.update(page.output for page in group)
                if stale:
                    made = dict(zip((page.output for page in stale), render_many(stale)))
                    shown = {output: data for output, (data, _) in made.items() if data is not None and data is not WRITTEN}
                    if early is not None and shown:
                        early(shown)
                    rendered.update(made)
            pages = list(pages)  # made only now: `first` need not wait for every page to be listed
            unmade: list[str] = []  # the outputs of families found current without making their pages
            for name, (value, made) in (families or {}).items():
                current = check.family(name, value)
                if current is None:
                    pages += check.made(name, made)
                else:
                    unmade += current
            rest = [page for page in pages if page.output not in done and check.is_stale(page)]
            rendered.update(zip((page.output for page in rest), render_many(rest)))
            check.digest_later()
        finally:
            self.fragments.end()
        self.rendered_last = len(rendered)
        return self._remember([*(page.output for page in pages), *unmade], rendered, check)

    def _remember(self, outputs: list[str], rendered: dict[str, Rendered], check: _Staleness) -> Renders:
        """Keep this build's digests for the next; gather the pages' bytes."""
        fresh, inputs = check.fresh, check.inputs
        files: dict[str, bytes] = {}
        written: list[str] = []
        reads: dict[str, tuple[str, ...]] = {}
        for output in outputs:
            if output in rendered:
                data, read_now = rendered[output]
                read = check.reads.digest(read_now)
                page_inputs = inputs.get(output)
                if data is not None and page_inputs is not None and read is not None:
                    fresh[output] = digest_of(page_inputs.template, page_inputs.template_digest, page_inputs.context_digest, read)
                    reads[output] = read_now
                    inputs[output] = page_inputs._replace(reads_digest=read)
            else:
                data = self._bytes.get(output)
                if output in fresh:
                    reads[output] = self.reads[output]
            if data is WRITTEN:
                written.append(output)
            elif data is not None:
                files[output] = data
            if output not in fresh:
                inputs.pop(output, None)
        # Without their contexts (see keep_bytes) a page's inputs are of no use to a later
        # build: 17,000 of them, kept, were about 2 MB at 5,000 essays. Nor are the memos of
        # digests, which a build into a folder held through saving its caches.
        self.scope, self.digests, self.reads, self._inputs = check.scope, fresh, reads, inputs if self.keep_bytes else {}
        self.families = {
            name: (family.digest, {output: context if output in fresh else None for output, context in family.contexts.items()})
            for name, family in check.families.items() if family.digest is not None
        }
        if self.keep_bytes:  # memos for the next build in this process (see Digests, DiscussionReads)
            self._frozen, self._read_digests = check.digests.frozen, check.reads.memo
        self._bytes = files if self.keep_bytes else {}
        return Renders(files, check.kept, written)


@dataclasses.dataclass
class _Family:
    """Pages made together from one value: its digest (None: unknown), the template and
    context digest of each page when the value last had that digest (None: not current),
    and those this build takes."""

    digest: str | None
    previous: dict[str, tuple[str, str] | None]
    contexts: dict[str, tuple[str, str] | None] = dataclasses.field(default_factory=dict)


class _Staleness:
    """One build's view of which pages must be rendered again, and of the digests it took."""

    def __init__(self, cache: RenderCache, environment: jinja2.Environment, environment_key: str, known: Callable[[object], str | None], on_disk: Container[str]):
        self.digests = Digests(known, cache._frozen)
        discussions = environment.globals.get("discussions")
        self.reads = DiscussionReads(discussions.entries if isinstance(discussions, Discussions) else {}, self.digests, cache._read_digests)
        shared_data = {name: value for name, value in environment.globals.items() if not callable(value) and not isinstance(value, Discussions)}
        self.scope = digest_of(environment_key, str(self.digests.of(shared_data)))
        self.templates = TemplateClosures(environment)
        self._cache, self._on_disk = cache, on_disk
        self._previous = cache.digests if self.scope == cache.scope else {}
        self.fresh: dict[str, str] = {}  # the digest of each page found current or rendered
        self.kept: list[str] = []  # pages current in the previous output folder
        self.inputs: dict[str, PageInputs] = {}
        self.families: dict[str, _Family] = {}
        self._family_of: dict[str, _Family] = {}  # output path → the family its page is of
        # Pages rendered whatever their digest, digested once they are (see `is_stale`);
        # None in the dev server, which keeps each page's context with its digest.
        self._later: list[Page] | None = None if cache.keep_bytes else []

    def family(self, name: str, value: object) -> list[str] | None:
        """Begin the family `name` made from `value`. When it is the last build's and every
        one of its pages is current, note them so and give their outputs; else None, and
        its pages are to be made (see `made`)."""
        digest = self.digests.of(value)
        kept = self._cache.families.get(name) if self._previous else None
        family = self.families[name] = _Family(digest, kept[1] if kept is not None and digest is not None and kept[0] == digest else {})
        current = []
        for output, kept in family.previous.items():
            page_digest = None if kept is None else self._current(output, *kept)
            if page_digest is None:
                return None
            current.append((output, page_digest))
        if not current:
            return None
        for output, page_digest in current:
            if output not in self._cache._bytes:
                self.kept.append(output)
            self.fresh[output] = page_digest
        family.contexts = family.previous
        return [output for output, _ in current]

    def _current(self, output: str, template: str, context: str) -> str | None:
        """The digest of a page from what it was last rendered from, when that still holds
        and its output is at hand; else None."""
        template_digest = self.templates.digest(template)
        reads = self._cache.reads.get(output)
        read = self.reads.digest(reads) if reads is not None else None
        if template_digest is None or read is None or not (output in self._cache._bytes or output in self._on_disk):
            return None
        digest = digest_of(template, template_digest, context, read)
        return digest if self._previous.get(output) == digest else None

    def made(self, name: str, pages: Iterable[Page]) -> list[Page]:
        """The pages of the family `name`, made, and noted as of it."""
        family = self.families[name]
        pages = list(pages)
        self._family_of.update((page.output, family) for page in pages)
        family.contexts.update((page.output, None) for page in pages)  # until digested
        return pages

    def is_stale(self, page: Page) -> bool:
        """Whether `page` must be rendered; if not, its digest is noted as current.

        A page the last build did not render (every page of a cold build, or of a build
        whose scope changed) is rendered whatever its digest: it is digested once rendered
        (`digest_later`), so that the render workers, forked between the two, do not
        inherit the digests of every value of every page (10 MB at 5,000 essays)."""
        if self._later is not None and page.output not in self._previous:
            self._later.append(page)
            return True
        digest = self._digest(page)
        output = page.output
        in_memory = output in self._cache._bytes
        if digest is None or self._previous.get(output) != digest or not (in_memory or output in self._on_disk):
            return True
        if not in_memory:
            self.kept.append(output)
        if not self._cache.keep_bytes:  # only the pages rendered need theirs (see RenderCache._remember)
            del self.inputs[output]
        self.fresh[output] = digest
        return False

    def digest_later(self) -> None:
        """Digest the pages `is_stale` found stale without digesting them, now that they are rendered."""
        if self._later:
            later, self._later = self._later, []
            for page in later:
                self._digest(page)

    def _digest(self, page: Page) -> str | None:
        """The digest of what `page` is rendered from; None when part of it cannot be told."""
        template = self.templates.digest(page.template)
        if template is None:
            return None
        seen = self._cache._inputs.get(page.output)
        family = self._family_of.get(page.output)
        kept = family.previous.get(page.output) if family is not None else None
        carried = kept[1] if kept is not None and kept[0] == page.template else None
        values = None if carried is not None else page.context  # made afresh each time asked for, maybe (see Page)
        same = (
            values is not None and seen is not None and seen.context is not None
            and (seen.template, seen.template_digest) == (page.template, template) and same_data(seen.context, values)
        )
        context = carried or (seen.context_digest if same else self.digests.of_context(values))  # type: ignore[union-attr, arg-type]
        if context is None:
            return None
        if family is not None and family.digest is not None:
            family.contexts[page.output] = (page.template, context)
        reads = self._cache.reads.get(page.output) if page.output in self._previous else None
        read = self.reads.digest(reads) if reads is not None else None
        self.inputs[page.output] = PageInputs(page.template, template, values if self._cache.keep_bytes else None, context, read)
        if read is None:
            return None
        if same and read == seen.reads_digest:  # type: ignore[union-attr]
            return self._previous.get(page.output)  # the same inputs as when the last build took this digest
        return digest_of(page.template, template, context, read)

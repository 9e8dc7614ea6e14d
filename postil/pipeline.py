"""One build, top to bottom: discover → parse → assemble → render → index → check → write.

`Builder.build` finds out whether anything changed; `Builder._build` runs the steps, each
a method that takes data and returns data. Only this module imports the speed layer
(postil/speed/): what a Builder keeps from one build to the next is one `BuildMemory`,
and each stage is handed what it needs of it: the parse cache's essay bodies go to the
renderer and to the quote check, the last assembly to `assemble`, compiled templates to
the Jinja environment. Two overlaps are the driver's own, in plain sight here: pages go
into the output's tree (a new one, or an update of the output) as they are rendered
(`_tree`, `PageBatches`), and each shard of the search index is indexed as soon as its
essays' pages are rendered, while the rest of the site renders (`_begin_index`, told of
each page by `PageBatches`, then `_index`).

`Builder` keeps what it made between builds in memory, so the next build in the same
process (the dev server) redoes only what changed: it re-parses only essay files whose
bytes changed (or, when told which files changed, only those), redoes the cheap
whole-site steps (assembly, link checks), and renders again only the pages whose inputs
changed (see speed/render_cache.py). A build into a folder also keeps a record on disk (see
speed/uptodate.py), so a new process does as little: nothing at all when nothing changed, and
otherwise only the parsing and rendering an edit calls for. The result is always the same
bytes a clean build gives. Nothing is written unless the whole build succeeded.

The heavy modules (Markdown, Jinja, Pygments, Pagefind) are imported only once a build
has work to do: finding that nothing changed must take a fraction of a second.
"""
from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .speed.disk_cache import CACHE_DIR, DiskCache, code_fingerprint, make_cache_folder
from .config import Config, load_config
from .content.discover import CONTENT_DIR, Sources, discover
from .errors import PostilError, Problem, Report
from .write.journal import finish_interrupted
from .write.build_lock import one_build_at_a_time
from .write.tempfiles import remove_abandoned_files
from .speed.uptodate import BuildRecord, Inputs, last_output, read_inputs, source_files

if TYPE_CHECKING:
    import jinja2

    from .render.pages import Page
    from .render.theme import Assets
    from .site.model import Essay, Reply, Site
    from .speed.memory import BuildMemory
    from .speed.fragments import Fragments
    from .speed.page_facts import PageFactsStore
    from .speed.render_cache import Renders
    from .write.output import NewTree
    from .search.index import Bundle, IndexRun, SearchIndex


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path | None  # None: keep the build in memory only (the dev server serves it from there)
    drafts: bool = False  # essays marked draft: true
    draft_replies: bool = False  # replies marked draft: true, shown marked: the dev server only; a build never publishes them
    strict: bool = False
    base_url: str | None = None
    hashed_assets: bool = True
    search: bool = True  # False: build no search index whatever the config says (the dev server)
    # Never skip a build as up to date, so BuildResult.site is set (postil check reads it). Not
    # an input of the output: left out of the repr that the up-to-date record digests.
    always_assemble: bool = field(default=False, repr=False, compare=False)


@dataclass
class BuildResult:
    pages: int
    files: dict[str, bytes]  # the built site, output path → bytes, but for the `on_disk_only` files
    changed: list[str]  # output paths added, changed or removed since the previous build (on disk when writing)
    warnings: list[Problem]
    seconds: float
    parsed: int = 0  # essay files parsed afresh by this build
    rendered: int = 0  # pages rendered afresh by this build
    up_to_date: bool = False  # nothing changed since the last build: the output was left as it was
    on_disk_only: int = 0  # files not in `files`: kept from the previous output, or written as rendered
    site: Site | None = None  # the model the pages were rendered from; None when the build was skipped as up to date
    draft_replies: tuple[Reply, ...] = ()  # replies parsed but held back as drafts (with `site`)

    @property
    def outputs(self) -> int:
        """How many files the site has."""
        return len(self.files) + self.on_disk_only


def _say_waiting() -> None:
    """Told when another build of the site is running: this one waits for it (see write/build_lock.py)."""
    print("Waiting for another build of this site to finish…", file=sys.stderr, flush=True)


@dataclass
class Builder:
    """Builds one site again and again, reusing what did not change."""

    site_root: Path
    options: BuildOptions
    _kept: BuildMemory | None = None  # caches and memos, made on the first build (see speed/memory.py)
    _record: BuildRecord | None = None
    _files: dict[str, bytes] = field(default_factory=dict)
    _discovered: tuple[Sources, tuple[Problem, ...]] | None = None
    _assets: tuple[tuple, Assets] | None = None  # the last build's, with what they were read for
    _search: SearchIndex | None = None  # the search index's shards, kept between builds
    _environment: jinja2.Environment | None = None  # the last build's templates: the search page is rendered after the index

    @property
    def cache_folder(self) -> Path:
        """The site's folder of things kept between builds (`.postil-cache/`), for commands
        that keep their own there: the driver alone knows the speed layer's layout."""
        return self.site_root / CACHE_DIR

    def page_facts_store(self) -> PageFactsStore:
        """Where `check` keeps what it read of each built page between runs (see speed/page_facts.py)."""
        from .speed.page_facts import PageFactsStore

        return PageFactsStore(self.site_root)

    def config(self) -> Config:
        config = load_config(self.site_root)
        if not self.options.search:
            config = replace(config, search=False)
        return config.with_base_url(self.options.base_url) if self.options.base_url else config

    def _discover(self, changed: set[str] | None, report: Report) -> Sources:
        """Walk content/ again unless every change is an edit of a file it already found."""
        if changed is not None and self._discovered is not None:
            sources, problems = self._discovered
            known = source_files(sources)
            inside = [path for path in changed if path == CONTENT_DIR or path.startswith(CONTENT_DIR + "/")]
            if all(path in known and (self.site_root / path).is_file() for path in inside):
                report.extend(problems)
                return sources
        found = Report()
        sources = discover(self.site_root, found, self.options.out_dir)
        self._discovered = (sources, tuple(found.problems))
        report.extend(found.problems)
        return sources

    def linked(self) -> list[Path]:
        """Where the symbolic links in content/ that the last build followed lead (all
        inside the site), for a watcher to watch too."""
        return [Path(path) for path in self._discovered[0].linked] if self._discovered else []

    def build(self, changed: Iterable[str] | None = None, early: Callable[[dict[str, bytes]], None] | None = None) -> BuildResult:
        """Build the site; raise PostilError (nothing written, caches kept) on any error.

        `changed` lists site-relative paths (files or folders) known to have changed since
        the last build (the watcher's word), so that content/ need not be walked again when
        only known files were edited, and no other source is even stat'ed. None (the
        default) means "anything may have changed": then a source file is read only when
        its stat differs from the last build's (see speed/parse_cache.py).

        `early`, with `changed`, is handed the new pages of the essays edited (or whose
        replies were) as soon as they are rendered, before the rest of the site is looked
        at, and then the home page and the pages of those essays' tags, when the build has
        found no problem that would fail it so far. The build may still fail later (a
        template error in another page); its result says so as usual.
        """
        if self.options.out_dir is None:  # the dev server: all in memory, nothing shared with other builds
            return self._build_now(changed, early)
        try:
            make_cache_folder(self.cache_folder)
        except OSError:
            pass  # no cache then (a read-only site): nor any lock, see one_build_at_a_time
        with one_build_at_a_time(self.cache_folder, _say_waiting):
            return self._build_now(changed, early)

    def _build_now(self, changed: Iterable[str] | None, early: Callable[[dict[str, bytes]], None] | None) -> BuildResult:
        started = time.perf_counter()
        if self.options.out_dir is not None:
            finish_killed_builds(self.site_root, self.options.out_dir)
        config = self.config()
        report = Report()
        known_changed = None if changed is None else set(changed)
        sources = self._discover(known_changed, report)

        # Only a build that writes a folder keeps a record; the dev server keeps all in memory.
        out_dir = self.options.out_dir
        inputs = read_inputs(self.site_root, sources, config, self.options) if out_dir is not None else None
        if out_dir is not None and self._record is None:
            self._record = BuildRecord(self.site_root, out_dir)
            if not report.errors and not self.options.always_assemble and self._record.unchanged(inputs):  # type: ignore[arg-type]
                return self._finish_unchanged(self._record, started)
        elif self._record is not None:  # a warm Builder goes on to build anyway
            self._record.scan()
        return self._build(config, sources, report, inputs, started, known_changed, early)

    def _build(
        self, config: Config, sources: Sources, report: Report, inputs: Inputs | None, started: float, changed: set[str] | None,
        early: Callable[[dict[str, bytes]], None] | None,
    ) -> BuildResult:
        """Parse, assemble, render, index, check, write: the steps of a build with work to do.
        Pages may go into a new tree while others render, but nothing takes the output
        folder's place unless the whole build succeeded."""
        # Jinja, assembly and writing are imported once workers parse, if they do (see speed/memory.py).
        memory = self._memory()
        assets = self._collect_assets(config, changed, report)
        essays, replies, held = self._parse(sources, config, report, inputs, changed, self._compile_templates(config, assets))
        site = self._assemble(essays, replies, sources, report)
        from .site.assemble import check_links

        tree = self._tree()
        # The previous output's files still as written: one set for both steps (17,000 names at 5,000 essays).
        on_disk = self._record.intact() if self._record is not None else set()
        # Each shard of the search index is indexed as soon as its essays' pages are rendered.
        search = self._begin_index(site, config, report, tree, on_disk)
        try:
            renders = self._render(site, config, assets, report, tree, changed, early, search, on_disk)
            files = self._gather(site, assets, renders, report)
            self._save_caches(report)  # while Pagefind indexes, if it does: they owe nothing to the index
            kept = self._index(search, files, set(renders.kept), tree, site, config, report)
            check_links(site, set(files) | kept | set(renders.written), report)
            problems = self._problems(report)
            changed_outputs = self._write(files, kept, renders, problems, inputs, tree)
        except BaseException:
            if tree is not None:
                tree.discard()
            raise
        finally:
            if search is not None:
                search.close()
        return BuildResult(
            pages=renders.pages,
            files=files,
            changed=changed_outputs,
            warnings=problems,
            seconds=time.perf_counter() - started,
            parsed=memory.parsed.parsed_last,
            rendered=memory.renders.rendered_last,
            on_disk_only=len((kept | set(renders.written)) - files.keys()),
            site=site,
            draft_replies=tuple(held),
        )

    def _tree(self) -> NewTree | None:
        """Where a build into a folder puts pages as they are rendered: a new tree, or,
        when the output is as the last build left it, an update of it (which writes only
        the pages that changed). None for the dev server, which keeps its pages in memory."""
        from .write.output import NewTree, OutputUpdate

        record, out_dir = self._record, self.options.out_dir
        if out_dir is None or record is None:
            return None
        current = record.current()
        return NewTree(out_dir) if current is None else OutputUpdate(out_dir, current)

    def _memory(self) -> BuildMemory:
        """What this Builder keeps from one build to the next, made on its first build."""
        if self._kept is None:
            from .speed.memory import BuildMemory

            self._kept = BuildMemory.start(self.site_root, self.options.out_dir, self._record)
        return self._kept

    def _parse(
        self, sources: Sources, config: Config, report: Report, inputs: Inputs | None, changed: set[str] | None,
        meanwhile: Iterable[object] | None = None,
    ) -> tuple[list[Essay], list[Reply], list[Reply]]:
        """Every essay and reply that the build shows, parsed (or taken from the parse cache),
        and the draft replies it holds back (for `check`). The steps of `meanwhile` are
        taken in this process while worker processes parse essays, if they do."""
        # Files a fresh clone holds anew were just hashed to see whether anything changed: not twice.
        hashes = self._record.hashed(inputs) if self._record is not None and inputs is not None else None
        parsed_essays, parsed_replies = self._memory().parsed.update(sources, config, report, inputs.stats if inputs else None, changed, meanwhile, hashes)
        essays = []
        for parsed in parsed_essays:
            report.extend(parsed.problems)
            if parsed.essay and (self.options.drafts or not parsed.essay.draft):
                essays.append(parsed.essay)
        replies, held = [], []
        for parsed in parsed_replies:
            report.extend(parsed.problems)
            if parsed.reply and (self.options.draft_replies or not parsed.reply.draft):
                replies.append(parsed.reply)
            elif parsed.reply:
                held.append(parsed.reply)
        return essays, replies, held

    def _compile_templates(self, config: Config, assets: Assets) -> Iterator[None]:
        """Compile every template into the compiled-template store, one a step, for the
        renderer's environment to load. Taken while workers parse, this takes compiling
        (~0.4 s, in this process alone) off the path of a cold build."""
        import jinja2

        from .render.pages import make_environment
        from .speed.template_code import equip

        memory = self._memory()
        if self.options.out_dir is not None:  # as _render does: what an earlier run compiled is loaded, not compiled again
            memory.compiled.use_folder(self.cache_folder)
        environment = make_environment(self.site_root, config, assets, memory.parsed.body, memory.parsed.reply_body, memory.compiled)
        equip(environment)  # compiled as the render cache compiles them (see speed/template_code.py)
        for name in environment.list_templates():
            try:
                environment.get_template(name)
            except (jinja2.TemplateError, UnicodeDecodeError):
                pass  # rendering reports it
            yield

    def _assemble(self, essays: list[Essay], replies: list[Reply], sources: Sources, report: Report) -> Site:
        """The site model; essays' passages (for replies' quotes) and sections' first words
        (for transclusions) come from the parse cache, and where the quotes lie in their
        essays from what earlier builds found (see speed/quote_places.py)."""
        from .site.assemble import assemble

        memory = self._memory()
        places = memory.quote_places
        places.begin(memory.parsed.scope)
        site = assemble(
            essays, sources, report, replies, memory.parsed.passage_texts, memory.assembly, memory.parsed.section_leads, memory.parsed.reply_text,
            places,
        )
        places.end()
        if sources.reactions:
            from .content.reactions import read_reactions

            by_bundle = read_reactions(self.site_root, sources.reactions, report)
            shown = {essay.url_path: by_bundle[essay.bundle_dir] for essay in site.essays if essay.bundle_dir in by_bundle and essay.replies_mode != "hidden"}
            site = replace(site, reactions=shown)
        return site

    def _render(
        self, site: Site, config: Config, assets: Assets, report: Report, tree: NewTree | None, changed: set[str] | None,
        early: Callable[[dict[str, bytes]], None] | None, search: IndexRun | None = None, on_disk: Collection[str] = (),
    ) -> Renders:
        """Every page whose inputs changed, rendered (through the render cache, on all cores);
        with `early`, the edited essays' pages first, then the lists they are in. `search`
        is told of each page as it is rendered; `on_disk` names the previous output's intact files."""
        from .render.pages import Discussions, essay_pages, home_page, make_environment, site_pages, tag_pages
        from .site.reply_pages import reply_pages
        from .site.takes import stream_folder

        memory = self._memory()
        environment = make_environment(self.site_root, config, assets, memory.parsed.body, memory.parsed.reply_body, memory.compiled)
        environment.globals["discussions"] = Discussions(site.discussions)
        environment.globals["takes_stream"] = stream_folder(site.takes)  # the nav's link to the quick takes, "" without any
        self._environment = environment
        if self.options.out_dir is not None:  # templates compiled by the last run into a folder
            memory.compiled.use_folder(self.cache_folder)
        # The saved essay's page first, then the lists a reader finds it in, served together:
        # served one by one, each set the open tabs fetching and drawing while the next was
        # still being rendered.
        edited = _edited_essays(site, changed) if early is not None and changed else set()
        first = [list(essay_pages(site, edited)), [home_page(site, config), *tag_pages(site, edited)]] if edited else []
        essays = None
        if search is not None and (tree is None or tree.updating) and not first:
            # Updating an output, the essays' pages are found stale and rendered before the
            # other pages are looked at, and the pages of the shards holding an essay (or
            # reply) parsed afresh before the other essays': the edited essay's shard goes to
            # Pagefind before the site's lists and replies' pages are digested (0.06 s of CPU
            # at 1,000 essays), and before the other essays' pages are (another 0.06 s).
            essays = list(essay_pages(site))
            first = _edited_shards_first(essays, site, search, memory.parsed.parsed_paths)
        environment_key = repr((config, sorted(assets.names.items()), code_fingerprint()))
        # Rendered in batches of whole shards, the stale essay pages of a batch are all the
        # pages of its shards rendered: the search index is told which, so that a shard
        # whose other pages are kept starts without waiting. Not so when the edited essays
        # come first: the essays beside them may render in a later batch.
        batches = PageBatches(environment, self.site_root, config, memory.renders.fragments, tree, report,
                              search and search.rendered, search.rendering if search is not None and not edited else None,
                              search and search.rank)
        return memory.renders.render(
            site_pages(site, config, essays), environment, environment_key, batches,
            memory.parsed.digest, on_disk, first, early and self._guarded(early, report),
            # The pages of replies are made from the site's replies (and the config) alone.
            {"replies": (site.replies, reply_pages(site, config))},
        )

    def _gather(self, site: Site, assets: Assets, renders: Renders, report: Report) -> dict[str, bytes]:
        """The site's files held in memory: theme assets, bundle files, pages rendered afresh."""
        files: dict[str, bytes] = dict(assets.files)
        for output, source in site.assets.items():
            try:
                files[output] = (self.site_root / source).read_bytes()
            except OSError as exc:
                report.error(source, None, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
        files.update(renders.files)
        return files

    def _begin_index(self, site: Site, config: Config, report: Report, tree: NewTree | None, on_disk: Collection[str]) -> IndexRun | None:
        """This build's search indexing (see search/), ready to be told of pages as they are
        rendered; None when the build makes no index."""
        if not config.search:
            return None  # nor are the index's modules imported
        if self._search is None:
            from .search.index import SearchIndex

            self._search = SearchIndex((lambda name: DiskCache(self.site_root, name)) if self.options.out_dir is not None else None)
        if tree is None:
            return self._search.begin(site, config, report, on_disk)
        return self._search.begin(site, config, report, on_disk, tree.read, tree.add, kept_in=tree.out_dir if tree.updating else None)

    def _index(
        self, search: IndexRun | None, files: dict[str, bytes], kept: set[str], tree: NewTree | None, site: Site, config: Config, report: Report,
    ) -> set[str]:
        """Add the search index's files to `files`, or put them into the new tree as each
        shard is done. The shards not begun while rendering are indexed now, but for those
        whose pages were rendered from the same inputs as when they were last indexed (the
        render cache's digests say so): those are not even read. Then the search page,
        which names the bundles' files. Gives the output files kept as they are on disk or
        already in the new tree."""
        if search is None:
            from .render.search import search_enabled  # loaded already, with the pages

            if search_enabled(config) and not site.essays and not report.errors:  # no index: the page says there is nothing to search
                self._search_page([], files, config, report)
            return kept
        out_dir = self.options.out_dir

        def read_page(output: str) -> bytes:
            if output in files:
                return files[output]
            if tree is not None and tree.has(output):
                return tree.read(output)
            return (out_dir / output).read_bytes()  # type: ignore[operator]

        search_files, search_kept = search.finish(read_page, self._memory().renders.digests)
        files.update(search_files)
        if not report.errors:
            self._search_page(search.bundles(), files, config, report)
        return kept | search_kept

    def _search_page(self, bundles: list[Bundle], files: dict[str, bytes], config: Config, report: Report) -> None:
        """Render the search page and the header box's list of bundles into `files`: they
        name the bundles' files, so they come after them."""
        from .render.pages import render_page, search_bundle_list, search_page, template_problem

        for page in (search_page(bundles), search_bundle_list(bundles)):
            data = render_page(page, self._environment, lambda page, exc: report.extend([template_problem(page, exc, self.site_root, config)]))
            if data is not None:
                files[page.output] = data

    def _save_caches(self, report: Report) -> None:
        """Keep for the next run what rendering added to the caches of cached partials and
        compiled templates, once every page is rendered, while the search index is made
        (this thread waits for Pagefind otherwise): they are keyed by what they were made
        from, so they hold whether or not this build goes on to succeed. A build into a
        folder only (the dev server keeps all in memory)."""
        if self.options.out_dir is not None and not report.errors:
            self._memory().save()

    def _problems(self, report: Report) -> list[Problem]:
        """The build's problems, sorted; raise PostilError (nothing written) if any fails it."""
        problems = report.sorted()
        if self.options.strict:
            problems = [problem.as_error() for problem in problems]
        if any(problem.severity == "error" for problem in problems):
            if self._record is not None:  # nothing is written: the output keeps the last build's pages
                self._memory().renders.restore(*self._record.render_digests)
            raise PostilError(problems)
        return problems

    def _write(
        self, files: dict[str, bytes], kept: set[str], renders: Renders, problems: list[Problem], inputs: Inputs | None, tree: NewTree | None,
    ) -> list[str]:
        """Write the output folder (and the caches for the next run), or keep the site in
        memory (the dev server); the output paths that changed."""
        from .write.output import write_site

        memory, record = self._memory(), self._record
        if tree is not None and record is not None and inputs is not None:
            changed_outputs, written, in_place = write_site(files, kept, tree)
            record.save(
                inputs, written, renders.pages, problems, memory.renders.scope, memory.renders.digests, memory.renders.reads,
                memory.renders.families, changed_outputs if in_place else None,
            )
            memory.save()  # what the search page added, if anything
            return changed_outputs
        previous, self._files = self._files, files
        return sorted([name for name, data in files.items() if previous.get(name) != data] + [name for name in previous if name not in files])

    def _collect_assets(self, config: Config, changed: set[str] | None, report: Report) -> Assets:
        """The theme's files, read again unless the watcher's changes are all outside them.
        Links in the theme's folders that leave the site are reported on every build."""
        from .render.theme import collect_assets, theme_link_problems, theme_roots

        report.extend(theme_link_problems(self.site_root, config))

        key = (config, self.options.hashed_assets)
        if changed is not None and self._assets is not None and self._assets[0] == key:
            folders = [root / "theme" for root in theme_roots(self.site_root, config)]
            paths = [self.site_root / path for path in changed]
            if not any(folder == path or folder in path.parents for path in paths for folder in folders):
                return self._assets[1]
        assets = collect_assets(self.site_root, config, hashed=self.options.hashed_assets)
        self._assets = (key, assets)
        return assets

    def _guarded(self, early: Callable[[dict[str, bytes]], None], report: Report) -> Callable[[dict[str, bytes]], None]:
        """`early`, called only while no problem found so far would fail the build."""
        def guarded(files: dict[str, bytes]) -> None:
            if not any(problem.severity == "error" or self.options.strict for problem in report.problems):
                early(files)
        return guarded

    def _finish_unchanged(self, record: BuildRecord, started: float) -> BuildResult:
        problems = record.warnings
        if self.options.strict and problems:
            raise PostilError([problem.as_error() for problem in problems])
        return BuildResult(
            pages=record.pages, files={}, changed=[], warnings=problems,
            seconds=time.perf_counter() - started, up_to_date=True,
        )


# Updating an output, a batch of fewer pages than this comes back to this process, bytes
# and all, rather than into the folder beside the output: an edit's few dozen pages are
# handed to the search index with their bytes, so that an essay page rendered again the
# same is known to be so without its shard's other pages being read. 200 pages are a few MB.
FEW_PAGES = 200


class PageBatches:
    """Renders the batches of stale pages the render cache asks for, on all cores.

    Runs in forked workers, which inherit it. Building into a folder (`tree`), a worker
    writes each page into it as it renders it (for an update of the output, only a page
    whose bytes changed, and only in a batch of at least FEW_PAGES): a page's bytes need
    not travel back, nor is the site held in memory. A worker's cached partials go back
    with its page, for later pages and builds."""

    def __init__(
        self, environment: jinja2.Environment, site_root: Path, config: Config, fragments: Fragments, tree: NewTree | None, report: Report,
        rendered: Callable[[str, bytes | None], None] | None = None, rendering: Callable[[list[str]], None] | None = None,
        rank: Callable[[str], int] | None = None,
    ):
        """`rendered(output path, bytes or None when they went into the tree)` is told of
        each page as it comes back, in this process (the search index starts on it);
        `rendering(output paths)`, of each batch before it is rendered. The pages of a
        batch are rendered in the order of `rank(output path)`, lowest first: an edit's
        essay page before the long lists it is in, and a cold build's essays shard by
        shard, so that each shard of the search index starts as soon as it can."""
        self.environment, self.site_root, self.config = environment, site_root, config
        self.fragments, self.tree, self.report, self.rendered, self.rendering = fragments, tree, report, rendered, rendering
        self.rank = rank

    def __call__(self, stale: list[Page]) -> list[tuple[bytes | None, tuple[str, ...]]]:
        from .render.pages import PageRenderer, compile_templates
        from .speed.render_cache import WRITTEN
        from .speed.workers import MIN_ITEMS_FOR_PROCESSES, map_in_processes
        from .write.output import Added

        if self.rendering is not None:
            self.rendering([page.output for page in stale])
        if len(stale) >= MIN_ITEMS_FOR_PROCESSES:
            compile_templates(self.environment)
        renderer = PageRenderer(stale, self.environment, self.site_root, self.config)
        fragments = self.fragments
        tree = self.tree if self.tree is not None and (not self.tree.updating or len(stale) >= FEW_PAGES) else None
        pages_out: list[tuple[bytes | None, tuple[str, ...]]] = [(None, ())] * len(stale)
        # What pages read of `discussions`, each set of names held once: every one that came
        # back from a worker was a new copy, held to the end of the build (at 5,000 essays, a
        # few MB for 17,000 pages that read the same few thousand names).
        read_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        names: dict[str, str] = {}

        def shared(reads: tuple[str, ...]) -> tuple[str, ...]:
            if not reads:
                return ()
            found = read_sets.get(reads)
            if found is None:
                found = read_sets[reads] = tuple(names.setdefault(name, name) for name in reads)
            return found

        def render(index: int) -> tuple[tuple[bytes | Added | None, Problem | None, tuple[str, ...]], dict[str, bytes]]:
            data, problem, reads = renderer(index)
            if tree is not None and problem is None and data is not None:
                return (tree.put(stale[index].output, data), problem, reads), fragments.take_added()
            return (data, problem, reads), fragments.take_added()

        def take(index: int, result: tuple[tuple[bytes | Added | None, Problem | None, tuple[str, ...]], dict[str, bytes]]) -> None:
            (data, problem, reads), made = result
            reads = shared(reads)
            fragments.merge(made)
            if problem is not None:
                self.report.problems.append(problem)
            elif isinstance(data, Added):
                self.tree.record(stale[index].output, data)  # type: ignore[union-attr]
                pages_out[index] = (WRITTEN, reads)
                if self.rendered is not None:
                    self.rendered(stale[index].output, None)
            else:
                pages_out[index] = (data, reads)
                if self.rendered is not None and data is not None:
                    self.rendered(stale[index].output, data)

        order = sorted(range(len(stale)), key=lambda index: self.rank(stale[index].output)) if self.rank else range(len(stale))
        map_in_processes(render, order, each=lambda position, result: take(order[position], result), keep=False)
        return pages_out


def let_go_of_finished_builds() -> None:
    """Free what the builds of this process loaded, once no Builder is kept, for a command
    that goes on after its build (`check`). A build into a folder freezes what it loaded
    (`gc.freeze`, see speed/parse_cache.py: the process ends with its run), and a Builder's
    caches hold themselves in cycles (the Jinja environment and its templates), so they
    outlive it unless collected: 0.15 s at 5,000 essays, for ~30 MB."""
    gc.unfreeze()
    gc.collect()


def finish_killed_builds(site_root: Path, out_dir: Path | None = None) -> None:
    """Before anything else: finish a small change a killed build had begun in `out_dir`
    (by default the folder the site's last build wrote: the dev server writes none), and
    remove the temporary files killed builds left there and in the cache folder."""
    out_dir = out_dir if out_dir is not None else last_output(site_root)
    if out_dir is not None:
        finish_interrupted(out_dir)
    remove_abandoned_files(site_root / CACHE_DIR)


def _edited_shards_first(pages: list[Page], site: Site, search: IndexRun, parsed: Collection[str]) -> list[list[Page]]:
    """The essays' pages in two groups, each of whole shards: first those of the shards
    holding an essay, or an essay's reply, that was parsed afresh (the files `parsed`),
    then the others'. One group when no essay's file was; none when every shard holds one
    (a new base URL parses every file): rendered in one batch, ranked shard by shard, the
    pages are rendered by workers forked once, where a second batch's workers inherited the
    first batch's pages and results (at 5,000 essays the second fork was at 180 MB, the first at 124)."""
    touched = [essay.url_path + "index.html" for essay in site.essays if essay.source in parsed]
    touched += [essay.url_path + "index.html" for reply, essay in site.replies if reply.source in parsed]
    together = search.together(touched)
    if not together:
        return [pages]
    if len(together) == len(pages):
        return []
    return [[page for page in pages if page.output in together], [page for page in pages if page.output not in together]]


def _edited_essays(site: Site, changed: set[str]) -> set[str]:
    """The site paths of the essays whose file, or a file in whose bundle, is in `changed`."""
    folders = {parent for path in changed for parent in _parents(path)}
    return {essay.url_path for essay in site.essays if essay.source in changed or (essay.bundle_dir and essay.bundle_dir in folders)}


def _parents(path: str) -> Iterator[str]:
    while "/" in path:
        path = path.rpartition("/")[0]
        yield path

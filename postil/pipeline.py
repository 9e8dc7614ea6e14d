"""One build, top to bottom: discover → parse → assemble → render → write.

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

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .speed.disk_cache import CACHE_DIR, DiskCache, code_fingerprint
from .config import Config, load_config
from .content.discover import CONTENT_DIR, Sources, discover
from .errors import PostilError, Problem, Report
from .write.journal import finish_interrupted
from .write.tempfiles import remove_abandoned_files
from .speed.uptodate import BuildRecord, Inputs, read_inputs, source_files

if TYPE_CHECKING:
    from .speed.render_cache import RenderCache
    from .site.model import Site
    from .render.theme import Assets
    from .speed.parse_cache import ParsedSources


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path | None  # None: keep the build in memory only (the dev server serves it from there)
    drafts: bool = False  # essays marked draft: true
    draft_replies: bool = False  # replies marked draft: true, shown marked: the dev server only; a build never publishes them
    strict: bool = False
    base_url: str | None = None
    hashed_assets: bool = True
    search: bool = True  # False: build no search index whatever the config says (the dev server)


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

    @property
    def outputs(self) -> int:
        """How many files the site has."""
        return len(self.files) + self.on_disk_only


@dataclass
class Builder:
    """Builds one site again and again, reusing what did not change."""

    site_root: Path
    options: BuildOptions
    _sources: ParsedSources | None = None
    _renders: RenderCache | None = None
    _record: BuildRecord | None = None
    _files: dict[str, bytes] = field(default_factory=dict)
    _discovered: tuple[Sources, tuple[Problem, ...]] | None = None
    _assets: tuple[tuple, Assets] | None = None  # the last build's, with what they were read for

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
            if not report.errors and self._record.unchanged(inputs):  # type: ignore[arg-type]
                return self._finish_unchanged(self._record, started)
        elif self._record is not None:  # a warm Builder goes on to build anyway
            self._record.scan()
        return self._build(config, sources, report, inputs, started, known_changed, early)

    def _build(
        self, config: Config, sources: Sources, report: Report, inputs: Inputs | None, started: float, changed: set[str] | None,
        early: Callable[[dict[str, bytes]], None] | None,
    ) -> BuildResult:
        from .site.assemble import assemble, check_links
        from .speed.compiled_templates import COMPILED
        from .speed.render_cache import WRITTEN, RenderCache
        from .speed.workers import MIN_ITEMS_FOR_PROCESSES, map_in_processes
        from .render.pages import Discussions, Page, PageRenderer, compile_templates, essay_pages, home_page, make_environment, site_pages, tag_pages
        from .site.reply_pages import reply_pages
        from .site.takes import stream_folder
        from .render.search import add_search_index
        from .speed.parse_cache import ParsedSources
        from .write.output import Added, NewTree, write_site

        out_dir, record = self.options.out_dir, self._record
        if self._sources is None:
            self._sources = ParsedSources(self.site_root, persist=out_dir is not None)
        if self._renders is None:
            self._renders = RenderCache(keep_bytes=out_dir is None)
            if record is not None:
                self._renders.restore(*record.render_digests)
                self._renders.fragments.restore(self._fragments_store().load())
        parsed_essays, parsed_replies = self._sources.update(sources, config, report, inputs.stats if inputs else None, changed)
        essays = []
        for parsed in parsed_essays:
            report.extend(parsed.problems)
            if parsed.essay and (self.options.drafts or not parsed.essay.draft):
                essays.append(parsed.essay)
        replies = []
        for parsed in parsed_replies:
            report.extend(parsed.problems)
            if parsed.reply and (self.options.draft_replies or not parsed.reply.draft):
                replies.append(parsed.reply)

        site = assemble(essays, sources, report, replies)
        if sources.reactions:
            from .content.reactions import read_reactions

            by_bundle = read_reactions(self.site_root, sources.reactions, report)
            shown = {essay.url_path: by_bundle[essay.bundle_dir] for essay in site.essays if essay.bundle_dir in by_bundle and essay.replies_mode != "hidden"}
            site = replace(site, reactions=shown)
        assets = self._collect_assets(config, changed, report)
        environment = make_environment(self.site_root, config, assets)
        environment.globals["discussions"] = Discussions(site.discussions)
        environment.globals["takes_stream"] = stream_folder(site.takes)  # the nav's link to the quick takes, "" without any
        if out_dir is not None:  # templates compiled by the last run into a folder
            COMPILED.use_folder(self.site_root / CACHE_DIR)
        # The saved essay's page first, then the lists a reader finds it in, served together:
        # served one by one, each set the open tabs fetching and drawing while the next was
        # still being rendered.
        edited = _edited_essays(site, changed) if early is not None and changed else set()
        first = [list(essay_pages(site, edited)), [home_page(site), *tag_pages(site, edited)]] if edited else []
        pages = itertools.chain(site_pages(site, config), reply_pages(site, config))

        # With no intact output to update, pages go into a new tree as they are rendered.
        tree = NewTree(out_dir) if out_dir is not None and record is not None and record.current() is None else None

        def render_many(stale: list[Page]) -> list[tuple[bytes | None, frozenset[str]]]:
            if len(stale) >= MIN_ITEMS_FOR_PROCESSES:
                compile_templates(environment)
            renderer = PageRenderer(stale, environment, self.site_root, config)
            fragments = self._renders.fragments  # type: ignore[union-attr]
            pages_out: list[tuple[bytes | None, frozenset[str]]] = [(None, frozenset())] * len(stale)

            def render(index: int) -> tuple[tuple[bytes | Added | None, Problem | None, frozenset[str]], bytes]:
                data, problem, reads = renderer(index)
                if tree is not None and problem is None and data is not None:
                    # Written where it is rendered: a page's bytes need not travel back.
                    return (tree.put(stale[index].output, data), problem, reads), fragments.take_added()
                return (data, problem, reads), fragments.take_added()

            def take(index: int, result: tuple[tuple[bytes | Added | None, Problem | None, frozenset[str]], bytes]) -> None:
                (data, problem, reads), made = result
                fragments.merge(made)
                if problem is not None:
                    report.problems.append(problem)
                elif isinstance(data, Added):
                    tree.record(stale[index].output, data)  # type: ignore[union-attr]
                    pages_out[index] = (WRITTEN, reads)
                else:
                    pages_out[index] = (data, reads)

            # A worker's cached partials go back with its page, for later pages and builds.
            map_in_processes(render, range(len(stale)), each=take, keep=False)
            return pages_out

        try:
            environment_key = repr((config, sorted(assets.names.items()), code_fingerprint()))
            renders = self._renders.render(
                pages, environment, environment_key, render_many, self._sources.digests(),
                record.intact() if record is not None else (), first, early and self._guarded(early, report),
            )

            files: dict[str, bytes] = dict(assets.files)
            for output, source in site.assets.items():
                try:
                    files[output] = (self.site_root / source).read_bytes()
                except OSError as exc:
                    report.error(source, None, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
            files.update(renders.files)
            kept = set(renders.kept)
            if config.search and out_dir is not None:
                # The index reads every essay page: bring back the ones not held in memory.
                for essay in site.essays:
                    output = essay.url_path + "index.html"
                    if output in kept:
                        files[output] = (out_dir / output).read_bytes()
                        kept.discard(output)
                    elif tree is not None and tree.has(output):
                        files[output] = tree.read(output)
            add_search_index(site, config, files, report, DiskCache(self.site_root, "search"))
            check_links(site, set(files) | kept | set(renders.written), report)

            problems = report.sorted()
            if self.options.strict:
                problems = [problem.as_error() for problem in problems]
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                if record is not None:  # nothing is written: the output keeps the last build's pages
                    self._renders.restore(*record.render_digests)
                raise PostilError(problems)
            if out_dir is not None and record is not None and inputs is not None:
                changed_outputs, written = write_site(out_dir, files, kept, record.current(), tree)
                record.save(inputs, written, renders.pages, problems, self._renders.scope, self._renders.digests, self._renders.reads)
                if self._renders.fragments.changed:
                    self._fragments_store().save(self._renders.fragments.saved())
                COMPILED.save()
            else:
                previous = self._files
                changed_outputs = sorted(
                    [name for name, data in files.items() if previous.get(name) != data]
                    + [name for name in previous if name not in files]
                )
                self._files = files
        except BaseException:
            if tree is not None:
                tree.discard()
            raise
        return BuildResult(
            pages=renders.pages,
            files=files,
            changed=changed_outputs,
            warnings=problems,
            seconds=time.perf_counter() - started,
            parsed=self._sources.parsed_last,
            rendered=self._renders.rendered_last,
            on_disk_only=len((kept | set(renders.written)) - files.keys()),
        )

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

    def _fragments_store(self) -> DiskCache:
        return DiskCache(self.site_root, "fragments")

    def _finish_unchanged(self, record: BuildRecord, started: float) -> BuildResult:
        problems = record.warnings
        if self.options.strict and problems:
            raise PostilError([problem.as_error() for problem in problems])
        return BuildResult(
            pages=record.pages, files={}, changed=[], warnings=problems,
            seconds=time.perf_counter() - started, up_to_date=True,
        )


def finish_killed_builds(site_root: Path, out_dir: Path | None) -> None:
    """Before anything else: finish a small change a killed build had begun in `out_dir`,
    and remove the temporary files killed builds left there and in the cache folder."""
    if out_dir is not None:
        finish_interrupted(out_dir)
    remove_abandoned_files(site_root / CACHE_DIR)


def _edited_essays(site: Site, changed: set[str]) -> set[str]:
    """The site paths of the essays whose file, or a file in whose bundle, is in `changed`."""
    folders = {parent for path in changed for parent in _parents(path)}
    return {essay.url_path for essay in site.essays if essay.source in changed or (essay.bundle_dir and essay.bundle_dir in folders)}


def _parents(path: str) -> Iterator[str]:
    while "/" in path:
        path = path.rpartition("/")[0]
        yield path

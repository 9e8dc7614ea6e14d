"""One build, top to bottom: discover → parse → assemble → render → write.

`Builder` keeps what it made between builds in memory, so the next build in the same
process (the dev server) redoes only what changed: it re-parses only essay files whose
bytes changed (or, when told which files changed, only those), redoes the cheap
whole-site steps (assembly, link checks), and renders again only the pages whose inputs
changed (see incremental.py). The result is always the same bytes a clean build gives.
Nothing is written unless the whole build succeeded.
"""
from __future__ import annotations

import hashlib
import os
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from .assemble import assemble, check_links
from .cache import DiskCache
from .config import CONFIG_FILE, Config, load_config
from .discover import CONTENT_DIR, Sources, discover
from .errors import PostilError, Problem, Report
from .incremental import RenderCache
from .parallel import map_in_processes
from .sources import RACY_NANOSECONDS, ParsedSources, code_fingerprint
from .reply_pages import reply_pages
from .render import Page, make_environment, render_page, site_pages
from .search import add_search_index
from .theme import collect_assets, template_dirs, theme_dirs
from .write import write_site


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path | None  # None: keep the build in memory only (the dev server serves it from there)
    drafts: bool = False
    strict: bool = False
    base_url: str | None = None
    hashed_assets: bool = True
    keep_renders: bool = True  # remember rendered pages for the next build of this Builder
    search: bool = True  # False: build no search index whatever the config says (the dev server)


@dataclass
class BuildResult:
    pages: int
    files: dict[str, bytes]  # the whole built site: output path → bytes
    changed: list[str]  # output paths added, changed or removed since the previous build (on disk when writing)
    warnings: list[Problem]
    seconds: float
    parsed: int = 0  # essay files parsed afresh by this build
    rendered: int = 0  # pages rendered afresh by this build
    up_to_date: bool = False  # nothing changed since the last build: the output was left as it was


@dataclass
class Builder:
    """Builds one site again and again, reusing what did not change."""

    site_root: Path
    options: BuildOptions
    _sources: ParsedSources = field(init=False)
    _search_store: DiskCache = field(init=False)
    _build_store: DiskCache = field(init=False)
    _built_once: bool = False
    _renders: RenderCache = field(default_factory=RenderCache)
    _files: dict[str, bytes] = field(default_factory=dict)
    _discovered: tuple[Sources, tuple[Problem, ...]] | None = None

    def __post_init__(self) -> None:
        self._sources = ParsedSources(self.site_root, persist=self.options.out_dir is not None)
        self._search_store = DiskCache(self.site_root, "search")
        self._build_store = DiskCache(self.site_root, "build")

    def config(self) -> Config:
        config = load_config(self.site_root)
        if not self.options.search:
            config = replace(config, search=False)
        return config.with_base_url(self.options.base_url) if self.options.base_url else config

    def _discover(self, changed: set[str] | None, report: Report) -> Sources:
        """Walk content/ again unless every change is an edit of a file it already found."""
        if changed is not None and self._discovered is not None:
            sources, problems = self._discovered
            known = _source_files(sources)
            inside = [path for path in changed if path == CONTENT_DIR or path.startswith(CONTENT_DIR + "/")]
            if all(path in known and (self.site_root / path).is_file() for path in inside):
                report.extend(problems)
                return sources
        found = Report()
        sources = discover(self.site_root, found)
        self._discovered = (sources, tuple(found.problems))
        report.extend(found.problems)
        return sources

    def build(self, changed: Iterable[str] | None = None) -> BuildResult:
        """Build the site; raise PostilError (nothing written, caches kept) on any error.

        `changed` lists site-relative paths (files or folders) known to have changed since
        the last build, so that content/ need not be walked again when only known files were
        edited. None (the default) means "anything may have changed". Either way a source
        file is read only when its stat differs from the last build's (see sources.py).
        """
        started = time.perf_counter()
        config = self.config()
        report = Report()
        known_changed = None if changed is None else set(changed)
        sources = self._discover(known_changed, report)

        # Only a build that writes a folder records its inputs; the dev server keeps all in memory.
        inputs = self._inputs_fingerprint(sources, config) if self.options.out_dir is not None else None
        unchanged = None if report.errors or inputs is None else self._unchanged_output(inputs)
        if unchanged is not None:
            return self._finish_unchanged(unchanged, started)

        parsed_essays, parsed_replies = self._sources.update(sources, config, report)
        essays = []
        for parsed in parsed_essays:
            report.extend(parsed.problems)
            if parsed.essay and (self.options.drafts or not parsed.essay.draft):
                essays.append(parsed.essay)
        replies = []
        for parsed in parsed_replies:
            report.extend(parsed.problems)
            if parsed.reply:
                replies.append(parsed.reply)

        site = assemble(essays, sources, report, replies)
        assets = collect_assets(self.site_root, config, hashed=self.options.hashed_assets)
        environment = make_environment(self.site_root, config, assets)
        environment.globals["discussions"] = site.discussions
        pages = [*site_pages(site, config), *reply_pages(site, config)]

        def render_many(stale: list[Page]) -> list[bytes | None]:
            results = map_in_processes(_PageRenderer(stale, environment, self.site_root, config), range(len(stale)))
            report.extend(problem for _, problem in results if problem is not None)
            return [data for data, _ in results]

        rendered = self._renders.render(
            pages, environment, (config, tuple(sorted(assets.names.items()))), render_many, self.options.keep_renders
        )

        files: dict[str, bytes] = dict(assets.files)
        for output, source in site.assets.items():
            try:
                files[output] = (self.site_root / source).read_bytes()
            except OSError as exc:
                report.error(source, None, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
        files.update(rendered)
        add_search_index(site, config, files, report, self._search_store)
        check_links(site, set(files), report)

        problems = report.sorted()
        if self.options.strict:
            problems = [problem.as_error() for problem in problems]
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PostilError(problems)
        if self.options.out_dir is not None and inputs is not None:
            changed_outputs = write_site(self.options.out_dir, files)
            self._record_output(inputs, len(rendered), problems)
        else:
            previous = self._files
            changed_outputs = sorted(
                [name for name, data in files.items() if previous.get(name) != data]
                + [name for name in previous if name not in files]
            )
        self._files = files
        self._built_once = True
        return BuildResult(
            pages=len(rendered),
            files=files,
            changed=changed_outputs,
            warnings=problems,
            seconds=time.perf_counter() - started,
            parsed=self._sources.parsed_last,
            rendered=self._renders.rendered_last,
        )


    def _inputs_fingerprint(self, sources: Sources, config: Config) -> tuple[str, int]:
        """Everything a build reads, by stat (sources, templates, theme files, config, options,
        code), and the newest modification time among those files."""
        hasher = hashlib.sha256(repr((config, self.options, code_fingerprint())).encode())
        files = [self.site_root / CONFIG_FILE, *(self.site_root / path for path in sorted(_source_files(sources)))]
        newest = 0
        for folder in [*template_dirs(self.site_root, config), *theme_dirs(self.site_root, config)]:
            files += sorted(folder / name for name in _manifest(folder))
        for path in files:
            try:
                status = path.stat()
            except OSError:
                hasher.update(f"{path}:missing\n".encode())
                continue
            hasher.update(f"{path}:{status.st_size}:{status.st_mtime_ns}:{status.st_ino}\n".encode())
            newest = max(newest, status.st_mtime_ns)
        return hasher.hexdigest(), newest

    def _unchanged_output(self, inputs: tuple[str, int]) -> dict | None:
        """The record of the last build when neither its inputs nor its output have changed since.

        As for parsed files, stat is trusted only when every input was older than the record
        by more than a clock tick; otherwise the build runs (and reuses its parse cache).
        """
        out_dir = self.options.out_dir
        if out_dir is None or self._built_once:  # a warm Builder in memory is fast anyway
            return None
        record = self._build_store.load()
        digest, newest = inputs
        if record.get("inputs") != digest or record.get("out_dir") != str(out_dir.resolve()):
            return None
        if newest >= record.get("recorded_ns", 0) - RACY_NANOSECONDS:
            return None
        return record if _manifest(out_dir) == record.get("manifest") else None

    def _record_output(self, inputs: tuple[str, int], pages: int, problems: list[Problem]) -> None:
        out_dir = self.options.out_dir
        assert out_dir is not None
        manifest = _manifest(out_dir)
        record = {
            "inputs": inputs[0], "recorded_ns": time.time_ns(), "out_dir": str(out_dir.resolve()),
            "manifest": manifest, "pages": pages, "warnings": problems,
        }
        self._build_store.save(record)

    def _finish_unchanged(self, record: dict, started: float) -> BuildResult:
        problems = list(record["warnings"])
        if self.options.strict and problems:
            raise PostilError([problem.as_error() for problem in problems])
        return BuildResult(
            pages=record["pages"], files={}, changed=[], warnings=problems,
            seconds=time.perf_counter() - started, up_to_date=True,
        )


@dataclass(frozen=True)
class _PageRenderer:
    """Renders the page at an index of `pages`; runs in forked workers, which inherit all of it."""

    pages: list[Page]
    environment: jinja2.Environment
    site_root: Path
    config: Config

    def __call__(self, index: int) -> tuple[bytes | None, Problem | None]:
        page = self.pages[index]
        failures: list[Problem] = []
        data = render_page(page, self.environment, lambda page, exc: failures.append(_template_problem(page, exc, self.site_root, self.config)))
        return data, (failures[0] if failures else None)


def _manifest(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time."""
    found = {}
    for directory, _, names in os.walk(folder):
        prefix = os.path.relpath(directory, folder).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in names:
            status = os.stat(os.path.join(directory, name))
            found[prefix + name] = (status.st_size, status.st_mtime_ns)
    return found


def _source_files(sources: Sources) -> set[str]:
    files = {source.path for source in sources.essays} | set(sources.loose_files)
    for group in (*sources.bundle_files.values(), *sources.replies.values()):
        files.update(group)
    return files


def _template_problem(page: Page, exc: Exception, site_root: Path, config: Config) -> Problem:
    """Point a template error at the template file and line, not at Python."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Problem(_shown(exc.filename, site_root), exc.lineno, None, f"template error: {exc.message}", "fix the template")
    dirs = [str(path) for path in template_dirs(site_root, config)]
    for frame, line in reversed(list(traceback.walk_tb(exc.__traceback__))):
        filename = frame.f_code.co_filename
        if any(filename.startswith(folder) for folder in dirs):
            return Problem(_shown(filename, site_root), line, None, f"template error while writing {page.output}: {exc}", "fix the template")
    return Problem(page.template, None, None, f"template error while writing {page.output}: {exc}", "fix the template")


def _shown(filename: str, site_root: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(site_root.resolve()).as_posix()
    except ValueError:
        return str(path)

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
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .assemble import assemble, check_links
from .config import Config, load_config
from .discover import CONTENT_DIR, Sources, discover
from .errors import PostilError, Problem, Report
from .incremental import RenderCache
from .parse import Parsed, parse_essay
from .replies import load_replies
from .reply_pages import reply_pages
from .render import Page, make_environment, render_page, site_pages
from .search import add_search_index
from .theme import collect_assets, template_dirs
from .write import write_site


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path | None  # None: keep the build in memory only (the dev server serves it from there)
    drafts: bool = False
    strict: bool = False
    base_url: str | None = None
    hashed_assets: bool = True


@dataclass
class BuildResult:
    pages: int
    files: dict[str, bytes]  # the whole built site: output path → bytes
    changed: list[str]  # output paths added, changed or removed since the previous build (on disk when writing)
    warnings: list[Problem]
    seconds: float
    parsed: int = 0  # essay files parsed afresh by this build
    rendered: int = 0  # pages rendered afresh by this build


@dataclass
class _CachedParse:
    digest: str
    config: Config
    parsed: Parsed


@dataclass
class Builder:
    """Builds one site again and again, reusing what did not change."""

    site_root: Path
    options: BuildOptions
    _parsed: dict[str, _CachedParse] = field(default_factory=dict)
    _parsed_replies: dict = field(default_factory=dict)
    _renders: RenderCache = field(default_factory=RenderCache)
    _files: dict[str, bytes] = field(default_factory=dict)
    _discovered: tuple[Sources, tuple[Problem, ...]] | None = None

    def config(self) -> Config:
        config = load_config(self.site_root)
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
        the last build; essay files not in it nor under it are taken from the cache unread. None (the default) means
        "anything may have changed": every essay file is read and compared by its bytes.
        """
        started = time.perf_counter()
        config = self.config()
        report = Report()
        known_changed = None if changed is None else set(changed)
        sources = self._discover(known_changed, report)

        essays = []
        cache: dict[str, _CachedParse] = {}
        parsed_count = 0
        for source in sources.essays:
            cached = self._parsed.get(source.path)
            if cached is None or cached.config != config or _touched(source.path, known_changed):
                try:
                    raw = (self.site_root / source.path).read_bytes()
                except OSError as exc:
                    report.error(source.path, None, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
                    continue
                digest = hashlib.sha256(raw).hexdigest()
                if cached is None or cached.digest != digest or cached.config != config:
                    cached = _CachedParse(digest, config, parse_essay(source, raw, config))
                    parsed_count += 1
            cache[source.path] = cached
            report.extend(cached.parsed.problems)
            essay = cached.parsed.essay
            if essay and (self.options.drafts or not essay.draft):
                essays.append(essay)
        self._parsed = cache

        replies, self._parsed_replies = load_replies(self.site_root, sources, config, report, self._parsed_replies)
        site = assemble(essays, sources, report, replies)
        assets = collect_assets(self.site_root, config, hashed=self.options.hashed_assets)
        environment = make_environment(self.site_root, config, assets)
        environment.globals["discussions"] = site.discussions
        pages = [*site_pages(site, config), *reply_pages(site, config)]

        def on_error(page: Page, exc: Exception) -> None:
            report.problems.append(_template_problem(page, exc, self.site_root, config))

        rendered = self._renders.render(
            pages, environment, (config, tuple(sorted(assets.names.items()))),
            lambda page: render_page(page, environment, on_error),
        )

        files: dict[str, bytes] = dict(assets.files)
        for output, source in site.assets.items():
            try:
                files[output] = (self.site_root / source).read_bytes()
            except OSError as exc:
                report.error(source, None, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
        files.update(rendered)
        add_search_index(site, config, files, report)
        check_links(site, set(files), report)

        problems = report.sorted()
        if self.options.strict:
            problems = [problem.as_error() for problem in problems]
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PostilError(problems)
        if self.options.out_dir is not None:
            changed_outputs = write_site(self.options.out_dir, files)
        else:
            previous = self._files
            changed_outputs = sorted(
                [name for name, data in files.items() if previous.get(name) != data]
                + [name for name in previous if name not in files]
            )
        self._files = files
        return BuildResult(
            pages=len(rendered),
            files=files,
            changed=changed_outputs,
            warnings=problems,
            seconds=time.perf_counter() - started,
            parsed=parsed_count,
            rendered=self._renders.rendered_last,
        )


def _source_files(sources: Sources) -> set[str]:
    files = {source.path for source in sources.essays} | set(sources.loose_files)
    for group in (*sources.bundle_files.values(), *sources.replies.values()):
        files.update(group)
    return files


def _touched(path: str, changed: set[str] | None) -> bool:
    """True when `path`, or a folder holding it, is among `changed` (None: anything may have changed)."""
    if changed is None:
        return True
    parts = path.split("/")
    return any("/".join(parts[:end]) in changed for end in range(1, len(parts) + 1))


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

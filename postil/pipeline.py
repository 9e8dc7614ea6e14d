"""One build, top to bottom: discover → parse → assemble → render → write.

`Builder` keeps parsed essays between builds in memory, keyed by each file's bytes, so a
second build in the same process (the dev server) re-parses only what changed. Nothing
is written unless the whole build succeeded.
"""
from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .assemble import assemble, check_links
from .config import Config, load_config
from .discover import discover
from .errors import PostilError, Problem, Report
from .parse import Parsed, parse_essay
from .replies import load_replies
from .reply_pages import reply_pages
from .render import Page, make_environment, render_pages, site_pages
from .theme import collect_assets, template_dirs
from .write import write_site


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path
    drafts: bool = False
    strict: bool = False
    base_url: str | None = None


@dataclass
class BuildResult:
    pages: int
    files: int
    changed: list[str]
    warnings: list[Problem]
    seconds: float


@dataclass
class Builder:
    """Builds one site again and again, reusing what did not change."""

    site_root: Path
    options: BuildOptions
    _parsed: dict[tuple[str, str, Config], Parsed] = field(default_factory=dict)
    _parsed_replies: dict = field(default_factory=dict)

    def config(self) -> Config:
        config = load_config(self.site_root)
        return config.with_base_url(self.options.base_url) if self.options.base_url else config

    def build(self) -> BuildResult:
        """Build and write the site; raise PostilError (nothing written) on any error."""
        started = time.perf_counter()
        config = self.config()
        report = Report()
        sources = discover(self.site_root, report)

        essays = []
        cache: dict[tuple[str, str, Config], Parsed] = {}
        for source in sources.essays:
            try:
                raw = (self.site_root / source.path).read_bytes()
            except OSError as exc:
                report.error(source.path, None, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
                continue
            key = (source.path, hashlib.sha256(raw).hexdigest(), config)
            parsed = self._parsed.get(key) or parse_essay(source, raw, config)
            cache[key] = parsed
            report.extend(parsed.problems)
            if parsed.essay and (self.options.drafts or not parsed.essay.draft):
                essays.append(parsed.essay)
        self._parsed = cache

        replies, self._parsed_replies = load_replies(self.site_root, sources, config, report, self._parsed_replies)
        site = assemble(essays, sources, report, replies)
        assets = collect_assets(self.site_root, config)
        environment = make_environment(self.site_root, config, assets)
        environment.globals["discussions"] = site.discussions
        pages = [*site_pages(site, config), *reply_pages(site, config)]
        rendered = render_pages(pages, environment, lambda page, exc: report.problems.append(_template_problem(page, exc, self.site_root, config)))

        files: dict[str, bytes] = dict(assets.files)
        for output, source in site.assets.items():
            try:
                files[output] = (self.site_root / source).read_bytes()
            except OSError as exc:
                report.error(source, None, f"cannot read file: {exc.strerror}", "check that it exists and is readable")
        files.update(rendered)
        check_links(site, set(files), report)

        problems = report.sorted()
        if self.options.strict:
            problems = [problem.as_error() for problem in problems]
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PostilError(problems)
        changed = write_site(self.options.out_dir, files)
        return BuildResult(
            pages=len(rendered),
            files=len(files),
            changed=changed,
            warnings=problems,
            seconds=time.perf_counter() - started,
        )


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

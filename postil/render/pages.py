"""The site model through Jinja into {output path: bytes}. No file I/O happens here."""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
import traceback
from dataclasses import dataclass
from functools import partial
from urllib.parse import urljoin
from pathlib import Path
from collections.abc import Container, Iterable, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

import jinja2

from ..config import Config
from ..errors import Problem
from ..slugs import slugify
from ..site.model import Body, Discussion, Essay, Reply, ReplyBody, Site
from ..site.origins import origin_name
from ..site.paths import author_slug
from ..site.references import fill
from ..site.reply_links import reply_form
from .search import SEARCH_PAGE, entry_tag, search_enabled
from ..site.side_comments import margin_copy
from .theme import Assets, template_dirs

if TYPE_CHECKING:
    from ..search.index import Bundle

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def format_date(value: dt.datetime) -> str:
    """'14 March 2026', the same in every locale."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def iso_datetime(value: dt.datetime) -> str:
    """'2026-03-14T09:30:00Z'; formatted by hand, as strftime costs ~30 µs a call here."""
    utc = value.astimezone(dt.timezone.utc)
    return f"{utc.year:04}-{utc.month:02}-{utc.day:02}T{utc.hour:02}:{utc.minute:02}:{utc.second:02}Z"


_URL_ATTRIBUTE = re.compile(r'\b(href|src)="([^"]*)"')


def absolute_links(html: str, page_url: str) -> str:
    """Every href/src made absolute against the page's URL, for feed readers."""
    return _URL_ATTRIBUTE.sub(lambda m: f'{m[1]}="{urljoin(page_url, m[2])}"', html)


class Page:
    """One output file: which template, with what context.

    Every context also holds `page_path`, the page's own site path, for canonical and
    link-preview URLs. A context may be given as a function that makes it: it is then made
    each time it is asked for, and not held. The thousands of pages of essays and of
    replies by author are listed so, before render workers are forked: they make each
    page's context from the model they inherit, where a listed context each was 15 MB at
    5,000 essays in the build's process and in every worker.
    """

    __slots__ = ("output", "template", "_context")

    def __init__(self, output: str, template: str, context: dict | Callable[[], dict]):
        self.output, self.template = output, template
        self._context = context if callable(context) else _with_path(output, context)

    @property
    def context(self) -> dict:
        return _with_path(self.output, self._context()) if callable(self._context) else self._context  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Page({self.output!r}, {self.template!r})"


def _with_path(output: str, context: dict) -> dict:
    # A copy: a context dict handed to several pages must not carry one page's path.
    # Interned, so that the next build's page holds the very same string (see same_data).
    return {"page_path": sys.intern(page_path(output)), **context}


# What templates read of an essay's body as if it were the essay's own: `essay.html`, `essay.passages`;
# and of a reply's: `reply.html`, `reply.excerpt`.
_BODY_ATTRIBUTES = frozenset(("html", "passages"))
_REPLY_BODY_ATTRIBUTES = frozenset(("html", "text", "excerpt"))


class SiteEnvironment(jinja2.Environment):
    """The Jinja environment pages are rendered with: `essay.html` and `essay.passages` read
    the essay's `Body` through `bodies`, and `reply.html` and `reply.excerpt` the reply's
    `ReplyBody` through `reply_bodies`, which the pipeline hands in (neither is held by the
    model: see site/model.py)."""

    def __init__(self, bodies: Callable[[Essay], Body], reply_bodies: Callable[[Reply], ReplyBody], **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.bodies = bodies
        self.reply_bodies = reply_bodies

    def getattr(self, obj: object, attribute: str) -> object:
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        if type(obj) is Essay and attribute in _BODY_ATTRIBUTES:
            return getattr(self.bodies(obj), attribute)
        if type(obj) is Reply and attribute in _REPLY_BODY_ATTRIBUTES:
            return getattr(self.reply_bodies(obj), attribute)
        try:  # as Jinja's own getattr goes on
            return obj[attribute]  # type: ignore[index]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: object, argument: object) -> object:
        if type(obj) is Essay and argument in _BODY_ATTRIBUTES:
            return getattr(self.bodies(obj), argument)  # type: ignore[arg-type]
        if type(obj) is Reply and argument in _REPLY_BODY_ATTRIBUTES:
            return getattr(self.reply_bodies(obj), argument)  # type: ignore[arg-type]
        return super().getitem(obj, argument)  # type: ignore[arg-type]


def make_environment(
    site_root: Path, config: Config, assets: Assets, bodies: Callable[[Essay], Body], reply_bodies: Callable[[Reply], ReplyBody],
    bytecode_cache: jinja2.BytecodeCache | None = None,
) -> SiteEnvironment:
    """`bodies` gives an essay's rendered body, `reply_bodies` a reply's HTML and texts;
    `bytecode_cache` keeps compiled templates from one build to the next."""
    from .takes import fold_index  # here: the takes' module builds on this one

    env = SiteEnvironment(
        bodies,
        reply_bodies,
        bytecode_cache=bytecode_cache,
        loader=jinja2.FileSystemLoader([str(path) for path in template_dirs(site_root, config)]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # one environment per build: templates cannot change under it
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        site=config,
        url=config.href,
        absolute_url=config.absolute,
        asset=lambda name: assets.href(name, config.base_path),
        search=search_enabled(config),
        reply_form=lambda essay: reply_form(config.replies_via, essay, config.absolute(essay.url_path)),
    )
    env.filters.update(
        date=format_date,
        iso=iso_datetime,
        minutes=lambda essay: essay.reading_minutes(config.words_per_minute),
        tag_slug=slugify,
        author_slug=author_slug,
        origin_name=origin_name,
        margin_copy=margin_copy,
        absolute_links=lambda html, path: absolute_links(html, config.absolute(path)),
        resolved=lambda html, references: fill(html, references, config.href),
        json=lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True).replace("</", "<\\/"),
        fold_index=lambda take: fold_index(take, bodies(take)),
    )
    return env


def essay_pages(site: Site, only: Container[str] | None = None) -> Iterator[Page]:
    """The essays' own pages; with `only`, those of the essays at these site paths."""
    from .takes import neighbours  # here: the takes' module builds on this one

    essays = site.essays
    around = neighbours(essays)  # takes are next to takes, essays to essays
    by_url = {essay.url_path: essay for essay in essays}
    answered = {reply.url_path: by_url[target] for target, replies in site.responses.items() for reply in replies}
    for essay in essays:
        if only is not None and essay.url_path not in only:
            continue
        yield Page(essay.url_path + "index.html", "take.html" if essay.take else "essay.html", partial(_essay_context, site, essay, around, answered))


def _essay_context(site: Site, essay: Essay, around: dict, answered: dict) -> dict:
    return {
        "essay": essay,
        "newer": around[essay.url_path][0],
        "older": around[essay.url_path][1],
        "backlinks": site.backlinks.get(essay.url_path, ()),
        "responses": site.responses.get(essay.url_path, ()),
        "answered": answered.get(essay.url_path),
        "reactions": site.reactions.get(essay.url_path),
        "references": site.references.get(essay.url_path, ()),
    }


LATEST_TAKES = 5  # the takes the home page can show beside the essays


def home_page(site: Site, config: Config) -> Page:
    """The newest `home_essays` essays, and how many there are: the archive lists them all.
    A home page of every essay grew with the site (3.6 MB of HTML at 5,000 essays), for
    readers and for every build that renders it again."""
    essays = tuple(essay for essay in site.essays if not essay.take) if site.takes else site.essays
    return Page("index.html", "home.html", {"essays": essays[: config.home_essays], "essay_count": len(essays), "takes": site.takes[:LATEST_TAKES]})


def tag_pages(site: Site, only: Container[str] | None = None) -> Iterator[Page]:
    """A page per tag; with `only`, those of the tags of the essays at these site paths."""
    for tag in site.tags:
        if only is None or any(essay.url_path in only for essay in tag.essays):
            yield Page(f"tags/{tag.slug}/index.html", "tag.html", {"tag": tag})


def site_pages(site: Site, config: Config, essays: Iterable[Page] | None = None) -> Iterator[Page]:
    """Every page of the site, in a stable order; `essays`: the essays' pages, if the caller
    has made them already (at 5,000 essays, a second set was 3 MB)."""
    from .takes import stream_pages, stream_paths  # here: the takes' module builds on this one

    yield home_page(site, config)
    yield from essay_pages(site) if essays is None else essays
    yield Page("tags/index.html", "tags.html", {"tags": site.tags})
    yield from tag_pages(site)
    yield Page("archive/index.html", "archive.html", {"years": site.years})
    yield from stream_pages(site, config)
    yield Page("404.html", "404.html", {})
    yield Page("previews.json", "previews.json", {"previews": link_previews(site, config)})
    for output, essay in site.redirects:
        yield Page(output, "redirect.html", {"essay": essay})
    feed = site.essays[: config.feed_entries]
    feed_references = {essay.url_path: site.references[essay.url_path] for essay in feed if essay.url_path in site.references}
    yield Page("feed.xml", "feed.xml", {"essays": feed, "updated": _feed_updated(feed), "references": feed_references})
    reply_authors = sorted({author_slug(reply.author) for reply, _ in site.replies})
    yield Page("sitemap.xml", "sitemap.xml", {"essays": site.essays, "tags": site.tags, "reply_authors": reply_authors, "takes_pages": stream_paths(site)})
    yield Page("robots.txt", "robots.txt", {})


def search_page(bundles: Sequence[Bundle]) -> Page:
    """The search page, for the bundles the search index made (primary first; none on a
    site without essays). It is rendered after the index, from the names of the bundles'
    files, so that the browser fetches all a search needs at once: Pagefind alone would
    find them one round trip after another (its script, then each bundle's entry file,
    then its metadata)."""
    return Page(SEARCH_PAGE, "search.html", _bundles_named(bundles))


def search_bundle_list(bundles: Sequence[Bundle]) -> Page:
    """The same bundles' files for the header's search box on every other page, which
    fetches this list when a reader first focuses it (theme/search.js): named in each
    page, they would change every page whenever an edit indexes a shard again."""
    return Page("search/bundles.json", "search_bundles.json", _bundles_named(bundles))


def _bundles_named(bundles: Sequence[Bundle]) -> dict[str, object]:
    shown = [{"path": bundle.folder, "tag": entry_tag(bundle.meta), "meta": bundle.meta} for bundle in bundles]
    return {"bundles": shown, "wasm": bundles[0].wasm if bundles else ""}


def link_previews(site: Site, config: Config) -> dict[str, dict[str, str]]:
    """Title and summary of each essay by its site path: what a hover preview shows."""
    return {config.href(essay.url_path): {"title": essay.title, "summary": essay.summary} for essay in site.essays}


def _feed_updated(essays: tuple[Essay, ...]) -> dt.datetime:
    """The newest date in the feed: a fixed value, never the build time."""
    dates = [essay.updated or essay.date for essay in essays]
    return max(dates, default=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))


def page_path(output: str) -> str:
    """The site path a page is served at: 'essay/index.html' → 'essay/', 'index.html' → ''."""
    return output.removesuffix("index.html") if output == "index.html" or output.endswith("/index.html") else output


def render_page(page: Page, environment: jinja2.Environment, on_error: Callable[[Page, Exception], None]) -> bytes | None:
    """Render one page; a template error is handed to `on_error` and None returned."""
    try:
        return environment.get_template(page.template).render(page.context).encode("utf-8")
    except (jinja2.TemplateError, LookupError, TypeError, ValueError, AttributeError) as exc:
        on_error(page, exc)
        return None


# Markers among the discussions a page read (see Discussions); keys are site paths.
ANY_DISCUSSION = "\0any"  # only whether there are any
ALL_DISCUSSIONS = "\0all"  # all of them: iterated or counted


class Discussions(Mapping):
    """The `discussions` global, noting what each page reads of it.

    A new reply changes one essay's discussion. A page that read only other essays'
    discussions, or only whether there are any, need not be rendered again: its digest
    covers what it read (see speed/render_cache.py), not the whole mapping.
    """

    def __init__(self, entries: dict[str, Discussion]):
        self._entries = entries
        self._reads: set[str] | None = None  # what the page being rendered read of it

    @property
    def entries(self) -> dict[str, Discussion]:
        self.note((ALL_DISCUSSIONS,))
        return self._entries

    def __getitem__(self, key: str) -> Discussion:
        self.note((key,))
        return self._entries[key]

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.note((key,))
        return self._entries.get(key, default)

    def __contains__(self, key: object) -> bool:
        self.note((str(key),))
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        self.note((ALL_DISCUSSIONS,))
        return iter(self._entries)

    def __len__(self) -> int:
        self.note((ALL_DISCUSSIONS,))
        return len(self._entries)

    def __bool__(self) -> bool:
        self.note((ANY_DISCUSSION,))
        return bool(self._entries)

    def __repr__(self) -> str:
        return repr(self.entries)

    def note(self, keys: Iterable[str]) -> None:
        """Count `keys` as read by what is being rendered (a reused cached partial reads what it read)."""
        if self._reads is not None:
            self._reads.update(keys)

    @contextmanager
    def noting(self) -> Iterator[set[str]]:
        """Collect what is read meanwhile; what a partial inside a page reads counts for the page too."""
        outer, self._reads = self._reads, set()
        try:
            yield self._reads
        finally:
            inner, self._reads = self._reads, outer
            self.note(inner)


def compile_templates(environment: jinja2.Environment) -> None:
    """Compile every template now, before pages are rendered in forked workers: compiled
    here, they are compiled once rather than in each worker, and saved for the next run
    (a worker's compiled code dies with it). A template that fails is left for rendering
    to report."""
    for name in environment.list_templates():
        try:
            environment.get_template(name)
        except (jinja2.TemplateError, UnicodeDecodeError):
            continue


@dataclass(frozen=True)
class PageRenderer:
    """Renders the page at an index of `pages`; runs in forked workers, which inherit all of it."""

    pages: list[Page]
    environment: jinja2.Environment
    site_root: Path
    config: Config

    def __call__(self, index: int) -> tuple[bytes | None, Problem | None, tuple[str, ...]]:
        """The page's bytes (None when it failed), its problem, and what it read of
        `discussions` as the render cache keeps it: a sorted tuple."""
        page = self.pages[index]
        failures: list[Problem] = []
        with self.environment.globals["discussions"].noting() as reads:
            data = render_page(page, self.environment, lambda page, exc: failures.append(template_problem(page, exc, self.site_root, self.config)))
        return data, (failures[0] if failures else None), tuple(sorted(reads))


def template_problem(page: Page, exc: Exception, site_root: Path, config: Config) -> Problem:
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

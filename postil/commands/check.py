"""`postil check`: build the site, then check what was built before it is published.

The build itself already reports, with source lines, what the model can see: footnotes
cited but never defined (or the reverse), links to pages that do not exist, and, from the
replies, side-comment quotes that no longer match the essay. `check` treats every such
warning as a problem, then reads the built pages the way a browser meets them: every
internal link, image and `#anchor` must resolve, no page may repeat an id, links may not
leave a sub-path `base_url`, every XML file must parse, and with `--external` every link to
another site must answer. Each problem points at the source file that produced it (an
essay or a reply), with a line where one can be found, not at the built HTML.

New checks of the built site are functions `(BuiltSite) -> list[Problem]` in SITE_CHECKS.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import xml.etree.ElementTree as ElementTree
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urldefrag, urljoin, urlsplit
from urllib.request import Request, urlopen

from ..config import Config
from ..content.discover import REPLIES_DIR
from ..errors import Problem
from ..markdown import Link
from ..site.model import Essay, Reply, Site
from ..pipeline import Builder, BuildOptions, let_go_of_finished_builds
from ..render.pages import page_path
from ..write.tempfiles import temporary_file
from .page_facts import URL_ATTRIBUTES, FactsStore, PageFacts, parse_page, read_pages

EXTERNAL_CACHE = "external-links.json"
EXTERNAL_CACHE_SECONDS = 24 * 60 * 60
EXTERNAL_WORKERS = 8
EXTERNAL_TIMEOUT = 10.0
_SKIPPED_SCHEMES = ("mailto", "tel", "data", "javascript")


@dataclass(frozen=True)
class PageLink:
    """One href or src in a built page, and where in the sources it came from."""

    page: str  # output path
    url: str  # as written in the HTML
    source: str  # the essay, reply or (for theme links) output file to blame
    line: int | None
    target_checked: bool = False  # the build already reported it if its target is missing


@dataclass
class BuiltSite:
    """The built output, read back page by page, with the essay behind each page as the
    build's own model has it (nothing is parsed a second time)."""

    out_dir: Path
    config: Config
    site_root: Path
    files: frozenset[str]  # every output file's path
    pages: dict[str, PageFacts]  # output path of each HTML page → what the checks need of it
    essays: dict[str, Essay]  # output path → the essay that page shows
    replies: dict[str, Reply]  # reply file → the reply, for every reply the site shows
    _out_shown: str = ""

    def links(self, output: str, urls: Collection[str]) -> list[PageLink]:
        """The links of the page `output` whose URL is one of `urls`, in the page's order,
        each with the source file and line behind it."""
        found = []
        for node in parse_page(self.out_dir / output).css("[href], [src]"):
            for attribute in URL_ATTRIBUTES:
                url = node.attributes.get(attribute)
                if url is not None and url in urls:
                    found.append(PageLink(output, url, *self._origin(output, node, url)))
        return found

    def _origin(self, output: str, node, url: str) -> tuple[str, int | None, bool]:
        """The source file and line behind a link (a reply, the essay, or a template's page),
        and whether the build's own link check (assemble.check_links) already covered it."""
        essay = self.essays.get(output)
        if essay is None:
            return self._origin_off_thread(output, node, url)
        reply_file = _enclosing_reply_file(node, essay, self.replies)
        if reply_file:
            return self._reply_origin(reply_file, url)
        link = _link_shown_as(essay.links, url)
        if link is not None:
            return essay.source, link.line, _checked_by_build(link)
        if _inside_essay_body(node):
            return essay.source, _line_containing(self.site_root / essay.source, _written_forms(url, self.config)), False
        return self.shown(output), None, False

    def _origin_off_thread(self, output: str, node, url: str) -> tuple[str, int | None, bool]:
        """A link on a page that gathers replies (/replies/…) comes from the reply whose entry
        holds it; the entry's permalink ('/essay/#reply-<id>') names the essay and the reply."""
        entry = _enclosing(node, lambda ancestor: "reply-entry" in (ancestor.attributes.get("class") or "").split())
        permalink = entry.css_first("a.u-url") if entry is not None else None
        if permalink is None or entry.css_first(".reply-body") is None or not _enclosing(node, _is_reply_body):
            return self.shown(output), None, False
        address, _, reply_id = (permalink.attributes.get("href") or "").partition("#reply-")
        essay = self.essays.get(unquote(_as_written(address, self.config)).lstrip("/") + "index.html")
        reply_file = f"{essay.bundle_dir}/{REPLIES_DIR}/{reply_id}.md" if essay and essay.bundle_dir else ""
        if reply_file not in self.replies:
            return self.shown(output), None, False
        return self._reply_origin(reply_file, url)

    def _reply_origin(self, reply_file: str, url: str) -> tuple[str, int | None, bool]:
        """A reply's link, found among the links the reply recorded. Reply links point the same
        way on every page, and the build's link check covered them already."""
        link = _link_shown_as(self.replies[reply_file].links, url)
        if link is None:
            return reply_file, None, False
        return reply_file, link.line, _checked_by_build(link)

    def shown(self, output: str) -> str:
        """An output file as the user finds it: 'public/tags/index.html'."""
        if not self._out_shown:
            self._out_shown = _relative(self.out_dir, self.site_root)
        return output if self._out_shown == "." else f"{self._out_shown}/{output}"


@dataclass(frozen=True)
class Checked:
    """What `check` found: problems, and the draft replies the build held back (not problems:
    a reply waiting for moderation must not block a deploy)."""

    problems: list[Problem]
    draft_replies: list[tuple[str, int | None]]  # each one's file and the line of its 'draft' key


def check_site(site_root: Path, out_dir: Path, *, drafts: bool = False, base_url: str | None = None,
               external: bool = False, now: dt.datetime | None = None, timeout: float = EXTERNAL_TIMEOUT) -> Checked:
    """Build the site into `out_dir` and return every problem found, build warnings included.

    The checks read the model the build assembled (its essays, replies and their resolved
    links), so nothing is parsed twice. A build with errors raises PostilError as `build` does.
    """
    build = _build(site_root, BuildOptions(out_dir=out_dir, drafts=drafts, base_url=base_url, always_assemble=True))
    let_go_of_finished_builds()
    built = read_built_site(site_root, out_dir, build.config, build.site, build.facts_store)
    problems = [warning.as_error() for warning in build.warnings]
    for check in SITE_CHECKS:
        problems.extend(check(built))
    if external:
        problems.extend(check_external_links(built, build.cache_folder, now=now, timeout=timeout))
    return Checked(sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.col or 0, p.message)),
                   held_replies(build.site, build.draft_replies))


@dataclass(frozen=True)
class _Build:
    """What the checks need of the build: its model and warnings, not the caches it kept."""

    site: Site
    config: Config
    cache_folder: Path
    facts_store: FactsStore
    warnings: list[Problem]
    draft_replies: tuple[Reply, ...]


def _build(site_root: Path, options: BuildOptions) -> _Build:
    """Build the site, keeping only what the checks need of it: the Builder's caches (the
    parse cache's entries alone are ~50 MB at 5,000 essays) can then be let go before any
    page is read back (see pipeline.let_go_of_finished_builds)."""
    builder = Builder(site_root, options)
    result = builder.build()
    assert result.site is not None  # always_assemble: never skipped as up to date
    return _Build(result.site, builder.config(), builder.cache_folder, builder.page_facts_store(), result.warnings, result.draft_replies)


def read_built_site(site_root: Path, out_dir: Path, config: Config, site: Site, store: FactsStore) -> BuiltSite:
    """The files in `out_dir`, each HTML page reduced to what the checks need (parsed only
    if `store` has not kept that of its bytes), beside the model `site` that the build
    wrote them from."""
    files = frozenset(_files_under(out_dir))
    pages = read_pages(out_dir, sorted(output for output in files if output.endswith(".html")), store)
    essays = {essay.url_path + "index.html": essay for essay in site.essays}
    replies = {reply.source: reply for reply, _ in site.replies}
    return BuiltSite(out_dir, config, site_root, files, pages, essays, replies)


def _files_under(folder: Path, prefix: str = "") -> Iterator[str]:
    """The path of every file under `folder`, relative to it, as `rglob` finds them (into no
    linked folder) but without making a Path of each."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _files_under(Path(entry.path), f"{prefix}{entry.name}/")
            elif entry.is_file():
                yield prefix + entry.name


def held_replies(site: Site, drafts: Iterable[Reply]) -> list[tuple[str, int | None]]:
    """The draft replies to essays the site shows: each one's file and the line of its 'draft' key."""
    shown = {essay.bundle_dir for essay in site.essays if essay.bundle_dir}
    return sorted((reply.source, reply.key_lines.get("draft")) for reply in drafts if reply.bundle_dir in shown)


def _link_shown_as(links: Iterable[Link], url: str) -> Link | None:
    """The first of `links` that the HTML shows as `url`."""
    return next((link for link in links if link.href == url), None)


def _checked_by_build(link: Link) -> bool:
    """Whether the build's link check (assemble.check_links) looked at `link`: it looks at
    every link it resolved to a path inside the site."""
    return link.site_path is not None


def check_internal_links(built: BuiltSite) -> list[Problem]:
    """Links, images, scripts and `#anchors` that point inside the site must resolve."""
    problems = []
    faults: dict[str | tuple[str, str], tuple[str, str] | None] = {}  # see _resolution_key
    for output, page in built.pages.items():
        wrong = {}
        for url in page.urls:
            if url.startswith("#"):  # one look-up on the page itself: not worth remembering (139,000 at 5,000 essays)
                fault = _internal_link_fault(built, output, url)
            else:
                key = _resolution_key(output, url)
                fault = faults[key] if key in faults else faults.setdefault(key, _internal_link_fault(built, output, url))
            if fault:
                wrong[url] = fault
        for link in built.links(output, wrong) if wrong else ():
            kind, target = wrong[link.url]
            if kind == "base":
                problems.append(Problem(link.source, link.line, None, f"link {link.url!r} leaves the site's base path {built.config.base_path}",
                                        "write site paths as '/essay/': postil adds the base path itself"))
            elif kind == "missing" and not link.target_checked:
                elsewhere = "" if link.page in built.essays or link.source == built.shown(link.page) else f" on /{page_path(link.page)}"
                problems.append(Problem(link.source, link.line, None, f"link {link.url!r}{elsewhere} points at nothing in the built site",
                                        "fix the path, or add the page or file it names"))
            elif kind == "anchor":
                where = "this page" if link.url.startswith("#") else "/" + page_path(target)
                problems.append(Problem(link.source, link.line, None, f"anchor '#{unquote(urldefrag(link.url)[1])}' is not on {where}",
                                        "link to a heading's id (shown by its # link) or a footnote that exists"))
    return problems


def _internal_link_fault(built: BuiltSite, output: str, url: str) -> tuple[str, str] | None:
    """What is wrong with the link `url` on the page `output`, if it points inside the site:
    ("base", "") when it leaves the base path, ("missing", "") when it points at no file,
    ("anchor", target) when its #fragment is not on the page `target`; else None."""
    if url.startswith("#"):  # the page itself, as a browser takes it (most links of a page: its footnotes, its contents)
        fragment = url[1:]
        return ("anchor", output) if fragment and unquote(fragment) not in built.pages[output].anchors else None
    config = built.config
    if plain_site_path(url, config.base_path):  # most other links: '/essay/', '/tags/x/#y'
        address, _, fragment = url.partition("#")
        path = address[len(config.base_path):]
    else:
        absolute = urljoin(config.absolute(page_path(output)), url)
        parts = urlsplit(absolute)
        if parts.scheme in _SKIPPED_SCHEMES:
            return None
        if url.startswith("/") and not url.startswith("//") and not url.startswith(config.base_path):
            return "base", ""
        if not absolute.startswith(config.base_url):
            return None
        path, fragment = parts.path[len(config.base_path):], parts.fragment
    target = _output_file(built, unquote(path))
    if target is None:
        return "missing", ""
    if fragment and target in built.pages and unquote(fragment) not in built.pages[target].anchors:
        return "anchor", target
    return None


def plain_site_path(url: str, base_path: str) -> bool:
    """Whether `url` is a path under `base_path` that urljoin leaves as it is (so that its
    path and fragment can be read off it: 77,000 links at 5,000 essays): one with no
    authority, query, dot segment, backslash, space or control character."""
    return (url.startswith(base_path) and not url.startswith("//") and "?" not in url and "/." not in url
            and "\\" not in url and " " not in url and url.isprintable())


def _resolution_key(output: str, url: str) -> str | tuple[str, str]:
    """What the link `url` on the page `output` resolves by: the URL alone when it is
    site-absolute or has a scheme (the theme's links, the same on thousands of pages),
    else the URL and its page."""
    return url if url.startswith("/") or ":" in url.partition("/")[0] else (output, url)


def _output_file(built: BuiltSite, path: str) -> str | None:
    """The output file a site path is served from, or None: 'a/' → 'a/index.html'."""
    candidates = [path + "index.html"] if path == "" or path.endswith("/") else [path, path + "/index.html"]
    return next((candidate for candidate in candidates if candidate in built.files), None)


def check_duplicate_ids(built: BuiltSite) -> list[Problem]:
    """An id used twice on one page breaks anchors and footnote links."""
    problems = []
    for output, page in built.pages.items():
        essay = built.essays.get(output)
        for ident, count in page.repeated_ids:
            source = essay.source if essay else built.shown(output)
            line = _line_containing(built.site_root / source, [ident]) if essay else None
            problems.append(Problem(source, line, None, f"id {ident!r} is used {count} times on /{page_path(output)}",
                                    "give each heading, footnote and {#id} a different name"))
    return problems


def check_xml_files(built: BuiltSite) -> list[Problem]:
    """Feeds and the sitemap must be well-formed XML, or readers and crawlers drop them."""
    problems = []
    for output in sorted(output for output in built.files if output.endswith(".xml")):
        try:
            ElementTree.parse(built.out_dir / output)
        except ElementTree.ParseError as exc:
            line = exc.position[0] if exc.position else None
            problems.append(Problem(built.shown(output), line, None,
                                    f"not well-formed XML: {exc}", "fix the template that writes it"))
    return problems


SITE_CHECKS = (check_internal_links, check_duplicate_ids, check_xml_files)


def check_external_links(built: BuiltSite, cache_folder: Path, *, now: dt.datetime | None = None,
                         timeout: float = EXTERNAL_TIMEOUT) -> list[Problem]:
    """Links to other sites must answer. Results are kept for a day in `cache_folder`."""
    now = now or dt.datetime.now(dt.timezone.utc)
    external: dict[str, dict[str, str]] = {}  # page → {URL as written: absolute URL}
    for output, page in built.pages.items():
        for url in page.urls:
            absolute = urldefrag(urljoin(built.config.absolute(page_path(output)), url))[0]
            if urlsplit(absolute).scheme in ("http", "https") and not absolute.startswith(built.config.base_url):
                external.setdefault(output, {})[url] = absolute
    cache_path = cache_folder / EXTERNAL_CACHE
    cache = _read_cache(cache_path, now)
    unchecked = sorted({url for urls in external.values() for url in urls.values()} - cache.keys())
    with ThreadPoolExecutor(max_workers=EXTERNAL_WORKERS) as pool:
        for url, failure in zip(unchecked, pool.map(lambda url: _probe(url, timeout), unchecked)):
            cache[url] = {"checked": now.timestamp(), "failure": failure}
    _write_cache(cache_path, cache)
    problems = []
    for output, urls in external.items():
        failed = {url for url, absolute in urls.items() if cache[absolute]["failure"]}
        for link in built.links(output, failed) if failed else ():
            problems.append(Problem(link.source, link.line, None, f"external link {link.url!r}: {cache[urls[link.url]]['failure']}",
                                    "fix or remove the link (results are kept for a day in .postil-cache/)"))
    return problems


def _probe(url: str, timeout: float) -> str:
    """"" when `url` answers with a success, else what went wrong. HEAD first, GET if refused."""
    for method in ("HEAD", "GET"):
        request = Request(url, method=method, headers={"User-Agent": "postil-check (link checker)"})
        try:
            with urlopen(request, timeout=timeout):
                return ""
        except HTTPError as exc:
            if method == "HEAD" and exc.code in (403, 405, 501):
                continue
            return f"HTTP {exc.code} {exc.reason}"
        except (URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return f"no answer ({reason})"
    return "no answer"


def _read_cache(path: Path, now: dt.datetime) -> dict[str, dict]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    oldest = now.timestamp() - EXTERNAL_CACHE_SECONDS
    return {url: entry for url, entry in entries.items() if isinstance(entry, dict) and entry.get("checked", 0) > oldest}


def _write_cache(path: Path, cache: dict[str, dict]) -> None:
    """Replace the cache file atomically; a failure to write only costs time on the next check."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        handle, temporary = temporary_file(path.parent, f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(cache, stream, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        if temporary:
            Path(temporary).unlink(missing_ok=True)


def _written_forms(url: str, config: Config) -> list[str]:
    """The ways a URL in the HTML may have been written in Markdown ('/blog/x/' was '/x/')."""
    forms = [url]
    if url.startswith(config.base_path) and config.base_path != "/":
        forms.append("/" + url[len(config.base_path):])
    elif url.startswith("/") and not url.startswith("//"):
        forms.append(config.base_path + url[1:])
    return forms


def _as_written(url: str, config: Config) -> str:
    """A link in the HTML as its author wrote it: '/blog/x/' was '/x/' under a /blog/ base."""
    if config.base_path != "/" and url.startswith(config.base_path):
        return "/" + url[len(config.base_path):]
    return url


def _line_containing(path: Path, needles: list[str]) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, text in enumerate(lines, start=1):
        if any(needle and needle in text for needle in needles):
            return number
    return None


def _enclosing_reply_file(node, essay: Essay, replies: dict[str, Reply]) -> str | None:
    """The reply file whose rendered body holds `node` (replies are elements with id 'reply-<id>')."""
    while node is not None:
        ident = node.attributes.get("id") or ""
        if ident.startswith("reply-") and essay.bundle_dir:
            candidate = f"{essay.bundle_dir}/{REPLIES_DIR}/{ident[len('reply-'):]}.md"
            if candidate in replies:
                return candidate
        node = node.parent
    return None


def _enclosing(node, matches):
    """The nearest element at or above `node` that `matches`, or None."""
    while node is not None:
        if matches(node):
            return node
        node = node.parent
    return None


def _is_reply_body(node) -> bool:
    return "reply-body" in (node.attributes.get("class") or "").split()


def _inside_essay_body(node) -> bool:
    return _enclosing(node, lambda ancestor: "essay-body" in (ancestor.attributes.get("class") or "").split()) is not None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)

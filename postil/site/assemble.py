"""Parsed essays in, the whole-site model out: collisions, tags, archive, backlinks.

Everything here is cheap and linear in the number of essays, so it is redone on every
build, incremental or not. Broken cross-links and URL collisions are found here, in the
model, never by searching finished HTML.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

from ..content.discover import CONTENT_DIR, Sources
from ..errors import Report
from ..slugs import slugify
from .model import Essay, Reply, Site, Tag, same_objects
from .references import SectionLeads, resolve_references
from .paths import resolve_link, slug_folders, slug_segment, url_quote
from .threads import DiscussionMemory, PassageTexts, QuotePlaces, ReplyTexts, build_discussions, places_in_passages
from .takes import without_stream_collisions

# Pages the theme writes itself, by output file; an essay, alias or file may not take their place.
THEME_FILES = {
    "index.html": "the home page", "404.html": "the 404 page", "feed.xml": "the feed", "sitemap.xml": "the sitemap",
    "robots.txt": "robots.txt", "previews.json": "the link previews",
}
# Folders the theme fills: nothing of the author's may live anywhere inside them.
RESERVED_FOLDERS = ("tags/", "archive/", "assets/", "replies/", "search/", "pagefind/")


@lru_cache(maxsize=1 << 14)
def _reserved_folder(url_path: str) -> str | None:
    """The theme's folder that `url_path` is or lies inside, if any."""
    key = url_path.casefold()
    return next((folder for folder in RESERVED_FOLDERS if key.startswith(folder)), None)


def _theme_writes(path: str) -> bool:
    """Whether the theme writes the page at site path `path` ('tags/', '', 'feed.xml')."""
    return output_file(path) in THEME_FILES or _reserved_folder(path) is not None


def output_file(site_path: str) -> str:
    """The file the page at `site_path` is written to: 'x/' → 'x/index.html'; 'x.xml' stays."""
    return site_path + "index.html" if site_path == "" or site_path.endswith("/") else site_path


@lru_cache(maxsize=1 << 16)
def _key(output: str) -> str:
    """An output file as a case-insensitive file system (macOS, Windows) tells files apart.
    Cached: every build claims every essay's file again, almost all as before."""
    return (output if output.isascii() else unicodedata.normalize("NFC", output)).casefold()


class _Claims:
    """Which source writes each output file. Pages and files are compared by the file they
    write ('x/' and 'x/index.html' are one file), and a file may not stand where another
    needs a folder ('feed.xml' against 'feed.xml/index.html')."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, str]] = {}  # key → (owner, output file)
        self._folders: dict[str, tuple[str, str]] = {}  # key of a folder holding a claimed file → (owner, that file)
        for output, what in THEME_FILES.items():
            self.claim(output, f"the theme ({what})")

    def claim(self, output: str, owner: str) -> str | None:
        """Take `output` for `owner`; or, when someone already writes it or a file in its
        way, leave it and say who."""
        key = _key(output)
        files, folders = self._files, self._folders
        if key in files:
            return files[key][0]
        if folder := _reserved_folder(key):
            return f"the theme, which writes /{folder}"
        if key in folders:
            other, inside = folders[key]
            return f"{other}, which needs a folder there for /{inside}"
        # The folders it needs, nearest first, up to one already known to be a folder.
        needed = []
        end = key.rfind("/")
        while end > 0 and (folder := key[:end]) not in folders:
            if folder in files:
                other, file = files[folder]
                return f"{other}, which writes the file /{file}"
            needed.append(folder)
            end = key.rfind("/", 0, end)
        files[key] = (owner, output)
        for folder in needed:
            folders[folder] = (owner, output)
        return None

    def owns(self, output: str, owner: str) -> bool:
        return self._files.get(_key(output), ("", ""))[0] == owner


# A control character (or an undecodable byte) in a slug or alias from front matter.
_UNUSABLE_IN_URL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _check_collisions(
    essays: list[Essay], sources: Sources, report: Report
) -> tuple[list[Essay], dict[str, str], tuple[tuple[str, Essay], ...]]:
    """Keep the essays, files and aliases that can be written; report the others.

    Returns the essays kept, the files to copy (output path → source path) and the
    redirect pages (output path, essay). Nothing dropped here reaches rendering, so no two
    pages ever share an output file."""
    claims = _Claims()
    kept = []
    # Essays at the URL their path gives claim it before essays moved there by a slug.
    for essay in sorted(essays, key=lambda e: ("slug" in e.key_lines, e.source)):
        folder = _reserved_folder(essay.url_path)
        line = essay.key_lines.get("slug", 1)
        # A file's own name was vetted by discovery; a slug from the front matter was not.
        if "slug" in essay.key_lines and _UNUSABLE_IN_URL.search(essay.url_path):
            report.error(essay.source, line, f"URL {essay.url_path!r} holds a control character", "write the slug with letters, digits and hyphens")
            continue
        if folder and essay.url_path.casefold() != folder:
            report.error(
                essay.source, None,
                f"URL /{essay.url_path} is inside /{folder}, which the theme writes",
                "move the file to another folder of content/",
            )
            continue
        owner = claims.claim(essay.url_path + "index.html", essay.source)  # every essay's URL ends in '/' or is ''
        if owner:
            report.error(
                essay.source, line,
                f"URL /{essay.url_path} is already used by {owner}",
                "rename one of the files or give one a different 'slug'",
            )
            continue
        kept.append(essay)

    files = {}
    for output, source in _files(kept, sources):
        owner = claims.claim(output, source)
        if owner:
            report.error(source, None, f"this file would be published at /{output}, which is already used by {owner}",
                         "rename or move one of the two")
            continue
        files[output] = source

    redirects = []
    for essay in kept:
        for alias in essay.aliases:
            line, output = essay.key_lines.get("aliases"), output_file(alias)
            folder = _reserved_folder(alias)
            if claims.owns(output, essay.source):  # its own URL, or an alias given twice
                if output == output_file(essay.url_path):
                    report.warning(essay.source, line, f"alias /{alias} is this essay's own URL", "remove the alias")
                continue
            if _UNUSABLE_IN_URL.search(alias):
                report.error(essay.source, line, f"alias {alias!r} holds a control character", "write aliases as site paths such as '/old/path/'")
            elif folder and output.casefold() != folder + "index.html":
                report.error(
                    essay.source, line,
                    f"alias /{alias} is inside /{folder}, which the theme writes",
                    "choose an alias outside that folder",
                )
            elif owner := claims.claim(output, essay.source):
                report.error(
                    essay.source, line,
                    f"alias /{alias} is already used by {owner}",
                    "remove the alias or change the other page's URL",
                )
            else:
                redirects.append((output, essay))
    return kept, files, tuple(redirects)


@dataclass
class AssemblyMemory:
    """What the last assembly made, kept by a Builder for the next one. In the dev server
    most essays are the very same objects from one build to the next: a page's backlinks,
    when they are the same essays, are the same tuple as last time (and so are discussions
    made of the same replies), which tells a page's digest at a glance that they did not
    change."""

    backlinks: dict[str, tuple[Essay, ...]] = field(default_factory=dict)
    discussions: DiscussionMemory = field(default_factory=DiscussionMemory)


def _same_or_new(before: tuple[Essay, ...] | None, items: list[Essay]) -> tuple[Essay, ...]:
    """`items` as a tuple: `before` itself when it holds the very same essays."""
    if before is not None and same_objects(before, items):
        return before
    return tuple(items)


def _tags(essays: tuple[Essay, ...]) -> tuple[Tag, ...]:
    names: dict[str, str] = {}
    members: dict[str, list[Essay]] = defaultdict(list)
    for essay in essays:
        for name in essay.tags:
            slug = slugify(name)
            names.setdefault(slug, name)
            members[slug].append(essay)
    tags = (Tag(slug, names[slug], tuple(members[slug])) for slug in names)
    return tuple(sorted(tags, key=lambda tag: (tag.name.casefold(), tag.slug)))


def _years(essays: tuple[Essay, ...]) -> tuple[tuple[int, tuple[Essay, ...]], ...]:
    by_year: dict[int, list[Essay]] = defaultdict(list)
    for essay in essays:
        by_year[essay.date.year].append(essay)
    return tuple((year, tuple(by_year[year])) for year in sorted(by_year, reverse=True))


def _files(essays: list[Essay], sources: Sources) -> list[tuple[str, str]]:
    """(output path, source path) for every non-Markdown file in content/; two files may
    give one output path (folders 'a b' and 'a-b' are both 'a-b' in URLs)."""
    files = []
    for essay in essays:
        if essay.bundle_dir:
            for source in sources.bundle_files.get(essay.bundle_dir, ()):
                files.append((essay.url_path + slug_folders(source[len(essay.bundle_dir) + 1 :]), source))
    for source in sources.loose_files:
        files.append((slug_folders(source[len(CONTENT_DIR) + 1 :]), source))
    return files


def _no_passages(essay: Essay) -> tuple[tuple[str, str], ...]:
    raise LookupError(f"assemble() was given replies but no passage_texts to check their quotes of {essay.source}")


def _no_reply_texts(reply: Reply) -> str:
    raise LookupError(f"assemble() was given replies but no reply_texts to check quotes of {reply.source}")


def assemble(
    essays: list[Essay], sources: Sources, report: Report, replies: Sequence[Reply] = (),
    passage_texts: PassageTexts = _no_passages, memory: AssemblyMemory | None = None, section_leads: SectionLeads | None = None,
    reply_texts: ReplyTexts = _no_reply_texts, quote_places: QuotePlaces | None = None,
) -> Site:
    """Build the site model; problems go to `report`.

    `passage_texts` gives an essay's passages, where replies' quotes are looked for (or
    `quote_places` finds them there, as a caller that keeps what it found may), and
    `reply_texts` a reply's text, where quotes of it are;
    `memory`, the last assembly's (updated to this one's), lets unchanged parts be reused;
    `section_leads`, an essay's sections' first words, which transclusions of them show.
    Both come from where the caller keeps bodies."""
    memory = memory if memory is not None else AssemblyMemory()
    kept, files, redirects = _check_collisions(essays, sources, report)
    ordered = tuple(sorted(kept, key=lambda e: (-e.date.timestamp(), e.url_path)))
    by_url = {essay.url_path: essay for essay in ordered}
    references, referenced = resolve_references(ordered, files, report, _theme_writes, section_leads)

    backlinks: dict[str, list[Essay]] = defaultdict(list)
    responses: dict[str, list[Essay]] = defaultdict(list)
    for essay in ordered:
        targets = essay.link_targets
        if essay.url_path in referenced:
            targets = sorted(referenced[essay.url_path].union(targets))
        for target in targets:
            if target in by_url and target != essay.url_path:
                backlinks[target].append(essay)
        if essay.in_reply_to:
            target = resolve_link(essay, essay.in_reply_to)
            if target in by_url:
                responses[target].append(essay)
            elif target is not None:
                report.warning(
                    essay.source, essay.key_lines.get("in_reply_to"),
                    f"in_reply_to {essay.in_reply_to!r} is not an essay of this site",
                    "write the answered essay's path, such as '/its-slug/', or a full https:// URL",
                )
    linked = {url: _same_or_new(memory.backlinks.get(url), items) for url, items in backlinks.items()}
    memory.backlinks = linked
    places = quote_places or places_in_passages(passage_texts)
    discussions, shown_replies = build_discussions(ordered, replies, report, places, reply_texts, memory.discussions)
    return Site(
        essays=ordered,
        tags=_tags(ordered),
        years=_years(tuple(essay for essay in ordered if not essay.take)),
        backlinks=linked,
        responses={url: tuple(items) for url, items in responses.items()},
        assets=files,
        redirects=without_stream_collisions([essay for essay in ordered if essay.take], redirects, report),
        discussions=discussions,
        replies=shown_replies,
        references=references,
        takes=tuple(essay for essay in ordered if essay.take),
    )


def check_links(site: Site, output_paths: set[str], report: Report) -> None:
    """Warn about links and images in essays and shown replies that point at nothing the build
    writes. Links were resolved where they were parsed (Link.site_path); `postil check` reads
    the same resolved links to know which of the built site's links this has covered."""
    # An essay whose links all point at pages, and that shows no image, needs no closer look:
    # most essays, and ~6,000 links at 1,000 essays.
    documents = [
        (essay.source, essay.links) for essay in site.essays
        if not all(target in output_paths or _page_of(target) in output_paths for target in essay.link_targets)
        or any(link.is_image for link in essay.links)
    ]
    documents += [(reply.source, reply.links) for reply, _ in site.replies]
    for source, links in documents:
        for link in links:
            target = link.site_path
            if target is None:
                continue
            if target not in output_paths and _page_of(target) not in output_paths:
                kind = "image" if link.is_image else "link"
                report.warning(
                    source, link.line,
                    f"{kind} to {link.target!r} points at no page or file of the site",
                    _slugged_hint(target, output_paths) or "fix the path (site paths look like '/essay-slug/') or remove the " + kind,
                )


def _slugged_hint(target: str, output_paths: set[str]) -> str:
    """'did you mean …' when a link names a file or folder as it is named in content/, where
    the site has its slug ('/two words/' for '/two-words/')."""
    folder, _, name = target.rpartition("/")
    folder = "/".join(slug_segment(part) for part in folder.split("/")) + "/" if folder else ""
    for slugged in (folder + slug_segment(name), folder + name):
        if slugged != target and (slugged in output_paths or _page_of(slugged) in output_paths):
            return f"did you mean '{url_quote('/' + slugged)}'? (a name in content/ becomes a slug in the URL)"
    return ""


def _page_of(target: str) -> str:
    """The page a site path such as 'essay/' stands for: 'essay/index.html'."""
    return (target.rstrip("/") + "/index.html").lstrip("/")

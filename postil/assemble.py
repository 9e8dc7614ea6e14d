"""Parsed essays in, the whole-site model out: collisions, tags, archive, backlinks.

Everything here is cheap and linear in the number of essays, so it is redone on every
build, incremental or not. Broken cross-links and URL collisions are found here, in the
model, never by searching finished HTML.
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Sequence

from .discover import CONTENT_DIR, Sources
from .errors import Report
from .md.headings import slugify
from .model import Essay, Reply, Site, Tag, same_objects
from .references import resolve_references
from .sitepaths import resolve_link, resolve_target
from .threads import build_discussions

# Pages the theme writes itself; an essay or alias may not take their place.
RESERVED_PATHS = ("", "404.html", "feed.xml", "sitemap.xml", "robots.txt", "previews.json")
# Folders the theme fills: nothing of the author's may live anywhere inside them.
RESERVED_FOLDERS = ("tags/", "archive/", "assets/", "replies/", "search/", "pagefind/")


@lru_cache(maxsize=1 << 14)
def _reserved_folder(url_path: str) -> str | None:
    """The theme's folder that `url_path` is or lies inside, if any."""
    key = url_path.casefold()
    return next((folder for folder in RESERVED_FOLDERS if key.startswith(folder)), None)


def _theme_writes(path: str) -> bool:
    """Whether the theme writes the page at site path `path` ('tags/', '', 'feed.xml')."""
    return path in RESERVED_PATHS or _reserved_folder(path) is not None


# The last build's backlinks. In the dev server most essays are the very same objects
# from one build to the next: a page's backlinks, when they are the same essays, are the
# same tuple as last time, which tells a page's digest at a glance that they did not change.
_backlinks: dict[str, tuple[Essay, ...]] = {}


def _same_or_new(before: tuple[Essay, ...] | None, items: list[Essay]) -> tuple[Essay, ...]:
    """`items` as a tuple: `before` itself when it holds the very same essays."""
    if before is not None and same_objects(before, items):
        return before
    return tuple(items)


def _check_collisions(essays: list[Essay], report: Report) -> list[Essay]:
    """Drop and report essays whose URL (compared case-insensitively) is already taken."""
    owners: dict[str, str] = {path.casefold(): "the theme" for path in RESERVED_PATHS + RESERVED_FOLDERS}
    kept = []
    # Essays at the URL their path gives claim it before essays moved there by a slug.
    for essay in sorted(essays, key=lambda e: ("slug" in e.key_lines, e.source)):
        key = essay.url_path.casefold()
        folder = _reserved_folder(key)
        if folder and key != folder:
            report.error(
                essay.source, None,
                f"URL /{essay.url_path} is inside /{folder}, which the theme writes",
                "move the file to another folder of content/",
            )
            continue
        if key in owners:
            line = essay.key_lines.get("slug", 1)
            report.error(
                essay.source, line,
                f"URL /{essay.url_path} is already used by {owners[key]}",
                "rename one of the files or give one a different 'slug'",
            )
            continue
        owners[key] = essay.source
        kept.append(essay)
    for essay in kept:
        for alias in essay.aliases:
            key = alias.casefold()
            folder = _reserved_folder(key)
            if folder and key != folder:
                report.error(
                    essay.source, essay.key_lines.get("aliases"),
                    f"alias /{alias} is inside /{folder}, which the theme writes",
                    "choose an alias outside that folder",
                )
            elif key in owners and owners[key] != essay.source:
                report.error(
                    essay.source, essay.key_lines.get("aliases"),
                    f"alias /{alias} is already used by {owners[key]}",
                    "remove the alias or change the other page's URL",
                )
            else:
                owners[key] = essay.source
    return kept


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


def _files(essays: list[Essay], sources: Sources) -> dict[str, str]:
    """Output path → source path for every non-Markdown file in content/."""
    files = {}
    for essay in essays:
        if essay.bundle_dir:
            for source in sources.bundle_files.get(essay.bundle_dir, ()):
                files[essay.url_path + source[len(essay.bundle_dir) + 1 :]] = source
    for source in sources.loose_files:
        files[source[len(CONTENT_DIR) + 1 :]] = source
    return files


def assemble(essays: list[Essay], sources: Sources, report: Report, replies: Sequence[Reply] = ()) -> Site:
    """Build the site model; problems go to `report`."""
    kept = _check_collisions(essays, report)
    ordered = tuple(sorted(kept, key=lambda e: (-e.date.timestamp(), e.url_path)))
    by_url = {essay.url_path: essay for essay in ordered}
    files = _files(kept, sources)
    references, referenced = resolve_references(ordered, files, report, _theme_writes)

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
    linked = {url: _same_or_new(_backlinks.get(url), items) for url, items in backlinks.items()}
    _backlinks.clear()
    _backlinks.update(linked)
    discussions, shown_replies = build_discussions(ordered, replies, report)
    return Site(
        essays=ordered,
        tags=_tags(ordered),
        years=_years(ordered),
        backlinks=linked,
        responses={url: tuple(items) for url, items in responses.items()},
        assets=files,
        discussions=discussions,
        replies=shown_replies,
        references=references,
    )


def check_links(site: Site, output_paths: set[str], report: Report) -> None:
    """Warn about links and images in essays and shown replies that point at nothing the build writes."""
    # An essay whose links (resolved when it was parsed) all point at pages, and that shows
    # no image, needs no closer look: most essays, and ~6,000 links at 1,000 essays.
    documents = [
        (essay.source, essay.url_path, essay.links) for essay in site.essays
        if not all(target in output_paths or _page_of(target) in output_paths for target in essay.link_targets)
        or any(link.is_image for link in essay.links)
    ]
    documents += [(reply.source, reply.page_path, reply.links) for reply, _ in site.replies]
    for source, page_path, links in documents:
        for link in links:
            target = resolve_target(page_path, link.target)
            if target is None:
                continue
            if target not in output_paths and _page_of(target) not in output_paths:
                kind = "image" if link.is_image else "link"
                report.warning(
                    source, link.line,
                    f"{kind} to {link.target!r} points at no page or file of the site",
                    "fix the path (site paths look like '/essay-slug/') or remove the " + kind,
                )


def _page_of(target: str) -> str:
    """The page a site path such as 'essay/' stands for: 'essay/index.html'."""
    return (target.rstrip("/") + "/index.html").lstrip("/")

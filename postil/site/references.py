"""Where `[[wikilinks]]`, `![[embeds]]` and Quartz-style links point, once every essay is known.

An essay's Markdown leaves these as `Reference`s (see markdown/wikilinks.py) because which
essay `[[Shard Theory]]` means depends on the other files. Here they are looked up as
Quartz and Obsidian look them up: by path, by file name (the shortest path wins when two
files share a name), by title, then by alias; files (images, PDFs) in the essay's bundle,
beside it, from the content root, or anywhere by name. Essays are found by the URL the
model gave them, never by guessing a slug.

Each reference resolves to (site path, title, excerpt): what the page's placeholders
become (see `fill`). A transclusion shows the other essay's summary, or the first words
of the named section, and a link: never its whole text (no repeated ids, no cycles) and
nothing of a draft. As these values are part of the page's context, a page is rendered
again whenever what it transcludes or links to changes.
"""
from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterable
from html import escape
from urllib.parse import quote, unquote

from ..content.discover import CONTENT_DIR
from ..errors import Report
from ..slugs import github_slug
from ..markdown.wikilinks import PLACEHOLDER_END, PLACEHOLDER_START, Reference
from .model import Essay
from .paths import resolve_target

Resolved = tuple[str, str, str]  # site path (with any #fragment), title, excerpt
_URL_SAFE = "/#%:@!$&'()*+,;=-._~"  # what a URL keeps as it is; spaces and other letters are %-encoded


def _key(name: str) -> str:
    """A name as compared: case and the space/hyphen of a slugged file name do not matter."""
    return unquote(name).strip().strip("/").casefold().replace(" ", "-")


def note_path(essay: Essay) -> str:
    """Where the essay lies in content/, as Obsidian names it: 'notes/shard theory'."""
    path = essay.source[len(CONTENT_DIR) + 1 :] if essay.source.startswith(CONTENT_DIR + "/") else essay.source
    path = path.removesuffix(".md")
    return "" if path == "index" else path.removesuffix("/index")


class SiteIndex:
    """The site's essays and files by every name a link may use."""

    def __init__(self, essays: Iterable[Essay], files: dict[str, str]):
        self.by_path: dict[str, Essay] = {}
        self.by_name: dict[str, list[Essay]] = defaultdict(list)
        self.by_title: dict[str, Essay] = {}
        self.by_alias: dict[str, Essay] = {}
        for essay in essays:
            path = note_path(essay)
            for key in (_key(path), _key(essay.url_path)):
                self.by_path.setdefault(key, essay)
            self.by_name[_key(posixpath.basename(path))].append(essay)
            if essay.source.endswith("index.md"):  # a folder's page is also the file 'index'
                self.by_name["index"].append(essay)
            self.by_title.setdefault(_key(essay.title), essay)
            for alias in essay.aliases:
                self.by_alias.setdefault(_key(alias), essay)
                self.by_alias.setdefault(_key(posixpath.basename(alias.rstrip("/"))), essay)
        for essays_named in self.by_name.values():
            essays_named.sort(key=lambda essay: (note_path(essay).count("/"), note_path(essay)))
        self.files = {key.casefold(): key for key in files}
        self.files_by_name: dict[str, list[str]] = defaultdict(list)
        for output in sorted(files, key=lambda output: (output.count("/"), output)):
            self.files_by_name[posixpath.basename(output).casefold()].append(output)

    def note(self, name: str) -> Essay | None:
        """`[[name]]`: a path ('folder/Note'), a file name, a title or an alias."""
        key = _key(name.removesuffix(".md"))
        if not key:
            return None
        if "/" in key:
            found = self.by_path.get(key)
            if found is None:
                ends = [essay for path, essay in self.by_path.items() if path.endswith("/" + key)]
                found = min(ends, key=lambda essay: note_path(essay).count("/"), default=None)
            return found or self.by_alias.get(key)
        named = self.by_name.get(key)
        return named[0] if named else self.by_path.get(key) or self.by_title.get(key) or self.by_alias.get(key)

    def path(self, target: str, essay: Essay, mode: str) -> Essay | None:
        """A Markdown link's target as Quartz's `markdownLinkResolution` `mode` reads it."""
        target = target.removesuffix(".md").removesuffix(".html")
        if target.startswith("/"):
            found = self.by_path.get(_key(target))
        elif mode == "relative" or target.startswith(("./", "../")):
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(note_path(essay)), target))
            found = None if joined.startswith("..") else self.by_path.get(_key("" if joined == "." else joined))
        elif mode == "absolute" or "/" in target.strip("/"):
            found = self.by_path.get(_key(target))
        else:
            found = self.note(target)
        return found or self.by_alias.get(_key(target)) or self.by_alias.get(_key(posixpath.basename(target.rstrip("/"))))

    def file(self, target: str, essay: Essay) -> str | None:
        """An embedded or linked file: in the essay's bundle, beside it, from the root, or by name."""
        target = unquote(target).lstrip("/")
        folder = posixpath.dirname(note_path(essay)) if not essay.bundle_dir else ""
        candidates = [essay.url_path + target if essay.bundle_dir else "", posixpath.normpath(posixpath.join(folder, target)), target]
        for candidate in candidates:
            if candidate and candidate.casefold() in self.files:
                return self.files[candidate.casefold()]
        named = self.files_by_name.get(posixpath.basename(target).casefold())
        return named[0] if named else None


def _fragment(target: Essay, fragment: str) -> str:
    """'#id' of the heading `fragment` names in `target`, as written or by its text."""
    if not fragment or fragment.startswith("^"):  # Obsidian block ids have no anchor here
        return ""
    ids = {ident for _, ident, _ in target.headings}
    slug = github_slug(unquote(fragment))
    for candidate in (fragment, slug, f"h-{slug}"):
        if candidate in ids:
            return "#" + candidate
    return "#" + slug


# An essay's sections' first words by heading id: kept with its body, handed in by the caller.
SectionLeads = Callable[[Essay], Iterable[tuple[str, str]]]


def _excerpt(target: Essay, fragment: str, section_leads: SectionLeads | None) -> str:
    if target.draft:
        return ""
    anchor = _fragment(target, fragment)[1:]
    if anchor:
        if section_leads is None:
            raise LookupError(f"a section of {target.source} is transcluded, but no section_leads were given to find its first words")
        return dict(section_leads(target)).get(anchor, "")
    return target.summary


def resolve_references(
    essays: Iterable[Essay], files: dict[str, str], report: Report, theme_paths: Callable[[str], bool] = lambda path: False,
    section_leads: SectionLeads | None = None,
) -> tuple[dict[str, tuple[Resolved, ...]], dict[str, set[str]]]:
    """Each essay's references resolved, by its URL; and the essays each one links to
    that way (for backlinks). A target that is not found is warned about like any broken
    link, unless it is a page the theme writes (`theme_paths`: '/tags/', '/').
    `section_leads` gives the first words of an essay's sections, which a transclusion
    of one shows (read only for those)."""
    essays = tuple(essays)
    index = SiteIndex(essays, files)
    resolved: dict[str, tuple[Resolved, ...]] = {}
    linked: dict[str, set[str]] = defaultdict(set)
    for essay in essays:
        if not essay.references:
            continue
        values = []
        for reference in essay.references:
            value, target = _resolve(index, essay, reference, report, theme_paths, section_leads)
            values.append(value)
            if target is not None and target is not essay:
                linked[essay.url_path].add(target.url_path)
        resolved[essay.url_path] = tuple(values)
    return resolved, linked


def _resolve(
    index: SiteIndex, essay: Essay, reference: Reference, report: Report, theme_paths: Callable[[str], bool], section_leads: SectionLeads | None,
) -> tuple[Resolved, Essay | None]:
    written = reference.target + (f"#{reference.fragment}" if reference.fragment else "")
    if reference.kind == "image" or (reference.kind == "link" and posixpath.splitext(reference.target)[1] not in ("", ".md")):
        found_file = index.file(reference.target, essay)
        if found_file is None:
            what = "image" if reference.kind == "image" else "link to"
            report.warning(essay.source, reference.line, f"{what} {reference.target!r} finds no file in the essay's bundle or folder, in content/, or anywhere by its name",
                           "put the file beside the essay or in content/attachments/, or fix the name")
            return (reference.target, reference.target, ""), None
        return (found_file, reference.target, ""), None
    if reference.kind == "path":
        target = index.path(reference.target, essay, reference.mode) if reference.target else essay
        if target is None:
            found_file = index.file(reference.target, essay) if posixpath.splitext(reference.target)[1] else None
            if found_file is not None:
                return (found_file, reference.target, ""), None
            as_postil_reads_it = resolve_target(essay.url_path, reference.target)
            fallback = (as_postil_reads_it or "") + (f"#{reference.fragment}" if reference.fragment else "")
            if as_postil_reads_it is not None and theme_paths(as_postil_reads_it):
                return (fallback, written, ""), None
            report.warning(essay.source, reference.line, f"link to {written!r} finds no note ({reference.mode} resolution) and no file",
                           "fix the path or name, or link to an alias the note declares")
            return (fallback, written, ""), None
    else:
        target = index.note(reference.target)
        if target is None:
            shown = "![[" if reference.kind == "note" else "[["
            report.warning(essay.source, reference.line, f"{shown}{written}]] names no essay of the site",
                           "use a note's file name, title or alias, or create the note")
            return (github_slug(reference.target) + "/", reference.target, ""), None
    anchor = _fragment(target, reference.fragment)
    if reference.fragment and not reference.fragment.startswith("^") and anchor[1:] not in {ident for _, ident, _ in target.headings} and reference.kind != "path":
        report.warning(essay.source, reference.line, f"[[{written}]]: {target.source} has no heading {reference.fragment!r}",
                       "write the heading's text as it is in that essay")
    title = target.title + (f" › {reference.fragment}" if reference.fragment and not reference.fragment.startswith("^") else "")
    excerpt = _excerpt(target, reference.fragment, section_leads) if reference.kind == "note" else ""
    return (target.url_path + anchor, title, excerpt), target


def fill(html: str, resolved: tuple[Resolved, ...], href: Callable[[str], str]) -> str:
    """`html` with the placeholders of its references filled in; `href` makes a site path a URL."""
    if PLACEHOLDER_START not in html:
        return html
    parts = html.split(PLACEHOLDER_START)
    out = [parts[0]]
    for part in parts[1:]:
        code, closed, rest = part.partition(PLACEHOLDER_END)
        number, _, slot = code.partition(":")
        if not (closed and number.isdigit() and int(number) < len(resolved)):
            out.append(PLACEHOLDER_START + part)  # not one of ours: left as the author wrote it
            continue
        path, title, excerpt = resolved[int(number)]
        if slot == "0":
            page, hash_mark, fragment = path.partition("#")
            out.append(escape(href(page) + hash_mark + quote(fragment, safe=_URL_SAFE)))
        elif slot == "1":
            out.append(escape(title))
        elif excerpt:
            out.append(f'<p class="transclusion-excerpt">{escape(excerpt)}</p>\n')
        out.append(rest)
    return "".join(out)

"""`postil import quartz DIR`: move a Quartz (or Obsidian) content folder into a postil site.

Notes are copied with their front matter mapped to postil's keys, attachments beside
them; the Markdown is kept as the author wrote it (postil reads Obsidian's syntax), except
links written the Quartz way (`./note`, `/folder/note`, a bare name, an alias), which are
pointed at the essay's postil URL, and `[[links]]` to a note that had to move. Nothing is
ever overwritten: a file already in the site is left alone and reported, so a second run
changes nothing. Run outside a site, it makes one first, as `init` does.
"""
from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt

from ...config import CONFIG_FILE
from ...content.discover import CONTENT_DIR, bundle_url_path, discover, is_editor_leftover
from ...errors import PostilError, Problem, Report
from ...slugs import github_slug
from ...markdown.wikilinks import wikilinks_plugin
from ...content.essay import to_datetime
from ..scaffold import SITE_CONFIG

# Folders the theme writes: a note there moves to the folder named here.
RESERVED_FOLDERS = {
    "tags": "tag-notes", "archive": "archive-notes", "assets": "attachments", "replies": "reply-notes",
    "search": "search-notes", "pagefind": "pagefind-files",
}
SKIPPED_FOLDERS = (".obsidian", ".trash", ".git", "node_modules")
DATE_KEYS = ("date", "date_published", "published", "created")
UPDATED_KEYS = ("date_updated", "updated", "modified", "lastmod", "last-modified")
# Each Quartz key postil reads, and what it becomes; any other key goes under `extra`.
MAPPED_TO = {
    "title": "title", "description": "summary", "summary": "summary", "permalink": "the note's path",
    "aliases": "aliases (redirects)", "alias": "aliases (redirects)", "tags": "tags", "tag": "tags",
    "draft": "draft", "publish": "draft", "author": "author",
    **{key: "date" for key in DATE_KEYS}, **{key: "updated" for key in UPDATED_KEYS},
}
_MARKDOWN_LINK = re.compile(r"(\]\(\s*)(<[^>\n]*>|[^)\s]+)")
_WIKILINK = re.compile(r"(!?\[\[)([^\]|#\n]*)([^\]\n]*\]\])")


@dataclass
class Note:
    source: str  # relative to the imported folder, posix
    destination: str  # relative to the content folder
    meta: dict
    body: str
    moved: str = ""  # why it does not keep its place, if it does not


@dataclass
class ImportResult:
    written: list[str] = field(default_factory=list)  # site-relative paths
    kept: list[str] = field(default_factory=list)  # already there: left alone
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # source, destination, why
    dates: Counter = field(default_factory=Counter)  # where each note's date came from
    titles_from_names: list[str] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # source, what could not be carried over
    links_rewritten: int = 0
    created_site: bool = False
    mapped: Counter = field(default_factory=Counter)  # Quartz key → how many notes had it


def import_quartz(site_root: Path, folder: Path, to: Path | None = None) -> ImportResult:
    """Copy the Quartz content `folder` into the site at `site_root` (its content/, or `to`)."""
    if not folder.is_dir():
        raise PostilError([Problem(str(folder), None, None, "no such folder", "give the Quartz site's content folder, e.g. quartz/content")])
    result = ImportResult()
    content = (site_root / CONTENT_DIR).resolve()
    target = (to if to is not None else site_root / CONTENT_DIR).resolve()
    if target != content and content not in target.parents:
        raise PostilError([Problem(str(to), None, None, f"--to must be {CONTENT_DIR}/ or a folder inside it", f"e.g. --to {CONTENT_DIR}/notes")])
    if not (site_root / CONFIG_FILE).is_file():
        _create(site_root / CONFIG_FILE, SITE_CONFIG.format(title=_toml_string(_site_title(folder))), result, site_root)
        result.created_site = True
    prefix = target.relative_to(content).as_posix() if target != content else ""

    notes, files = _read_folder(folder, result)
    _place(notes, files, prefix, result)
    urls, file_urls = _urls(notes, files, prefix)
    added = _first_commits(folder, [note.source for note in notes])
    index = _LinkIndex(notes, urls, file_urls, files)
    for note in notes:
        text = _with_front_matter(note, folder, added, result) + _rewrite_links(note, index, result)
        _create(target / note.destination, text, result, site_root)
    for source, destination in files.items():
        _copy(folder / source, target / destination, result, site_root)
    return result


def _site_title(folder: Path) -> str:
    name = folder.resolve().name
    if name in ("content", "docs"):
        name = folder.resolve().parent.name
    return name.replace("-", " ").replace("_", " ").strip().title() or "My notes"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_folder(folder: Path, result: ImportResult) -> tuple[list[Note], dict[str, str]]:
    """Every note (parsed) and every other file, by path inside `folder`."""
    notes, files = [], {}
    root = folder.resolve()
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED_FOLDERS and not name.startswith("."))
        for name in sorted(names):
            path = Path(directory) / name
            relative = path.relative_to(folder).as_posix()
            if is_editor_leftover(name):
                continue
            if path.is_symlink() and root not in path.resolve().parents:
                result.unmapped.append((relative, "a symbolic link out of the folder: not copied"))
                continue
            if name.endswith(".md"):
                meta, body, problem = _split(path.read_text(encoding="utf-8-sig", errors="replace"))
                if problem:
                    result.unmapped.append((relative, problem))
                notes.append(Note(relative, relative, meta, body))
            else:
                files[relative] = relative
    return notes, files


def _split(text: str) -> tuple[dict, str, str]:
    """Front matter and body; broken YAML is reported and the note keeps its text as body."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return {}, text, ""
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text, "front matter never closed: kept as text"
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        return {}, text, f"front matter is not valid YAML ({str(exc).splitlines()[0]}): kept as text"
    if not isinstance(meta, dict):
        return {}, text, "front matter is not a mapping: kept as text"
    body = text[end + 4 :]
    return {str(key): value for key, value in meta.items()}, body[1:] if body.startswith("\n") else body, ""


def _reserved(path: str) -> str | None:
    """`path` moved out of a folder the theme writes, or None when it may stay."""
    parts = path.split("/")
    moved = [RESERVED_FOLDERS.get(part, part) if index < len(parts) - 1 else part for index, part in enumerate(parts)]
    return "/".join(moved) if moved != parts else None


def _place(notes: list[Note], files: dict[str, str], prefix: str, result: ImportResult) -> None:
    """Where each note and file goes: its own path, unless a permalink, the home page or a
    folder the theme writes says otherwise."""
    taken = {note.source.casefold() for note in notes} | {source.casefold() for source in files}
    for note in notes:
        permalink = note.meta.get("permalink")
        if isinstance(permalink, str) and permalink.strip("/") and ".." not in permalink.split("/"):
            wanted = permalink.strip("/") + ".md"
            if wanted.casefold() not in taken:
                note.destination, note.moved = wanted, f"its permalink is /{permalink.strip('/')}"
                taken.add(wanted.casefold())
        if note.destination == "index.md" and not prefix:
            home = _free("home.md", taken)
            note.destination, note.moved = home, "index.md is the site's home page, which the theme writes"
        elif (reserved := _reserved(note.destination)) is not None:
            reserved = _free(reserved, taken)
            note.destination, note.moved = reserved, f"/{note.destination.split('/')[0]}/ is written by the theme"
        if note.moved:
            result.moved.append((note.source, posixpath.join(prefix, note.destination), note.moved))
    for source in list(files):
        reserved = _reserved(source)
        if reserved is not None:
            files[source] = _free(reserved, taken)
            result.moved.append((source, posixpath.join(prefix, files[source]), f"/{source.split('/')[0]}/ is written by the theme"))


def _free(path: str, taken: set[str]) -> str:
    stem, extension = posixpath.splitext(path)
    candidate, number = path, 1
    while candidate.casefold() in taken:
        candidate = f"{stem}-{number}{extension}"
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _urls(notes: list[Note], files: dict[str, str], prefix: str) -> tuple[dict[str, str], dict[str, str]]:
    """The site path each note and file will have, as postil's own discovery gives it
    (so the rules for turning file names into URLs live in one place)."""
    with tempfile.TemporaryDirectory() as scratch:
        content = Path(scratch) / CONTENT_DIR
        for path in [note.destination for note in notes] + list(files.values()):
            place = content / prefix / path
            place.parent.mkdir(parents=True, exist_ok=True)
            place.touch()
        sources = discover(Path(scratch), Report())
    inside = len(CONTENT_DIR) + 1 + (len(prefix) + 1 if prefix else 0)
    urls = {source.path[inside:]: source.url_path for source in sources.essays}
    file_urls = {path[inside:]: path[len(CONTENT_DIR) + 1 :] for path in sources.loose_files}
    for bundle, paths in sources.bundle_files.items():
        for path in paths:
            file_urls[path[inside:]] = bundle_url_path(bundle) + path[len(bundle) + 1 :]
    return urls, file_urls


def _date(note: Note, folder: Path, added: dict[str, dt.datetime] | None, result: ImportResult) -> tuple[object, str]:
    for key in DATE_KEYS:
        value = note.meta.get(key)
        if value is not None and to_datetime(value) is not None:
            return value, f"front matter '{key}'"
        if value is not None:
            result.unmapped.append((note.source, f"'{key}: {value}' is not a date"))
    if added is not None and note.source in added:
        return added[note.source], "git (first commit)"
    mtime = dt.datetime.fromtimestamp((folder / note.source).stat().st_mtime, dt.timezone.utc).replace(microsecond=0)
    return mtime, "file modification time"


def _git(folder: Path, *args: str) -> str | None:
    try:
        found = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found.stdout if found.returncode == 0 else None


def _first_commits(folder: Path, sources: list[str]) -> dict[str, dt.datetime] | None:
    """When each of `sources` (paths inside `folder`) was first committed, following renames
    (Quartz moved its notes between folders more than once): in one pass over the history,
    then file by file for any that pass missed. None when the folder is not in git; a file
    never committed is left out."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    inside = _git(folder, "rev-parse", "--show-prefix")
    if top is None or inside is None:
        return None
    log = _git(Path(top.strip()), "-c", "core.quotePath=false", "log", "-M", "--name-status", "--format=\x01%aI") or ""
    following = {inside.strip() + source: source for source in sources}  # a path in the history → the note it became
    added: dict[str, dt.datetime] = {}
    for entry in log.split("\x01")[1:]:  # newest first
        date, *changes = entry.strip().split("\n")
        for change in changes:
            status, *paths = change.split("\t")
            if status.startswith("R") and len(paths) == 2 and paths[1] in following:
                following[paths[0]] = following[paths[1]]
            elif status == "A" and paths and paths[0] in following:
                added[following[paths[0]]] = dt.datetime.fromisoformat(date)  # an older addition, later in the log, wins
    for source in sources:
        if source not in added:
            log = _git(folder, "log", "--follow", "--diff-filter=A", "--format=%aI", "--", source)
            if dates := (log or "").split():
                added[source] = dt.datetime.fromisoformat(dates[-1])
    return added


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value if item is not None and str(item).strip()]
    return []


def _with_front_matter(note: Note, folder: Path, added: dict[str, dt.datetime] | None, result: ImportResult) -> str:
    meta, mapped = note.meta, {}
    for key in meta:
        result.mapped[key] += 1
    title = meta.get("title")
    if not isinstance(title, (str, int, float)) or not str(title).strip():
        stem = posixpath.splitext(posixpath.basename(note.source))[0]
        title = posixpath.basename(posixpath.dirname(note.source)) or "Home" if stem == "index" else stem
        result.titles_from_names.append(note.source)
    mapped["title"] = str(title).strip()
    date, origin = _date(note, folder, added, result)
    result.dates[origin] += 1
    mapped["date"] = date
    updated = next((meta[key] for key in UPDATED_KEYS if meta.get(key) is not None and to_datetime(meta[key]) is not None), None)
    if updated is not None:
        mapped["updated"] = updated
    summary = meta.get("description", meta.get("summary"))
    if isinstance(summary, str) and summary.strip():
        mapped["summary"] = summary.strip()
    tags = [tag.lstrip("#") for tag in _names(meta.get("tags", meta.get("tag")))]
    if tags:
        mapped["tags"] = tags
    aliases = [_alias_path(alias) for alias in _names(meta.get("aliases", meta.get("alias")))]
    aliases = [alias for alias in aliases if alias]
    if aliases:
        mapped["aliases"] = aliases
    if meta.get("draft") is True or meta.get("publish") is False:
        mapped["draft"] = True
    if isinstance(meta.get("author"), str):
        mapped["author"] = meta["author"]
    extra = {key: value for key, value in meta.items() if key not in MAPPED_TO}
    if extra:
        mapped["extra"] = extra
    return "---\n" + yaml.safe_dump(mapped, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


def _alias_path(alias: str) -> str:
    """A Quartz alias as a site path: a bare name or a path, from the content root."""
    path = alias.strip().strip("/")
    if not path or ".." in path.split("/") or ":" in path.split("/")[0]:
        return ""
    return "/" + re.sub(r"[?#%&\s]+", "-", path).strip("-") + "/"


def _rewrite_links(note: Note, index: _LinkIndex, result: ImportResult) -> str:
    """The body with Quartz-style Markdown links pointed at postil URLs, and `[[links]]` to a
    note that moved named by its new file name. Only lines of paragraphs, headings, lists
    and tables are touched (never code), and only link targets in them."""
    body = note.body
    lines = body.split("\n")
    for start, end in _inline_line_ranges(body):
        for number in range(start, min(end, len(lines))):
            line = lines[number]
            if "](" in line:
                line = _MARKDOWN_LINK.sub(lambda match: _markdown_target(match, note, index, result), line)
            if "[[" in line:
                line = _WIKILINK.sub(lambda match: _wikilink_target(match, index, result), line)
            lines[number] = line
    return "\n".join(lines)


class _LinkIndex:
    """The imported notes and files by every name a Quartz link may use."""

    def __init__(self, notes: list[Note], urls: dict[str, str], file_urls: dict[str, str], files: dict[str, str]):
        self.urls, self.file_urls, self.files = urls, file_urls, files
        self.by_path: dict[str, Note] = {}
        self.by_name: dict[str, list[Note]] = {}
        self.by_alias: dict[str, Note] = {}
        for note in sorted(notes, key=lambda note: (note.source.count("/"), note.source)):
            path = note.source.removesuffix(".md")
            for key in {_key(path), _key(path.removesuffix("/index")) if path.endswith("/index") else ""} - {""}:
                self.by_path.setdefault(key, note)
            self.by_name.setdefault(_key(posixpath.basename(path)), []).append(note)
            for alias in _names(note.meta.get("aliases", note.meta.get("alias"))):
                self.by_alias.setdefault(_key(alias), note)
            permalink = note.meta.get("permalink")
            if isinstance(permalink, str):
                self.by_alias.setdefault(_key(permalink), note)

    def note(self, target: str, current: Note) -> Note | None:
        """Quartz's 'shortest' resolution, which also reads './x' and '/x' as it does."""
        target = unquote(target).removesuffix(".md")
        if target.startswith("/"):
            found = self.by_path.get(_key(target))
        elif target.startswith(("./", "../")):
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(current.source), target))
            found = self.by_path.get(_key(joined))
        elif "/" in target.strip("/"):
            found = self.by_path.get(_key(target))
        else:
            named = self.by_name.get(_key(target))
            found = named[0] if named else None
        return found or self.by_alias.get(_key(target)) or self.by_alias.get(_key(posixpath.basename(target.rstrip("/"))))

    def file(self, target: str, current: Note) -> str | None:
        target = unquote(target)
        candidates = [target.lstrip("/")] if target.startswith("/") else [posixpath.normpath(posixpath.join(posixpath.dirname(current.source), target)), target]
        for candidate in candidates:
            if candidate in self.files:
                return self.file_urls.get(self.files[candidate])
        return None


def _key(name: str) -> str:
    return name.strip().strip("/").casefold().replace(" ", "-")


def _markdown_target(match: re.Match, note: Note, index: _LinkIndex, result: ImportResult) -> str:
    written = match[2][1:-1] if match[2].startswith("<") else match[2]
    if not written or written.startswith("#") or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", written) or written.startswith("//"):
        return match[0]
    path, _, fragment = written.partition("#")
    target = index.note(path, note)
    if target is not None:
        url = "/" + index.urls[target.destination]
        anchor = "#" + github_slug(unquote(fragment)) if fragment else ""
    else:
        url_of_file = index.file(path, note)
        if url_of_file is None:
            return match[0]
        url, anchor = "/" + url_of_file, ("#" + fragment if fragment else "")
    result.links_rewritten += 1
    rewritten = url + anchor
    return match[1] + (f"<{rewritten}>" if " " in rewritten else rewritten)


def _wikilink_target(match: re.Match, index: _LinkIndex, result: ImportResult) -> str:
    """`[[index#…]]` to a note that moved (the home page, a permalink) names its new file."""
    name = match[2].strip()
    if not name:
        return match[0]
    named = index.by_path.get(_key(name.removesuffix(".md"))) or (index.by_name.get(_key(posixpath.basename(name.removesuffix(".md")))) or [None])[0]
    if named is None or not named.moved:
        return match[0]
    result.links_rewritten += 1
    return match[1] + named.destination.removesuffix(".md") + match[3]


def _inline_line_ranges(body: str) -> list[tuple[int, int]]:
    """Line ranges of the blocks that hold inline Markdown (not code), as markdown-it finds them."""
    md = _scanner()
    return [tuple(token.map) for token in md.parse(body) if token.type == "inline" and token.map]


@lru_cache(maxsize=None)
def _scanner() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").use(wikilinks_plugin)


def _create(path: Path, text: str, result: ImportResult, site_root: Path) -> None:
    shown = _shown(path, site_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        result.kept.append(shown)
        return
    result.written.append(shown)


def _copy(source: Path, destination: Path, result: ImportResult, site_root: Path) -> None:
    shown = _shown(destination, site_root)
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(source, "rb") as reading, open(destination, "xb") as writing:
            shutil.copyfileobj(reading, writing)
    except FileExistsError:
        result.kept.append(shown)
        return
    shutil.copystat(source, destination)
    result.written.append(shown)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def report_lines(result: ImportResult) -> list[str]:
    """What the import did, for the terminal: what was mapped, moved, and not carried over."""
    lines = []
    if result.created_site:
        lines.append(f"Made a new site here ({CONFIG_FILE}); set base_url and title in it.")
    notes = sum(result.dates.values())
    lines.append(f"Notes: {notes}; files written: {len(result.written)}; already there and left alone: {len(result.kept)}")
    mapped = [f"{key} → {MAPPED_TO[key]} ×{count}" for key, count in sorted(result.mapped.items()) if key in MAPPED_TO]
    extra = [f"{key} ×{count}" for key, count in sorted(result.mapped.items()) if key not in MAPPED_TO]
    if mapped:
        lines.append("Front matter mapped: " + ", ".join(mapped))
    if extra:
        lines.append("Front matter kept under 'extra' (postil has no such key): " + ", ".join(extra))
    lines.append("Dates from: " + (", ".join(f"{origin} ×{count}" for origin, count in sorted(result.dates.items())) or "no notes"))
    if result.titles_from_names:
        lines.append(f"Titles taken from file names: {len(result.titles_from_names)} ({', '.join(result.titles_from_names[:5])}{', …' if len(result.titles_from_names) > 5 else ''})")
    lines.append(f"Links pointed at their postil URL: {result.links_rewritten}")
    for source, destination, why in result.moved:
        lines.append(f"moved: {source} → {CONTENT_DIR}/{destination} ({why})")
    for source, what in result.unmapped:
        lines.append(f"not carried over: {source}: {what}")
    for path in result.kept:
        lines.append(f"kept the existing {path}")
    return lines

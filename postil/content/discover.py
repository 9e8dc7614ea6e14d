"""Find the sources under content/: essays, bundle files, reply files.

Discovery reads no file contents. It vets every name and link before anything is read:

- A symbolic link is followed only when its target lies inside the site's folder, outside
  its hidden folders (`.git`, `.postil-cache`) and outside the output folder; it then
  counts as the file or folder it points at, found at the link's place. A link that
  leaves the site is an error, never followed: nothing from outside the site is published.
  A link that loops (into a folder containing it) is an error too, so no walk can loop.
- A name that cannot make a URL (a control character, bytes that are not UTF-8) is an
  error; other names are slugged (see sitepaths.slug_segment).
- Editors' temporary and swap files beside the file being saved are skipped.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Report
from ..site.paths import name_problem, slug_path, slug_segment

CONTENT_DIR = "content"
REPLIES_DIR = "replies"
REACTIONS_FILE = "reactions.json"  # likes and reposts beside the replies; the import record, .imported.json, is hidden and passed by

_EDITOR_LEFTOVERS = re.compile(
    r"""^(
        \..*                 # hidden files, vim's .name.swp, emacs' .#name lock links
      | .*~                  # backups
      | \#.*\#               # emacs autosave
      | .*\.(swp|swx|swo|tmp|bak|orig|part|crdownload)
      | 4913                 # vim's probe file
      | .*___jb_(tmp|old)___ # IntelliJ safe-write
    )$""",
    re.VERBOSE,
)


def is_editor_leftover(name: str) -> bool:
    """True for files an editor writes while saving, which are never content."""
    if name.endswith(".md") and not name.startswith("."):  # most names: no pattern can match
        return False
    return bool(_EDITOR_LEFTOVERS.match(name))


@dataclass(frozen=True)
class EssaySource:
    path: str  # relative to the site root, posix
    url_path: str  # the page URL this file gives when it has no `slug`
    bundle_dir: str | None  # the bundle folder for `index.md` essays


@dataclass
class Sources:
    essays: list[EssaySource] = field(default_factory=list)
    bundle_files: dict[str, list[str]] = field(default_factory=dict)  # bundle dir → files in it
    loose_files: list[str] = field(default_factory=list)  # other files, copied to the same path
    replies: dict[str, list[str]] = field(default_factory=dict)  # bundle dir → reply files
    reactions: dict[str, str] = field(default_factory=dict)  # bundle dir → its replies/reactions.json (see content/reactions.py)
    linked: list[str] = field(default_factory=list)  # real paths of the places links were followed to


def discover(site_root: Path, report: Report, output: Path | None = None) -> Sources:
    """Walk content/ in a stable order and sort every file into its role.

    `output` is the folder the build writes, which no link may lead into (its pages would
    be published again inside themselves)."""
    content = site_root / CONTENT_DIR
    sources = Sources()
    if not content.is_dir():
        report.error(CONTENT_DIR, None, "no content folder", f"create {CONTENT_DIR}/ and put an essay in it")
        return sources
    bounds = LinkBounds(os.path.realpath(site_root), os.path.realpath(output) if output is not None else None)
    if os.path.islink(content) and not bounds.allows(str(content), CONTENT_DIR, report):
        return sources
    try:
        real = os.path.realpath(content, strict=True)
    except (OSError, RuntimeError):
        report.error(CONTENT_DIR, None, "symbolic link loop", "point the link at a real folder or remove it")
        return sources
    _walk(str(content), CONTENT_DIR, real, sources, report, bundle=None, ancestors=frozenset(), bounds=bounds)
    return sources


@dataclass(frozen=True)
class LinkBounds:
    """Where a symbolic link may lead: inside the site, but not into a hidden folder of it
    (`.git` may hold credentials) nor into the output folder."""

    site: str  # real path of the site's folder
    output: str | None  # real path of the output folder

    def allows(self, link: str, rel: str, report: Report) -> bool:
        """Whether the link at `link` (shown as `rel`) may be followed; reports why not."""
        return self.target(link, rel, report) is not None

    def target(self, link: str, rel: str, report: Report) -> str | None:
        """The real path the link at `link` leads to, when it may be followed; else None,
        reported."""
        try:
            target = os.path.realpath(link, strict=True)
        except (OSError, RuntimeError):
            report.error(rel, None, "broken or looping symbolic link", "point the link at an existing file or remove it")
            return None
        inside = os.path.relpath(target, self.site).split(os.sep) if _within(target, self.site) else None
        if inside is None:
            report.error(rel, None, f"symlink points outside the site (to {target})",
                         "copy what it points at into the site, or remove the link: nothing from outside the site's folder is published")
            return None
        if any(part.startswith(".") and part != "." for part in inside):
            report.error(rel, None, f"symlink points into a hidden folder of the site ({'/'.join(inside)})",
                         "point the link at a folder that is meant to be published, or remove it")
            return None
        if self.output is not None and (_within(target, self.output) or _within(self.output, target)):
            where = "into the output folder" if _within(target, self.output) else "at a folder holding the output folder"
            report.error(rel, None, f"symlink points {where}",
                         "remove the link: the built site cannot be part of its own content")
            return None
        return target


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _walk(
    folder: str, rel_folder: str, real: str, sources: Sources, report: Report, bundle: str | None, ancestors: frozenset, bounds: LinkBounds,
) -> None:
    """Sort the files of `folder` (at `rel_folder` from the site root, `real` its real path),
    then its subfolders'."""
    if real in ancestors:
        report.error(rel_folder, None, "symbolic link loop: this folder contains itself", "remove the link")
        return
    ancestors = ancestors | {real}
    entries = _entries(folder, rel_folder, report, bounds, sources.linked)

    if bundle is None and any(entry.name == "index.md" and not is_dir for _, entry, is_dir, _ in entries):
        bundle = rel_folder

    for rel, entry, is_dir, target in entries:
        if is_dir:
            if bundle is not None and entry.name == REPLIES_DIR and rel_folder == bundle:
                entries = _entries(entry.path, rel, report, bounds, sources.linked)
                sources.replies[bundle] = [path for path, _, is_folder, _ in entries if not is_folder and path.endswith(".md")]
                if f"{rel}/{REACTIONS_FILE}" in (path for path, _, is_folder, _ in entries if not is_folder):
                    sources.reactions[bundle] = f"{rel}/{REACTIONS_FILE}"
                continue
            if not slug_segment(entry.name):
                report.error(rel, None, "this folder's name leaves nothing a URL can use", "rename it with letters or digits")
                continue
            # Only a link can lead elsewhere: a plain folder's real path is its parent's and its name.
            _walk(entry.path, rel, target or os.path.join(real, entry.name), sources, report, bundle, ancestors, bounds)
        elif entry.name.endswith(".md"):
            if not slug_segment(entry.name[: -len(".md")]):
                report.error(rel, None, "this file's name leaves nothing a URL can use", "rename it with letters or digits")
                continue
            sources.essays.append(_essay_source(rel, bundle))
        elif bundle is not None:
            sources.bundle_files.setdefault(bundle, []).append(rel)
        else:
            sources.loose_files.append(rel)


def _entries(
    folder: str, rel_folder: str, report: Report, bounds: LinkBounds, linked: list[str]
) -> list[tuple[str, os.DirEntry, bool, str | None]]:
    """The files and folders of `folder` that may be read, by name, each with its path shown
    from the site root, whether it is a folder and, for a link, the real path it leads to;
    problems with the others reported, and the targets of links followed added to `linked`.
    Types come from the folder's listing: a file that is not a link costs no `stat`."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        report.error(rel_folder, None, f"cannot read folder: {exc.strerror}", "check its permissions")
        return []
    usable = []
    for entry in entries:
        if is_editor_leftover(entry.name):
            continue
        rel = f"{rel_folder}/{entry.name}"
        problem = name_problem(entry.name)
        if problem:
            report.error(_printable(rel), None, f"{problem}, so it cannot make a URL", "rename it")
            continue
        target = None
        if entry.is_symlink():
            target = bounds.target(entry.path, rel, report)
            if target is None:
                continue
            linked.append(target)
        try:
            is_dir = entry.is_dir()  # follows links
            is_file = is_dir or entry.is_file()
        except OSError:
            is_dir = is_file = False
        if not is_file:
            report.error(rel, None, "not a regular file or folder", "remove it: only files and folders are content")
            continue
        usable.append((rel, entry, is_dir, target))
    return usable


def _printable(text: str) -> str:
    """A path as a terminal can show it: control characters and stray bytes escaped."""
    return "".join(character if character.isprintable() else ascii(character)[1:-1] for character in text)


def bundle_url_path(bundle_dir: str) -> str:
    """The page URL of a bundle's essay when it sets no `slug` ('content/talk' → 'talk/')."""
    inside = bundle_dir[len(CONTENT_DIR) + 1 :]
    return slug_path(inside) + "/" if inside else ""


def _essay_source(rel: str, bundle: str | None) -> EssaySource:
    inside = rel[len(CONTENT_DIR) + 1 :]
    stem = slug_path(inside[: -len(".md")])
    if stem == "index":
        url = ""
    elif stem.endswith("/index"):
        url = stem[: -len("index")]
    else:
        url = stem + "/"
    is_bundle_index = bundle is not None and rel == f"{bundle}/index.md"
    return EssaySource(rel, url, bundle if is_bundle_index else None)

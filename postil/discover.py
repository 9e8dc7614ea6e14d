"""Find the sources under content/: essays, bundle files, reply files.

Discovery reads no file contents. It follows symbolic links (authors link shared folders
in) but reports a link that loops instead of walking forever, and skips the temporary
and swap files that editors leave beside the file being saved.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Report

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
    reactions: dict[str, str] = field(default_factory=dict)  # bundle dir → its replies/reactions.json (see reactions.py)


def discover(site_root: Path, report: Report) -> Sources:
    """Walk content/ in a stable order and sort every file into its role."""
    content = site_root / CONTENT_DIR
    sources = Sources()
    if not content.is_dir():
        report.error(CONTENT_DIR, None, "no content folder", f"create {CONTENT_DIR}/ and put an essay in it")
        return sources
    _walk(str(content), CONTENT_DIR, sources, report, bundle=None, ancestors=frozenset())
    return sources


def _walk(folder: str, rel_folder: str, sources: Sources, report: Report, bundle: str | None, ancestors: frozenset) -> None:
    """Sort the files of `folder` (at `rel_folder` from the site root), then its subfolders'."""
    try:
        real = os.path.realpath(folder, strict=True)
    except (OSError, RuntimeError):
        report.error(rel_folder, None, "symbolic link loop", "point the link at a real folder or remove it")
        return
    if real in ancestors:
        report.error(rel_folder, None, "symbolic link loop: this folder contains itself", "remove the link")
        return
    ancestors = ancestors | {real}
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        report.error(rel_folder, None, f"cannot read folder: {exc.strerror}", "check its permissions")
        return

    if bundle is None and any(entry.name == "index.md" for entry in entries):
        bundle = rel_folder

    for entry in entries:
        if is_editor_leftover(entry.name):
            continue
        rel = f"{rel_folder}/{entry.name}"
        try:
            is_dir = entry.is_dir()  # follows links
        except OSError:
            is_dir = False
        if entry.is_symlink() and not os.path.exists(entry.path):
            report.error(rel, None, "broken or looping symbolic link", "point the link at an existing file or remove it")
            continue
        if is_dir:
            if bundle is not None and entry.name == REPLIES_DIR and rel_folder == bundle:
                sources.replies[bundle] = sorted(
                    f"{rel}/{name}" for name in os.listdir(entry.path) if name.endswith(".md") and not is_editor_leftover(name)
                )
                if os.path.isfile(os.path.join(entry.path, REACTIONS_FILE)):
                    sources.reactions[bundle] = f"{rel}/{REACTIONS_FILE}"
                continue
            _walk(entry.path, rel, sources, report, bundle, ancestors)
        elif entry.name.endswith(".md"):
            sources.essays.append(_essay_source(rel, bundle))
        elif bundle is not None:
            sources.bundle_files.setdefault(bundle, []).append(rel)
        else:
            sources.loose_files.append(rel)


def bundle_url_path(bundle_dir: str) -> str:
    """The page URL of a bundle's essay when it sets no `slug` ('content/talk' → 'talk/')."""
    inside = bundle_dir[len(CONTENT_DIR) + 1 :]
    return inside + "/" if inside else ""


def _essay_source(rel: str, bundle: str | None) -> EssaySource:
    inside = rel[len(CONTENT_DIR) + 1 :]
    stem = inside[: -len(".md")]
    if stem == "index":
        url = ""
    elif stem.endswith("/index"):
        url = stem[: -len("index")]
    else:
        url = stem + "/"
    is_bundle_index = bundle is not None and rel == f"{bundle}/index.md"
    return EssaySource(rel, url, bundle if is_bundle_index else None)

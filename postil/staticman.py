"""`postil import staticman DIR`: turn Staticman comment files into reply files.

Staticman stores one YAML file per comment, usually in a folder per post
(`_data/comments/<post-slug>/`), with `_id`, `_parent` or `replying_to`, `name`, `url`,
`message` and `date` (ISO text or a Unix timestamp). DIR may be one post's folder or the
folder holding several; each post folder goes to the bundle essay of the same folder name,
or to the one given with --to. Existing reply files are never overwritten, and e-mail
addresses are never copied.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .discover import CONTENT_DIR, REPLIES_DIR
from .errors import PostilError, Problem
from .frontmatter import BoundedSafeLoader
from .parse import to_datetime
from .replies import REPLY_ID

COMMENT_SUFFIXES = (".yml", ".yaml")


@dataclass
class ImportResult:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # reply files that already existed


def import_staticman(site_root: Path, folder: Path, to: Path | None = None) -> ImportResult:
    """Write a reply file for every comment; raise PostilError listing every bad comment."""
    if not folder.is_dir():
        raise PostilError([Problem(str(folder), None, None, "no such folder", "give the folder of Staticman comment files")])
    groups = _comment_folders(folder)
    if not groups:
        raise PostilError([Problem(str(folder), None, None, "no .yml comment files here", "give the folder Staticman writes comments into, such as _data/comments")])
    problems: list[Problem] = []
    plans: list[tuple[Path, str]] = []
    for post_folder, files in groups:
        bundle = to if to is not None else site_root / CONTENT_DIR / post_folder.name
        if bundle.name == "index.md":
            bundle = bundle.parent
        if not (bundle / "index.md").is_file():
            problems.append(Problem(str(post_folder), None, None, f"no bundle essay {bundle}/index.md for these comments",
                                    "pass --to content/<essay-folder>; an essay file x.md must first become x/index.md"))
            continue
        for path in files:
            converted = _convert(path, problems)
            if converted:
                ident, text = converted
                plans.append((bundle / REPLIES_DIR / f"{ident}.md", text))
    if problems:
        raise PostilError(problems)

    result = ImportResult()
    for target, text in plans:
        shown = _shown(target, site_root)
        if target.exists():
            result.skipped.append(shown)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8") as handle:  # "x": never replace a file that appeared meanwhile
            handle.write(text)
        result.written.append(shown)
    return result


def _comment_folders(folder: Path) -> list[tuple[Path, list[Path]]]:
    own = sorted(p for p in folder.iterdir() if p.suffix in COMMENT_SUFFIXES and p.is_file())
    if own:
        return [(folder, own)]
    groups = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.suffix in COMMENT_SUFFIXES and p.is_file())
        if files:
            groups.append((sub, files))
    return groups


def _convert(path: Path, problems: list[Problem]) -> tuple[str, str] | None:
    """The reply id and file text for one comment, or None with a problem recorded."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=BoundedSafeLoader)  # noqa: S506 (a SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(str(path), None, None, f"cannot read comment: {exc}", "fix or remove the file"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(str(path), 1, None, "a comment file must be a mapping of keys to values", "fix or remove the file"))
        return None
    ident = _reply_id(str(data.get("_id") or path.stem))
    name = str(data.get("name") or "").strip()
    message = data.get("message")
    date = data.get("date")
    if isinstance(date, (int, float)) and not isinstance(date, bool):
        date = dt.datetime.fromtimestamp(date, dt.timezone.utc)
    date = to_datetime(date)
    missing = [key for key, value in (("name", name), ("message", message), ("date", date)) if not value]
    if missing:
        problems.append(Problem(str(path), None, None, f"comment lacks {', '.join(missing)}", "fill it in or remove the file"))
        return None
    meta: dict = {"author": name, "date": date.isoformat()}
    parent = data.get("_parent") or data.get("replying_to")
    if parent not in (None, ""):
        meta["parent"] = _reply_id(str(parent))
    if data.get("url"):
        meta["url"] = str(data["url"]).strip()
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return ident, f"---\n{front}---\n{str(message).strip()}\n"


def _reply_id(value: str) -> str:
    """A Staticman id as a reply file name: unusable characters become '-'."""
    ident = re.sub(r"[^A-Za-z0-9_-]+", "-", value.strip()).strip("-_")[:100] or "comment"
    return ident if REPLY_ID.fullmatch(ident) else "c" + ident[:99]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)

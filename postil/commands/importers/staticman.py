"""`postil import staticman DIR`: turn Staticman comment files into reply files.

Staticman stores one YAML file per comment, usually in a folder per post
(`_data/comments/<post-slug>/`), with `_id`, `_parent` or `replying_to`, `name`, `url`,
`message` and `date` (ISO text or a Unix timestamp). DIR may be one post's folder or the
folder holding several; each post folder goes to the essay of the same name, or to the
one given with --to. A comment without a name is signed with --anonymous (default
"Anonymous"); an unusable `url` (javascript:, mailto:, junk) is dropped; e-mail
addresses are never copied. New replies get short ids (the first block of a UUID);
replies imported before keep theirs, and importing again is a sync (see sync.py) that
knows comments by their `_id`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import yaml

from ...config import Config
from ...content.discover import CONTENT_DIR
from ...errors import PostilError, Problem
from ...content.frontmatter import BoundedSafeLoader
from ...content.essay import to_datetime
from ...content.reply import REPLY_ID
from .essays import essay_at
from .fields import author_name, fitted_body, homepage
from .sync import PlannedReply, SyncResult, sync_replies

COMMENT_SUFFIXES = (".yml", ".yaml")
SOURCE = "staticman"
DEFAULT_ANONYMOUS = "Anonymous"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def import_staticman(site_root: Path, folder: Path, config: Config, to: Path | None = None, anonymous: str = DEFAULT_ANONYMOUS) -> SyncResult:
    """Import (or sync) every comment; comments that cannot be imported are listed, the rest go in."""
    if not folder.is_dir():
        raise PostilError([Problem(str(folder), None, None, "no such folder", "give the folder of Staticman comment files")])
    groups = _comment_folders(folder)
    if not groups:
        raise PostilError([Problem(str(folder), None, None, "no .yml comment files here", "give the folder Staticman writes comments into, such as _data/comments")])
    result = SyncResult()
    targets = []
    for post_folder, files in groups:
        try:
            target = essay_at(site_root, to if to is not None else site_root / CONTENT_DIR / post_folder.name, config, site_root)
        except PostilError as exc:
            result.problems += [Problem(str(post_folder), None, None, f"no essay for these comments: {problem.message}",
                                        "pass --to content/<essay-folder>/") for problem in exc.problems]
            continue
        planned = [item for path in files if (item := _planned(path, anonymous, result.problems))]
        targets.append((target, planned))
    if not targets:
        raise PostilError(result.problems)
    for target, planned in targets:
        result.merge(sync_replies(target, SOURCE, planned, config, complete=False))
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


def _planned(path: Path, anonymous: str, problems: list[Problem]) -> PlannedReply | None:
    """The reply one comment file becomes, or None with a problem recorded."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=BoundedSafeLoader)  # noqa: S506 (a SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(str(path), None, None, f"cannot read comment: {exc}; it was left out", "fix the file and import again", "warning"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(str(path), 1, None, "a comment file must be a mapping of keys to values; it was left out", "fix the file and import again", "warning"))
        return None
    source_id = str(data.get("_id") or path.stem).strip()
    message = data.get("message")
    date = data.get("date")
    if isinstance(date, (int, float)) and not isinstance(date, bool):
        date = dt.datetime.fromtimestamp(date, dt.timezone.utc)
    date = to_datetime(date)
    missing = [key for key, value in (("message", message), ("date", date)) if not value or not str(value).strip()]
    if missing:
        problems.append(Problem(str(path), None, None, f"comment lacks {', '.join(missing)}; it was left out", "fill it in and import again", "warning"))
        return None
    assert date is not None
    meta: dict = {"author": author_name(data.get("name"), anonymous), "date": date.astimezone(dt.timezone.utc)}
    url = homepage(data.get("url"))
    if url:
        meta["url"] = url
    parent = str(data.get("_parent") or data.get("replying_to") or "").strip()
    return PlannedReply(
        f"{SOURCE}:{source_id}", _short_id(source_id), meta, fitted_body(str(message), "in the Staticman data"),
        parent_key=f"{SOURCE}:{parent}" if parent else "", legacy_ident=_reply_id(source_id),
    )


def _short_id(value: str) -> str:
    """A short, stable reply id: a UUID's first block, a short id as it is, else a hash."""
    if _UUID.fullmatch(value):
        return value[:8].lower()
    ident = _reply_id(value)
    if len(ident) <= 16:
        return ident
    return "c" + hashlib.blake2b(value.encode("utf-8"), digest_size=4).hexdigest()


def _reply_id(value: str) -> str:
    """A Staticman id as a reply file name, as imports before the short ids named them."""
    ident = re.sub(r"[^A-Za-z0-9_-]+", "-", value.strip()).strip("-_")[:100] or "comment"
    return ident if REPLY_ID.fullmatch(ident) else "c" + ident[:99]

"""`postil replies` and `postil replies publish`: moderation as a command, not a text edit.

Replies that strangers send (by e-mail, by pull request) arrive as drafts, `draft: true`,
which `build` never publishes. `draft_replies` lists them; `publish` takes the `draft`
line out of each one's front matter and fills in a missing `date` with the time of
publishing, touching no other byte of the file (comments, quoting, key order and line
endings stay as they were), and only once the result parses as a published reply.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..content.discover import discover
from ..errors import PostilError, Problem, Report
from ..content.frontmatter import FrontMatterError, decode, split
from .importers.essays import parsed_essays
from ..content.essay import to_datetime
from ..content.reply import parse_reply, reply_id

_DRAFT_LINE = re.compile(rb"^draft[ \t]*:")
_DATE_LINE = re.compile(rb"^date[ \t]*:[ \t]*(?P<value>[^#\r\n]*)")
_AUTHOR_LINE = re.compile(rb"^author[ \t]*:")
_FENCE = re.compile(rb"^---[ \t]*\r?\n?$")
FIRST_WORDS = 100


@dataclass(frozen=True)
class DraftReply:
    """A reply held back with `draft: true`, as `postil replies` lists it."""

    path: str  # relative to the site root, posix
    essay_title: str
    essay_url: str  # the essay's site path
    bundle_dir: str
    author: str
    date: dt.datetime | None
    first_words: str

    @property
    def id(self) -> str:
        return reply_id(self.path)


def draft_replies(site_root: Path, config: Config) -> list[DraftReply]:
    """Every draft reply of the site, by essay then file name."""
    essays = {essay.bundle_dir: essay for essay in parsed_essays(site_root, config) if essay.bundle_dir}
    drafts = []
    for bundle_dir, files in sorted(discover(site_root, Report()).replies.items()):
        essay = essays.get(bundle_dir)
        for path in sorted(files):
            try:
                raw = (site_root / path).read_bytes()
                parts = split(decode(raw, path), path)
            except (OSError, FrontMatterError):
                continue  # `build` and `check` report it; it is no draft to publish
            if parts.meta.get("draft") is not True:
                continue
            # Its first words as they will read once published (a draft may have no date yet).
            published = published_bytes(raw, dt.datetime.now(dt.timezone.utc))
            body = parse_reply(path, bundle_dir, essay.url_path if essay else "/", published, config).body
            words = body.excerpt if body else " ".join(parts.body.split())
            drafts.append(DraftReply(
                path=path,
                essay_title=essay.title if essay else bundle_dir,
                essay_url=essay.url_path if essay else "",
                bundle_dir=bundle_dir,
                author=" ".join(str(parts.meta.get("author") or "").split()),
                date=to_datetime(parts.meta.get("date")),
                first_words=words if len(words) <= FIRST_WORDS else words[: FIRST_WORDS - 1].rstrip() + "…",
            ))
    return drafts


def publish(site_root: Path, config: Config, wanted: list[str], here: Path, *, every: bool = False,
            now: dt.datetime | None = None) -> list[DraftReply]:
    """Publish the draft replies named (by id, or by path relative to `here`), or all of them.

    Nothing is written unless every name is a draft reply and every one of them parses once
    published; otherwise all the problems are raised together.
    """
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    drafts = draft_replies(site_root, config)
    chosen, problems = (list(drafts), []) if every else _chosen(drafts, wanted, site_root, here)
    edits = []
    for draft in chosen:
        raw = (site_root / draft.path).read_bytes()
        edited = published_bytes(raw, now)
        parsed = parse_reply(draft.path, draft.bundle_dir, draft.essay_url or "/", edited, config)
        errors = [problem for problem in parsed.problems if problem.severity == "error"]
        if errors or parsed.reply is None or parsed.reply.draft:
            problems += errors or [Problem(draft.path, None, None, "still a draft after publishing", "remove its 'draft' line by hand")]
            continue
        edits.append((draft, edited))
    if problems:
        raise PostilError(problems)
    for draft, edited in edits:
        _replace(site_root / draft.path, edited)
    return [draft for draft, _ in edits]


def published_bytes(raw: bytes, now: dt.datetime) -> bytes:
    """The file without its front matter's `draft` line, with `date` filled in when missing
    or empty; every other byte as it was."""
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    lines = raw[len(bom):].splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0]):
        return raw
    end = next((number for number in range(1, len(lines)) if _FENCE.match(lines[number])), None)
    if end is None:
        return raw
    newline = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    date_line = b"date: " + now.isoformat().replace("+00:00", "Z").encode("ascii") + newline
    front = [line for line in lines[1:end] if not _DRAFT_LINE.match(line)]
    dated = next((number for number, line in enumerate(front) if _DATE_LINE.match(line)), None)
    if dated is None:
        after = next((number + 1 for number, line in enumerate(front) if _AUTHOR_LINE.match(line)), 0)
        front.insert(after, date_line)
    elif not _DATE_LINE.match(front[dated])["value"].strip():
        front[dated] = date_line
    return bom + lines[0] + b"".join(front) + b"".join(lines[end:])


def _chosen(drafts: list[DraftReply], wanted: list[str], site_root: Path, here: Path) -> tuple[list[DraftReply], list[Problem]]:
    """The drafts the names stand for: a reply id (unique among the drafts) or a file path."""
    by_path = {draft.path: draft for draft in drafts}
    chosen: dict[str, DraftReply] = {}
    problems = []
    for name in wanted:
        if "/" in name or name.endswith(".md"):
            found = _by_path(by_path, name, site_root, here)
            if found is None:
                problems.append(Problem(name, None, None, "no draft reply here",
                                        "run 'postil replies' for the list of draft replies (a published reply is no longer one)"))
            else:
                chosen[found.path] = found
            continue
        matches = [draft for draft in drafts if draft.id == name]
        if not matches:
            problems.append(Problem(name, None, None, f"no draft reply with the id {name!r}",
                                    "run 'postil replies' for the list of draft replies and their ids"))
        elif len(matches) > 1:
            problems.append(Problem(name, None, None, f"{len(matches)} draft replies have the id {name!r}: {', '.join(d.path for d in matches)}",
                                    "name the one you mean by its path"))
        else:
            chosen[matches[0].path] = matches[0]
    return list(chosen.values()), problems


def _by_path(by_path: dict[str, DraftReply], name: str, site_root: Path, here: Path) -> DraftReply | None:
    for base in (here, site_root):
        try:
            relative = (base / name).resolve().relative_to(site_root.resolve()).as_posix()
        except ValueError:
            continue
        if relative in by_path:
            return by_path[relative]
    return None


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)

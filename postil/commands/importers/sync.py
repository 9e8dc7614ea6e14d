"""Planned replies in, reply files out: the one way every importer writes.

An importer turns what it read into `PlannedReply`s and hands them to `sync_replies`,
which keeps the essay's import record (record.py) and with it these promises:

- a comment seen before is never written twice: its key names its file;
- a file still exactly as an importer wrote it is refreshed when the source changed
  (a new score, agreement, retraction, an edit upstream);
- a file the author edited by hand, or deleted, is left alone, and the result says so;
- nothing is ever deleted; a comment gone upstream since is reported, its file kept;
- importing the same thing twice changes no file, the record included.

An opening quote that matches neither the essay nor a reply above it (the essay was
edited since) is marked `{.elsewhere}`, so an import never makes `postil check` fail.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ...config import Config
from ...content.discover import REPLIES_DIR
from ...errors import Problem
from ...site.quotes import found_in, is_checked
from ...content.reply import REPLY_ID, ParsedReply, parse_reply
from .essays import EssayFile
from .record import Entry, ImportRecord, digest

ELSEWHERE_LINE = "{.elsewhere}\n"


@dataclass(frozen=True)
class PlannedReply:
    """One reply as the source gives it now.

    `key` is '<source>:<id there>'. `ident` is the reply id wanted for a new file (made
    unique if taken). `meta` holds the front matter but `parent`, which `parent_key`
    names instead, since the parent's file name is only known once it is written.
    """

    key: str
    ident: str
    meta: dict
    body: str
    parent_key: str = ""
    placeholder: bool = False  # stands for a comment deleted upstream, to keep its thread's shape
    legacy_ident: str = ""  # the file name an importer gave it before there was a record


@dataclass
class SyncResult:
    written: list[str] = field(default_factory=list)  # new reply files
    refreshed: list[str] = field(default_factory=list)  # rewritten because the source changed
    unchanged: int = 0
    hand_edited: list[str] = field(default_factory=list)  # edited since the import: left alone
    removed: list[str] = field(default_factory=list)  # deleted by hand since the import: not written again
    gone_upstream: list[str] = field(default_factory=list)  # deleted at the source: the file is kept
    elsewhere: list[str] = field(default_factory=list)  # opening quotes matching nothing, marked {.elsewhere}
    problems: list[Problem] = field(default_factory=list)  # replies that could not be written
    bundled: list[str] = field(default_factory=list)  # single-file essays turned into bundles to hold them
    notices: list[str] = field(default_factory=list)  # what else an importer has to say (left out, unmatched)
    added: list[str] = field(default_factory=list)  # what else an importer added ("3 likes")

    def merge(self, other: SyncResult) -> None:
        for name in ("written", "refreshed", "hand_edited", "removed", "gone_upstream", "elsewhere", "problems", "bundled", "notices", "added"):
            getattr(self, name).extend(getattr(other, name))
        self.unchanged += other.unchanged


def front_matter(meta: dict) -> str:
    """YAML front matter, dates as ISO text, keys in the order given."""
    values = {key: value.isoformat().replace("+00:00", "Z") if isinstance(value, dt.datetime) else value for key, value in meta.items()}
    return "---\n" + yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=1000) + "---\n"


def sync_replies(target: EssayFile, source: str, planned: list[PlannedReply], config: Config, *, complete: bool) -> SyncResult:
    """Write, refresh or leave alone each planned reply of one essay (see the module's promises).

    `complete`: `planned` is everything the source has for this essay, so keys of `source`
    in the record but not planned are reported as gone upstream.
    """
    result = SyncResult()
    record = ImportRecord.load(target.bundle)
    replies = target.bundle / REPLIES_DIR

    def shown(ident: str) -> str:
        return _shown(replies / f"{ident}.md", target.site_root)

    idents = _assign_idents(planned, record, replies)
    texts = {item.key: _text(item, idents) for item in planned}
    parsed = {}
    for item in planned:
        reply = parse_reply(shown(idents[item.key]), "", target.essay.url_path, texts[item.key].encode("utf-8"), config)
        errors = [problem for problem in reply.problems if problem.severity == "error"]
        if reply.reply is None or errors:
            result.problems += errors or list(reply.problems)
        else:
            parsed[item.key] = reply
    for key in _unanchored(planned, parsed, target):
        texts[key] = _mark_elsewhere(texts[key])
        result.elsewhere.append(shown(idents[key]))

    for item in planned:
        if item.key not in parsed:
            continue
        ident, text = idents[item.key], texts[item.key]
        path = replies / f"{ident}.md"
        data = text.encode("utf-8")
        entry = record.entries.get(item.key)
        if entry is None:
            if path.exists():  # a file of an import made before there was a record
                record.entries[item.key] = Entry(ident, digest(data))
                if path.read_bytes() == data:
                    result.unchanged += 1
                else:
                    result.hand_edited.append(shown(ident))
                continue
            if target.file.name != "index.md":  # the first reply of a single-file essay
                target.make_bundle()
                result.bundled += [_shown(target.moved_from, target.site_root)] if target.moved_from else []
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(path, "xb") as handle:  # never replace a file that appeared meanwhile
                    handle.write(data)
            except FileExistsError:
                result.hand_edited.append(shown(ident))
                continue
            record.entries[item.key] = Entry(ident, digest(data))
            result.written.append(shown(ident))
            continue
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            result.removed.append(shown(ident))
            continue
        if digest(current) != entry.digest:
            result.hand_edited.append(shown(ident))
        elif current == data:
            result.unchanged += 1
        elif item.placeholder:
            result.gone_upstream.append(shown(ident))  # keep what it said when it was imported
        else:
            _replace(path, data)
            record.entries[item.key] = Entry(ident, digest(data))
            result.refreshed.append(shown(ident))

    if complete:
        planned_keys = {item.key for item in planned}
        for key in sorted(record.keys(source) - planned_keys):
            if (replies / f"{record.entries[key].reply}.md").exists():  # one deleted by hand too needs no word
                result.gone_upstream.append(shown(record.entries[key].reply))
    record.save()
    return result


def _assign_idents(planned: list[PlannedReply], record: ImportRecord, replies: Path) -> dict[str, str]:
    """Each planned reply's id: as recorded, else its legacy file's, else a fresh, unused one."""
    idents: dict[str, str] = {}
    taken = {entry.reply for entry in record.entries.values()}
    if replies.is_dir():
        taken |= {path.stem for path in replies.glob("*.md")}
    for item in planned:
        entry = record.entries.get(item.key)
        if entry is not None:
            idents[item.key] = entry.reply
        elif item.legacy_ident and (replies / f"{item.legacy_ident}.md").exists() and record.owner(item.legacy_ident) is None:
            idents[item.key] = item.legacy_ident
    taken |= set(idents.values())
    for item in planned:
        if item.key in idents:
            continue
        ident, number = item.ident, 1
        while ident in taken or not REPLY_ID.fullmatch(ident):
            number += 1
            ident = f"{item.ident[:90]}-{number}"
        idents[item.key] = ident
        taken.add(ident)
    return idents


def _text(item: PlannedReply, idents: dict[str, str]) -> str:
    meta = dict(item.meta)
    if item.parent_key in idents:
        # After `date`, where a hand-written reply has it.
        keys = list(meta)
        at = keys.index("date") + 1 if "date" in keys else len(keys)
        meta = {**{key: meta[key] for key in keys[:at]}, "parent": idents[item.parent_key], **{key: meta[key] for key in keys[at:]}}
    body = item.body.strip()
    return front_matter(meta) + (body + "\n" if body else "")


def _unanchored(planned: list[PlannedReply], parsed: dict[str, ParsedReply], target: EssayFile) -> list[str]:
    """The keys of replies whose opening quote is in neither the essay nor a reply above."""
    passages = [text for _, text in target.body.passage_texts if text]
    parent_of = {item.key: item.parent_key for item in planned}
    keys = []
    for item in planned:
        reply = parsed.get(item.key)
        if reply is None or not reply.reply.quotes:
            continue
        quote = reply.reply.quotes[0]
        if quote.elsewhere or not is_checked(quote.text) or any(found_in(quote.text, text) for text in passages):
            continue
        ancestors, current, seen = [], parent_of.get(item.key), {item.key}
        while current and current in parsed and current not in seen:
            seen.add(current)
            ancestors.append(parsed[current])
            current = parent_of.get(current)
        if not any(found_in(quote.text, ancestor.body.text) for ancestor in ancestors):
            keys.append(item.key)
    return keys


def _mark_elsewhere(text: str) -> str:
    """Put the `{.elsewhere}` line before the body's opening quote."""
    end = text.index("---\n", 4) + len("---\n")
    return text[:end] + ELSEWHERE_LINE + text[end:]


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)

"""The import record: what every importer needs to stay idempotent, one file per essay.

`content/<essay>/replies/.imported.json` maps each imported item's source key (such as
`lesswrong:<comment id>`, `staticman:<_id>`, `webmention:<wm-id>`) to the reply file it
became and a digest of the bytes the importer wrote there. With it, importing again
knows which comments it has seen, which files are still exactly as it wrote them (and
may be refreshed), and which the author has edited since (and are left alone).

The record is committed with the essay, never kept in `.postil-cache/`, and holds no
personal data: source keys, file names and digests only. It is a hidden file, so the
build, discovery and the preview's watcher pass it by. It is written only when its
content changes, with sorted keys, so importing the same export twice changes nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ...content.discover import REPLIES_DIR
from ...errors import PostilError, Problem

RECORD_NAME = ".imported.json"
FORMAT = 1


def digest(data: bytes) -> str:
    """How the record remembers a file's bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One imported item: the reply file it became (its id) and the digest of what was written."""

    reply: str
    digest: str


@dataclass
class ImportRecord:
    """The record of one essay bundle; `load`, change `entries`, then `save`."""

    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, bundle: Path) -> ImportRecord:
        """The bundle's record, or an empty one; a damaged file is an error naming it."""
        path = bundle / REPLIES_DIR / RECORD_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PostilError([Problem(str(path), None, None, f"cannot read the import record: {exc}",
                                       "restore it from version control, or delete it to import afresh (hand edits are then not recognised)")]) from None
        entries = data.get("replies") if isinstance(data, dict) else None
        if data.get("format") != FORMAT or not isinstance(entries, dict) or not all(
            isinstance(value, dict) and isinstance(value.get("reply"), str) and isinstance(value.get("digest"), str)
            for value in entries.values()
        ):
            raise PostilError([Problem(str(path), None, None, "the import record is not in a format this postil knows",
                                       "restore it from version control, or delete it to import afresh")])
        return cls(path, {key: Entry(value["reply"], value["digest"]) for key, value in entries.items()})

    def keys(self, source: str) -> set[str]:
        """The keys of every item imported from `source` (such as 'lesswrong')."""
        return {key for key in self.entries if key.startswith(source + ":")}

    def owner(self, reply: str) -> str | None:
        """The key of the item that became reply `reply`, if an importer wrote it."""
        return next((key for key, entry in self.entries.items() if entry.reply == reply), None)

    def text(self) -> str:
        entries = {key: {"reply": entry.reply, "digest": entry.digest} for key, entry in sorted(self.entries.items())}
        return json.dumps({"format": FORMAT, "replies": entries}, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self) -> bool:
        """Write the record if its content changed (atomically); True when it was written."""
        text = self.text()
        try:
            if self.path.read_text(encoding="utf-8") == text:
                return False
        except FileNotFoundError:
            if not self.entries:
                return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)
        return True

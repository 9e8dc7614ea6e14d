"""Likes, reposts and bookmarks of an essay: `content/<essay>/replies/reactions.json`.

`postil import webmentions` writes this file; the build reads it and shows the counts
on the essay ("2 likes · 1 repost"), with the names in a list. Each entry has a
`kind` (like, repost or bookmark), the person's `name`, optionally the `url` of their
site (http or https only) and a `date`; entries are keyed by their source id, so an
import never counts one twice. No photo is kept: the theme never hotlinks one.
The file is written by strangers' data like a reply, so every field is checked again here.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..errors import Report
from ..site.model import Person, Reactions
from .reply import MAX_AUTHOR_LENGTH, MAX_URL_LENGTH, is_author_url

KINDS = ("like", "repost", "bookmark")  # as Reactions.counts() lists them
MAX_BYTES = 1024 * 1024


def read_reactions(site_root: Path, files: Mapping[str, str], report: Report) -> dict[str, Reactions]:
    """Bundle folder → its Reactions, for each reactions file found; problems are warnings."""
    found = {}
    for bundle, path in sorted(files.items()):
        try:
            raw = (site_root / path).read_bytes()
            if len(raw) > MAX_BYTES:
                raise ValueError(f"it is over {MAX_BYTES // 1024} KiB")
            data = json.loads(raw.decode("utf-8"))
            entries = data["reactions"]
            if not isinstance(entries, list):
                raise ValueError("'reactions' must be a list")
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            report.warning(path, None, f"cannot read the reactions: {exc}; none are shown", "restore the file from version control, or import the webmentions again")
            continue
        people: dict[str, list[Person]] = {kind: [] for kind in KINDS}
        for entry in sorted((e for e in entries if isinstance(e, dict)), key=lambda e: (str(e.get("date", "")), str(e.get("id", "")))):
            name = " ".join(str(entry.get("name") or "").split())[:MAX_AUTHOR_LENGTH]
            url = str(entry.get("url") or "").strip()
            kind = entry.get("kind")
            if kind in people and name:
                people[kind].append(Person(name, url if len(url) <= MAX_URL_LENGTH and is_author_url(url) else ""))
        reactions = Reactions(tuple(people["like"]), tuple(people["repost"]), tuple(people["bookmark"]))
        if reactions.counts():
            found[bundle] = reactions
    return found

"""`postil import webmentions FILE`: a webmention.io JF2 feed as replies and reactions.

FILE is what webmention.io's API gives (`/api/mentions.jf2?...`): `{"type": "feed",
"children": [...]}`. Each entry goes to the essay whose page (under base_url, aliases
included) is its `wm-target`:

- `in-reply-to` and `mention-of` become reply files (`wm-<wm-id>.md`) whose `origin` is
  the page that sent it (`wm-source`); a target ending in `#reply-<id>` answers that reply;
- `like-of`, `repost-of` and `bookmark-of` are counted in the essay's
  `replies/reactions.json` (see postil/content/reactions.py), names and sites, never photos;
- `wm-private` entries are never published, and targets that match no essay are listed.

Importing the feed again adds only what is new (by `wm-id`); see sync.py for the rest.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from ...config import Config
from ...content.discover import REACTIONS_FILE, REPLIES_DIR
from ...errors import PostilError, Problem
from ...content.essay import to_datetime
from .essays import EssayFile, EssaysByUrl
from .exports import read_json_export
from .fields import author_name, fitted_body, homepage, no_emails
from .html import html_to_markdown
from .sync import PlannedReply, SyncResult, sync_replies

SOURCE = "webmention"
REPLY_KINDS = ("in-reply-to", "mention-of")
REACTION_KINDS = {"like-of": "like", "repost-of": "repost", "bookmark-of": "bookmark"}


def import_webmentions(site_root: Path, feed: Path, config: Config) -> SyncResult:
    """Import (or sync) every public entry of the feed that is about an essay of the site."""
    entries = _entries(feed)
    essays = EssaysByUrl(site_root, config)
    result = SyncResult()
    private = unknown = added = 0
    replies: dict[int, tuple[EssayFile, list[PlannedReply]]] = {}
    reactions: dict[int, tuple[EssayFile, list[dict]]] = {}
    unmatched: set[str] = set()
    for entry in entries:
        if entry.get("wm-private") is True:
            private += 1
            continue
        kind, target, ident = entry.get("wm-property"), str(entry.get("wm-target") or ""), entry.get("wm-id")
        if ident is None or str(ident).strip() == "":
            result.problems.append(Problem(str(feed), None, None, "an entry has no wm-id; it was left out", "", "warning"))
            continue
        essay = essays.find(target)
        if essay is None:
            unmatched.add(target)
            continue
        if kind in REPLY_KINDS:
            replies.setdefault(id(essay), (essay, []))[1].append(_planned(entry, essay))
        elif kind in REACTION_KINDS:
            reactions.setdefault(id(essay), (essay, []))[1].append(_reaction(entry))
        else:
            unknown += 1
    for essay, planned in replies.values():
        result.merge(sync_replies(essay, SOURCE, planned, config, complete=False))
    for essay, found in reactions.values():
        if essay.file.name != "index.md":
            essay.make_bundle()
            if essay.moved_from:
                result.bundled.append(essay.moved_from.relative_to(site_root).as_posix())
        added += _save_reactions(essay.bundle / REPLIES_DIR / REACTIONS_FILE, found)
    result.notices += [f"{target}: no essay of this site has this address (aliases included); not imported" for target in sorted(unmatched)]
    if private:
        result.notices.append(f"{private} private webmention{'s were' if private != 1 else ' was'} left out: they are never published")
    if unknown:
        result.notices.append(f"{unknown} webmention{'s' if unknown != 1 else ''} of another kind than a reply, mention, like, repost or bookmark left out")
    if added:
        result.added.append(f"{added} new like{'s' if added != 1 else ''}, repost{'s' if added != 1 else ''} or bookmark{'s' if added != 1 else ''}")
    return result


def _entries(feed: Path) -> list[dict]:
    data = read_json_export(feed, "the JF2 feed saved from webmention.io", "save webmention.io's /api/mentions.jf2 answer as it came")
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise PostilError([Problem(str(feed), None, None, "not a JF2 feed: no 'children' list",
                                   'expected {"type": "feed", "children": [...]} from webmention.io')])
    return [child for child in children if isinstance(child, dict)]


def _author(entry: dict) -> tuple[str, str]:
    author = entry.get("author") if isinstance(entry.get("author"), dict) else {}
    source_host = urlsplit(str(entry.get("wm-source") or "")).hostname or "another site"
    return author_name(author.get("name"), f"Someone at {source_host}"), homepage(author.get("url"))


def _planned(entry: dict, essay: EssayFile) -> PlannedReply:
    ident = str(entry["wm-id"]).strip()
    date = to_datetime(entry.get("published")) or to_datetime(entry.get("wm-received"))
    name, url = _author(entry)
    source = homepage(entry.get("wm-source")) or homepage(entry.get("url"))
    meta: dict = {"author": name, "date": date}
    fragment = urlsplit(str(entry.get("wm-target") or "")).fragment
    if fragment.startswith("reply-") and (essay.bundle / REPLIES_DIR / f"{fragment[len('reply-'):]}.md").is_file():
        meta["parent"] = fragment[len("reply-"):]
    if url:
        meta["url"] = url
    if source:
        meta["origin"] = source
    content = entry.get("content") if isinstance(entry.get("content"), dict) else {}
    if isinstance(content.get("html"), str) and content["html"].strip():
        body = html_to_markdown(content["html"])
    elif isinstance(content.get("text"), str):
        body = content["text"]
    else:
        body = ""
    if not body.strip() and source:
        body = f"Mentioned this essay: <{source}>"
    safe_id = "".join(char for char in ident if char.isalnum() or char in "-_")[:60] or "mention"
    return PlannedReply(f"{SOURCE}:{ident}", f"wm-{safe_id}", meta, fitted_body(body, f"at {source}" if source else "at its source"))


def _reaction(entry: dict) -> dict:
    name, url = _author(entry)
    date = to_datetime(entry.get("published")) or to_datetime(entry.get("wm-received"))
    reaction = {"id": f"{SOURCE}:{entry['wm-id']}", "kind": REACTION_KINDS[entry["wm-property"]], "name": no_emails(name)}
    if url:
        reaction["url"] = url
    if date:
        reaction["date"] = date.isoformat().replace("+00:00", "Z")
    return reaction


def _save_reactions(path: Path, found: list[dict]) -> int:
    """Add the new reactions (and refresh known ones) to the file; how many were new."""
    try:
        existing = json.loads(path.read_text(encoding="utf-8")).get("reactions", [])
    except FileNotFoundError:
        existing = []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise PostilError([Problem(str(path), None, None, f"cannot read the reactions: {exc}", "restore it from version control, or delete it to import afresh")]) from None
    by_id = {str(item.get("id")): item for item in existing if isinstance(item, dict)}
    added = sum(reaction["id"] not in by_id for reaction in found)
    by_id.update((reaction["id"], reaction) for reaction in found)
    ordered = sorted(by_id.values(), key=lambda item: (str(item.get("date", "")), str(item.get("id"))))
    text = json.dumps({"format": 1, "reactions": ordered}, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return added

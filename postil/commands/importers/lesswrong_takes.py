"""`postil import lesswrong --takes SOURCE`: a ForumMagnum quick-takes post as takes.

On LessWrong and its sister forums a user's quick takes (once "shortform") are the top-level
comments of one post of theirs, each answered in its own thread. SOURCE is that post's URL
(its comments fetched as lesswrong.py fetches any post's, and the post itself asked for its
`shortform` flag and author) or a saved GraphQL response (which may carry the post beside
the comments, as `data.post.result`).

Each of the author's top-level comments becomes a take, `content/<takes>/<date>-<id>/index.md`,
and the comments under it that take's replies, through sync.py like any import. The take file
follows the same sync rules, kept in its own bundle's import record under the key
`lesswrong-take:<id>`: written once, refreshed while it is as the importer wrote it, left
alone once edited or deleted by hand, kept when deleted upstream.

A take is rendered by the essay pipeline, which trusts raw HTML; what came from the forum
does not deserve that trust, so every raw HTML tag in an imported take is escaped into text.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from ...config import Config
from ...content.discover import CONTENT_DIR, EssaySource, REPLIES_DIR, bundle_url_path
from ...content.essay import Parsed, parse_essay, to_datetime
from ...errors import PostilError, Problem
from .essays import EssayFile
from .exports import read_json_export
from .fields import fitted_body, homepage
from .lesswrong import SOURCE, _POST_PATH, _post, _results, comment_markdown, fetch_comments, plan
from .record import Entry, ImportRecord, digest
from .sync import SyncResult, _replace, _shown, front_matter, sync_replies

TAKE_KEY = f"{SOURCE}-take"
TAKE_FILE = "index"  # what a take's record entry names: the bundle's own index.md

POST_QUERY = """\
query PostilPost($postId: String) {
  post(input: {selector: {_id: $postId}}) {
    result { _id shortform user { displayName slug } }
  }
}
"""


def import_lesswrong_takes(site_root: Path, source: str, config: Config, endpoint: str | None = None) -> SyncResult:
    """Import (or sync) a quick-takes post's top-level comments as takes, with their threads."""
    if urlsplit(source).scheme in ("http", "https"):
        comments = fetch_comments(source, endpoint)
        post = fetch_post(source, endpoint)
    else:
        data = read_json_export(Path(source), "the JSON file saved from the forum's GraphQL API, or the post's URL",
                                "save the GraphQL response as it came, or give the post's URL")
        comments = _results(data, source)
        post = ((data.get("data") or {}).get("post") or {}).get("result") if isinstance(data, dict) else None
    if isinstance(post, dict) and post.get("shortform") is False:
        raise PostilError([Problem(source, None, None, "this post is not a quick-takes (shortform) post",
                                   "import its comments as an essay's replies instead: postil import lesswrong SOURCE --to content/<essay>/")])
    owner = (post.get("user") or {}).get("slug") if isinstance(post, dict) and isinstance(post.get("user"), dict) else None
    return _sync_takes(site_root, comments, owner, source, config)


def fetch_post(post_url: str, endpoint: str | None = None) -> dict | None:
    """The post's `shortform` flag and author, or None when the forum does not say."""
    parts = urlsplit(post_url)
    match = _POST_PATH.match(parts.path)
    if match is None:
        return None
    answer = _post(endpoint or f"{parts.scheme}://{parts.netloc}/graphql", {"query": POST_QUERY, "variables": {"postId": match[1]}})
    result = ((answer.get("data") or {}).get("post") or {}).get("result") if isinstance(answer, dict) else None
    return result if isinstance(result, dict) else None


def _sync_takes(site_root: Path, comments: list[dict], owner: str | None, where: str, config: Config) -> SyncResult:
    result = SyncResult()
    folder = site_root / CONTENT_DIR / config.takes
    children: dict[str, list[dict]] = {}
    for comment in comments:
        children.setdefault(str(comment.get("parentCommentId") or ""), []).append(comment)
    seen: set[str] = set()
    new_takes = 0
    for comment in sorted(children.get("", []), key=lambda c: (str(c.get("postedAt")), str(c.get("_id")))):
        ident, date = str(comment.get("_id") or ""), to_datetime(comment.get("postedAt"))
        if not ident or date is None:
            result.notices.append(f"{where}: a top-level comment lacks an _id or a postedAt date; it was left out")
            continue
        user = comment.get("user") if isinstance(comment.get("user"), dict) else {}
        if owner and user.get("slug") != owner:
            result.notices.append(f"{where}: top-level comment {ident} is by {user.get('slug') or 'someone else'}, not the post's author; it was left out")
            continue
        bundle = folder / _take_name(ident, date)
        seen.add(ident)
        if comment.get("deleted"):
            if (bundle / "index.md").exists():
                result.gone_upstream.append(_shown(bundle / "index.md", site_root))
            continue
        state = _sync_take_file(bundle, ident, _take_text(comment, date), result, site_root)
        if state == "removed":
            continue  # deleted by hand: its thread is not brought back either
        new_takes += state == "written"
        parsed = _parsed_take(site_root, bundle / "index.md", config)
        if parsed is None:
            result.problems.append(Problem(_shown(bundle / "index.md", site_root), None, None,
                                           "this take has errors, so its replies were not imported", "run 'postil build' and fix what it reports"))
            continue
        thread = _descendants(ident, children)
        planned, problems = plan(thread, where)
        result.problems += problems
        result.merge(sync_replies(EssayFile(site_root, bundle / "index.md", parsed.essay, parsed.body), SOURCE, planned, config, complete=True))
    _report_gone(folder, seen, result, site_root)
    if new_takes:
        result.added.append(f"{new_takes} new quick take{'' if new_takes == 1 else 's'}")
    return result


def _take_name(ident: str, date: dt.datetime) -> str:
    """A take's folder: its date, then its forum id (unique, and the same on every import)."""
    return f"{date.astimezone(dt.timezone.utc):%Y-%m-%d}-{re.sub(r'[^a-z0-9]+', '-', ident.lower()).strip('-')[:40]}"


def _take_text(comment: dict, date: dt.datetime) -> str:
    body = comment_markdown(comment)
    origin = homepage(comment.get("pageUrl"))
    meta: dict = {"date": date.astimezone(dt.timezone.utc)}
    if origin:
        meta["extra"] = {"origin": origin}
    body = escape_raw_html(fitted_body(body, f"at {origin}" if origin else "on the forum"))
    return front_matter(meta) + (body.strip() + "\n" if body.strip() else "")


_COMMONMARK = MarkdownIt("commonmark")


def escape_raw_html(markdown: str) -> str:
    """`markdown` with every raw HTML block and tag turned into text ('<' as '&lt;'), so the
    essay pipeline, which passes raw HTML through, shows it instead of running it."""
    for _ in range(3):
        lines = markdown.split("\n")
        spans: list[tuple[int, int, list[str]]] = []
        for token in _COMMONMARK.parse(markdown):
            if token.map is None:
                continue
            if token.type == "html_block":
                spans.append((token.map[0], token.map[1], []))
            elif token.type == "inline" and any(child.type == "html_inline" for child in token.children or ()):
                spans.append((token.map[0], token.map[1], [child.content for child in token.children or () if child.type == "html_inline"]))
        if not spans:
            return markdown
        for start, end, tags in spans:
            text = "\n".join(lines[start:end])
            if tags:
                for tag in tags:
                    text = text.replace(tag, tag.replace("<", "&lt;"))
            else:
                text = text.replace("<", "&lt;")
            lines[start:end] = text.split("\n")
        markdown = "\n".join(lines)
    return markdown.replace("<", "&lt;")  # whatever still parses as HTML after three passes


def _sync_take_file(bundle: Path, ident: str, text: str, result: SyncResult, site_root: Path) -> str:
    """Write, refresh or leave alone one take's file, as sync.py does a reply's; says which."""
    path, data = bundle / "index.md", text.encode("utf-8")
    shown = _shown(path, site_root)
    record = ImportRecord.load(bundle)
    key = f"{TAKE_KEY}:{ident}"
    entry = record.entries.get(key)
    state = "unchanged"
    if entry is None:
        if path.exists():
            state = "unchanged" if path.read_bytes() == data else "hand_edited"
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(path, "xb") as handle:
                    handle.write(data)
                state = "written"
            except FileExistsError:
                state = "hand_edited"
        record.entries[key] = Entry(TAKE_FILE, digest(data))
    elif not path.exists():
        state = "removed"
    elif digest(path.read_bytes()) != entry.digest:
        state = "hand_edited"
    elif path.read_bytes() != data:
        _replace(path, data)
        record.entries[key] = Entry(TAKE_FILE, digest(data))
        state = "refreshed"
    # A new take is counted apart (see `added`): `written` counts the new replies.
    {"refreshed": result.refreshed, "hand_edited": result.hand_edited, "removed": result.removed}.get(state, []).append(shown)
    result.unchanged += state == "unchanged"
    if state != "removed":
        record.save()
    return state


def _parsed_take(site_root: Path, file: Path, config: Config) -> Parsed | None:
    """The take as parsed (its essay and body), or None when it has errors."""
    relative = file.relative_to(site_root).as_posix()
    bundle = relative.rpartition("/")[0]
    parsed = parse_essay(EssaySource(relative, bundle_url_path(bundle), bundle), file.read_bytes(), config)
    return parsed if parsed.essay is not None else None


def _descendants(ident: str, children: dict[str, list[dict]]) -> list[dict]:
    """Every comment under the one with `ident`, its direct answers made top-level (they answer the take)."""
    found, pending = [], [ident]
    while pending:
        for comment in children.get(pending.pop(), ()):
            child = str(comment.get("_id") or "")
            found.append({**comment, "parentCommentId": None} if comment.get("parentCommentId") == ident else comment)
            if child:
                pending.append(child)
    return found


def _report_gone(folder: Path, seen: set[str], result: SyncResult, site_root: Path) -> None:
    """Takes imported before whose comment the forum no longer has: kept, and said so."""
    if not folder.is_dir():
        return
    for record_file in sorted(folder.glob(f"*/{REPLIES_DIR}/.imported.json")):
        record = ImportRecord.load(record_file.parent.parent)
        for key in record.entries:
            if key.startswith(TAKE_KEY + ":") and key.split(":", 1)[1] not in seen and (record_file.parent.parent / "index.md").exists():
                result.gone_upstream.append(_shown(record_file.parent.parent / "index.md", site_root))

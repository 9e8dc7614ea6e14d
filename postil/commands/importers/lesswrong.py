"""`postil import lesswrong SOURCE --to content/<essay>/`: a ForumMagnum thread as replies.

LessWrong, the Alignment Forum and the EA Forum run ForumMagnum. SOURCE is either a
JSON file saved from its GraphQL API (the whole response, `{"data": {"comments":
{"results": [...]}}}`, or the `results` list), or a post's URL, whose comments are then
fetched from the site's `/graphql` endpoint (or `--endpoint`) page by page with the
`comments` query in the `postCommentsTop` view (see QUERY).

Each comment becomes a reply file named by its `_id`; the thread keeps its shape. A
deleted comment with live replies stays as a "[deleted]" placeholder without text; one
without is left out. Retracted comments are marked `retracted: true` and shown struck
through. Importing again is a sync (see sync.py). No e-mail address or private field is
ever asked for or written.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from ... import __version__
from ...config import Config
from ...errors import PostilError, Problem
from ...content.essay import to_datetime
from ...content.reply import REPLY_ID
from .essays import EssayFile
from .exports import read_json_export
from .fields import author_name, fitted_body, homepage
from .footnotes import normalise_footnotes
from .html import html_to_markdown
from .sync import PlannedReply, SyncResult, sync_replies

SOURCE = "lesswrong"
PAGE_SIZE = 500
MAX_PAGES = 200
TIMEOUT_SECONDS = 30
DELETED_ACCOUNT = "[deleted account]"
DELETED = "[deleted]"
_POST_PATH = re.compile(r"^/posts/([A-Za-z0-9]{5,40})(?:/|$)")

# The fields asked for are public; `user` gives only the display name and profile slug.
QUERY = """\
query PostilComments($postId: String, $limit: Int, $offset: Int) {
  comments(input: {terms: {view: "postCommentsTop", postId: $postId, limit: $limit, offset: $offset}}) {
    results {
      _id
      parentCommentId
      postedAt
      baseScore
      extendedScore
      deleted
      retracted
      pageUrl
      user { displayName slug }
      contents { markdown }
      htmlBody
    }
  }
}
"""


def import_lesswrong(target: EssayFile, source: str, config: Config, endpoint: str | None = None) -> SyncResult:
    """Import (or sync) one post's comments into `target`'s replies."""
    comments = fetch_comments(source, endpoint) if _is_url(source) else read_export(Path(source))
    planned, problems = plan(comments, source)
    result = sync_replies(target, SOURCE, planned, config, complete=True)
    result.problems = problems + result.problems
    return result


def _is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def read_export(path: Path) -> list[dict]:
    """The comments of a saved GraphQL response, or of its `results` list."""
    data = read_json_export(path, "the JSON file saved from the forum's GraphQL API, or the post's URL",
                            "save the GraphQL response as it came, or give the post's URL")
    return _results(data, str(path))


def _results(data: object, where: str) -> list[dict]:
    if isinstance(data, dict) and data.get("errors") and not (data.get("data") or {}).get("comments"):
        messages = "; ".join(str(error.get("message", error)) if isinstance(error, dict) else str(error) for error in data["errors"])
        raise PostilError([Problem(where, None, None, f"the forum answered with errors: {messages[:300]}", "check the post id, or try again later")])
    if isinstance(data, dict):
        data = ((data.get("data") or {}).get("comments") or {}).get("results") if "data" in data else data.get("results")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PostilError([Problem(where, None, None, "no list of comments here",
                                   'expected {"data": {"comments": {"results": [...]}}} or the results list itself')])
    return data


def fetch_comments(post_url: str, endpoint: str | None = None) -> list[dict]:
    """Every comment of the post at `post_url`, page by page, each once."""
    parts = urlsplit(post_url)
    match = _POST_PATH.match(parts.path)
    if match is None:
        raise PostilError([Problem(post_url, None, None, "not the URL of a post",
                                   "give the post's address, such as https://www.lesswrong.com/posts/<postId>/<slug>")])
    endpoint = endpoint or f"{parts.scheme}://{parts.netloc}/graphql"
    comments: dict[str, dict] = {}
    offset = 0
    for _ in range(MAX_PAGES):
        # Until a page brings nothing new: a server may cap `limit` below what was asked.
        variables = {"postId": match[1], "limit": PAGE_SIZE, "offset": offset}
        results = _results(_post(endpoint, {"query": QUERY, "variables": variables}), endpoint)
        before = len(comments)
        for comment in results:
            comments.setdefault(str(comment.get("_id")), comment)
        if len(comments) == before:
            break
        offset += len(results)
    return list(comments.values())


def _post(endpoint: str, payload: dict) -> object:
    request = urllib.request.Request(
        endpoint, data=json.dumps(payload).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "User-Agent": f"postil/{__version__} (comment import)"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        problem = f"the forum answered HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        problem = f"could not reach the forum: {getattr(exc, 'reason', exc)}"
    except (UnicodeDecodeError, json.JSONDecodeError):
        problem = "the forum's answer is not JSON"
    raise PostilError([Problem(endpoint, None, None, problem, "try again later, or save the export to a file and import that (see the README)")])


def plan(comments: list[dict], where: str) -> tuple[list[PlannedReply], list[Problem]]:
    """Planned replies for the comments, parents before their replies; bad comments as problems."""
    problems: list[Problem] = []
    by_id: dict[str, dict] = {}
    for index, comment in enumerate(comments):
        ident = str(comment.get("_id") or "")
        date = to_datetime(comment.get("postedAt"))
        if not ident or date is None:
            problems.append(Problem(where, None, None, f"comment {index + 1} lacks {'_id' if not ident else 'a postedAt date'}; it was left out", "", "warning"))
            continue
        by_id.setdefault(ident, comment)
    children: dict[str, list[str]] = {}
    for ident, comment in by_id.items():
        parent = str(comment.get("parentCommentId") or "")
        children.setdefault(parent if parent in by_id else "", []).append(ident)

    def live(ident: str) -> bool:
        return not by_id[ident].get("deleted") or any(live(child) for child in children.get(ident, ()))

    planned: list[PlannedReply] = []
    order = sorted(by_id, key=lambda ident: (to_datetime(by_id[ident]["postedAt"]), ident))
    placed: set[str] = set()

    def place(ident: str) -> None:  # parents first, so a thread reads top-down in the record too
        if ident in placed:
            return
        placed.add(ident)
        comment = by_id[ident]
        parent = str(comment.get("parentCommentId") or "")
        if parent in by_id:
            place(parent)
        if live(ident):
            planned.append(_planned(comment, parent if parent in by_id else ""))

    for ident in order:
        place(ident)
    return planned, problems


def _planned(comment: dict, parent: str) -> PlannedReply:
    ident = str(comment["_id"])
    reply_id = ident if REPLY_ID.fullmatch(ident) else "lw-" + re.sub(r"[^A-Za-z0-9_-]", "-", ident)[:90]
    date = to_datetime(comment["postedAt"])
    assert date is not None
    date = date.astimezone(dt.timezone.utc)
    key = f"{SOURCE}:{ident}"
    parent_key = f"{SOURCE}:{parent}" if parent else ""
    if comment.get("deleted"):
        return PlannedReply(key, reply_id, {"author": DELETED, "date": date}, "", parent_key, placeholder=True)
    user = comment.get("user") if isinstance(comment.get("user"), dict) else None
    origin = homepage(comment.get("pageUrl"))
    meta: dict = {"author": author_name(user.get("displayName") or user.get("slug"), DELETED_ACCOUNT) if user else DELETED_ACCOUNT, "date": date}
    if user and origin and isinstance(user.get("slug"), str) and re.fullmatch(r"[A-Za-z0-9_-]{1,100}", user["slug"]):
        parts = urlsplit(origin)
        meta["url"] = f"{parts.scheme}://{parts.netloc}/users/{user['slug']}"
    if origin:
        meta["origin"] = origin
    if isinstance(comment.get("baseScore"), (int, float)) and not isinstance(comment.get("baseScore"), bool):
        meta["score"] = round(comment["baseScore"])
    extended = comment.get("extendedScore")
    if isinstance(extended, dict) and isinstance(extended.get("agreement"), (int, float)) and not isinstance(extended.get("agreement"), bool):
        meta["agreement"] = round(extended["agreement"])
    if comment.get("retracted") is True:
        meta["retracted"] = True
    return PlannedReply(key, reply_id, meta, fitted_body(comment_markdown(comment), f"at {origin}" if origin else "on the forum"), parent_key)


def comment_markdown(comment: dict) -> str:
    """A comment's text as Markdown: the forum's own Markdown when the export has it, else
    its HTML converted (hostile HTML cleaned on the way), footnotes made postil's."""
    contents = comment.get("contents") if isinstance(comment.get("contents"), dict) else {}
    markdown = contents.get("markdown")
    if isinstance(markdown, str) and markdown.strip():
        return normalise_footnotes(markdown)
    html = comment.get("htmlBody") or contents.get("html") or ""
    return html_to_markdown(html) if isinstance(html, str) else ""

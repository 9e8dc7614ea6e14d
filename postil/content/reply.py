"""One reply file in, one `Reply` (or its problems) out.

A reply is `content/<bundle>/replies/<id>.md`: front matter with `author` and `date`
(required; a draft may lack its date), `parent`, `url`, `score`, `agreement`, `origin` (where an imported reply was
first published), `retracted` and `draft` (optional), then a Markdown body.
Replies come from strangers, so every field is checked: structural fields (author, date,
parent, draft, the id) are errors when wrong; decorations (url, score, agreement) are dropped
with a warning, so one odd homepage does not hold back the whole site. Pure, like
`parse_essay`: the result depends only on the file's bytes, its path and the config.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import Config
from ..errors import Problem, did_you_mean
from .frontmatter import FrontMatterError, decode, split
from ..markdown import Highlight, OverLimit, render_markdown
from ..markdown.reply import ReplySummary, reply_markdown, sanitise
from ..site.model import Quote, Reply, ReplyBody
from ..site.paths import resolve_links
from .essay import to_datetime

MAX_BYTES = 64 * 1024
MAX_AUTHOR_LENGTH = 100
MAX_URL_LENGTH = 2000
MAX_COUNT = 10**9
KNOWN_KEYS = ("author", "date", "parent", "url", "score", "agreement", "origin", "retracted", "draft")
REPLY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class ParsedReply:
    reply: Reply | None
    problems: tuple[Problem, ...]
    body: ReplyBody | None = None  # the reply's HTML and texts (None: no reply, or kept elsewhere by a cache)


def reply_id(path: str) -> str:
    """The reply's id: its file name without `.md`."""
    return posixpath.basename(path)[: -len(".md")]


def doc_id(ident: str, bundle_dir: str) -> str:
    """The prefix of every id inside a reply's HTML.

    Reply ids are unique within one essay only, but /replies/ and the author pages show
    replies of many essays on one page; a short hash of the essay's folder keeps the ids
    of their footnotes apart there too.
    """
    return f"reply-{ident}-{hashlib.sha1(bundle_dir.encode('utf-8')).hexdigest()[:4]}"


def is_author_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"[\s\"'<>`\\]", url)


def _validated_fields(path: str, ident: str, meta: dict, lines: dict[str, int]) -> tuple[dict, list[Problem]]:
    """Every front matter field checked; bad structural fields are errors, bad decorations warnings."""
    problems: list[Problem] = []

    def problem(key: str, message: str, hint: str, severity: str = "error") -> None:
        problems.append(Problem(path, lines.get(key, 2), None, message, hint, severity))

    for key in meta:
        if key not in KNOWN_KEYS:
            problem(str(key), f"unknown reply key '{key}'", did_you_mean(str(key), KNOWN_KEYS) or f"reply keys are: {', '.join(KNOWN_KEYS)}", "warning")

    author = meta.get("author")
    if author is not None and not isinstance(author, str):
        problem("author", f"'author' must be text, not {type(author).__name__}", "write 'author: \"Their Name\"'")
        author = ""
    elif not author or not author.strip():
        problem("author", "missing or empty 'author'", "add a line 'author: Their Name'")
        author = ""
    elif len(author) > MAX_AUTHOR_LENGTH or _CONTROL.search(author):
        problem("author", f"'author' must be one line of at most {MAX_AUTHOR_LENGTH} characters", "shorten the name")
    author = " ".join(str(author).split())

    date = to_datetime(meta.get("date")) if meta.get("date") is not None else None
    # A draft may lack its date (a reply sent from a page without JavaScript): publishing fills it in.
    if date is None and not (meta.get("date") is None and meta.get("draft") is True):
        problem("date", "missing or invalid 'date'" if "date" in meta else "missing 'date'", "write an ISO date such as 2026-03-14T10:12:00Z")

    parent = meta.get("parent")
    if parent is None or parent == "":
        parent = ""
    elif not isinstance(parent, (str, int)) or isinstance(parent, bool) or not REPLY_ID.fullmatch(str(parent)):
        problem("parent", f"'parent' must be the id of another reply (its file name without .md), not {str(parent)[:60]!r}", "write 'parent: r12' or remove the line for a top-level reply")
        parent = ""
    parent = str(parent)
    if parent == ident:
        problem("parent", "reply names itself as its parent", "set 'parent' to the reply it answers, or remove it")

    def web_address(key: str, what: str) -> str:
        """An optional http(s) address; a bad one is left out with a warning."""
        value = meta.get(key)
        if value is None or value == "":
            return ""
        if not isinstance(value, str) or len(value) > MAX_URL_LENGTH or not is_author_url(value.strip()):
            problem(key, f"'{key}' must be {what}; it was left out", "fix the address or remove the line", "warning")
            return ""
        return value.strip()

    url = web_address("url", "an http:// or https:// address")
    origin = web_address("origin", "the http:// or https:// address the reply was first published at")

    retracted = meta.get("retracted", False)
    if not isinstance(retracted, bool):
        problem("retracted", "'retracted' must be true or false; it was left out", "write 'retracted: true'", "warning")
        retracted = False

    # A draft decides whether a stranger's words are published: anything but yes or no is an error.
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problem("draft", f"'draft' must be true or false, not {str(draft)[:60]!r}", "write 'draft: true' to hold the reply back, or remove the line to publish it")
        draft = True

    counts = {}
    for key in ("score", "agreement"):
        value = meta.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_COUNT):
            counts[key] = value
        else:
            problem(key, f"'{key}' must be a whole number; it was left out", f"write '{key}: 3'", "warning")
            counts[key] = None

    return {"author": author, "date": date, "parent": parent, "url": url, "origin": origin, "retracted": retracted,
            "draft": draft, **counts}, problems


def parse_reply(path: str, bundle_dir: str, page_path: str, raw: bytes, config: Config, highlight: Highlight | None = None) -> ParsedReply:
    """Parse a reply file; every problem found is returned, none raised.

    Relative links are resolved against `page_path`, the site path of the reply's essay,
    so they still work where the reply is shown away from its essay. The result depends
    on the file, the config and that path only (`highlight`, as for parse_essay, changes
    only how fast code is highlighted).
    """
    if len(raw) > MAX_BYTES:
        return ParsedReply(None, (Problem(path, None, None, f"reply is {len(raw) / 1024:.0f} KiB; the limit is 64 KiB", "shorten it, or split it into two replies"),))
    ident = reply_id(path)
    if not REPLY_ID.fullmatch(ident):
        return ParsedReply(None, (Problem(path, None, None, f"reply file name {ident!r} is not a usable id", "name reply files with letters, digits, '-' and '_' only, such as 'r12.md'"),))
    try:
        parts = split(decode(raw, path), path)
    except FrontMatterError as exc:
        return ParsedReply(None, (exc.problem,))

    fields, problems = _validated_fields(path, ident, parts.meta, parts.key_lines)
    if any(p.severity == "error" for p in problems):
        return ParsedReply(None, tuple(problems))

    prefix = doc_id(ident, bundle_dir)
    env: dict = {"page_path": page_path}
    try:
        rendered = render_markdown(reply_markdown(), parts.body, first_line=parts.body_line, base_path=config.base_path, doc_id=prefix, env=env, highlight=highlight)
    except OverLimit as exc:
        return ParsedReply(None, (*problems, Problem(path, exc.line, None, exc.message, exc.hint)))
    problems += [Problem(path, line, None, message, hint, "warning") for line, message, hint in rendered.problems]
    summary: ReplySummary = env["reply_summary"]
    quote = summary.quote

    reply = Reply(
        source=path,
        id=ident,
        bundle_dir=bundle_dir,
        page_path=page_path,
        author=fields["author"],
        url=fields["url"],
        date=fields["date"],
        parent=fields["parent"],
        score=fields["score"],
        agreement=fields["agreement"],
        origin=fields["origin"],
        retracted=fields["retracted"],
        quotes=(Quote(quote.line + parts.body_line, quote.text, quote.elsewhere),) if quote else (),
        links=resolve_links(page_path, rendered.links),
        key_lines=parts.key_lines,
        draft=fields["draft"],
    )
    return ParsedReply(reply, tuple(problems), ReplyBody(sanitise(rendered.html, prefix), summary.text, summary.excerpt))

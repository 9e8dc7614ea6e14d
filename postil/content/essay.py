"""One essay file in, one `Essay` (or its problems) out.

Pure: the result depends only on the file's bytes, its path and the config, which is
what makes it safe to cache per file and to run in parallel.
"""
from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass

from ..config import Config
from .discover import EssaySource
from ..errors import Problem, did_you_mean
from .frontmatter import FrontMatterError, decode, split
from ..markdown import Features, Highlight, OverLimit, Rendered, essay_markdown, render_markdown
from ..site.model import Body, Essay
from ..site.paths import link_targets, resolve_links
from .takes import is_take, misplaced_problem, take_doc_id, title_from_words

REPLY_MODES = ("open", "closed", "hidden")
KNOWN_KEYS = (
    "title", "date", "updated", "summary", "tags", "draft", "aliases", "slug",
    "author", "toc", "in_reply_to", "replies", "extra",
)
SUMMARY_WORDS = 40


@dataclass(frozen=True, slots=True)
class Parsed:
    essay: Essay | None
    problems: tuple[Problem, ...]
    body: Body | None = None  # the essay's rendered body (None: no essay, or kept elsewhere by a cache)


# The last few bodies rendered, by what they were rendered from: a save which changed only
# the front matter (a title, tags, a summary: the preview then re-parses the file) renders
# nothing again. Few: each worker of a cold build keeps them too.
_RECENT_BODIES = 4
_recent: dict[tuple[str, int, str, Features, str], Rendered] = {}


def _render_body(body: str, first_line: int, base_path: str, features: Features, highlight: Highlight | None, doc_id: str = "") -> Rendered:
    """An essay's body rendered, or as rendered lately (`highlight` changes how fast, never what)."""
    key = (body, first_line, base_path, features, doc_id)
    rendered = _recent.pop(key, None)
    if rendered is None:
        rendered = render_markdown(essay_markdown(features), body, first_line=first_line, base_path=base_path, doc_id=doc_id, highlight=highlight)
    _recent[key] = rendered
    if len(_recent) > _RECENT_BODIES:
        del _recent[next(iter(_recent))]
    return rendered


def markdown_features(config: Config) -> Features:
    """The optional Markdown syntax a site's essays are written in."""
    return Features(config.obsidian_wikilinks, config.obsidian_callouts, config.obsidian_highlights,
                    config.obsidian_comments, config.markdown_link_resolution)


def to_datetime(value: object) -> dt.datetime | None:
    """A date or datetime from YAML (or an ISO string) as an aware datetime; naive means UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return None


def safe_site_path(value: str) -> bool:
    """A path that stays inside the site: relative, no '..', no backslash, no scheme."""
    if not value or "\\" in value or "\0" in value or ":" in value.split("/")[0] or value.startswith("//"):
        return False
    return ".." not in value.strip("/").split("/")


class _Fields:
    """Validates front matter values, collecting one problem per bad field."""

    def __init__(self, path: str, meta: dict, key_lines: dict[str, int]):
        self.path, self.meta, self.key_lines = path, meta, key_lines
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str, hint: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, self.key_lines.get(key, 2), None, message, hint, severity))

    def text(self, key: str, required: bool = False) -> str:
        value = self.meta.get(key)
        if value is None:
            if required:
                self.problem(key, f"missing '{key}'", f"add a line '{key}: …' to the front matter")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(key, f"'{key}' must be text, not {type(value).__name__}", f"write '{key}: some text'")
            return ""
        text = str(value).strip()
        if required and not text:
            self.problem(key, f"'{key}' is empty", f"give the essay a {key}")
        return text

    def date(self, key: str, required: bool = False) -> dt.datetime | None:
        value = self.meta.get(key)
        if value is None:
            if required:
                self.problem(key, f"missing '{key}'", f"add a line '{key}: 2026-01-31' to the front matter")
            return None
        parsed = to_datetime(value)
        if parsed is None:
            self.problem(key, f"'{key}' is not a date: {value!r}", "write an ISO date such as 2026-01-31 or 2026-01-31T09:30:00+01:00")
        return parsed

    def flag(self, key: str) -> bool:
        value = self.meta.get(key, False)
        if not isinstance(value, bool):
            self.problem(key, f"'{key}' must be true or false, not {value!r}", f"write '{key}: true' or '{key}: false'")
            return False
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [part for part in value.split(",")]
        if not isinstance(value, list) or not all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value):
            self.problem(key, f"'{key}' must be a list of text", f"write '{key}: [one, two]'")
            return ()
        items = (str(item).strip() for item in value)
        return tuple(dict.fromkeys(item for item in items if item))


def _url_path(source: EssaySource, slug: str) -> str:
    if not slug:
        return source.url_path
    parent = posixpath.dirname(source.url_path.rstrip("/"))
    return f"{parent}/{slug}/" if parent else f"{slug}/"


def normalise_alias(alias: str) -> str:
    """An alias as an output path: '/old/page/' → 'old/page/', '/old.html' stays a file."""
    path = alias.strip().lstrip("/")
    if not path.endswith("/") and not posixpath.splitext(path)[1]:
        path += "/"
    return path


def parse_essay(source: EssaySource, raw: bytes, config: Config, highlight: Highlight | None = None) -> Parsed:
    """Parse an essay file; every problem found is returned, none raised. `highlight`, if
    given, highlights its code blocks in place of the Markdown pipeline's own."""
    path = source.path
    if len(raw) > config.max_file_size:
        return Parsed(None, (Problem(
            path, None, None, f"file is {len(raw):,} bytes, over the limit of {config.max_file_size:,} (max_file_size)",
            "split it into several essays, or raise tool.postil.max_file_size in pyproject.toml",
        ),))
    try:
        text = decode(raw, path)
        parts = split(text, path)
    except FrontMatterError as exc:
        return Parsed(None, (exc.problem,))

    fields = _Fields(path, parts.meta, parts.key_lines)
    for key in parts.meta:
        if key not in KNOWN_KEYS:
            hint = did_you_mean(str(key), KNOWN_KEYS) or "put your own data under 'extra:'"
            fields.problem(str(key), f"unknown front matter key '{key}'", hint, "warning")

    misplaced = misplaced_problem(source, parts.meta, parts.key_lines, config)
    if misplaced is not None:
        return Parsed(None, (misplaced,))
    take = is_take(source, config)  # a quick take: its title is optional, its ids its own (see content/takes.py)
    title = fields.text("title", required=not take)
    date = fields.date("date", required=True)
    updated = fields.date("updated")
    slug = fields.text("slug")
    if slug and (not safe_site_path(slug) or "/" in slug):
        fields.problem("slug", f"'slug' must be one path segment inside the site, not {slug!r}", "use letters, digits and hyphens, e.g. 'slug: my-essay'")
        slug = ""
    aliases = []
    for alias in fields.text_list("aliases"):
        if not safe_site_path(alias.lstrip("/")) or alias.startswith("//"):
            fields.problem("aliases", f"alias {alias!r} points outside the site", "write aliases as site paths such as '/old/path/'")
        else:
            aliases.append(normalise_alias(alias))
    replies_mode = fields.text("replies") or "open"
    if replies_mode not in REPLY_MODES:
        fields.problem("replies", f"'replies' must be one of {', '.join(REPLY_MODES)}, not {replies_mode!r}", "pick one of those")
        replies_mode = "open"
    extra = parts.meta.get("extra") or {}
    if not isinstance(extra, dict):
        fields.problem("extra", "'extra' must be a mapping", "write 'extra:' then indented 'key: value' lines")
        extra = {}

    summary = fields.text("summary")
    tags = fields.text_list("tags")
    draft = fields.flag("draft")
    toc = fields.flag("toc")
    author = fields.text("author") or config.author
    in_reply_to = fields.text("in_reply_to")
    if any(p.severity == "error" for p in fields.problems):
        return Parsed(None, tuple(fields.problems))

    try:
        rendered = _render_body(parts.body, parts.body_line, config.base_path, markdown_features(config), highlight, take_doc_id(path, config) if take else "")
    except OverLimit as exc:
        return Parsed(None, (*fields.problems, Problem(path, exc.line, None, exc.message, exc.hint)))
    problems = fields.problems + [Problem(path, line, None, message, hint, "warning") for line, message, hint in rendered.problems]
    if not summary:
        words = rendered.first_paragraph.split()
        summary = " ".join(words[:SUMMARY_WORDS]) + ("…" if len(words) > SUMMARY_WORDS else "")
    if take and not title:
        title = title_from_words(rendered.first_paragraph, f"Take of {date:%Y-%m-%d}")  # type: ignore[union-attr]
    url_path = _url_path(source, slug)
    links = resolve_links(url_path, rendered.links)
    essay = Essay(
        source=path,
        url_path=url_path,
        title=title,
        date=date,
        updated=updated,
        summary=summary,
        tags=tags,
        draft=draft,
        aliases=tuple(aliases),
        author=author,
        toc=toc,
        in_reply_to=in_reply_to,
        replies_mode=replies_mode,
        extra=extra,
        headings=rendered.headings,
        links=links,
        word_count=rendered.word_count,
        bundle_dir=source.bundle_dir,
        key_lines=parts.key_lines,
        link_targets=link_targets(links),
        references=rendered.references,
        take=take,
    )
    return Parsed(essay, tuple(problems), Body(rendered.passages, rendered.section_leads))

"""Start things: a new essay, a new reply, a new site. Never overwrites a file.

Every command here refuses, naming the file in the way, rather than replace something
an author wrote. Files are created with exclusive mode ('x'), so even a file that appears
between the check and the write is never clobbered.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from text_unidecode import unidecode

from .config import CONFIG_FILE
from .discover import CONTENT_DIR, REPLIES_DIR, discover
from .errors import PostilError, Problem, Report

SLUG_MAX_LENGTH = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
REPLY_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def slug_from_title(title: str) -> str:
    """A URL slug: transliterated to ASCII, lower case, words joined by hyphens.

    "Über Fußnoten" → "uber-fussnoten", "東京の本屋" → "dong-jing-noben-wu". Titles that
    leave nothing (all punctuation or emoji) give "", and the caller picks a fallback.
    Long titles are cut at a word boundary to SLUG_MAX_LENGTH characters.
    """
    slug = _NOT_SLUG.sub("-", unidecode(title).lower()).strip("-")
    if len(slug) > SLUG_MAX_LENGTH:
        cut = slug[: SLUG_MAX_LENGTH + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:SLUG_MAX_LENGTH]
    return slug


def _refuse(path: Path, root: Path, message: str, hint: str) -> PostilError:
    return PostilError([Problem(_shown(path, root), None, None, message, hint)])


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _front_matter(meta: dict) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


def _create(path: Path, text: str, root: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise _refuse(path, root, "file already exists", "nothing was written; choose another title or remove the file") from None


def _in_reply_to(value: str, site_root: Path) -> str:
    """A URL, a site path ('/essay/'), or an essay file (content/essay.md) turned into its site path."""
    if urlsplit(value).scheme in ("http", "https"):
        return value
    file = Path(value) if Path(value).is_absolute() else site_root / value
    if file.is_file() or (file / "index.md").is_file():
        relative = _shown(file.resolve(), (site_root / CONTENT_DIR).resolve())
        stem = relative.removesuffix(".md").removesuffix("index").rstrip("/")
        return f"/{stem}/" if stem else "/"
    if value.startswith("/"):
        return value
    raise PostilError([Problem("postil", None, None, f"--reply-to {value!r} is neither a URL, a site path nor an essay file",
                               "give an https:// URL, a site path such as '/other-essay/', or a file such as content/other-essay.md")])


def new_essay(site_root: Path, title: str, *, tags: list[str] | None = None, bundle: bool = False,
              reply_to: str = "", today: dt.date | None = None) -> Path:
    """Create a draft essay for `title`; return its path. Refuses if its file or URL is taken."""
    today = today or dt.date.today()
    if not title.strip():
        raise PostilError([Problem("postil", None, None, "the title is empty", 'give a title: new "My essay"')])
    slug = slug_from_title(title) or f"essay-{today.isoformat()}"
    content = site_root / CONTENT_DIR
    single, folder = content / f"{slug}.md", content / slug
    # content/x.md, content/x/index.md and content/X.md all want the URL /x/.
    taken = {source.url_path.casefold(): source.path for source in discover(site_root, Report()).essays}
    if f"{slug}/" in taken:
        raise _refuse(site_root / taken[f"{slug}/"], site_root, f"an essay already exists at /{slug}/",
                      "nothing was written; choose another title or edit that file")
    meta: dict = {"title": title.strip(), "date": today, "draft": True}
    if tags:
        meta["tags"] = tags
    if reply_to:
        meta["in_reply_to"] = _in_reply_to(reply_to, site_root)
    path = folder / "index.md" if bundle else single
    _create(path, _front_matter(meta) + "\nWrite here.\n", site_root)
    return path


def _find_essay(site_root: Path, essay: str) -> Path:
    """An essay file from a file path, a bundle folder or a site path ('/essay/')."""
    given = Path(essay) if Path(essay).is_absolute() else site_root / essay
    for candidate in (given, given / "index.md"):
        if candidate.is_file() and candidate.suffix == ".md":
            return candidate
    wanted = essay.strip("/") + "/"
    for source in discover(site_root, Report()).essays:
        if source.url_path == wanted:
            return site_root / source.path
    raise PostilError([Problem("postil", None, None, f"no essay {essay!r}",
                               "give the essay's file (content/x.md), its bundle folder, or its site path (/x/)")])


def _into_bundle(essay_file: Path, site_root: Path) -> Path:
    """Move content/x.md to content/x/index.md: same URL, and now it can hold replies."""
    if essay_file.name == "index.md":
        return essay_file
    folder = essay_file.with_suffix("")
    if folder.exists():
        raise _refuse(folder, site_root, "cannot turn the essay into a bundle: this folder already exists",
                      f"move {essay_file.name} to {_shown(folder, site_root)}/index.md yourself")
    folder.mkdir()
    target = folder / "index.md"
    essay_file.rename(target)
    return target


def _fresh_reply_id(replies: Path, author: str, today: dt.date) -> str:
    """'2026-03-14-ada', then '2026-03-14-ada-2', … : readable, sorted by date, never reused."""
    base = f"{today.isoformat()}-{slug_from_title(author) or 'reader'}"
    candidate, number = base, 1
    while (replies / f"{candidate}.md").exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def new_reply(site_root: Path, essay: str, author: str, *, parent: str = "", now: dt.datetime | None = None) -> Path:
    """Create a draft reply to `essay` (moving a single-file essay into a bundle first); return its path.

    The reply is marked `draft: true`, so its placeholder is never published by accident.
    """
    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    if not author.strip():
        raise PostilError([Problem("postil", None, None, "the author is empty", "give --author NAME")])
    essay_file = _find_essay(site_root, essay)
    replies = essay_file.parent / REPLIES_DIR if essay_file.name == "index.md" else essay_file.with_suffix("") / REPLIES_DIR
    if parent and not (replies / f"{parent}.md").is_file():
        known = sorted(path.stem for path in replies.glob("*.md")) if replies.is_dir() else []
        hint = f"known replies: {', '.join(known)}" if known else "this essay has no replies yet; leave out --parent"
        raise PostilError([Problem(_shown(replies, site_root), None, None, f"no reply {parent!r} to answer", hint)])
    essay_file = _into_bundle(essay_file, site_root)
    replies = essay_file.parent / REPLIES_DIR
    meta: dict = {"author": author.strip(), "date": now}
    if parent:
        meta["parent"] = parent
    meta["draft"] = True  # held back until someone has written it and removed this line
    path = replies / f"{_fresh_reply_id(replies, author, now.date())}.md"
    _create(path, _front_matter(meta) + "\nWrite the reply here.\n", site_root)
    return path


SITE_CONFIG = """\
# A postil site. Build it with `postil build`; the pages go to public/.
[tool.postil]
title = {title}
base_url = "https://example.org/"  # where the site will be published, sub-path included
author = ""
description = ""
language = "en"
"""

FIRST_ESSAY = """\
This is your first essay. Edit it, or write another with `postil new "A title"`.

Footnotes work like this.[^first] Link to another essay by its site path, such as `/its-slug/`.

[^first]: A footnote, shown at the end of the essay.
"""


def init_site(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Create a site in `folder`: pyproject.toml and a first essay. Refuses if either exists."""
    today = today or dt.date.today()
    config, essay = folder / CONFIG_FILE, folder / CONTENT_DIR / "hello.md"
    for existing in (config, folder / CONTENT_DIR):
        if existing.exists():
            raise _refuse(existing, Path.cwd(), "already exists; init never overwrites", "pick an empty or new folder")
    title = folder.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "My essays"
    _create(config, SITE_CONFIG.format(title=_toml_string(title)), Path.cwd())
    meta = {"title": "Hello", "date": today, "tags": ["meta"]}
    _create(essay, _front_matter(meta) + "\n" + FIRST_ESSAY, Path.cwd())
    return [config, essay]


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

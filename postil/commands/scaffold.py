"""Start things: a new essay, a new reply, a new site. Never overwrites a file.

Every command here refuses, naming the file in the way, rather than replace something
an author wrote. Files are created with exclusive mode ('x'), so even a file that appears
between the check and the write is never clobbered.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from text_unidecode import unidecode

from ..config import CONFIG_FILE
from ..content.discover import CONTENT_DIR, REPLIES_DIR, discover
from ..errors import PostilError, Problem, Report

SLUG_MAX_LENGTH = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


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


def _in_reply_to(value: str, site_root: Path, here: Path) -> str:
    """A URL, a site path ('/essay/'), or an essay file (content/essay.md) turned into its site path."""
    if urlsplit(value).scheme in ("http", "https"):
        return value
    file = here / value
    if file.is_file() or (file / "index.md").is_file():
        relative = _shown(file.resolve(), (site_root / CONTENT_DIR).resolve())
        stem = relative.removesuffix(".md").removesuffix("index").rstrip("/")
        return f"/{stem}/" if stem else "/"
    if value.startswith("/"):
        return value
    raise PostilError([Problem("postil", None, None, f"--reply-to {value!r} is neither a URL, a site path nor an essay file",
                               "give an https:// URL, a site path such as '/other-essay/', or a file such as content/other-essay.md")])


def new_essay(site_root: Path, title: str, *, tags: list[str] | None = None, bundle: bool = False,
              reply_to: str = "", today: dt.date | None = None, here: Path | None = None) -> Path:
    """Create a draft essay for `title`; return its path. Refuses if its file or URL is taken.
    A file given as `reply_to` is relative to `here` (where the user is; the site root by default)."""
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
        meta["in_reply_to"] = _in_reply_to(reply_to, site_root, here or site_root)
    path = folder / "index.md" if bundle else single
    _create(path, _front_matter(meta) + "\nWrite here.\n", site_root)
    return path


def find_essay(site_root: Path, essay: str, here: Path) -> Path:
    """An essay file from a file path or a bundle folder, relative to `here` (or what will
    be a bundle: content/x/ for content/x.md), or from a site path ('/essay/')."""
    given = here / essay
    for candidate in (given, given / "index.md", given.with_name(given.name + ".md")):
        if candidate.is_file() and candidate.suffix == ".md":
            return candidate
    wanted = essay.strip("/") + "/"
    for source in discover(site_root, Report()).essays:
        if source.url_path == wanted:
            return site_root / source.path
    raise PostilError([Problem("postil", None, None, f"no essay {essay!r}",
                               "give the essay's file (content/x.md), its bundle folder, or its site path (/x/)")])


def into_bundle(essay_file: Path, site_root: Path) -> Path:
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


@dataclass(frozen=True)
class NewReply:
    """A reply file just made, and the essay's move into a bundle when it needed one."""

    path: Path
    moved: tuple[Path, Path] | None = None  # (content/x.md, content/x/index.md)


def new_reply(site_root: Path, essay: str, author: str, *, parent: str = "", now: dt.datetime | None = None,
              here: Path | None = None) -> NewReply:
    """Create a draft reply to `essay` (moving a single-file essay into a bundle first). A
    file or folder given as `essay` is relative to `here` (the site root by default).

    The reply is marked `draft: true`, so its placeholder is never published by accident.
    """
    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    if not author.strip():
        raise PostilError([Problem("postil", None, None, "the author is empty", "give --author NAME")])
    essay_file = find_essay(site_root, essay, here or site_root)
    replies = essay_file.parent / REPLIES_DIR if essay_file.name == "index.md" else essay_file.with_suffix("") / REPLIES_DIR
    if parent and not (replies / f"{parent}.md").is_file():
        known = sorted(path.stem for path in replies.glob("*.md")) if replies.is_dir() else []
        hint = f"known replies: {', '.join(known)}" if known else "this essay has no replies yet; leave out --parent"
        raise PostilError([Problem(_shown(replies, site_root), None, None, f"no reply {parent!r} to answer", hint)])
    bundled = into_bundle(essay_file, site_root)
    moved = (essay_file, bundled) if bundled != essay_file else None
    replies = bundled.parent / REPLIES_DIR
    meta: dict = {"author": author.strip(), "date": now}
    if parent:
        meta["parent"] = parent
    meta["draft"] = True  # held back until someone has written it and removed this line
    path = replies / f"{_fresh_reply_id(replies, author, now.date())}.md"
    _create(path, _front_matter(meta) + "\nWrite the reply here.\n", site_root)
    return NewReply(path, moved)


SITE_CONFIG = """\
# A postil site. Build it with `postil build`; the pages go to public/.
[tool.postil]
title = {title}
base_url = "https://example.org/"  # where the site will be published, sub-path included
author = ""
description = ""
language = "en"
"""

GITIGNORE = """\
# What postil builds and keeps beside the site: made again by every build, never committed.
/public/
/.public.*
/.postil-cache/
/.venv/
"""

FIRST_ESSAY = """\
This is the first essay of your site. Its file is `content/hello/index.md`, in a folder
of its own (a bundle) that holds the essay, its images and the replies of its readers.
Edit it, or start another with `postil new "A title"`.

A footnote is written where it is cited.[^margin] On a wide screen it is shown in the
margin beside the line that cites it; on a narrower one it waits at the end of the essay,
and tapping its number opens it over the text.

Replies are files too, one per reply in the essay's `replies/` folder, shown in threads
under the essay. A reply that opens by quoting a sentence of the essay is also pinned
beside the paragraph it quotes, as a side comment.

Link to another essay by its site path, as in `[an earlier essay](/earlier/)`, and run
`postil check` before you publish: it finds every link that leads nowhere.

[^margin]: Like this one. Write `[^name]` where the note is cited and `[^name]: the note` on a line of its own.
"""

FIRST_REPLY = """\
> A reply that opens by quoting a sentence of the essay is also pinned beside the paragraph it quotes

Like this one: a link to it is pinned beside that paragraph (in the margin on a wide
screen, under the paragraph on a narrow one), and the reply itself is here, in the thread
below the essay. Write one with `postil new --reply /hello/ --author "Your Name"`.
"""

ANSWER = """\
An answer to a reply names it as its `parent` and is shown under it. Delete these two
files when you no longer need them.
"""

PAGES_WORKFLOW = """\
# Check the site and publish it with GitHub Pages on every push to main.
# Once, in the repository's Settings → Pages, set Source to "GitHub Actions".
name: Publish to GitHub Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - id: pages
        uses: actions/configure-pages@v5
{install}
      # The last build's cache and output: only what changed since is built again.
      - uses: actions/cache@v4
        with:
          path: |
            .postil-cache
            public
          key: postil-${{{{ runner.os }}}}-${{{{ github.sha }}}}
          restore-keys: postil-${{{{ runner.os }}}}-
      # The Pages address (https://USER.github.io/REPO) becomes base_url; a failed check publishes nothing.
      - run: postil check --base-url "${{{{ steps.pages.outputs.base_url }}}}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: public

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def install_requirement(distribution: metadata.Distribution | None = None) -> tuple[str, str]:
    """What `pip install` needs to get this very postil on another machine, and a comment
    saying where it came from when that differs from the requirement.

    From PEP 610's direct_url.json: a git (or other VCS) install gives `postil @
    git+URL@COMMIT`, pinned to the commit; a download gives `postil @ URL`. A local folder
    or file (an editable checkout included) cannot be reached from another machine, so it
    gives the version, `postil==X`, with a comment naming the folder. An install from an
    index gives the version.
    """
    distribution = distribution or metadata.distribution("postil")
    pinned = f"postil=={distribution.version}"
    try:
        origin = json.loads(distribution.read_text("direct_url.json") or "null")
    except json.JSONDecodeError:
        origin = None
    if not isinstance(origin, dict) or not isinstance(origin.get("url"), str):
        return pinned, ""
    url = origin["url"]
    if isinstance(origin.get("vcs_info"), dict):
        vcs = origin["vcs_info"]
        revision = vcs.get("commit_id") or vcs.get("requested_revision")
        return f"postil @ {vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else ""), ""
    if url.startswith("file:"):
        return pinned, f"postil was installed from {url} here, which GitHub's runners cannot reach: install it from where it is published"
    return f"postil @ {url}", ""


def _pages_workflow() -> str:
    requirement, comment = install_requirement()
    lines = [f"      # {comment}"] if comment else []
    lines.append(f"      - run: python -m pip install '{requirement}'")
    return PAGES_WORKFLOW.format(install="\n".join(lines))


def init_site(folder: Path, *, workflow: bool = True, now: dt.datetime | None = None) -> list[Path]:
    """Create a site in `folder` that can be pushed as it is: pyproject.toml, .gitignore, a
    GitHub Pages workflow (unless `workflow` is false) and a first essay with a footnote, a
    reply and a side comment. Refuses, writing nothing, if any of these exists."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    essay = folder / CONTENT_DIR / "hello" / "index.md"
    replies = essay.parent / REPLIES_DIR
    files = {
        folder / CONFIG_FILE: SITE_CONFIG.format(title=_toml_string(_site_title(folder))),
        folder / ".gitignore": GITIGNORE,
        essay: _front_matter({"title": "Hello", "date": now.date(), "summary": "What a postil site does, in one short essay.",
                              "tags": ["meta"]}) + "\n" + FIRST_ESSAY,
        replies / "first-reader.md": _front_matter({"author": "A first reader", "date": now}) + "\n" + FIRST_REPLY,
        replies / "the-author.md": _front_matter({"author": "The author", "date": now, "parent": "first-reader"}) + "\n" + ANSWER,
    }
    if workflow:
        files[folder / ".github" / "workflows" / "pages.yml"] = _pages_workflow()
    for existing in (*files, folder / CONTENT_DIR):
        if existing.exists():
            raise _refuse(existing, Path.cwd(), "already exists; init never overwrites", "pick an empty or new folder")
    for path, text in files.items():
        _create(path, text, Path.cwd())
    return list(files)


def _site_title(folder: Path) -> str:
    return folder.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "My essays"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""Site settings from `[tool.postil]` in pyproject.toml, validated in one pass."""
from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from .errors import PostilError, Problem, did_you_mean
from .site.reply_links import reply_route_problem
from .site.paths import url_quote

CONFIG_FILE = "pyproject.toml"
LINK_RESOLUTION_MODES = ("", "shortest", "absolute", "relative")  # "" is postil's own: paths relative to the page


@dataclass(frozen=True)
class Config:
    """Everything about a site that is not content. Frozen: part of every cache key."""

    title: str = "Untitled site"
    base_url: str = "http://localhost/"
    author: str = ""
    description: str = ""
    language: str = "en"
    theme: str = ""
    words_per_minute: int = 230
    feed_entries: int = 20
    home_essays: int = 20  # the newest essays the home page lists; the archive lists every one
    search: bool = True
    obsidian_wikilinks: bool = True
    obsidian_callouts: bool = True
    obsidian_highlights: bool = True
    obsidian_comments: bool = True
    markdown_link_resolution: str = ""  # Quartz's: shortest | absolute | relative; "" is postil's own
    max_file_size: int = 2_000_000  # bytes; a bigger essay file is refused (see the README's Limits)
    replies_via: str = ""  # where readers' replies go: a mailto: address or a form URL template (see site/reply_links.py)
    takes: str = "takes"  # the folder of content/ that holds quick takes, published as one stream (see content/takes.py)

    @functools.cached_property
    def base_path(self) -> str:
        """The URL path the site lives under, always ending in '/': '/' or '/blog/'.
        Cached: `href` asks for it on every link of every page."""
        return urlsplit(self.base_url).path or "/"

    def absolute(self, site_path: str) -> str:
        """An absolute URL for a path inside the site ('' or 'essay/'), percent-encoded."""
        return self.base_url + url_quote(site_path.lstrip("/"))

    def href(self, site_path: str) -> str:
        """A root-relative URL for a path inside the site, honouring a sub-path base_url;
        percent-encoded ('ünï/' → '/%C3%BCn%C3%AF/'), as every URL postil writes is."""
        return self.base_path + url_quote(site_path.lstrip("/"))

    def with_base_url(self, base_url: str) -> Config:
        return replace(self, base_url=normalise_base_url(base_url))


def normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _key_line(text: str, key: str) -> int | None:
    """The line of `key = …` inside the [tool.postil] table, for error messages."""
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.replace(" ", "") == "[tool.postil]"
        elif in_table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _check_value(name: str, value: object, expected: type) -> str | None:
    if expected is bool and not isinstance(value, bool):
        return f"'{name}' must be true or false, not {value!r}"
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        return f"'{name}' must be a whole number, not {value!r}"
    if expected is str and not isinstance(value, str):
        return f"'{name}' must be a string, not {value!r}"
    if name == "base_url":
        parts = urlsplit(str(value))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return f"'base_url' must be an absolute http(s) URL, not {value!r}"
        if parts.query or parts.fragment:
            return f"'base_url' may not have a query or fragment: {value!r}"
    if name == "markdown_link_resolution" and value not in LINK_RESOLUTION_MODES:
        return f"'markdown_link_resolution' must be one of {', '.join(LINK_RESOLUTION_MODES[1:])} (or \"\"), not {value!r}"
    if name == "replies_via" and value:
        return reply_route_problem(str(value))
    if name == "takes" and isinstance(value, str) and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
        return f"'takes' must be one folder name of lowercase letters, digits, '-' or '_', not {value!r}"
    if name in ("words_per_minute", "feed_entries", "home_essays", "max_file_size") and isinstance(value, int) and value < 1:
        return f"'{name}' must be at least 1, not {value}"
    return None


_POSTIL_TABLE = re.compile(r"^\s*\[\s*tool\s*\.\s*postil\s*[\].]", re.MULTILINE)


def find_site_root(start: Path) -> Path | None:
    """The nearest folder, `start` or one above it, whose pyproject.toml has a [tool.postil]
    table (as git finds .git); None outside any site. A pyproject.toml of some other
    project is passed by, so a site may live in a subfolder of a Python project."""
    for folder in (start, *start.parents):
        try:
            text = (folder / CONFIG_FILE).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        try:
            if "postil" in tomllib.loads(text).get("tool", {}):
                return folder
        except tomllib.TOMLDecodeError:
            if _POSTIL_TABLE.search(text):  # a site with a typo in its config: load_config will say where
                return folder
    return None


def load_config(site_root: Path) -> Config:
    """Read and validate `[tool.postil]`; raise PostilError listing every problem at once."""
    path = site_root / CONFIG_FILE
    shown = CONFIG_FILE
    if not path.is_file():
        return Config()
    text = path.read_text(encoding="utf-8-sig")
    try:
        table = tomllib.loads(text).get("tool", {}).get("postil", {})
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (None, None)
        raise PostilError([Problem(shown, line, col, f"invalid TOML: {exc}", "fix the syntax of pyproject.toml")])

    known = {f.name: f for f in fields(Config)}
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for key, value in table.items():
        line = _key_line(text, key)
        if key not in known:
            hint = did_you_mean(key, known) or f"known keys: {', '.join(sorted(known))}"
            problems.append(Problem(shown, line, None, f"unknown key 'tool.postil.{key}'", hint))
            continue
        expected = {"int": int, "bool": bool}.get(str(known[key].type), str)
        message = _check_value(key, value, expected)
        if message:
            problems.append(Problem(shown, line, None, message, "fix the value in [tool.postil]"))
            continue
        values[key] = normalise_base_url(value) if key == "base_url" else value
    if problems:
        raise PostilError(problems)
    return Config(**values)

"""The site model: plain data that parsing produces and rendering reads."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from .md import Link


@dataclass(frozen=True)
class Essay:
    """One essay, parsed. Depends only on its own file and the config, so it can be cached.

    `source` is the path relative to the site root (posix); `url_path` is the page's path
    inside the site without a leading slash ("essays/margins/").
    """

    source: str
    url_path: str
    title: str
    date: dt.datetime
    updated: dt.datetime | None
    summary: str
    tags: tuple[str, ...]
    draft: bool
    aliases: tuple[str, ...]
    author: str
    toc: bool
    in_reply_to: str
    replies_mode: str
    extra: dict
    html: str
    headings: tuple[tuple[int, str, str], ...]
    links: tuple[Link, ...]
    word_count: int
    bundle_dir: str | None
    key_lines: dict[str, int] = field(default_factory=dict)

    def reading_minutes(self, words_per_minute: int) -> int:
        return max(1, math.ceil(self.word_count / words_per_minute))


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str
    essays: tuple[Essay, ...]


@dataclass(frozen=True)
class Site:
    """Everything the templates see, gathered before any page is rendered."""

    essays: tuple[Essay, ...]  # newest first
    tags: tuple[Tag, ...]  # by name
    years: tuple[tuple[int, tuple[Essay, ...]], ...]  # newest year first
    backlinks: dict[str, tuple[Essay, ...]]  # url_path → essays linking to it
    responses: dict[str, tuple[Essay, ...]]  # url_path → essays written in reply to it
    assets: dict[str, str]  # output path → source path, for bundle files copied beside pages

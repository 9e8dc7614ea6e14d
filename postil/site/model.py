"""The site model: plain data that parsing produces and rendering reads."""
from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: the model is read by commands that never parse Markdown
    from ..markdown import Link, Passage, Reference


def same_objects(old: Collection[object], new: Collection[object]) -> bool:
    """Whether two collections hold the very same objects, in order (checked in C).

    The site model is never changed once made, so in the dev server a container rebuilt
    from the very objects of the last build holds the same data, and what was derived from
    it (a discussion, a tuple of backlinks, a digest) can be kept.
    """
    return len(old) == len(new) and all(map(operator.is_, old, new))


@dataclass(frozen=True, slots=True)
class Essay:
    """One essay, parsed. Depends only on its own file and the config, so it can be cached.

    `source` is the path relative to the site root (posix); `url_path` is the page's path
    inside the site without a leading slash ("essays/margins/"). Its rendered body is a
    `Body` of its own, kept apart: most of what a site weighs, it is read only where its
    page is rendered, where replies' quotes of it are checked and where another essay
    transcludes one of its sections (the pipeline decides where it is kept and hands it
    to those stages).
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
    headings: tuple[tuple[int, str, str], ...]
    links: tuple[Link, ...]
    word_count: int
    bundle_dir: str | None
    key_lines: dict[str, int] = field(default_factory=dict)
    link_targets: tuple[str, ...] = ()  # the site paths its links (not images) point at, sorted, each once
    references: tuple[Reference, ...] = ()  # links the whole site resolves: [[wikilinks]], embeds (see markdown/wikilinks.py)
    take: bool = False  # a quick take: shown in the takes stream, not among the essays (see content/takes.py)

    def reading_minutes(self, words_per_minute: int) -> int:
        return max(1, math.ceil(self.word_count / words_per_minute))


@dataclass(frozen=True, slots=True)
class Body:
    """An essay's rendered body, block by block (templates see it as `essay.html` and
    `essay.passages`: see render/pages.py)."""

    passages: tuple[Passage, ...]
    section_leads: tuple[tuple[str, str], ...] = ()  # heading id → the start of its first paragraph, for transclusions

    @property
    def html(self) -> str:
        """The whole body: its blocks joined."""
        return "".join(passage.html for passage in self.passages)

    @property
    def passage_texts(self) -> list[tuple[str, str]]:
        """Each passage's id and normalised text, for the quote check."""
        return [(passage.id, passage.text) for passage in self.passages]


@dataclass(frozen=True, slots=True)
class Quote:
    """A top-level blockquote of a reply: its normalised text and the file line it starts on."""

    line: int
    text: str
    elsewhere: bool  # marked `{.elsewhere}`: quotes something outside the thread


@dataclass(frozen=True, slots=True)
class Reply:
    """One reader reply, parsed. Like Essay, it depends only on its own file.

    Its HTML and texts are a `ReplyBody` of its own, kept apart as an essay's body is
    (templates see `reply.html` and `reply.excerpt`: see render/pages.py): read only where
    a page shows the reply or a reply below quotes it, they are most of what a site's
    replies weigh.
    """

    source: str
    id: str
    bundle_dir: str
    page_path: str  # the site path of its essay, which its relative links are relative to
    author: str
    url: str
    date: dt.datetime | None  # None only for a draft not yet published
    parent: str
    score: int | None
    agreement: int | None
    quotes: tuple[Quote, ...]
    links: tuple[Link, ...] = ()
    key_lines: dict[str, int] = field(default_factory=dict)
    origin: str = ""  # where an imported reply was first published (its page there)
    retracted: bool = False  # withdrawn by its author where it was first published: shown struck through
    draft: bool = False  # held back from published builds; the dev server shows it marked


@dataclass(frozen=True, slots=True)
class ReplyBody:
    """A reply's rendered HTML and texts (see Reply)."""

    html: str
    text: str  # the whole body, normalised, so replies below can quote it
    excerpt: str  # its first words as plain text, quotes of others left out, for lists of replies


@dataclass(frozen=True, slots=True)
class ThreadReply:
    """A reply in its place in a thread.

    Threads are kept flat, in reading order, not as nested nodes: a chain of thousands of
    replies must not need one level of recursion (in Python, pickle or a template) per reply.
    """

    reply: Reply
    depth: int  # 0 = answers the essay
    parent: Reply | None  # the reply it answers
    descendants: int  # the replies below it in its thread, which follow it in reading order


@dataclass(frozen=True, slots=True)
class Discussion:
    """An essay's replies as the page shows them."""

    mode: str  # open | closed (hidden essays get no Discussion)
    replies: tuple[ThreadReply, ...]  # reading order: each thread depth first, every level oldest first
    count: int
    side_comments: dict[str, tuple[Reply, ...]]  # passage id → replies quoting it


@dataclass(frozen=True)
class Person:
    """Someone who liked, reposted or bookmarked an essay: a name, and their site if known."""

    name: str
    url: str


@dataclass(frozen=True)
class Reactions:
    """An essay's reactions by kind, each list oldest first."""

    likes: tuple[Person, ...] = ()
    reposts: tuple[Person, ...] = ()
    bookmarks: tuple[Person, ...] = ()

    def counts(self) -> list[tuple[str, str, tuple[Person, ...]]]:
        """('2 likes', 'like', people) for every kind there is, in a fixed order."""
        shown = []
        for kind, people in (("like", self.likes), ("repost", self.reposts), ("bookmark", self.bookmarks)):
            if people:
                shown.append((f"{len(people)} {kind}{'' if len(people) == 1 else 's'}", kind, people))
        return shown


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
    discussions: dict[str, Discussion] = field(default_factory=dict)  # url_path → its replies
    replies: tuple[tuple[Reply, Essay], ...] = ()  # every shown reply with its essay, newest first
    reactions: dict[str, Reactions] = field(default_factory=dict)  # url_path → its likes, reposts and bookmarks
    references: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)  # url_path → its resolved references (see site/references.py)
    redirects: tuple[tuple[str, Essay], ...] = ()  # (output path, essay) for each alias, none colliding with another output
    takes: tuple[Essay, ...] = ()  # the quick takes among `essays`, newest first; `years` (the archive) leaves them out

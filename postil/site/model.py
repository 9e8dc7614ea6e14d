"""The site model: plain data that parsing produces and rendering reads."""
from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Collection
from dataclasses import dataclass, field

from ..speed.blobs import Stored, load
from ..speed.disk_cache import pickled_as_call
from ..markdown import Link, Passage, Reference
from ..speed.packed import pack, unpack


def same_objects(old: Collection[object], new: Collection[object]) -> bool:
    """Whether two collections hold the very same objects, in order (checked in C).

    The site model is never changed once made, so in the dev server a container rebuilt
    from the very objects of the last build holds the same data, and what was derived from
    it (a discussion, a tuple of backlinks, a digest) can be kept.
    """
    return len(old) == len(new) and all(map(operator.is_, old, new))


def pack_passages(passages: tuple[Passage, ...]) -> tuple[bytes, bytes]:
    """An essay's body as two packed values: its passages' HTML, and their ids, lines and
    texts (all the quote check reads).

    Bodies are most of what a site's parse results weigh (at 5,000 essays, hundreds of
    megabytes held for the whole build); each is read back only when its page is rendered
    or its quotes are checked.
    """
    html = [passage.html for passage in passages]
    index = [part for passage in passages for part in (passage.id, str(passage.line), passage.text)]
    return pack(html), pack(index)


@pickled_as_call
@dataclass(frozen=True, slots=True)
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
    headings: tuple[tuple[int, str, str], ...]
    links: tuple[Link, ...]
    word_count: int
    bundle_dir: str | None
    key_lines: dict[str, int] = field(default_factory=dict)
    link_targets: tuple[str, ...] = ()  # the site paths its links (not images) point at, sorted, each once
    body: bytes | Stored = b""  # the passages' HTML, packed (see pack_passages); in a file once parsing hands it over
    passage_index: bytes | Stored = b""  # the passages' ids, lines and texts, packed
    references: tuple[Reference, ...] = ()  # links the whole site resolves: [[wikilinks]], embeds (see markdown/wikilinks.py)
    section_leads: tuple[tuple[str, str], ...] = ()  # heading id → the start of its first paragraph, for transclusions
    take: bool = False  # a quick take: shown in the takes stream, not among the essays (see content/takes.py)

    @property
    def passages(self) -> tuple[Passage, ...]:
        """The body block by block, for side comments."""
        index = unpack(load(self.passage_index))
        return tuple(Passage(html, index[3 * i], int(index[3 * i + 1]), index[3 * i + 2]) for i, html in enumerate(unpack(load(self.body))))

    @property
    def passage_texts(self) -> list[tuple[str, str]]:
        """Each passage's id and normalised text, without unpacking its HTML."""
        index = unpack(load(self.passage_index))
        return [(index[i], index[i + 2]) for i in range(0, len(index), 3)]

    @property
    def html(self) -> str:
        """The rendered body: its passages joined."""
        return "".join(unpack(load(self.body)))

    def reading_minutes(self, words_per_minute: int) -> int:
        return max(1, math.ceil(self.word_count / words_per_minute))


@pickled_as_call
@dataclass(frozen=True, slots=True)
class Quote:
    """A top-level blockquote of a reply: its normalised text and the file line it starts on."""

    line: int
    text: str
    elsewhere: bool  # marked `{.elsewhere}`: quotes something outside the thread


@pickled_as_call
@dataclass(frozen=True, slots=True)
class Reply:
    """One reader reply, parsed. Like Essay, it depends only on its own file."""

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
    html: str
    text: str  # the whole body, normalised, so replies below can quote it
    excerpt: str  # its first words as plain text, quotes of others left out, for lists of replies
    quotes: tuple[Quote, ...]
    links: tuple[Link, ...] = ()
    key_lines: dict[str, int] = field(default_factory=dict)
    origin: str = ""  # where an imported reply was first published (its page there)
    retracted: bool = False  # withdrawn by its author where it was first published: shown struck through
    draft: bool = False  # held back from published builds; the dev server shows it marked


@pickled_as_call
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


@pickled_as_call
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

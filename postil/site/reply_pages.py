"""The site-wide reply pages: recent replies with their Atom feed, and one list per author.

Both lists are paged, newest first, and each page groups its replies under their essays.
The feed keeps a fixed number of the newest replies.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Iterator

from ..config import Config
from .model import Essay, Reply, Site
from .paths import author_slug
from ..render.pages import Page

REPLIES_PER_PAGE = 50


@dataclass(frozen=True)
class Pager:
    """Where a page sits in a paged list: its number (from 1), how many pages there are, and
    the site paths of the pages before and after it ('' at either end)."""

    number: int
    count: int
    previous: str
    next: str


def page_path(first: str, number: int) -> str:
    """The site path of page `number` of a list whose first page is `first` ('replies/')."""
    return first if number == 1 else f"{first}page/{number}/"


def paged(first: str, template: str, entries: tuple[tuple[Reply, Essay], ...], context: dict) -> Iterator[Page]:
    """The pages of a list of (reply, essay) pairs, REPLIES_PER_PAGE to a page.

    Each page gets `entries` (its own pairs), `groups` (its pairs gathered under their
    essays: (essay, replies) in the order the essays first appear) and `pager`.
    """
    count = max(1, -(-len(entries) // REPLIES_PER_PAGE))
    for number in range(1, count + 1):
        # Made when asked for (see Page): 12,000 pages at 5,000 essays.
        yield Page(page_path(first, number) + "index.html", template, partial(_page_context, first, entries, context, number, count))


def _page_context(first: str, entries: tuple[tuple[Reply, Essay], ...], context: dict, number: int, count: int) -> dict:
    shown = entries[(number - 1) * REPLIES_PER_PAGE : number * REPLIES_PER_PAGE]
    pager = Pager(
        number, count,
        page_path(first, number - 1) if number > 1 else "",
        page_path(first, number + 1) if number < count else "",
    )
    return {**context, "entries": shown, "groups": _by_essay(shown), "pager": pager}


def _by_essay(entries: tuple[tuple[Reply, Essay], ...]) -> tuple[tuple[Essay, tuple[Reply, ...]], ...]:
    groups: dict[str, tuple[Essay, list[Reply]]] = {}
    for reply, essay in entries:
        groups.setdefault(essay.url_path, (essay, []))[1].append(reply)
    return tuple((essay, tuple(replies)) for essay, replies in groups.values())


def reply_pages(site: Site, config: Config) -> Iterator[Page]:
    """/replies/, /replies/feed.xml and /replies/<author>/, newest first everywhere."""
    if not site.replies:
        return
    by_author: dict[str, list[tuple[Reply, Essay]]] = defaultdict(list)
    for pair in site.replies:  # the very pairs assembly made: a warm build finds them unchanged at a glance
        by_author[author_slug(pair[0].author)].append(pair)
    authors = sorted(((slug, items[-1][0].author, len(items)) for slug, items in by_author.items()), key=lambda a: (a[1].casefold(), a[0]))
    yield from paged("replies/", "replies.html", site.replies, {"authors": tuple(authors), "total": len(site.replies)})
    # An undated draft (shown by serve) has no place in a feed.
    feed = tuple(islice((pair for pair in site.replies if pair[0].date), config.feed_entries))
    if feed:
        yield Page("replies/feed.xml", "replies_feed.xml", {"entries": feed, "updated": feed[0][0].date})
    for slug, items in sorted(by_author.items()):
        context = {"author": items[-1][0].author, "slug": slug, "total": len(items)}
        yield from paged(f"replies/{slug}/", "replies_author.html", tuple(items), context)

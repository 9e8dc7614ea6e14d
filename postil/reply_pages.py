"""The site-wide reply pages: recent replies with their Atom feed, and one page per author."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from .config import Config
from .md.headings import slugify
from .model import Essay, Reply, Site
from .render import Page

RECENT_REPLIES = 50


def author_slug(name: str) -> str:
    """The folder of an author's page under /replies/; names that differ only in case share one."""
    return slugify(name)


def reply_pages(site: Site, config: Config) -> Iterator[Page]:
    """/replies/, /replies/feed.xml and /replies/<author>/, newest first everywhere."""
    if not site.replies:
        return
    by_author: dict[str, list[tuple[Reply, Essay]]] = defaultdict(list)
    for pair in site.replies:  # the very pairs assembly made: a warm build finds them unchanged at a glance
        by_author[author_slug(pair[0].author)].append(pair)
    authors = sorted(((slug, items[-1][0].author, len(items)) for slug, items in by_author.items()), key=lambda a: (a[1].casefold(), a[0]))
    yield Page("replies/index.html", "replies.html", {"entries": site.replies[:RECENT_REPLIES], "authors": authors})
    feed = site.replies[: config.feed_entries]
    yield Page("replies/feed.xml", "replies_feed.xml", {"entries": feed, "updated": feed[0][0].date})
    for slug, items in sorted(by_author.items()):
        yield Page(f"replies/{slug}/index.html", "replies_author.html", {"entries": tuple(items), "author": items[-1][0].author, "slug": slug})

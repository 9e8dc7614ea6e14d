"""What `check` keeps of one built page once it has read it: its anchors, the ids it
repeats and the URLs it links to, in forms small enough to hold for every page of a large
site at once (at 5,000 essays, 17,000 pages with 277,000 anchors and 539,000 links: kept
as frozensets they took 74 MB, as here 15 MB)."""
from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from selectolax.lexbor import LexborHTMLParser


class Anchors:
    """A page's element ids and `<a name>`s, sorted and joined into one string, found by
    bisection: a set of them costs a string object and a slot for each (~100 bytes), this
    ~15. A page with 50,000 footnotes is still looked up in ~17 steps."""

    __slots__ = ("_text", "_starts")

    def __init__(self, names: Iterable[str]):
        ordered = sorted(set(names))
        self._text = "".join(ordered)
        self._starts = array("I", accumulate(map(len, ordered), initial=0))  # name i is text[starts[i]:starts[i + 1]]

    def __contains__(self, name: str) -> bool:
        text, starts = self._text, self._starts
        count = len(starts) - 1
        index = bisect_left(range(count), name, key=lambda i: text[starts[i]:starts[i + 1]])
        return index < count and text[starts[index]:starts[index + 1]] == name


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the checks need of one built page, kept instead of its parsed HTML (a large
    site's pages, parsed, would take gigabytes): a link's origin in the sources is looked
    up again, in the page, only for the few links found wrong."""

    anchors: Anchors  # element ids and old-style <a name>
    repeated_ids: tuple[tuple[str, int], ...]  # ids used more than once, with their counts
    urls: tuple[str, ...]  # every href and src, once each, in the page's order


URL_ATTRIBUTES = ("href", "src")


def read_page_facts(tree: LexborHTMLParser, shared: dict[str, str]) -> PageFacts:
    """The facts of a parsed page. A URL already met on another page is kept as the string
    `shared` holds (the theme's links are on every page), and added to it if new."""
    ids = Counter(node.id for node in tree.css("[id]"))
    names = [node.attrs.get("name") or "" for node in tree.css("a[name]")]
    urls: dict[str, None] = {}
    for node in tree.css("[href], [src]"):
        attributes = node.attrs  # looks each one up; `.attributes` would copy them all
        for attribute in URL_ATTRIBUTES:
            url = attributes.get(attribute)
            if url is not None:
                urls[shared.setdefault(url, url)] = None
    return PageFacts(Anchors([ident or "" for ident in ids] + names),
                     tuple(sorted((ident, count) for ident, count in ids.items() if count > 1 and ident)),
                     tuple(urls))

"""What `check` keeps of one built page once it has read it: its anchors, the ids it
repeats and the URLs it links to, in forms small enough to hold for every page of a large
site at once (at 5,000 essays, 17,000 pages with 277,000 anchors and 539,000 links: kept
as frozensets they took 74 MB, as here 15 MB).

A large site's pages are parsed in processes of their own (`python -m
postil.commands.page_facts`), which send back only the facts: a parsed page takes some 13
times its size (the home page of 5,000 essays, 3.6 MB, took 48 MB), and that belongs in a
small process, not on top of the build's model in check's own. Two of them read at once.
"""
from __future__ import annotations

import marshal
import subprocess
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

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

    @classmethod
    def _joined(cls, text: str, starts: bytes) -> Anchors:
        anchors = cls.__new__(cls)
        anchors._text, anchors._starts = text, array("I", starts)
        return anchors

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


# Fewer pages are read in this process: their largest and the model fit the budget side by
# side (1,000 essays, 3,500 pages: 67 MB), and the readers would cost ~0.3 s of CPU more
# (starting them, sending the facts) for the ~0.5 s of waiting they save.
READ_IN_PROCESSES_FROM = 5000
READERS = 2
_BUFFER = 1 << 20  # the facts go through the pipe in large writes: one wake-up for many pages


def read_pages(out_dir: Path, outputs: list[str]) -> dict[str, PageFacts]:
    """The facts of each page `outputs` names (paths inside `out_dir`), in its order: read
    here for a small site, by reader processes for a large one. A URL that many pages hold
    (the theme's links) is kept once."""
    shared: dict[str, str] = {}
    if len(outputs) < READ_IN_PROCESSES_FROM:
        return {output: read_page_facts(parse_page(out_dir / output), shared) for output in outputs}
    shares = [outputs[start::READERS] for start in range(READERS)]  # each gets large pages and small
    # -P: a module in the folder check runs in (the site's) must not stand in for the library's.
    readers = [subprocess.Popen([sys.executable, "-P", "-m", __name__, str(out_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                bufsize=_BUFFER) for _ in shares]
    try:
        for reader, share in zip(readers, shares):
            reader.stdin.write("\0".join(share).encode("utf-8", "surrogateescape"))  # type: ignore[union-attr]
            reader.stdin.close()  # type: ignore[union-attr]
        with ThreadPoolExecutor(len(readers)) as pool:
            received = list(pool.map(lambda reader: list(_received(reader, shared)), readers))
    finally:
        for reader in readers:
            reader.kill()
            reader.wait()
    if any(reader.returncode for reader in readers) or list(map(len, received)) != list(map(len, shares)):
        raise OSError(f"could not read the pages in {out_dir} (the reader's error is above)")
    pages = {output: facts for share, facts_read in zip(shares, received) for output, facts in zip(share, facts_read)}
    return {output: pages[output] for output in outputs}


def parse_page(path: Path) -> LexborHTMLParser:
    """A built page, parsed as a browser would."""
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


def _received(reader: subprocess.Popen, shared: dict[str, str]) -> Iterator[PageFacts]:
    """The facts a reader process sends, one page after another, until it ends. A URL comes
    once, the first time the reader meets it; later pages name it by its number."""
    urls: list[str] = []
    while True:
        size = reader.stdout.read(4)  # type: ignore[union-attr]
        if len(size) < 4:
            reader.wait()
            return
        text, starts, repeated_ids, numbers, new_urls = marshal.loads(reader.stdout.read(int.from_bytes(size, "little")))  # type: ignore[union-attr]
        urls.extend(shared.setdefault(url, url) for url in new_urls)
        yield PageFacts(Anchors._joined(text, starts), repeated_ids, tuple(map(urls.__getitem__, array("I", numbers))))


def _read_and_send(out_dir: Path) -> None:
    """As a reader process: read the pages named on stdin, send their facts on stdout."""
    named = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    numbers: dict[str, int] = {}  # each URL sent so far → its number
    sent = open(sys.stdout.fileno(), "wb", buffering=_BUFFER, closefd=False)
    for output in named.split("\0") if named else ():
        facts = read_page_facts(parse_page(out_dir / output), {})
        new_urls = tuple(url for url in facts.urls if url not in numbers)
        for url in new_urls:
            numbers[url] = len(numbers)
        record = marshal.dumps((facts.anchors._text, facts.anchors._starts.tobytes(), facts.repeated_ids,
                                array("I", map(numbers.__getitem__, facts.urls)).tobytes(), new_urls))
        sent.write(len(record).to_bytes(4, "little") + record)
    sent.flush()


if __name__ == "__main__":
    _read_and_send(Path(sys.argv[1]))

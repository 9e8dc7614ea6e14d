"""What `check` keeps of one built page once it has read it: its anchors, the ids it
repeats and the URLs it links to, in forms small enough to hold for every page of a large
site at once (at 5,000 essays, 17,000 pages with 277,000 anchors and 539,000 links: kept
as frozensets they took 74 MB, as here 15 MB).

A page is parsed only when its bytes are new: the facts of the others are kept between
runs by a digest of their bytes (in a store the Builder hands out). Many pages, or large
ones, are parsed in processes of their own (`python -m postil.commands.page_facts`),
which send back only the facts: a parsed page takes some 13 times its size (a page of
3.6 MB, the home page of 5,000 essays when it listed them all, took 48 MB), and that
belongs in a small process, not on top of the build's model in check's own. Two of them
read at once.
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
from hashlib import sha256
from itertools import accumulate
from pathlib import Path
from typing import Protocol

import selectolax
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


# Pages of fewer bytes are parsed in this process: they parse into ~13 times as much (26 MB),
# which fits beside the model, and a reader would cost ~0.1 s more of CPU to start and feed.
READ_IN_PROCESSES_FROM = 2 << 20
READERS = 2
_BUFFER = 1 << 20  # the facts go through the pipe in large writes: one wake-up for many pages
# What kept facts depend on besides postil's code (which the store adds): the parser.
_SCOPE = ("page facts", selectolax.__version__)

Record = tuple[str, bytes, tuple[tuple[str, int], ...], bytes]  # anchors' text and starts, repeated ids, URL numbers


class FactsStore(Protocol):
    """Keeps the facts of pages between runs (the Builder's `page_facts_store()`)."""

    def load(self, scope: object) -> tuple[list[str], dict[bytes, tuple]]: ...

    def save(self, scope: object, urls: list[str], pages: dict[bytes, tuple]) -> None: ...


def read_pages(out_dir: Path, outputs: list[str], store: FactsStore) -> dict[str, PageFacts]:
    """The facts of each page `outputs` names (paths inside `out_dir`), in its order: those
    `store` kept for the page's bytes as they were, the others read afresh (and kept). A URL
    that many pages hold (the theme's links) is kept once."""
    digests, sizes = {}, {}
    for output in outputs:
        data = (out_dir / output).read_bytes()
        digests[output], sizes[output] = sha256(data).digest(), len(data)
    shared: dict[str, str] = {}
    urls, kept = store.load(_SCOPE)
    pages = _known(digests, urls, kept, shared)
    stale = len(kept) != len(set(digests.values()))  # pages gone, or new
    del urls, kept  # what the pages' facts do not share of them
    unread = [output for output in outputs if output not in pages]
    if unread:
        in_processes = sum(sizes[output] for output in unread) >= READ_IN_PROCESSES_FROM
        pages.update(_read_in_processes(out_dir, unread, shared) if in_processes else
                     {output: read_page_facts(parse_page(out_dir / output), shared) for output in unread})
    if unread or stale:
        store.save(_SCOPE, *_records(pages, digests))
    return {output: pages[output] for output in outputs}


def _known(digests: dict[str, bytes], urls: list[str], kept: dict[bytes, tuple], shared: dict[str, str]) -> dict[str, PageFacts]:
    """The pages whose bytes' digest has facts kept, with those facts; none if they are damaged."""
    urls = [shared.setdefault(url, url) for url in urls]
    try:
        return {output: _facts(kept[digest], urls) for output, digest in digests.items() if digest in kept}
    except (ValueError, TypeError, IndexError):
        return {}


def _facts(record: Record, urls: list[str]) -> PageFacts:
    """A page's facts from their record, its URLs numbered by their place in `urls`."""
    text, starts, repeated_ids, numbers = record
    return PageFacts(Anchors._joined(text, starts), repeated_ids, tuple(map(urls.__getitem__, array("I", numbers))))


def _records(pages: dict[str, PageFacts], digests: dict[str, bytes]) -> tuple[list[str], dict[bytes, Record]]:
    """Every URL the pages hold, once, and each page's record by the digest of its bytes."""
    numbers: dict[str, int] = {}
    records = {digests[output]: _record(facts, numbers) for output, facts in pages.items()}
    return list(numbers), records


def _record(facts: PageFacts, numbers: dict[str, int]) -> Record:
    """`facts` as plain data, each URL by its number in `numbers` (given the next if new)."""
    return (facts.anchors._text, facts.anchors._starts.tobytes(), facts.repeated_ids,
            array("I", [numbers.setdefault(url, len(numbers)) for url in facts.urls]).tobytes())


def _read_in_processes(out_dir: Path, outputs: list[str], shared: dict[str, str]) -> dict[str, PageFacts]:
    """The facts of the pages `outputs`, read by reader processes."""
    shares = [share for share in (outputs[start::READERS] for start in range(READERS)) if share]  # each gets large pages and small
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
    return {output: facts for share, facts_read in zip(shares, received) for output, facts in zip(share, facts_read)}


def parse_page(path: Path) -> LexborHTMLParser:
    """A built page, parsed as a browser would. postil writes UTF-8; a bundle's own page in
    another encoding has its other letters replaced, its markup and links read as they are."""
    return LexborHTMLParser(path.read_bytes().decode("utf-8", "replace"))


def _received(reader: subprocess.Popen, shared: dict[str, str]) -> Iterator[PageFacts]:
    """The facts a reader process sends, one page after another, until it ends. A URL comes
    once, the first time the reader meets it; later pages name it by its number."""
    urls: list[str] = []
    while True:
        size = reader.stdout.read(4)  # type: ignore[union-attr]
        if len(size) < 4:
            reader.wait()
            return
        *record, new_urls = marshal.loads(reader.stdout.read(int.from_bytes(size, "little")))  # type: ignore[union-attr]
        urls.extend(shared.setdefault(url, url) for url in new_urls)
        yield _facts(tuple(record), urls)  # type: ignore[arg-type]


def _read_and_send(out_dir: Path) -> None:
    """As a reader process: read the pages named on stdin, send their facts on stdout."""
    named = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    numbers: dict[str, int] = {}  # each URL sent so far → its number
    sent = open(sys.stdout.fileno(), "wb", buffering=_BUFFER, closefd=False)
    for output in named.split("\0") if named else ():
        facts = read_page_facts(parse_page(out_dir / output), {})
        new_urls = tuple(url for url in facts.urls if url not in numbers)  # numbered next, in this order
        record = marshal.dumps((*_record(facts, numbers), new_urls))
        sent.write(len(record).to_bytes(4, "little") + record)
    sent.flush()


if __name__ == "__main__":
    _read_and_send(Path(sys.argv[1]))

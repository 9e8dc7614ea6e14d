"""The quick takes stream: its pages, each take's place in it, and where long takes fold.

Takes are essays of the site model marked `take` (see content/takes.py); this module decides
what the stream shows of them. Pure: the site model in, pages (template + context) out.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..config import Config
from ..content.takes import take_doc_id
from ..site.model import Body, Discussion, Essay, Site, ThreadReply
from ..site.takes import PAGE_FOLDER, stream_folder
from .pages import Page

TAKES_PER_PAGE = 20
FOLD_AFTER_WORDS = 150  # a long take shows its passages up to the one that passes this many words…
FOLD_FROM_WORDS = 350  # …when it has more than this many; shorter takes are shown whole
TOP_REPLIES = 3  # top-level replies a take's thread shows in the stream, highest scored first


@dataclass(frozen=True)
class StreamThread:
    """What the stream shows of one take's thread: its best top-level replies."""

    shown: tuple[ThreadReply, ...]
    count: int  # every reply of the thread
    mode: str


def stream_page_path(folder: str, number: int) -> str:
    """The site path of the stream's page `number` (1-based): 'takes/', 'takes/page/2/'."""
    return folder if number == 1 else f"{folder}{PAGE_FOLDER}/{number}/"


def stream_paths(site: Site) -> list[str]:
    """The site paths of the stream's pages, first to last; none without takes."""
    pages = -(-len(site.takes) // TAKES_PER_PAGE)
    return [stream_page_path(stream_folder(site.takes), number) for number in range(1, pages + 1)]


def stream_pages(site: Site, config: Config) -> Iterator[Page]:
    """The paged stream of takes, newest first, TAKES_PER_PAGE a page."""
    if not site.takes:
        return
    folder = stream_folder(site.takes)
    chunks = [site.takes[start : start + TAKES_PER_PAGE] for start in range(0, len(site.takes), TAKES_PER_PAGE)]
    for number, takes in enumerate(chunks, start=1):
        yield Page(
            stream_page_path(folder, number) + "index.html",
            "takes.html",
            {
                "takes": takes,
                "page_number": number,
                "page_count": len(chunks),
                "newer_page": stream_page_path(folder, number - 1) if number > 1 else None,
                "older_page": stream_page_path(folder, number + 1) if number < len(chunks) else None,
                "threads": {take.url_path: stream_thread(site.discussions.get(take.url_path)) for take in takes},
                "references": {take.url_path: site.references.get(take.url_path, ()) for take in takes},
                "prefixes": {take.url_path: take_doc_id(take.source, config) for take in takes},
            },
        )


def stream_thread(discussion: Discussion | None) -> StreamThread | None:
    """The top-level replies the stream shows of a thread: the highest scored, oldest first
    among equals, in the order the thread has them."""
    if discussion is None:
        return None
    top_level = [entry for entry in discussion.replies if entry.depth == 0]
    best = sorted(top_level, key=lambda entry: (-(entry.reply.score or 0), entry.reply.date.timestamp() if entry.reply.date else 0.0))[:TOP_REPLIES]
    chosen = {id(entry) for entry in best}
    return StreamThread(tuple(entry for entry in top_level if id(entry) in chosen), discussion.count, discussion.mode)


def fold_index(take: Essay, body: Body) -> int | None:
    """How many of a long take's passages the stream shows before "Read more"; None: all.

    The fold falls after the passage that passes FOLD_AFTER_WORDS words, and only between
    passages, so no paragraph, list or quote is ever cut. The footnotes stay below the fold.
    """
    if take.word_count <= FOLD_FROM_WORDS:
        return None
    texts = body.passage_texts
    words = 0
    for index, (_, text) in enumerate(texts):
        words += len(text.split())
        if words >= FOLD_AFTER_WORDS:
            return index + 1 if index + 1 < len(texts) else None
    return None


def neighbours(essays: Sequence[Essay]) -> dict[str, tuple[Essay | None, Essay | None]]:
    """Each essay's newer and older neighbour among its own kind: takes among takes, essays
    among essays."""
    found: dict[str, tuple[Essay | None, Essay | None]] = {}
    for take in (False, True):
        kind = [essay for essay in essays if essay.take == take]
        for index, essay in enumerate(kind):
            found[essay.url_path] = (kind[index - 1] if index > 0 else None, kind[index + 1] if index + 1 < len(kind) else None)
    return found

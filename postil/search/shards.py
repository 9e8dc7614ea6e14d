"""Which search bundle ("shard") each essay's page is indexed into.

The search page merges the shards' Pagefind bundles in the browser, so an edit indexes
one shard again, not the whole site, and the indexer's memory grows with a shard, not with
the site. An essay's shard is a hash of its address, so it stays put while the site
changes around it. The number of shards depends only on the essays: about √n/2 shards of
about 2√n essays (an edit re-indexes few essays, a search asks few bundles, and both grow
slowly), a power of two, and more where the essays are long, so that no shard holds much
more than MAX_SHARD_WORDS words. The balance leans towards fewer shards because each costs
the reader's browser two requests on opening the search page and an index chunk to fetch
and unpack per word searched, while an edit's extra essays to index cost the writer a few
milliseconds each, mostly while the rest of the site renders. When the count changes (the site has doubled or halved
past a power of two) every shard is indexed again, once.

Everything here is a function of the site model, so a clean build and an incremental one
lay out the same shards, and the search page can name them before any page is indexed.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from ..site.model import Essay

SEARCH_DIR = "pagefind"
# Pagefind needs about 0.3 KB of memory per word indexed (measured: 250 essays of 2,000
# words, 169 MB): a shard of 250,000 words stays near 100 MB even when the hash gives
# it a third more than its share.
MAX_SHARD_WORDS = 250_000
# Below this many essays, one bundle: indexing all of them takes a fraction of a second.
MIN_ESSAYS_TO_SPLIT = 32


def shard_count(essays: int, words: int) -> int:
    """How many shards a site of `essays` essays holding `words` words in all is split into."""
    count = 1 if essays < MIN_ESSAYS_TO_SPLIT else 2 ** round(math.log2(essays) / 2 - 1)
    while words > count * MAX_SHARD_WORDS:
        count *= 2
    return count


def shard_of(url_path: str, count: int) -> int:
    """The shard of the essay at `url_path`: stable while the essay keeps its address."""
    return int.from_bytes(hashlib.sha256(url_path.encode()).digest()[:8], "big") % count


def plan(essays: Sequence[Essay]) -> dict[str, list[str]]:
    """The site's shards: {bundle folder: the essays' page output paths, sorted}.

    Empty shards are left out. The first shard is the primary bundle, at `pagefind/`: it
    also carries Pagefind's scripts; the others are in `pagefind/<number>/`.
    """
    count = shard_count(len(essays), sum(essay.word_count for essay in essays))
    numbered: dict[int, list[str]] = {}
    for essay in essays:
        numbered.setdefault(shard_of(essay.url_path, count), []).append(essay.url_path + "index.html")
    folders = {}
    for position, number in enumerate(sorted(numbered)):
        folders[SEARCH_DIR + "/" if position == 0 else f"{SEARCH_DIR}/{number}/"] = sorted(numbered[number])
    return folders

"""Which search bundle ("shard") each essay's page is indexed into.

The search page merges the shards' Pagefind bundles in the browser, so an edit indexes
one shard again, not the whole site, and the indexer's memory grows with a shard, not with
the site. An essay's shard is a hash of its address, so it stays put while the site
changes around it. The number of shards depends only on the essays: a power of two near
1.6·∛n (4 at 32 essays, 8 at 100, 16 at 1,000, 32 at 5,000), and more where the essays are
long, so that no shard holds much more than MAX_SHARD_WORDS words. Each shard costs every
search: the reader's browser fetches two more files on opening the search page, and an
index chunk to fetch and unpack per word searched. Each essay in the edited shard costs an
edit: Pagefind takes a few milliseconds per page. Growing as the cube root, the count grows
more slowly than the shards do, so that a search on a large site still asks few bundles
(at 1,000 essays, 32 shards would take a typed word's first results from about 0.4 to
0.5 s), while a small site's edit re-indexes about a dozen essays. When the count changes
(the site has grown or shrunk past a power of two's band) every shard is indexed again, once.

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
SHARDS_PER_CUBE_ROOT = 1.6  # of the number of essays (see above)


def shard_count(essays: int, words: int) -> int:
    """How many shards a site of `essays` essays holding `words` words in all is split into."""
    count = 1 if essays < MIN_ESSAYS_TO_SPLIT else 2 ** round(math.log2(SHARDS_PER_CUBE_ROOT * essays ** (1 / 3)))
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

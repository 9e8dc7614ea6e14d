"""What the pages need to know of search: whether it is on, and what the search page
names of the index (see `pages.search_page`). The index itself is built by postil/search/
once the essay pages exist.

Only essay pages are indexed, and in them only the element marked `data-pagefind-body`
(the essay), so the site's navigation is never indexed. Pagefind is a dependency, but
its binary is platform-specific: where it cannot run the build warns once and the site
is built without search.
"""
from __future__ import annotations

from ..config import Config
from ..search.pagefind import unavailable_reason
from ..search.shards import SEARCH_DIR

__all__ = ["SEARCH_DIR", "SEARCH_PAGE", "entry_tag", "search_enabled", "unavailable_reason"]

SEARCH_PAGE = "search/index.html"


def search_enabled(config: Config) -> bool:
    return config.search and not unavailable_reason()


def entry_tag(meta: str) -> str:
    """The tag Pagefind is given for a bundle (`metaCacheTag`): it asks for the entry file
    as `pagefind-entry.json?ts=<tag>`. The hash in the metadata file's name changes
    whenever the bundle does, so that address can be preloaded and cached; Pagefind's own
    default, the time of the request, defeats both.
    'pagefind.en_cd89ec3f5c.pf_meta' → 'en_cd89ec3f5c'."""
    return meta.removeprefix("pagefind.").removesuffix(".pf_meta")

"""What the pages need to know of search: whether it is on, and which bundles the search
page merges. The index itself is built by postil/search/ once the essay pages exist.

Only essay pages are indexed, and in them only the element marked `data-pagefind-body`
(the essay), so the site's navigation is never indexed. Pagefind is a dependency, but
its binary is platform-specific: where it cannot run the build warns once and the site
is built without search.
"""
from __future__ import annotations

from ..config import Config
from ..search.pagefind import unavailable_reason
from ..search.shards import SEARCH_DIR, plan
from ..site.model import Site

__all__ = ["SEARCH_DIR", "SEARCH_PAGE", "merged_bundles", "search_enabled", "unavailable_reason"]

SEARCH_PAGE = "search/index.html"


def search_enabled(config: Config) -> bool:
    return config.search and not unavailable_reason()


def merged_bundles(site: Site) -> list[str]:
    """The site paths of the bundles the search page merges into the primary one (`pagefind/`)."""
    return [folder for folder in plan(site.essays) if folder != SEARCH_DIR + "/"]

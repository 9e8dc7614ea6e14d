"""Where a link points inside the site: one rule for backlinks and link checks."""
from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from .md import Link
    from .model import Essay


def resolve_link(essay: Essay, target: str) -> str | None:
    """The site path a link in `essay` points at ('other/'), or None when it leaves the site."""
    return resolve_target(essay.url_path, target)


# A link that is a path alone: no scheme, host, query, fragment or space for urlsplit to find.
_PLAIN_PATH = re.compile(r"[^:?#\s]+")


@lru_cache(maxsize=1 << 16)
def resolve_target(page_path: str, target: str) -> str | None:
    """The site path a link on the page at `page_path` points at, or None when it leaves the site.

    Cached: every build resolves every link of the site again, and almost all are the same.
    """
    if target.startswith(("https://", "http://", "mailto:")):  # most links out, without parsing
        return None
    if _PLAIN_PATH.fullmatch(target) and not target.startswith("//"):
        path = unquote(target)  # what urlsplit would give, at a tenth of the cost
    else:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path:
            return None
        path = unquote(parts.path)
    if path.startswith("/"):
        resolved = posixpath.normpath(path.lstrip("/") or ".")
    else:
        resolved = posixpath.normpath(posixpath.join(page_path or ".", path))
    if resolved == ".":
        return ""
    if resolved.startswith(".."):
        return None
    return resolved + "/" if path.endswith("/") else resolved


def link_targets(page_path: str, links: Iterable[Link]) -> tuple[str, ...]:
    """The site paths that `links` (not images) on the page at `page_path` point at, sorted, each once."""
    return tuple(sorted({target for link in links if not link.is_image and (target := resolve_target(page_path, link.target)) is not None}))

"""Site paths: how a file's name becomes its URL, how a site path is written in a URL, and
where a link points inside the site (one rule for backlinks and link checks).

A site path ('essays/ünï/') is the decoded form: it names the output file on disk
('public/essays/ünï/index.html') and is percent-encoded only where a URL is written
('/essays/%C3%BCn%C3%AF/').
"""
from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from ..slugs import slugify

if TYPE_CHECKING:
    from ..markdown import Link
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


def resolve_links(page_path: str, links: Iterable[Link]) -> tuple[Link, ...]:
    """`links` of the document shown at `page_path`, each with its `site_path` set: the one
    place a Markdown link is resolved (parsing, cached with the document)."""
    return tuple(link._replace(site_path=resolve_target(page_path, link.target)) for link in links)


def link_targets(links: Iterable[Link]) -> tuple[str, ...]:
    """The site paths that resolved `links` (not images) point at, sorted, each once."""
    return tuple(sorted({link.site_path for link in links if not link.is_image and link.site_path is not None}))


def author_slug(name: str) -> str:
    """The folder of a reply author's page under /replies/: the one rule for the page, its
    links and the sitemap. Names that differ only in case or punctuation share a page."""
    return slugify(name)


# Characters a URL path cannot carry as they are (RFC 3986), and ':' (a scheme in a relative
# link, and no file name on Windows). Anything else, letters of any script included, is kept.
_UNSAFE_IN_NAME = re.compile(r'[\s"#%<>?\[\\\]^`{|}:]')
_UNSAFE_AT_ENDS = re.compile(rf"^{_UNSAFE_IN_NAME.pattern}+|{_UNSAFE_IN_NAME.pattern}+$")


# Control characters, and the stand-ins Python gives bytes of a name that are not UTF-8.
_UNUSABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def name_problem(name: str) -> str | None:
    """Why a file or folder name cannot make a URL, or None when it can."""
    match = _UNUSABLE.search(name)
    if match is None:
        return None
    if "\ud800" <= match[0] <= "\udfff":
        return "its name is not valid UTF-8"
    return f"its name holds a control character ({match[0]!r})"


@lru_cache(maxsize=1 << 14)
def slug_segment(name: str) -> str:
    """A file or folder name as one segment of a URL, as Quartz and Obsidian users expect:
    'authoring content' → 'authoring-content', 'a#b' → 'a-b', '100%' → '100'. Each
    whitespace or URL-unsafe character becomes '-' (dropped at either end); letters of any
    script, digits and other punctuation stay, in Unicode's composed form (NFC), so that a
    name typed on macOS and on Linux gives one URL. Empty when nothing usable is left."""
    name = unicodedata.normalize("NFC", name)
    return _UNSAFE_IN_NAME.sub("-", _UNSAFE_AT_ENDS.sub("", name))


def slug_path(relative: str) -> str:
    """A posix path with every segment slugged: 'my notes/two words' → 'my-notes/two-words'."""
    return "/".join(slug_segment(part) for part in relative.split("/"))


def slug_folders(relative: str) -> str:
    """A posix path with each folder slugged and the file name kept: 'my notes/a b.png' →
    'my-notes/a b.png'. Files other than essays keep their names, so Markdown that links
    to them by name (percent-encoded, as Markdown does) finds them."""
    folder, _, name = relative.rpartition("/")
    if not folder:
        return unicodedata.normalize("NFC", name)
    return "/".join(slug_segment(part) for part in folder.split("/")) + "/" + unicodedata.normalize("NFC", name)


# Characters a URL path may hold unencoded: RFC 3986's unreserved characters, sub-delims, ':' and '@'.
_URL_PATH_SAFE = "/!$&'()*+,;=:@~-._"
_NEEDS_ENCODING = re.compile(r"[^A-Za-z0-9/!$&'()*+,;=:@~\-._]")


def url_quote(site_path: str) -> str:
    """A site path as a URL writes it: 'ünï/' → '%C3%BCn%C3%AF/', '50%/' → '50%25/'."""
    if _NEEDS_ENCODING.search(site_path) is None:  # nearly every path: no work
        return site_path
    return _quoted(site_path)


@lru_cache(maxsize=1 << 14)
def _quoted(site_path: str) -> str:
    """Cached: a site in another script links each of its pages from many others."""
    return quote(site_path, safe=_URL_PATH_SAFE)

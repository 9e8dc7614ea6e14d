"""Record every link and image a document makes, and point site paths at `base_url`.

Authors write site paths as `/essay/`; a site published under `https://host/blog/`
must link to `/blog/essay/`. The recorded links (line, target as written, image or not,
href) feed backlinks and the link checks.

A document shown on pages other than its own (a reply appears on its essay's page, on
/replies/ and on its author's page) sets `env["page_path"]`, the site path its relative
links are relative to; they then become site paths too, so they work on every page.
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

_ORIGIN = "http://site.invalid"  # only so urljoin clamps '../' at the root as a browser does


def site_target(target: str, base_path: str, page_path: str | None = None) -> str:
    """`target` as the HTML gives it: site paths under `base_path`; with `page_path`,
    relative targets resolved against that page too. Other targets are returned unchanged."""
    if target.startswith("/") and not target.startswith("//"):
        return base_path + target[1:]
    if page_path is None or urlsplit(target).scheme or target.startswith("//"):
        return target
    joined = urlsplit(urljoin(_ORIGIN + base_path + page_path, target))
    path = "/" + joined.path.lstrip("/")  # never '//host', which would leave the site
    return urlunsplit(("", "", path, joined.query, joined.fragment))


def links_plugin(md: MarkdownIt) -> None:
    def collect(state: StateCore) -> None:
        base_path = state.env.get("base_path", "/")
        page_path = state.env.get("page_path")
        links = state.env.setdefault("links", [])
        for block in state.tokens:
            if block.type != "inline" or not block.map:
                continue
            for child in block.children or ():
                attr = "href" if child.type == "link_open" else "src" if child.type == "image" else None
                if attr is None or "reference" in child.meta:  # the site resolves it (see wikilinks.py)
                    continue
                target = str(child.attrGet(attr) or "")
                href = site_target(target, base_path, page_path)
                links.append((block.map[0], target, child.type == "image", href))
                child.attrSet(attr, href)

    md.core.ruler.after("inline", "collect_links", collect)

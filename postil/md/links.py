"""Record every link and image a document makes, and point site paths at `base_url`.

Authors write site paths as `/essay/`; a site published under `https://host/blog/`
must link to `/blog/essay/`. The recorded links feed backlinks and the link check.
"""
from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore


def links_plugin(md: MarkdownIt) -> None:
    def collect(state: StateCore) -> None:
        base_path = state.env.get("base_path", "/")
        links = state.env.setdefault("links", [])
        for block in state.tokens:
            if block.type != "inline" or not block.map:
                continue
            for child in block.children or ():
                attr = "href" if child.type == "link_open" else "src" if child.type == "image" else None
                if attr is None:
                    continue
                target = str(child.attrGet(attr) or "")
                links.append((block.map[0], target, child.type == "image"))
                if target.startswith("/") and not target.startswith("//"):
                    child.attrSet(attr, base_path + target[1:])

    md.core.ruler.after("inline", "collect_links", collect)

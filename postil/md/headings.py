"""Stable, unique heading ids with a visible permalink, and the heading list for a TOC."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .ids import UniqueIds

# Ids that other features generate; a heading may never take one of them.
_RESERVED_PREFIXES = ("fn-", "fnref-", "reply-", "replies", "passage-")


@lru_cache(maxsize=4096)
def slugify(text: str) -> str:
    """Lower-case words joined by hyphens; letters of any script are kept.

    Cached: templates slug every tag of every essay in every list they show."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


def _plain_text(inline: Token) -> str:
    return "".join(child.content for child in inline.children or () if child.type in ("text", "code_inline"))


def headings_plugin(md: MarkdownIt) -> None:
    """Give h2–h4 an id and a permalink; record (level, id, text) in env["headings"].

    Runs last in the core chain so the recorded text has its typography applied.
    The slug comes from the raw source text so it does not change with typography.
    A document with env["docId"] (a reply) prefixes its ids so they never clash on a page.
    """

    def assign_ids(state: StateCore) -> None:
        prefix = state.env.get("docId") or ""
        ids: UniqueIds = state.env.setdefault("heading_ids", UniqueIds())
        headings = state.env.setdefault("headings", [])
        tokens = state.tokens
        for index, token in enumerate(tokens):
            if token.type != "heading_open" or token.tag not in ("h2", "h3", "h4"):
                continue
            inline = tokens[index + 1]
            base = slugify(inline.content)
            if prefix:
                base = f"{prefix}-{base}"
            elif base.startswith(_RESERVED_PREFIXES):
                base = f"h-{base}"
            slug = ids.take(base)
            token.attrSet("id", slug)
            text = _plain_text(inline)
            headings.append((int(token.tag[1]), slug, text))
            anchor = Token("html_inline", "", 0)
            anchor.content = f' <a class="heading-anchor" href="#{slug}" aria-hidden="true" tabindex="-1" data-pagefind-ignore>#</a>'
            inline.children = [*(inline.children or []), anchor]

    md.core.ruler.push("heading_ids", assign_ids)

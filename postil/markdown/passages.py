"""Stable ids and plain text for an essay's top-level blocks: the anchors of side comments.

Each paragraph, list, blockquote, callout, table and heading at the top level gets an id derived
from its text (other blocks, such as the footnotes, only have their text recorded), so the id survives edits elsewhere in the essay, and its normalised text is
recorded in env["passages"] ({token index: (id, line, text)}) for quote matching. A
document with env["docId"] puts it in its ids, so documents sharing a page never clash.
"""
from __future__ import annotations

import hashlib

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from ..site.quotes import normalise
from .ids import UniqueIds

PASSAGE_TYPES = ("paragraph_open", "bullet_list_open", "ordered_list_open", "blockquote_open", "table_open", "dl_open", "heading_open", "callout_open")
ID_PREFIX = "passage-"


def plain_text(children: list[Token] | None) -> str:
    """What a reader sees of inline tokens, as text: no markup, no footnote numbers."""
    parts = []
    for child in children or ():
        if child.type in ("text", "code_inline", "math_inline", "math_inline_double"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def top_level_blocks(tokens: list[Token]) -> list[tuple[int, int]]:
    """(start, end) token indices of each top-level block, found in one pass over `tokens`."""
    spans = []
    start = depth = 0
    for index, token in enumerate(tokens):
        depth += token.nesting
        if depth <= 0:
            spans.append((start, index + 1))
            start, depth = index + 1, 0
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def passages_plugin(md: MarkdownIt) -> None:
    def assign(state: StateCore) -> None:
        passages = state.env.setdefault("passages", {})
        ids = UniqueIds()
        tokens = state.tokens
        for index, end in top_level_blocks(tokens):
            token = tokens[index]
            text = normalise(" ".join([plain_text(t.children) for t in tokens[index:end] if t.type == "inline"]))
            if text and token.level == 0 and token.type not in PASSAGE_TYPES:
                # Footnotes and asides can be quoted too, but have no element to pin a comment to.
                passages[index] = ("", token.map[0] if token.map else 0, text)
            elif token.level == 0 and token.type in PASSAGE_TYPES:
                ident = str(token.attrGet("id") or "")
                if not ident and text:
                    base = ID_PREFIX + (f"{state.env['docId']}-" if state.env.get("docId") else "") + hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
                    ident = ids.take(base)
                    token.attrSet("id", ident)
                else:
                    ids.used.add(ident)
                passages[index] = (ident, token.map[0] if token.map else 0, text)

    md.core.ruler.push("passages", assign)

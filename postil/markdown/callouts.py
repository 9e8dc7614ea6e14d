"""Obsidian's callouts: a blockquote whose first line is `[!type] Title`.

`> [!warning] Mind the gap` becomes a labelled box with the type's icon (inline SVG, so
the page's CSS grows only by the colours). `[!tip]-` folds it shut and `[!tip]+` open,
as `<details>`; callouts nest as blockquotes do. The types and their aliases are
Obsidian's; an unknown type looks like a note, as in Obsidian.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# Obsidian's aliases, each to the type whose look it shares.
ALIASES = {
    "summary": "abstract", "tldr": "abstract", "hint": "tip", "important": "tip",
    "check": "success", "done": "success", "help": "question", "faq": "question",
    "caution": "warning", "attention": "warning", "fail": "failure", "missing": "failure",
    "error": "danger", "cite": "quote",
}
# Drawn for postil: 24×24, stroked with the text colour of the callout's type.
ICONS = {
    "note": '<path d="M4 20h4L19 9l-4-4L4 16z"/>',
    "abstract": '<path d="M8 4h8v3H8zM7 5H5v16h14V5h-2M9 12h6M9 16h6"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>',
    "todo": '<circle cx="12" cy="12" r="9"/><path d="m8 12 3 3 5-6"/>',
    "tip": '<path d="M12 3c1 4 6 6 6 11a6 6 0 0 1-12 0c0-3 2-4 3-6 1 2 2 2 3 2-1-3-1-5 0-7z"/>',
    "success": '<path d="m5 12 5 5L20 7"/>',
    "question": '<circle cx="12" cy="12" r="9"/><path d="M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 .9-1 1.7M12 17v.5"/>',
    "warning": '<path d="M12 3 2 20h20zM12 9v5M12 17v.5"/>',
    "failure": '<path d="M6 6l12 12M18 6 6 18"/>',
    "danger": '<path d="M13 2 4 14h7l-1 8 9-12h-7z"/>',
    "bug": '<rect x="8" y="7" width="8" height="13" rx="4"/><path d="M12 7V4M8 12H4M20 12h-4M8 17l-3 2M16 17l3 2M9 4l1 3M15 4l-1 3"/>',
    "example": '<path d="M9 6h11M9 12h11M9 18h11M4 6h.5M4 12h.5M4 18h.5"/>',
    "quote": '<path d="M5 17c3-2 4-5 4-8H5v5h4M15 17c3-2 4-5 4-8h-4v5h4"/>',
}
_HEAD = re.compile(r"\[!([\w-]+)\]([+-]?)[ \t]*(.*)")


def callout_type(name: str) -> str:
    """The look of a callout type as written: 'TLDR' → 'abstract', 'custom' → 'note'."""
    name = name.lower()
    name = ALIASES.get(name, name)
    return name if name in ICONS else "note"


def _icon(kind: str) -> str:
    return (
        '<svg class="callout-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" '
        f'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{ICONS[kind]}</svg>'
    )


def _make_callouts(state: StateCore) -> None:
    if "[!" not in state.src:  # most documents: no callout head anywhere
        return
    tokens = state.tokens
    result: list[Token] = []
    depth_stack: list[dict | None] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "blockquote_open":
            meta = _callout_head(tokens, index)
            depth_stack.append(meta)
            if meta is None:
                result.append(token)
                index += 1
                continue
            opening = Token("callout_open", "div", 1)
            opening.block, opening.level, opening.map, opening.meta, opening.attrs = True, token.level, token.map, meta, dict(token.attrs)
            title_open = Token("callout_title_open", "", 1)
            title_open.block, title_open.meta = True, meta
            title = Token("inline", "", 0)
            title.content, title.map, title.children, title.level = meta["title"], token.map, [], token.level + 1
            title_close = Token("callout_title_close", "", -1)
            title_close.block, title_close.meta = True, meta
            result += [opening, title_open, title, title_close]
            index += 1
            paragraph, inline = tokens[index], tokens[index + 1]
            rest = inline.content.partition("\n")[2]
            if rest:
                inline.content = rest
                if paragraph.map:
                    paragraph.map = [paragraph.map[0] + 1, paragraph.map[1]]
                    inline.map = paragraph.map
            else:
                index += 3  # the paragraph held the head only
            continue
        if token.type == "blockquote_close":
            meta = depth_stack.pop() if depth_stack else None
            if meta is not None:
                closing_token = Token("callout_close", "div", -1)
                closing_token.block, closing_token.level, closing_token.meta = True, token.level, meta
                result.append(closing_token)
                index += 1
                continue
        result.append(token)
        index += 1
    state.tokens = result


def _callout_head(tokens: list[Token], index: int) -> dict | None:
    """The callout a blockquote opens, if its first line is `[!type]`."""
    if index + 2 >= len(tokens) or tokens[index + 1].type != "paragraph_open":
        return None
    content = tokens[index + 2].content
    if not content.startswith("[!"):
        return None
    match = _HEAD.match(content.partition("\n")[0])
    if match is None:
        return None
    written, fold, title = match[1], match[2], match[3].strip()
    kind = callout_type(written)
    return {"type": kind, "written": written.lower(), "fold": fold, "title": title or written[:1].upper() + written[1:].lower()}


def _render_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    meta = token.meta
    tag = "details" if meta["fold"] else "div"
    # A box that cannot fold is a note beside the text, as the `::: note` asides are.
    shown = " open" if meta["fold"] == "+" else "" if meta["fold"] else ' role="note"'
    token.attrSet("class", f"callout callout-{meta['type']}")
    token.attrSet("data-callout", meta["written"])
    return f"<{tag}{self.renderAttrs(token)}{shown}>\n"


def _render_title_open(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    tag = "summary" if meta["fold"] else "p"
    return f'<{tag} class="callout-title">{_icon(meta["type"])}<span>'


def _render_title_close(self, tokens, idx, options, env) -> str:
    tag = "summary" if tokens[idx].meta["fold"] else "p"
    content = "" if tokens[idx + 1].type == "callout_close" else '<div class="callout-content">\n'  # a title alone
    return f"</span></{tag}>\n{content}"


def _render_close(self, tokens, idx, options, env) -> str:
    tag = "details" if tokens[idx].meta["fold"] else "div"
    content = "" if tokens[idx - 1].type == "callout_title_close" else "</div>\n"
    return f"{content}</{tag}>\n"


def callouts_plugin(md: MarkdownIt) -> None:
    md.core.ruler.after("block", "callouts", _make_callouts)
    md.add_render_rule("callout_open", _render_open)
    md.add_render_rule("callout_title_open", _render_title_open)
    md.add_render_rule("callout_title_close", _render_title_close)
    md.add_render_rule("callout_close", _render_close)


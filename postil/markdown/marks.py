"""`==highlighted==` text as `<mark>`, as Obsidian writes it.

Pairs of `==` are delimiters like `~~`: they nest with emphasis, open and close by
CommonMark's flanking rules, and an odd `=` stays text. A lone `=` or `==` with spaces
on both sides (`a == b`) is never a highlight.
"""
from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Delimiter

_MARKER = 0x3D  # '='


def _tokenize(state: StateInline, silent: bool) -> bool:
    if silent or state.src[state.pos] != "=":
        return False
    scanned = state.scanDelims(state.pos, True)
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        state.push("text", "", 0).content = "="
        length -= 1
    for _ in range(length // 2):
        state.push("text", "", 0).content = "=="
        state.delimiters.append(Delimiter(_MARKER, 0, len(state.tokens) - 1, -1, scanned.can_open, scanned.can_close))
    state.pos += scanned.length
    return True


def _pair(state: StateInline, delimiters: list[Delimiter]) -> None:
    lone = []
    for delimiter in delimiters:
        if delimiter.marker != _MARKER or delimiter.end == -1:
            continue
        closing = delimiters[delimiter.end]
        for token, kind, nesting in ((state.tokens[delimiter.token], "mark_open", 1), (state.tokens[closing.token], "mark_close", -1)):
            token.type, token.tag, token.nesting, token.markup, token.content = kind, "mark", nesting, "==", ""
        if state.tokens[closing.token - 1].type == "text" and state.tokens[closing.token - 1].content == "=":
            lone.append(closing.token - 1)
    # An odd run is split '=' + '==' …: its lone '=' moves after the closing tags.
    while lone:
        index = lone.pop()
        last = index + 1
        while last < len(state.tokens) and state.tokens[last].type == "mark_close":
            last += 1
        last -= 1
        if index != last:
            state.tokens[index], state.tokens[last] = state.tokens[last], state.tokens[index]


def _post_process(state: StateInline) -> None:
    if "==" not in state.src:  # nearly every paragraph: nothing to pair
        return
    _pair(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and "delimiters" in meta:
            _pair(state, meta["delimiters"])


def marks_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("emphasis", "mark", _tokenize)
    md.inline.ruler2.before("emphasis", "mark", _post_process)

"""Obsidian's `%%comments%%`: the author's notes to self, never published.

Inline, `%%…%%` within a paragraph (which may span its lines) is dropped. A paragraph
that opens with `%%` and whose closing `%%` comes lines later, across blank lines and
any Markdown, is dropped whole, with everything up to the end of that closing line.
"""
from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline


def _inline_comment(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] != "%" or not src.startswith("%%", pos):
        return False
    end = src.find("%%", pos + 2, state.posMax)
    if end < 0:
        return False
    state.pos = end + 2  # nothing is pushed: the comment leaves no trace
    return True


def _block_comment(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    begin = state.bMarks[start_line] + state.tShift[start_line]
    if state.src[begin] != "%" or not state.src.startswith("%%", begin) or state.sCount[start_line] - state.blkIndent >= 4:
        return False
    first = state.src[begin + 2 : state.eMarks[start_line]]
    if "%%" in first:
        # Closed on its own line: only a line that is all comment is a block; otherwise
        # the paragraph keeps its text and the inline rule drops the comment.
        if first.rstrip().endswith("%%") and first.rstrip().count("%%") == 1:
            if not silent:
                state.line = start_line + 1
            return True
        return False
    line = start_line + 1
    while line < end_line:
        text = state.src[state.bMarks[line] : state.eMarks[line]]
        if "%%" in text:
            if not silent:
                state.line = line + 1
            return True
        line += 1
    return False  # never closed: left as text, so nothing vanishes unnoticed


def comments_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before("paragraph", "obsidian_comment", _block_comment, {"alt": ["paragraph", "blockquote", "list"]})
    md.inline.ruler.before("emphasis", "obsidian_comment", _inline_comment)

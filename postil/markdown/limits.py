"""Bounds on a Markdown document (nesting, brackets, blocks): past one it is refused, never cut.

markdown-it bounds its own recursion with the `maxNesting` option, but quietly: a block
nested deeper is dropped with everything after it. Here a guard block rule, first in the
chain, counts blocks (see MAX_BLOCKS below) and refuses a block that starts
`MAX_BLOCK_LEVEL` levels deep (a blockquote is one level, a list two: the list and its
item), and `maxNesting` is set just past it, so markdown-it's cut is never reached.

Inline footnotes (`^[…]`) escape that counter: mdit-py-plugins parses each one's text as
a fresh inline state, and each level costs a pass over the rest of its paragraph, so
50,000 nested ones took 50 s. They are bounded by their own depth.

Brackets cost most: each `[` or `^[` looks for its `]` by skipping token by token, down to
`maxNesting` levels, so a run of them costs some 23 skips a character where prose costs
0.02 (0.5 at most among the other shapes of tests/hostile_inputs.py). A document gets a
budget of skips in proportion to its length that no prose comes near; the paragraph that
spends it is refused, so a file's parse stays linear in its size, with a small constant.

Every block costs the site something (an id, a passage, a render call): a file stops at
`MAX_BLOCKS`, which a book-length essay (some 10,000) stays far below, and a flood of
one-line headings or list items meets at a few hundred KB instead of running a minute.
(A table is one block to the guard: its rows cost about what prose does, three times over.)

A document over a limit raises `OverLimit` from inside the parse; the caller reports it
as an error on that line. Stopping at once also keeps the work bounded.
"""
from __future__ import annotations

from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.footnote.index import footnote_inline

MAX_BLOCK_LEVEL = 20
MAX_FOOTNOTE_DEPTH = 5
MAX_BLOCKS = 50_000
SKIPS_PER_CHARACTER = 1
SKIPS_PER_DOCUMENT = 20_000  # on top of the above: room for a few hundred unclosed '[' anywhere
_FOOTNOTE_DEPTH = "footnote_depth"  # the env key counting the inline footnotes being parsed
_BLOCKS = "blocks"  # the env key counting the blocks started so far
_SKIPS_LEFT = "skips_left"  # the env key holding what is left of the document's budget


class OverLimit(Exception):
    """A document goes past a limit. `line` is 0-based within the parsed text."""

    def __init__(self, message: str, hint: str, line: int = 0):
        super().__init__(message)
        self.message, self.hint, self.line = message, hint, line


def _block_guard(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Called at the start of every block, before any rule that could take it: counts
    blocks and refuses one too deep. Takes nothing itself."""
    blocks = state.env.get(_BLOCKS, 0) + 1
    state.env[_BLOCKS] = blocks
    if blocks > MAX_BLOCKS:
        raise OverLimit(f"more than {MAX_BLOCKS:,} blocks (paragraphs, headings, list items…) in one file", "split it into several essays", start_line)
    if state.level >= MAX_BLOCK_LEVEL:
        raise OverLimit(
            f"blockquotes and lists nest more than {MAX_BLOCK_LEVEL} levels deep (a list counts two)",
            "nest them less deeply",
            start_line,
        )
    return False


def _bounded_footnote_inline(state: StateInline, silent: bool) -> bool:
    if silent:  # only checks where the note ends; parses nothing inside it
        return footnote_inline(state, silent)
    depth = state.env.get(_FOOTNOTE_DEPTH, 0)
    if depth >= MAX_FOOTNOTE_DEPTH:
        start = state.pos
        is_footnote = footnote_inline(state, True)
        state.pos = start
        if is_footnote:
            raise OverLimit(f"inline footnotes nest more than {MAX_FOOTNOTE_DEPTH} deep", "write the inner notes as ordinary footnotes ([^1])")
        return False
    state.env[_FOOTNOTE_DEPTH] = depth + 1
    try:
        return footnote_inline(state, silent)
    finally:
        state.env[_FOOTNOTE_DEPTH] = depth


def _inline_with_lines(state: StateCore) -> None:
    """markdown-it's core `inline` rule, setting the document's budget of skips and
    putting the paragraph's line on an OverLimit."""
    state.env[_SKIPS_LEFT] = SKIPS_PER_DOCUMENT + SKIPS_PER_CHARACTER * len(state.src)
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            try:
                state.md.inline.parse(token.content, state.md, state.env, token.children)
            except OverLimit as exc:
                exc.line = token.map[0] if token.map else 0
                raise


def _counting_skips(skip_token: Callable[[StateInline], None]) -> Callable[[StateInline], None]:
    """markdown-it's `skipToken`, spending the document's budget. The parser offers no hook
    for it, so the plugin wraps the method on its own instance (never the class)."""

    def skip(state: StateInline) -> None:
        left = state.env.get(_SKIPS_LEFT, SKIPS_PER_DOCUMENT) - 1
        if left < 0:
            raise OverLimit(
                "this paragraph has too many nested or unclosed brackets to parse in reasonable time",
                "escape literal brackets as \\[ and \\], or put them in `code`",
            )
        state.env[_SKIPS_LEFT] = left
        skip_token(state)

    return skip


def limits_plugin(md: MarkdownIt) -> None:
    """Use after footnotes_plugin, whose inline footnote rule this bounds."""
    md.options["maxNesting"] = MAX_BLOCK_LEVEL + 2  # a list opens two levels at once
    md.inline.skipToken = _counting_skips(md.inline.skipToken)  # type: ignore[method-assign]
    md.block.ruler.before(md.block.ruler.get_all_rules()[0], "block_guard", _block_guard)
    md.core.ruler.at("inline", _inline_with_lines)
    if "footnote_inline" in md.inline.ruler.get_all_rules():
        md.inline.ruler.at("footnote_inline", _bounded_footnote_inline)

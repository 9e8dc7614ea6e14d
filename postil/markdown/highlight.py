"""Pygments highlighting for fenced code, through markdown-it's `highlight` option."""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from html import escape

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from ..speed.packed import pack, unpack
from ..speed.lexers import joins, tokens

_FORMATTER = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=256)  # bounded: reply authors choose the names
def _lexer(name: str) -> Lexer | None:
    """One lexer per language name, reused: finding and building one per block added ~4% to highlighting.

    A regex lexer finds its tokens with its rules joined (see speed/lexers.py): the rest
    of Pygments, from preprocessing and filters to the formatter, is untouched.
    """
    try:
        lexer = get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    if joins(lexer):
        lexer.get_tokens_unprocessed = partial(tokens, lexer)  # type: ignore[method-assign]
    return lexer


def highlight_code(code: str, language: str, attrs: str = "") -> str:
    """A whole `<pre>` block; unknown or missing languages fall back to escaped plain text."""
    key = (code, language, attrs)
    block = _reusable.get(key) or _highlight(code, language)
    if _used is not None:
        _used[key] = block
    return block


@lru_cache(maxsize=4096)
def _highlight(code: str, language: str) -> str:
    """Cached by content: the same snippet is highlighted once per process."""
    name = language.strip().split(maxsplit=1)[0].lower() if language.strip() else ""
    lexer = _lexer(name) if name else None
    body = pygments_highlight(code, lexer, _FORMATTER) if lexer else escape(code, quote=False)
    label = f' data-lang="{escape(name)}"' if name else ""
    return f'<pre class="highlight"{label} tabindex="0"><code>{body}</code></pre>\n'


# Blocks a file's last parse highlighted, at hand while it is parsed again. A new process
# that re-parses an edited essay then needs no lexer for the code it did not touch:
# building Pygments' lexers (compiling their patterns) is ~70 ms of such a run.
_reusable: dict[tuple[str, str, str], str] = {}
_used: dict[tuple[str, str, str], str] | None = None


@contextmanager
def reusing(blocks: bytes) -> Iterator[dict[tuple[str, str, str], str]]:
    """Highlight with `blocks` (as `pack_blocks` made them) at hand; yields the blocks used."""
    global _reusable, _used
    _reusable, _used = unpack_blocks(blocks), {}
    try:
        yield _used
    finally:
        _reusable, _used = {}, None


def pack_blocks(blocks: dict[tuple[str, str, str], str]) -> bytes:
    return pack([part for (code, language, attrs), block in blocks.items() for part in (code, language, attrs, block)])


def unpack_blocks(packed: bytes) -> dict[tuple[str, str, str], str]:
    """The blocks `pack_blocks` packed; none when they are damaged (they only save time)."""
    try:
        fields = unpack(packed)
    except (zlib.error, UnicodeDecodeError):
        return {}
    return {(fields[i], fields[i + 1], fields[i + 2]): fields[i + 3] for i in range(0, len(fields) - 3, 4)}

"""Pygments highlighting for fenced code, through markdown-it's `highlight` option.

Pygments' lexing machinery is imported only once a block is highlighted: an edit whose
code blocks were all highlighted before takes them from the parse cache (see
speed/parse_cache.py), and its build need not load it.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

LexerFor = Callable[[str], "Lexer | None"]  # a language name → its lexer, or None for an unknown language


@lru_cache(maxsize=256)  # bounded: reply authors choose the names
def pygments_lexer(name: str) -> Lexer | None:
    """One lexer per language name, reused: finding and building one per block added ~4% to highlighting."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_code(code: str, language: str, attrs: str = "", lexer_for: LexerFor = pygments_lexer) -> str:
    """A whole `<pre>` block; unknown or missing languages fall back to escaped plain text.
    (markdown-it's `highlight` option; `attrs` play no part.) `lexer_for` may give lexers
    that find the same tokens faster (the build's: see speed/lexers.py)."""
    return _highlight(code, language, lexer_for)


@lru_cache(maxsize=4096)
def _highlight(code: str, language: str, lexer_for: LexerFor) -> str:
    """Cached by content: the same snippet is highlighted once per process."""
    name = language.strip().split(maxsplit=1)[0].lower() if language.strip() else ""
    lexer = lexer_for(name) if name else None
    if lexer:
        from pygments import highlight as pygments_highlight

        body = pygments_highlight(code, lexer, _formatter())
    else:
        body = escape(code, quote=False)
    label = f' data-lang="{escape(name)}"' if name else ""
    return f'<pre class="highlight"{label} tabindex="0"><code>{body}</code></pre>\n'


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)

"""Pygments highlighting for fenced code, through markdown-it's `highlight` option."""
from __future__ import annotations

from functools import lru_cache, partial
from html import escape

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

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
    """A whole `<pre>` block; unknown or missing languages fall back to escaped plain text.
    (markdown-it's `highlight` option; `attrs` play no part.)"""
    return _highlight(code, language)


@lru_cache(maxsize=4096)
def _highlight(code: str, language: str) -> str:
    """Cached by content: the same snippet is highlighted once per process."""
    name = language.strip().split(maxsplit=1)[0].lower() if language.strip() else ""
    lexer = _lexer(name) if name else None
    body = pygments_highlight(code, lexer, _FORMATTER) if lexer else escape(code, quote=False)
    label = f' data-lang="{escape(name)}"' if name else ""
    return f'<pre class="highlight"{label} tabindex="0"><code>{body}</code></pre>\n'

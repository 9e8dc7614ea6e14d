"""`$…$` and `$$…$$` rendered to MathML at build time, so math reads without JavaScript."""
from __future__ import annotations

from functools import lru_cache
from html import escape

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.dollarmath import dollarmath_plugin


@lru_cache(maxsize=2048)
def _to_mathml(latex: str, display: bool) -> str | None:
    # Imported at the first formula: it takes ~60 ms, and most builds parse no math at all.
    from latex2mathml.converter import convert

    try:
        return convert(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types for bad input; all mean "cannot convert"
        return None


def _renderer(display: bool):
    def render(self, tokens, idx, options, env) -> str:
        token = tokens[idx]
        mathml = _to_mathml(token.content.strip(), display)
        if mathml is None:
            line = token.map[0] if token.map else token.meta.get("line", 0)
            env.setdefault("problems", []).append(
                (line, f"cannot render math: ${token.content.strip()}$", "check the LaTeX; it is shown as code")
            )
            mathml = f"<code>{escape(token.content)}</code>"
        if display:
            return f'<div class="math display">{mathml}</div>\n'
        return f'<span class="math">{mathml}</span>'

    return render


def _remember_inline_lines(state: StateCore) -> None:
    """Inline math has no source map of its own; borrow its paragraph's, for warnings."""
    for token in state.tokens:
        if token.type == "inline" and token.map:
            for child in token.children or ():
                if child.type.startswith("math_inline"):
                    child.meta["line"] = token.map[0]


def math_plugin(md: MarkdownIt) -> None:
    dollarmath_plugin(md, allow_space=True, allow_digits=False, double_inline=True)
    md.core.ruler.after("inline", "math_lines", _remember_inline_lines)
    md.add_render_rule("math_inline", _renderer(False))
    md.add_render_rule("math_inline_double", _renderer(True))
    md.add_render_rule("math_block", _renderer(True))

"""Footnotes with ids namespaced per document, ARIA roles, and checks for loose ends.

mdit-py-plugins parses `[^label]`, `^[inline]` and multi-paragraph definitions; this
module renders them with ids that carry env["docId"], so an essay and its replies on one
page never share an id, ends a quote's lazy continuation at a definition as GFM does,
and reports references without definitions and definitions
never referenced, with their source line.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_def

# No '[' in a label: each "[^" then fails at the next one, where "[^[^[^…" would have
# sent the search to the end of the text from every one of them (n² steps).
_UNDEFINED_REF = re.compile(r"\[\^([^\]\s\[]+)\]")


def _ident(env: dict, number: int) -> str:
    doc = env.get("docId") or ""
    return f"{doc}-{number}" if doc else str(number)


def _render_ref(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    number = meta["id"] + 1
    ident = _ident(env, number)
    ref_id = f"fnref-{ident}" + (f"-{meta['subId']}" if meta.get("subId", 0) > 0 else "")
    return (
        f'<sup class="footnote-ref"><a href="#fn-{ident}" id="{ref_id}" role="doc-noteref" '
        f'aria-label="Footnote {number}">{number}</a></sup>'
    )


def _render_block_open(self, tokens, idx, options, env) -> str:
    # A named endnotes section is a landmark, and a page's landmarks need distinct names:
    # only the page's own document (no docId) gets one; a reply's notes stay a plain list.
    if env.get("docId"):
        return '<section class="footnotes">\n<ol class="footnotes-list">\n'
    return '<section class="footnotes" role="doc-endnotes" aria-label="Footnotes">\n<ol class="footnotes-list">\n'


def _render_block_close(self, tokens, idx, options, env) -> str:
    return "</ol>\n</section>\n"


def _render_open(self, tokens, idx, options, env) -> str:
    return f'<li id="fn-{_ident(env, tokens[idx].meta["id"] + 1)}" class="footnote-item">'


def _render_close(self, tokens, idx, options, env) -> str:
    return "</li>\n"


def _render_anchor(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    number = meta["id"] + 1
    target = f"fnref-{_ident(env, number)}" + (f"-{meta['subId']}" if meta["subId"] > 0 else "")
    # U+FE0E keeps the arrow from turning into an emoji on iOS.
    return (
        f' <a href="#{target}" class="footnote-backref" role="doc-backlink" '
        f'aria-label="Back to reference {number}">\u21a9\ufe0e</a>'
    )


def _record_definition_lines(state: StateCore) -> None:
    lines = state.env.setdefault("footnote_definition_lines", {})
    for token in state.tokens:
        if token.type == "footnote_reference_open" and token.map:
            lines.setdefault(token.meta["label"], token.map[0])


def _check_loose_ends(state: StateCore) -> None:
    env = state.env
    problems = env.setdefault("problems", [])
    refs = env.get("footnotes", {}).get("refs", {})
    for label, line in env.get("footnote_definition_lines", {}).items():
        if refs.get(":" + label, -1) < 0:
            problems.append((line, f"footnote [^{label}] is defined but never referenced", "cite it in the text as [^" + label + "] or delete the definition"))
    for token in state.tokens:
        if token.type != "inline" or not token.map:
            continue
        for child in token.children or ():
            if child.type == "text" and "[^" in child.content:
                for match in _UNDEFINED_REF.finditer(child.content):
                    problems.append((token.map[0], f"footnote reference [^{match[1]}] has no definition", f"add a line '[^{match[1]}]: …' or remove the reference"))


def footnotes_plugin(md: MarkdownIt) -> None:
    footnote_plugin(md)
    # As in GFM (micromark), a definition ends a blockquote's lazy continuation: after
    # '> quoted.[^x]' the line '[^x]: …' is a footnote, not more of the quote.
    md.block.ruler.at("footnote_def", footnote_def, {"alt": ["paragraph", "reference", "blockquote"]})
    md.core.ruler.after("block", "footnote_definition_lines", _record_definition_lines)
    md.core.ruler.after("footnote_tail", "footnote_loose_ends", _check_loose_ends)
    md.add_render_rule("footnote_ref", _render_ref)
    md.add_render_rule("footnote_block_open", _render_block_open)
    md.add_render_rule("footnote_block_close", _render_block_close)
    md.add_render_rule("footnote_open", _render_open)
    md.add_render_rule("footnote_close", _render_close)
    md.add_render_rule("footnote_anchor", _render_anchor)

"""`::: note`, `::: aside` and `::: warning` blocks, rendered as labelled asides."""
from __future__ import annotations

from html import escape

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

KINDS = ("note", "aside", "warning")


def _kind(params: str) -> str:
    return params.strip().split(" ", 2)[0]


def _is_callout(params: str, markup: str) -> bool:
    return _kind(params) in KINDS


def _render(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.nesting != 1:
        return "</aside>\n"
    kind = _kind(token.info)
    title = token.info.strip()[len(kind) :].strip()
    heading = f'<p class="callout-title">{escape(title)}</p>\n' if title else ""
    # role=note: a callout belongs to the text; as a bare <aside> it would be a landmark.
    return f'<aside class="callout callout-{kind}" role="note">\n{heading}'


def containers_plugin(md: MarkdownIt) -> None:
    """One container rule for all kinds: every block rule is tried at every line, so one
    rule instead of one per kind spares two calls per line."""
    container_plugin(md, "callout", validate=_is_callout, render=_render)

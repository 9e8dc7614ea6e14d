"""`::: note`, `::: aside` and `::: warning` blocks, rendered as labelled asides."""
from __future__ import annotations

from html import escape

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

KINDS = ("note", "aside", "warning")


def _render(kind: str):
    def render(self, tokens, idx, options, env) -> str:
        token = tokens[idx]
        if token.nesting != 1:
            return "</aside>\n"
        title = token.info.strip()[len(kind) :].strip()
        heading = f'<p class="callout-title">{escape(title)}</p>\n' if title else ""
        # role=note: a callout belongs to the text; as a bare <aside> it would be a landmark.
        return f'<aside class="callout callout-{kind}" role="note">\n{heading}'

    return render


def containers_plugin(md: MarkdownIt) -> None:
    for kind in KINDS:
        container_plugin(md, kind, render=_render(kind))

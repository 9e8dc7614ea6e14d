"""The Markdown pipeline: one configured markdown-it instance and what it reports.

Each feature is a plugin in this package (a plain `plugin(md)` function); per-document
data travels in markdown-it's `env` and comes back as a `Rendered`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.utils import OptionsDict
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .callouts import callouts_plugin
from .comments import comments_plugin
from .containers import containers_plugin
from .footnotes import footnotes_plugin
from .headings import headings_plugin, recorded_headings
from .highlight import highlight_code
from .limits import OverLimit, limits_plugin
from .links import links_plugin
from .marks import marks_plugin
from .math import math_plugin
from .passages import passages_plugin, top_level_blocks
from .wikilinks import Reference, quartz_links_plugin, wikilinks_plugin


# Link and Passage are named tuples, not dataclasses: a site has tens of thousands of
# them in its parse cache, and a named tuple is read back from it 2.5 times as fast.
class Link(NamedTuple):
    """A Markdown link or image: resolved once, where its document is parsed, and read by
    backlinks, the build's link check and `postil check` alike."""

    line: int
    target: str  # as written
    is_image: bool
    href: str  # as the HTML gives it (see links.py)
    site_path: str | None = None  # where it points inside the site, None when it leaves the site (see site/paths.py resolve_links)


class Passage(NamedTuple):
    """One top-level block's HTML; text blocks also carry their id, line and normalised text."""

    html: str
    id: str = ""
    line: int = 0
    text: str = ""


class Features(NamedTuple):
    """The optional syntax of an essay's Markdown (Obsidian's is on unless a site turns it off)."""

    wikilinks: bool = True  # [[Note]], ![[image.png]], ![[Note]]
    callouts: bool = True  # > [!note] Title
    highlights: bool = True  # ==marked==
    comments: bool = True  # %%never published%%
    link_resolution: str = ""  # a Quartz markdownLinkResolution mode for Markdown links, or postil's own


@dataclass(frozen=True)
class Rendered:
    """A document's HTML, block by block, and what the site needs to know about it.

    Lines are 1-based lines of the source file; `problems` are (line, message, hint).
    """

    passages: tuple[Passage, ...]  # every top-level block; with passages_plugin, text blocks carry their id
    headings: tuple[tuple[int, str, str], ...]
    links: tuple[Link, ...]
    problems: tuple[tuple[int, str, str], ...]
    word_count: int
    first_paragraph: str
    references: tuple[Reference, ...] = ()
    section_leads: tuple[tuple[str, str], ...] = ()

    @property
    def html(self) -> str:
        """The whole document: its blocks joined (rendering them together gives the same)."""
        return "".join(passage.html for passage in self.passages)


def _table_wrapper(md: MarkdownIt) -> None:
    """Wide tables scroll inside their own box instead of widening the page."""

    def table_open(self, tokens, idx, options, env) -> str:
        return '<div class="table-wrap" tabindex="0">' + self.renderToken(tokens, idx, options, env)

    def table_close(self, tokens, idx, options, env) -> str:
        return self.renderToken(tokens, idx, options, env) + "</div>\n"

    md.add_render_rule("table_open", table_open)
    md.add_render_rule("table_close", table_close)


@lru_cache(maxsize=None)
def essay_markdown(features: Features = Features()) -> MarkdownIt:
    """The trusted pipeline for the author's essays: raw HTML and smart typography on."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": True, "highlight": highlight_code})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    resolves = features.wikilinks or bool(features.link_resolution)
    for plugin, wanted in (
        (comments_plugin, features.comments),
        (footnotes_plugin, True),
        (limits_plugin, True),
        (deflist_plugin, True),
        (partial(tasklists_plugin, label=True), True),  # a checkbox needs its text as label
        (containers_plugin, True),
        (callouts_plugin, features.callouts),
        (math_plugin, True),
        (marks_plugin, features.highlights),
        (attrs_plugin, True),
        (attrs_block_plugin, True),
        (links_plugin, True),
        (partial(quartz_links_plugin, mode=features.link_resolution), bool(features.link_resolution)),
        (_table_wrapper, True),
        (headings_plugin, True),
        (wikilinks_plugin, resolves),  # after the heading ids (and typography), before the passages
        (passages_plugin, True),
    ):
        if wanted:
            md.use(plugin)
    if not features.wikilinks and resolves:
        md.inline.ruler.disable("wikilink")
    return md


def _word_count(tokens) -> int:
    count = 0
    for token in tokens:
        for child in token.children or ():
            if child.type == "text":
                count += len(child.content.split())
    return count


def _first_paragraph(tokens) -> str:
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            children = tokens[index + 1].children or ()
            text = "".join(" " if c.type == "softbreak" else c.content for c in children if c.type in ("text", "code_inline", "softbreak"))
            return text.strip()
    return ""


Highlight = Callable[[str, str, str], str]  # markdown-it's `highlight` option: (code, language, attrs) → a <pre> block


def rendering_options(md: MarkdownIt, highlight: Highlight | None) -> OptionsDict:
    """`md`'s options, with another function to highlight code (one that reuses what an
    earlier parse highlighted, say) when given one."""
    return md.options if highlight is None else OptionsDict({**md.options, "highlight": highlight})


def render_markdown(
    md: MarkdownIt, body: str, *, first_line: int, base_path: str, doc_id: str = "", highlight: Highlight | None = None, env: dict | None = None,
) -> Rendered:
    """Render `body`, whose first line is line `first_line` of its file; `highlight`, if
    given, highlights its code in place of `md`'s own.

    `env` is markdown-it's env for this document, for a pipeline that needs more than
    `Rendered`: what its plugins read goes in (a reply's `page_path`), what its own rules
    record comes back in it (a reply's summary).
    Raises OverLimit, its `line` made a file line, for a document nested past a limit."""
    env = {} if env is None else env
    env["base_path"] = base_path
    if doc_id:
        env["docId"] = doc_id
    try:
        tokens = md.parse(body, env)
    except OverLimit as exc:
        exc.line += first_line
        raise
    offset = first_line
    return Rendered(
        passages=_render_passages(md, rendering_options(md, highlight), tokens, env, first_line),
        headings=recorded_headings(env),
        links=tuple(Link(line + offset, target, image, href) for line, target, image, href in env.get("links", ())),
        problems=tuple((line + offset, message, hint) for line, message, hint in env.get("problems", ())),
        word_count=_word_count(tokens),
        first_paragraph=_first_paragraph(tokens),
        references=tuple(reference._replace(line=reference.line + offset) for reference in env.get("site_references", ())),
        section_leads=tuple(env.get("section_leads", ())),
    )


def _render_passages(md: MarkdownIt, options: OptionsDict, tokens, env: dict, first_line: int) -> tuple[Passage, ...]:
    """Render block by block, so the site can put side comments beside a passage.

    Rendering consecutive top-level slices gives exactly the HTML of rendering them all at once.
    """
    known = env.get("passages", {})
    passages = []
    for start, end in top_level_blocks(tokens):
        html = md.renderer.render(tokens[start:end], options, env)
        if start in known:
            ident, line, text = known[start]
            passages.append(Passage(html, ident, line + first_line, text))
        else:
            passages.append(Passage(html))
    return tuple(passages)

"""The untrusted pipeline for reader replies: Markdown without HTML, then nh3 on top.

Replies are written by strangers. Raw HTML is shown as text; quotes, dashes and ellipses
are set as in the essay (these rules touch only text tokens, never code, URLs or
attributes, and add nothing but punctuation), but not the essay's other replacements:
a stranger who writes "(c)" or "C++-like" cannot preview it, and means no © or ±. Links
may only use http, https, mailto or a relative path and carry
rel="nofollow ugc noopener", images become plain links, and headings stay paragraphs (a
reply is part of a page, not a document). Then nh3 (Ammonia) cleans the HTML with a
tight allow-list, as a second line of defence against anything the first one misses.

`{.elsewhere}` on the line before a blockquote marks a quote from outside the thread;
every other attribute an attribute line tries to set is dropped.

The reply is rendered by the essays' `render_markdown`; what the site shows of a reply
besides its HTML (its text, excerpt and opening quote) is recorded by this pipeline's own
rule in `env["reply_summary"]` (a `ReplySummary`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, replacements
from mdit_py_plugins.attrs import attrs_block_plugin

from .footnotes import footnotes_plugin
from .highlight import highlight_code
from .limits import limits_plugin
from .links import links_plugin
from .passages import plain_text
from ..site.quotes import normalise

SAFE_SCHEMES = frozenset(("http", "https", "mailto"))
LINK_REL = "nofollow ugc noopener"
ELSEWHERE_CLASS = "elsewhere"
EXCERPT_LENGTH = 280

_CONTROL = re.compile(r"[\x00-\x20\x7f]")

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "del", "s", "code", "pre", "span", "a", "blockquote",
    "ul", "ol", "li", "hr", "sup", "section", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "id", "class", "role", "aria-label"},
    "blockquote": {"class"},
    "li": {"id", "class"},
    "ol": {"start", "class"},
    "section": {"class", "role", "aria-label"},
    "sup": {"class"},
    "pre": {"class", "data-lang", "tabindex"},
    "span": {"class"},
    "th": {"style"},
    "td": {"style"},
}
_ALIGNMENT = re.compile(r"text-align:(left|right|center)")


def is_safe_url(url: str) -> bool:
    """http, https, mailto, or a URL with no scheme at all (relative or a #fragment)."""
    cleaned = _CONTROL.sub("", url)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return False
    if parts.scheme:
        return parts.scheme.lower() in SAFE_SCHEMES
    return not cleaned.startswith("//") and ":" not in cleaned.split("/", 1)[0]


def _link_rel(md: MarkdownIt) -> None:
    def link_open(self, tokens, idx, options, env) -> str:
        tokens[idx].attrSet("rel", LINK_REL)
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)


def _dashes_and_ellipses(state: StateCore) -> None:
    """`--` and `---` as en and em dashes, `...` as an ellipsis: the essay's rules for them
    (markdown-it's own patterns), in text only, outside autolinks."""
    for block in state.tokens:
        inside_autolink = False
        for token in block.children or ():
            if token.type == "link_open" and token.info == "auto":
                inside_autolink = True
            elif token.type == "link_close" and token.info == "auto":
                inside_autolink = False
            elif token.type == "text" and not inside_autolink and ("--" in token.content or ".." in token.content):
                text = replacements.ELLIPSIS_RE.sub("\u2026", token.content)
                text = replacements.EM_DASH_RE.sub("\\1\u2014", text)
                text = replacements.EN_DASH_RE.sub("\\1\u2013", text)
                token.content = replacements.EN_DASH_INDENT_RE.sub("\\1\u2013", text)


_OWN_ATTRIBUTES = {("ordered_list_open", "start"), ("th_open", "style"), ("td_open", "style")}


def _keep_only_elsewhere(state: StateCore) -> None:
    """Turn `{.elsewhere}` into a flag on the blockquote; drop every other attribute line."""
    for token in state.tokens:
        classes = str(token.attrs.pop("class", "") or "").split()
        if token.type == "blockquote_open" and ELSEWHERE_CLASS in classes:
            token.meta["elsewhere"] = True
        for name in [name for name in token.attrs if (token.type, name) not in _OWN_ATTRIBUTES]:
            del token.attrs[name]
        if token.meta.get("elsewhere"):
            token.attrSet("class", ELSEWHERE_CLASS)


class OpeningQuote(NamedTuple):
    line: int  # 0-based line of the body
    text: str  # normalised (see site/quotes.py)
    elsewhere: bool  # marked `{.elsewhere}`: quotes something outside the thread


class ReplySummary(NamedTuple):
    """What lists of replies and the quote check read of a reply, besides its HTML."""

    text: str  # the whole body, normalised, so replies below can quote it
    excerpt: str  # its first words as plain text
    quote: OpeningQuote | None


def _summarise(state: StateCore) -> None:
    tokens = state.tokens
    text = normalise(" ".join(plain_text(token.children) for token in tokens if token.type == "inline"))
    state.env["reply_summary"] = ReplySummary(text, _excerpt(tokens), _opening_quote(tokens))


def _excerpt(tokens) -> str:
    """The reply's first words as plain text: its own words, not what it quotes (unless it
    is only a quote), cut at a word near EXCERPT_LENGTH characters."""
    own, quoted = [], []
    depth = 0
    for token in tokens:
        if token.type == "footnote_block_open":
            break
        depth += token.type == "blockquote_open"
        depth -= token.type == "blockquote_close"
        if token.type == "inline":
            (quoted if depth else own).append(plain_text(token.children))
    text = " ".join(" ".join(own or quoted).split())
    if len(text) <= EXCERPT_LENGTH:
        return text
    cut = text.rfind(" ", 0, EXCERPT_LENGTH)
    return text[: cut if cut > EXCERPT_LENGTH // 2 else EXCERPT_LENGTH].rstrip(" ,;:.") + "…"


def _opening_quote(tokens) -> OpeningQuote | None:
    """The reply's opening quote, if it opens with one: the only quote that anchors it.

    A reply that opens by quoting answers that passage (of the essay, or of a reply above);
    quotes further down are the reader's evidence, often from other sources, and are not
    checked. A quote of several paragraphs stands for the first of them, the passage it
    is pinned beside. Nested quotes quote the quote and are not checked.
    """
    if not tokens or tokens[0].type != "blockquote_open":
        return None
    depth = 0
    for index, token in enumerate(tokens):
        if token.type == "blockquote_open":
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
            if depth == 0:
                break
    inside = tokens[1:index]
    paragraphs = [t for t in inside if t.type == "paragraph_open" and t.level == 1]
    if len(paragraphs) > 1:
        start = inside.index(paragraphs[0])
        inside = inside[start : inside.index(paragraphs[1])]
    text = normalise(" ".join(plain_text(t.children) for t in inside if t.type == "inline" and t.level <= 2))
    return OpeningQuote(tokens[0].map[0] if tokens[0].map else 0, text, bool(tokens[0].meta.get("elsewhere")))


@lru_cache(maxsize=None)
def reply_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "highlight": highlight_code})
    md.enable(["table", "strikethrough", "smartquotes"])
    md.core.ruler.before("smartquotes", "reply_dashes", _dashes_and_ellipses)
    md.disable(["image", "heading", "lheading"])
    md.validateLink = lambda url: is_safe_url(url)
    md.use(footnotes_plugin)
    md.use(limits_plugin)
    md.use(attrs_block_plugin, allowed=("class",))
    md.core.ruler.after("attr", "reply_attributes", _keep_only_elsewhere)
    md.use(links_plugin)
    md.use(_link_rel)
    md.core.ruler.push("reply_summary", _summarise)
    return md


def sanitise(html: str, doc_id: str) -> str:
    """nh3 with the reply allow-list; ids must carry this reply's own prefix. (Imported
    here: a build that parses no reply, an essay's edit, need not load it.)"""
    import nh3

    def keep(element: str, attribute: str, value: str) -> str | None:
        if attribute == "id":
            return value if value.startswith((f"fn-{doc_id}-", f"fnref-{doc_id}-")) else None
        if attribute == "style":
            return value if _ALIGNMENT.fullmatch(value) else None
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep,
        url_schemes=set(SAFE_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )

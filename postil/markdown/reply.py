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
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, replacements
from mdit_py_plugins.attrs import attrs_block_plugin

from .footnotes import footnotes_plugin
from .highlight import highlight_code
from .limits import limits_plugin
from .links import links_plugin

SAFE_SCHEMES = frozenset(("http", "https", "mailto"))
LINK_REL = "nofollow ugc noopener"
ELSEWHERE_CLASS = "elsewhere"

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
    return md


def sanitise(html: str, doc_id: str) -> str:
    """nh3 with the reply allow-list; ids must carry this reply's own prefix."""

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

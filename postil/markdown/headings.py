"""Heading ids as GitHub makes them, a visible permalink, and the heading list for a TOC.

Anchors written for GitHub, Quartz or Obsidian (`#notes-1`, `#über-uns`) keep working
because every heading, h1 to h6, gets the id GitHub's slugger gives it. Headings that
had another id under postil's earlier rule (h2–h4, `-2` for repeats, runs of `-`
folded) keep that id as an extra anchor, so links to existing sites do not break.
"""
from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from ..slugs import github_slug, slugify
from .ids import UniqueIds

# Ids that other features generate; a heading may never take one of them.
_RESERVED_PREFIXES = ("fn-", "fnref-", "reply-", "replies", "passage-")
_LEGACY_LEVELS = ("h2", "h3", "h4")  # the levels that had ids before GitHub's rule


class GithubSlugger:
    """Unique slugs in document order: a repeat gets '-1', '-2', … as on GitHub."""

    def __init__(self) -> None:
        self.occurrences: dict[str, int] = {}

    def slug(self, text: str) -> str:
        original = result = github_slug(text)
        while result in self.occurrences:
            self.occurrences[original] += 1
            result = f"{original}-{self.occurrences[original]}"
        self.occurrences[result] = 0
        return result


def _slug_text(inline: Token) -> str:
    """A heading's text as GitHub reads it: text, code and link text, no markup or images."""
    return "".join(child.content for child in inline.children or () if child.type in ("text", "code_inline", "text_special"))


def _plain_text(inline: Token) -> str:
    return "".join(child.content for child in inline.children or () if child.type in ("text", "code_inline"))


def recorded_headings(env: dict) -> tuple[tuple[int, str, str], ...]:
    """(level, id, text) of each heading, its text as typography left it (see headings_plugin)."""
    return tuple((level, ident, _plain_text(inline)) for level, ident, inline in env.get("headings", ()))


def headings_plugin(md: MarkdownIt) -> None:
    """Give every heading an id and a permalink; record them in env["headings"] as (level,
    id, inline token): `recorded_headings` reads their text once typography has run.

    Runs right after the inline stage, so the slug is made from the text as written, as
    GitHub does ("--" and quotes as typed, not as dashes and curly quotes).
    An id set by the author (`{#id}`) is kept. A document with env["docId"] (a reply)
    prefixes its ids so they never clash on a page; a slug that postil's own ids use
    (`replies`, `fn-1`, `reply-…`, `passage-…`) gets 'h-' in front.
    """

    def assign_ids(state: StateCore) -> None:
        prefix = state.env.get("docId") or ""
        headings = state.env.setdefault("headings", [])
        tokens = state.tokens
        slugger = GithubSlugger()
        legacy_ids = UniqueIds()
        assigned: list[tuple[Token, Token, str, str]] = []  # open, inline, id, legacy id
        for index, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            inline = tokens[index + 1]
            slug = slugger.slug(_slug_text(inline)) or slugger.slug("section")
            legacy = _legacy_id(inline.content, legacy_ids) if token.tag in _LEGACY_LEVELS and not prefix else ""
            own = str(token.attrGet("id") or "")
            if own:
                slug = own
            elif prefix:
                slug = f"{prefix}-{slug}"
            elif slug.startswith(_RESERVED_PREFIXES):
                slug = f"h-{slug}"
            assigned.append((token, inline, slug, legacy))
        ids = {slug for _, _, slug, _ in assigned}
        for token, inline, slug, legacy in assigned:
            token.attrSet("id", slug)
            headings.append((int(token.tag[1]), slug, inline))
            children = inline.children if inline.children is not None else []
            if legacy and legacy not in ids:
                # The id this heading had before: kept, unless it now names another heading.
                children.insert(0, _html(f'<span id="{legacy}" class="heading-former-id"></span>'))
            children.append(_html(f' <a class="heading-anchor" href="#{slug}" aria-hidden="true" tabindex="-1" data-pagefind-ignore>#</a>'))
            inline.children = children

    md.core.ruler.after("inline", "heading_ids", assign_ids)


def _legacy_id(text: str, ids: UniqueIds) -> str:
    """The id postil gave an h2–h4 before it followed GitHub."""
    base = slugify(text)
    if base.startswith(_RESERVED_PREFIXES):
        base = f"h-{base}"
    return ids.take(base)


def _html(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content
    return token

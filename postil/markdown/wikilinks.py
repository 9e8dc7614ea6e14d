"""Obsidian's `[[Note]]` links and `![[…]]` embeds, and Markdown links resolved the Quartz way.

Which essay `[[Note]]` names depends on the other files of the site (its file name,
title or alias), and parsing sees one file only. So a link to another note is parsed
into a `Reference` (in env["site_references"]: markdown-it keeps link definitions in
env["references"]) and rendered with placeholders, `\\ue000n:slot\\ue001`, that the
site fills in once every essay is known (site/references.py, then the template's
`resolved` filter). `[[#Heading]]` needs only this document and is resolved
here. A placeholder sits only inside what these rules render; nothing else is rewritten.

Forms: `[[Note]]`, `[[Note|text]]`, `[[Note#Heading]]`, `[[#Heading]]`, `![[image.png]]`,
`![[image.png|300]]` (or `|300x200`, or `|alt text`), `![[Note]]` and `![[Note#Heading]]`:
a transclusion, alone in its paragraph a block, in running text a link.
"""
from __future__ import annotations

from html import escape
from typing import NamedTuple
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from ..slugs import github_slug
from .passages import plain_text

IMAGE_EXTENSIONS = frozenset((".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".bmp"))
PLACEHOLDER_START, PLACEHOLDER_END = "\ue000", "\ue001"
QUARTZ_MODES = ("shortest", "absolute", "relative")
LEAD_WORDS = 40  # as many as an essay's own summary


class Reference(NamedTuple):
    """A link whose target the whole site decides. `line` is 0-based in the body while
    parsing, a file line in the Essay."""

    line: int
    kind: str  # link | image | note (a transclusion) | path (a Markdown link, Quartz's way)
    target: str  # as written, without its '#fragment': 'Note', 'folder/Note', 'pic.png', './essay'
    fragment: str = ""  # a heading's text (or, for 'path', the fragment as written)
    mode: str = "shortest"  # how a 'path' is resolved: one of QUARTZ_MODES


def placeholder(index: int, slot: int) -> str:
    """Where the site puts slot `slot` (0: URL, 1: title, 2: excerpt) of reference `index`."""
    return f"{PLACEHOLDER_START}{index}:{slot}{PLACEHOLDER_END}"


def _parse_inner(inner: str) -> tuple[str, str, str]:
    """'Note#Heading|text' → ('Note', 'Heading', 'text'); a '\\|' (in a table) counts as '|'."""
    inner = inner.replace("\\|", "|")
    target, _, label = inner.partition("|")
    target, _, fragment = target.partition("#")
    return target.strip(), fragment.strip(), label.strip()


def _kind(target: str, embed: bool) -> str:
    if not embed:
        return "link"
    extension = target[target.rfind(".") :].lower() if "." in target.rsplit("/", 1)[-1] else ""
    if extension in IMAGE_EXTENSIONS:
        return "image"
    return "note" if not extension or extension == ".md" else "link"


def _wikilink(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] == "[":
        if not src.startswith("[", pos + 1):
            return False
        start, embed = pos + 2, False
    elif src[pos] == "!":
        if not src.startswith("[[", pos + 1):
            return False
        start, embed = pos + 3, True
    else:
        return False
    end = src.find("]]", start, state.posMax)
    if end <= start:
        return False
    inner = src[start:end]
    if "\n" in inner or "[" in inner or "]" in inner:
        return False
    target, fragment, label = _parse_inner(inner)
    if not target and not fragment:
        return False
    if not silent:
        state.env["wikilinks"] = True  # spares documents without any a look at every inline token
        kind = _kind(target, embed)
        meta = {"kind": kind, "target": target, "fragment": fragment, "label": label}
        if kind == "image":
            state.push("wikilink_image", "img", 0).meta = meta
        else:
            # The shown text is a text token, so word counts, summaries and quotes see it.
            state.push("wikilink_open", "a", 1).meta = meta
            state.push("text", "", 0).content = _shown_text(meta)
            state.push("wikilink_close", "a", -1)
    state.pos = end + 2
    return True


def _shown_text(meta: dict) -> str:
    if meta["label"] and meta["kind"] != "image":
        return meta["label"]
    target = meta["target"].removesuffix(".md")
    if meta["fragment"]:
        return f"{target} › {meta['fragment']}" if target else meta["fragment"]
    return target


def _in_page_href(fragment: str, heading_ids: set[str]) -> str | None:
    slug = github_slug(fragment)
    for candidate in (slug, f"h-{slug}"):
        if candidate in heading_ids:
            return "#" + candidate
    return None


def _resolve_in_document(state: StateCore) -> None:
    """Number the references to other notes, resolve `[[#Heading]]`, make a transclusion
    alone in its paragraph a block of its own, and note each section's first words (what
    `![[This#Heading]]` elsewhere shows)."""
    env = state.env
    references: list[Reference] = env.setdefault("site_references", [])
    leads: list[tuple[str, str]] = env.setdefault("section_leads", [])
    heading_ids = {ident for _, ident, _ in env.get("headings", ())}
    tokens = state.tokens
    promoted: list[tuple[int, list[Token]]] = []
    section = ""
    linked = env.get("wikilinks") or env.get("quartz_links")
    for index, block in enumerate(tokens):
        if block.type == "heading_open":
            section = str(block.attrGet("id") or "")
            continue
        if block.type != "inline" or not block.children or not block.map:
            continue
        if section and tokens[index - 1].type == "paragraph_open":
            words = plain_text(block.children).split()
            leads.append((section, " ".join(words[:LEAD_WORDS]) + ("…" if len(words) > LEAD_WORDS else "")))
            section = ""
        if not linked:
            continue
        for child in block.children:
            if child.type in ("wikilink_open", "wikilink_image"):
                meta = child.meta
                if not meta["target"]:
                    meta["href"] = _in_page_href(meta["fragment"], heading_ids)
                    if meta["href"] is None:
                        env.setdefault("problems", []).append((block.map[0], f"[[#{meta['fragment']}]] names no heading of this essay", "write the heading's text exactly as it is, or remove the link"))
                        meta["href"] = "#" + github_slug(meta["fragment"])
                    continue
                meta["index"] = len(references)
                references.append(Reference(block.map[0], meta["kind"], meta["target"], meta["fragment"]))
            elif child.type in ("link_open", "image") and "reference" in child.meta:
                child.meta["index"] = len(references)
                references.append(child.meta.pop("reference")._replace(line=block.map[0]))
                child.attrSet("href" if child.type == "link_open" else "src", placeholder(child.meta["index"], 0))
        if tokens[index - 1].type == "paragraph_open" and _only_transclusions(block.children):
            promoted.append((index, [child for child in block.children if child.type == "wikilink_open"]))
    for index, embeds in reversed(promoted):
        opening = tokens[index - 1]
        blocks = []
        for embed in embeds:
            token = Token("transclusion", "aside", 0)
            token.block, token.level, token.map, token.meta = True, opening.level, opening.map, embed.meta
            blocks.append(token)
        tokens[index - 1 : index + 2] = blocks


def _only_transclusions(children: list[Token]) -> bool:
    found = inside = False
    for child in children:
        if child.type == "wikilink_open" and child.meta["kind"] == "note" and child.meta["target"]:
            found = inside = True
        elif child.type == "wikilink_close":
            inside = False
        elif not (inside or child.type == "softbreak" or (child.type == "text" and not child.content.strip())):
            return False
    return found


def _render_image(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    size = _size(meta["label"])
    alt = meta["label"] if meta["label"] and not size else meta["target"].rsplit("/", 1)[-1]
    dimensions = "".join(f' {name}="{value}"' for name, value in zip(("width", "height"), size))
    return f'<img src="{placeholder(meta["index"], 0)}" alt="{escape(alt)}"{dimensions} loading="lazy">'


def _render_open(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    return f'<a class="internal" href="{escape(meta.get("href") or placeholder(meta["index"], 0))}">'


def _render_close(self, tokens, idx, options, env) -> str:
    return "</a>"


def _size(label: str) -> tuple[str, ...]:
    """'300' → ('300',), '300x200' → ('300', '200'); anything else is alt text."""
    parts = label.lower().split("x")
    return tuple(parts) if 0 < len(parts) <= 2 and all(part.isdigit() for part in parts) else ()


def _render_transclusion(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    index = meta["index"]
    return (
        f'<aside class="transclusion" role="note">\n<p class="transclusion-source">'
        f'<a class="internal" href="{placeholder(index, 0)}">{placeholder(index, 1)}</a></p>\n'
        f"{placeholder(index, 2)}</aside>\n"
    )


def wikilinks_plugin(md: MarkdownIt) -> None:
    """`[[…]]` and `![[…]]`. Use after headings_plugin (in-page links need the heading ids)
    and before passages_plugin (a lone transclusion becomes a block of its own)."""
    md.inline.ruler.before("link", "wikilink", _wikilink)
    md.core.ruler.push("wikilink_references", _resolve_in_document)
    md.add_render_rule("wikilink_open", _render_open)
    md.add_render_rule("wikilink_close", _render_close)
    md.add_render_rule("wikilink_image", _render_image)
    md.add_render_rule("transclusion", _render_transclusion)


def _quartz_target(href: str) -> bool:
    """A link Quartz would resolve among the notes: a path, with no scheme or host."""
    if not href or href.startswith(("#", "//", "mailto:")) or ":" in href.split("/", 1)[0]:
        return False
    return True


def quartz_links_plugin(md: MarkdownIt, mode: str) -> None:
    """Markdown links to notes resolved as Quartz's `markdownLinkResolution` `mode` does:
    '/research' from the content root, './essay' beside the note, a bare name anywhere
    ('shortest'), a note's alias too. Use after links_plugin and with wikilinks_plugin."""

    def mark(state: StateCore) -> None:
        for block in state.tokens:
            if block.type != "inline":
                continue
            for child in block.children or ():
                if child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                    if _quartz_target(href):
                        state.env["quartz_links"] = True
                        target, _, fragment = href.partition("#")
                        child.meta["reference"] = Reference(0, "path", unquote(target), fragment, mode)
                elif child.type == "image":
                    src = str(child.attrGet("src") or "")
                    if _quartz_target(src):  # beside the note, as Quartz reads it, not beside its page
                        state.env["quartz_links"] = True
                        child.meta["reference"] = Reference(0, "image", unquote(src.partition("#")[0]), "", mode)

    md.core.ruler.before("collect_links", "quartz_links", mark)

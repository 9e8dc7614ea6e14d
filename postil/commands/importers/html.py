"""Hostile HTML in, reply Markdown out (markdownify, on a cleaned Beautiful Soup tree).

Comments that reach an export only as HTML are written by strangers like any reply.
Before conversion the tree loses everything that is not text and structure: scripts,
styles, frames, forms, media and their contents; links that are not http, https or
relative become their text; images become links to them (never embedded, so never
hotlinked). Headings become bold paragraphs, as replies have no headings. The forums'
footnote sections become postil footnotes (see footnotes.py). What comes out is
Markdown that the reply pipeline renders without raw HTML and cleans again with nh3.
"""
from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString, Tag
from markdownify import MarkdownConverter

from ...markdown.reply import is_safe_url
from .footnotes import Footnote, definitions

DROPPED = (
    "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
    "form", "input", "button", "select", "textarea", "svg", "math", "canvas", "audio", "video", "picture",
    "source", "track", "head", "title", "meta", "link", "base",
)


class _ReplyConverter(MarkdownConverter):
    def convert_hN(self, n, el, text, parent_tags):  # noqa: N802 (markdownify's name)
        text = text.strip()
        return f"\n\n**{text}**\n\n" if text else ""

    def convert_img(self, el, text, parent_tags):
        alt = " ".join((el.get("alt") or "").split()) or "image"
        src = (el.get("src") or "").strip()
        return f"[{alt}]({src})" if src.startswith(("https://", "http://")) and " " not in src else alt


def html_to_markdown(html: str) -> str:
    """Markdown for one comment's HTML body, footnotes included."""
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(DROPPED):
        element.decompose()
    for link in soup.find_all("a"):
        href = (link.get("href") or "").strip()
        if not href or not is_safe_url(href) or href.lower().startswith("mailto:"):
            link.unwrap()
    notes = _footnotes(soup)
    markdown = _convert(soup)
    for number, note in enumerate(notes):
        markdown = markdown.replace(_placeholder(number), note.reference())
        markdown += "\n\n" + note.definition()
    return markdown.strip()


def _placeholder(number: int) -> str:
    """What stands for a footnote reference during conversion, which would escape `[^1]`."""
    return f"POSTILFOOTNOTEREFERENCE{number}X"


def _convert(node: Tag) -> str:
    converter = _ReplyConverter(heading_style="ATX", bullets="-", strip=["span"], escape_misc=True)
    return converter.convert_soup(node).strip()


def _footnotes(soup: BeautifulSoup) -> list[Footnote]:
    """Replace the forums' footnote references by `[^n]` and take out their sections.

    Two forms are known: CKEditor's (LessWrong's and the EA Forum's rich-text editor:
    `span.footnote-reference` pointing into an `ol.footnote-section` whose items hold a
    `^` back link and a `div.footnote-content`), and markdown-it-footnote's (their
    Markdown editor: `sup.footnote-ref` pointing into `section.footnotes`, each item
    ending in a `↩︎` back link).
    """
    items: list[tuple[str, Tag]] = []  # (the id references point at, the item)
    found = soup.select("ol.footnote-section, [data-footnote-section], section.footnotes, div.footnotes, ol.footnotes")
    sections = [section for section in found if not any(parent in found for parent in section.parents)]
    for section in sections:
        for item in section.find_all("li"):
            ident = item.get("data-footnote-id") or item.get("id") or ""
            items.append((str(ident), item))
    if not items:
        return []
    texts: list[tuple[str, str]] = []
    for ident, item in items:
        for back in item.select(".footnote-back-link, [data-footnote-back-link], a.footnote-backref, a[href^='#fnref']"):
            back.decompose()
        content = item.select_one(".footnote-content, [data-footnote-content]") or item
        content.name = "div"  # its text, not a list item of its own
        texts.append((ident, _convert(content)))
    for section in sections:
        previous = section.find_previous_sibling()
        if isinstance(previous, Tag) and previous.name == "hr" and "footnotes-sep" in (previous.get("class") or []):
            previous.decompose()
        section.decompose()
    notes = definitions(texts, taken=soup.get_text())
    by_id = {note.source_id: number for number, note in enumerate(notes)}
    for reference in soup.select("span.footnote-reference, [data-footnote-reference], sup.footnote-ref, a[href^='#fn']"):
        if not any(parent is soup for parent in reference.parents):  # inside a reference already replaced
            continue
        ident = str(reference.get("data-footnote-id") or "")
        if not ident:
            link = reference if reference.name == "a" else reference.find("a")
            ident = str(link.get("href", "")).removeprefix("#") if isinstance(link, Tag) else ""
        number = by_id.get(ident.removeprefix("fn"))
        if number is None:
            continue
        outer = reference
        while outer.parent is not None and outer.parent.name in ("sup", "span") and len(outer.parent.get_text(strip=True)) == len(reference.get_text(strip=True)):
            outer = outer.parent
        outer.replace_with(NavigableString(_placeholder(number)))
    return notes

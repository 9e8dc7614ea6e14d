"""The forums' footnotes, in every form they reach an export, as postil footnotes (`[^n]`).

ForumMagnum (LessWrong, the Alignment Forum, the EA Forum) has two editors, and a
comment's Markdown is either what its author typed or what the server made of its HTML
with Turndown. So footnotes come as:

1. Markdown footnotes, `text[^1]` … `[^1]: note` (the Markdown editor): kept as they are;
2. the rich-text editor's, turned into Markdown: references `^[\\[1\\]](#fnab12)^` and,
   at the end, a numbered list whose items open with the back marker `^**[^](#fnrefab12)**^`;
3. the same copied from a page: references `[1]` and items opening with a bare `^`;
4. markdown-it-footnote's HTML turned into Markdown: references `[\\[1\\]](#fn1)` and
   items ending in a `[↩︎](#fnref1)` back link;
5. and the two HTML sections themselves (see html.py), which use `definitions` below.

The footnote list is found with markdown-it (its block structure and source lines), so a
numbered list that merely looks similar inside a quote or code block is left alone.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from markdown_it import MarkdownIt

# A numbered item that opens with the back marker: `1.  ^**[^](#fnrefab12)**^`, `1. ^`.
_MARKER_ITEM = re.compile(r"^\s{0,3}(\d{1,9})[.)]\s+\^?\s*(?:\*\*)?\s*\[?\^\]?(?:\(#fnref([^)\s]*)\))?\s*(?:\*\*)?\s*\^?(?:\s+(.*))?$")
_BACK_LINK = re.compile(r"\s*\[?(?:↩︎|↩|\\?\^)\]?(?:\(#fnref([^)\s]*)\))?\s*$")
_LINKED_REFERENCE = re.compile(r"\^?\[\\?\[(\d+)\\?\]\]\(#fn(?!ref)([^)\s]*)\)\^?")
_BARE_REFERENCE = re.compile(r"\\?\[(\d+)\\?\](?![(\[:])")
_CODE_SPAN = re.compile(r"(`+)[^`]*?\1")
_LIST_MARKER = re.compile(r"^\s{0,3}\d{1,9}[.)]\s+")


@dataclass(frozen=True)
class Footnote:
    label: str
    source_id: str  # what the forum's references point at ('fnab12' → 'ab12', or the item's id)
    text: str  # Markdown

    def reference(self) -> str:
        return f"[^{self.label}]"

    def definition(self) -> str:
        lines = self.text.strip().splitlines() or [""]
        rest = "".join("\n" + (f"    {line}" if line.strip() else "") for line in lines[1:])
        return f"[^{self.label}]: {lines[0]}{rest}"


def definitions(texts: list[tuple[str, str]], taken: str) -> list[Footnote]:
    """Footnotes numbered in order; labels that `taken` (the text) already uses are avoided."""
    notes = []
    for number, (source_id, text) in enumerate(texts, start=1):
        label = str(number) if f"[^{number}]" not in taken else f"note-{number}"
        notes.append(Footnote(label, source_id.removeprefix("fn"), text))
    return notes


def normalise_footnotes(markdown: str) -> str:
    """The comment's Markdown with its forum footnote list (forms 2 to 4) as `[^n]` footnotes."""
    lines = markdown.splitlines()
    found = _footnote_list(markdown, lines)
    if found is None:
        return markdown
    start, end, items = found
    notes = definitions([(source_id, text) for source_id, text in items], taken=markdown)
    by_id = {note.source_id: note for note in notes if note.source_id}
    by_number = {str(number): note for number, note in enumerate(notes, start=1)}
    bare = not by_id
    code = _code_lines(markdown)

    def replace_references(line: str) -> str:
        def linked(match: re.Match) -> str:
            note = by_id.get(match[2].removeprefix("fn")) or by_number.get(match[1])
            return note.reference() if note else match[0]

        def plain(match: re.Match) -> str:
            note = by_number.get(match[1])
            return note.reference() if note else match[0]

        pieces = []
        last = 0
        for span in _CODE_SPAN.finditer(line):  # never inside `code`
            pieces.append(_substitute(line[last : span.start()], linked, plain, bare))
            pieces.append(span[0])
            last = span.end()
        pieces.append(_substitute(line[last:], linked, plain, bare))
        return "".join(pieces)

    body = [line if number in code else replace_references(line) for number, line in enumerate(lines[:start])]
    body += [line if number in code else replace_references(line) for number, line in enumerate(lines[end:], start=end)]
    text = "\n".join(body).rstrip()
    return text + "\n\n" + "\n\n".join(note.definition() for note in notes)


def _substitute(text: str, linked, plain, bare: bool) -> str:
    text = _LINKED_REFERENCE.sub(linked, text)
    return _BARE_REFERENCE.sub(plain, text) if bare else text


def _code_lines(markdown: str) -> set[int]:
    lines = set()
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type in ("fence", "code_block", "html_block") and token.map:
            lines.update(range(*token.map))
    return lines


def _footnote_list(markdown: str, lines: list[str]) -> tuple[int, int, list[tuple[str, str]]] | None:
    """Where the footnotes are (first line, line after the last) and each one's (id, Markdown)."""
    code = _code_lines(markdown)
    return _marker_notes(lines, code) or _back_link_notes(markdown, lines)


def _marker_notes(lines: list[str], code: set[int]) -> tuple[int, int, list[tuple[str, str]]] | None:
    """Forms 2 and 3: items 1, 2, … opening with a `^` marker, each note running to the next.

    Read line by line, not as a list: copied from a page, a note's text is often not
    indented enough to belong to its item.
    """
    markers = [(number, match) for number, line in enumerate(lines) if number not in code and (match := _MARKER_ITEM.match(line))]
    start = next((i for i in range(len(markers) - 1, -1, -1) if markers[i][1][1] == "1"), None)
    if start is None:
        return None
    run = markers[start:]
    if [int(match[1]) for _, match in run] != list(range(1, len(run) + 1)):
        return None
    notes = []
    for index, (number, match) in enumerate(run):
        until = run[index + 1][0] if index + 1 < len(run) else len(lines)
        text = textwrap.dedent("\n".join(lines[number + 1 : until]))
        notes.append((match[2] or "", ((match[3] or "") + "\n" + text).strip()))
    return run[0][0], len(lines), notes


def _back_link_notes(markdown: str, lines: list[str]) -> tuple[int, int, list[tuple[str, str]]] | None:
    """Form 4: the last top-level numbered list all of whose items end in a `↩︎` back link."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    found = None
    for index, token in enumerate(tokens):
        if token.type != "ordered_list_open" or token.level != 0 or not token.map:
            continue
        close = next(i for i in range(index + 1, len(tokens)) if tokens[i].type == "ordered_list_close" and tokens[i].level == 0)
        items = [t for t in tokens[index:close] if t.type == "list_item_open" and t.level == 1 and t.map]
        notes = [_back_linked(lines[item.map[0] : item.map[1]]) for item in items]
        if items and all(note is not None for note in notes):
            found = (token.map[0], token.map[1], notes)
    return found


def _back_linked(item_lines: list[str]) -> tuple[str, str] | None:
    """(the id its back link names, its Markdown) when a list item ends in a back link."""
    marker = _LIST_MARKER.match(item_lines[0]) if item_lines else None
    if marker is None:
        return None
    text = textwrap.dedent("\n".join([" " * marker.end() + item_lines[0][marker.end():], *item_lines[1:]])).strip()
    closing = _BACK_LINK.search(text)
    if closing is not None and ("↩" in closing[0] or closing[1]):
        return closing[1] or "", text[: closing.start()].strip()
    return None

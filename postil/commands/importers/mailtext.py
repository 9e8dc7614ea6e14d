"""What a reader typed, out of an e-mail's text: front matter read, the rest trimmed.

A reply link (`replies_via = "mailto:…"`) opens the reader's mail program with a body that
is the reply file: `---` front matter (`author:` to fill in, `draft: true`, `parent:` when
answering a reply), then room for the reply, perhaps opening with a `> ` quote of the
passage it answers. What comes back has picked up what mail programs add around it: the
quoted message it answers at the end (`On … wrote:` and the `>` lines after it), a
signature (`-- ` and below), a "Sent from my iPhone" line. `reader_text` takes those off
and keeps the reader's own words, the passage quote at the top included.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

# The line that introduces a quoted message: "On Mon, 2 Mar 2026 at 10:00, Ann <…> wrote:"
# (mail programs wrap it over two lines too), and the same in German, French, Spanish, Dutch.
_ATTRIBUTION = re.compile(
    r"^(?:On\s.+\swrote|Am\s.+\sschrieb\s.+|Le\s.+\sa\s+écrit|El\s.+\sescribió|Op\s.+\sschreef\s.+)\s?:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Outlook's and others' forwarded or quoted original, which runs to the end.
_ORIGINAL_MESSAGE = re.compile(r"^(?:-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}|_{10,})\s*$", re.IGNORECASE)
_SIGNATURE = re.compile(r"^\\?--[ \t]*$")  # `-- `; `\--` with a hard break, as an HTML message converts it
_MOBILE_FOOTER = re.compile(
    r"^(?:Sent from my \S.*|Sent from (?:Outlook|Mail|Yahoo Mail|Gmail|Proton Mail|ProtonMail)\b.*|Get Outlook for \S.*"
    r"|Sent with (?:Proton ?Mail|Tutanota)\b.*|Sent via \S.*|Von meinem \S.* gesendet\.?|Envoyé de mon \S.*|Enviado desde mi \S.*)$",
    re.IGNORECASE,
)
FRONT_MATTER_FENCE = re.compile(r"^\s*(?:\\?-){3}\s*$")  # `---`, or `\-\-\-` as an HTML conversion writes it


@dataclass(frozen=True)
class ReaderText:
    """The reader's words, and the front matter of the reply link's body (each line alone)."""

    body: str
    meta: dict = field(default_factory=dict)
    front_matter: str = ""  # its lines as sent, comments included (they may name the essay)


def reader_text(text: str) -> ReaderText:
    """The message text less the front matter, the quoted history, the signature and mobile footers."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta, front, lines = _front_matter(lines)
    lines = _without_history(lines)
    lines = _without_signature(lines)
    lines = _without_footers(lines)
    return ReaderText("\n".join(lines).strip("\n"), meta, front)


def unflowed(text: str, delsp: bool) -> str:
    """A `format=flowed` text (RFC 3676) with its soft line breaks joined again."""
    out: list[str] = []
    joining = False
    for line in text.replace("\r\n", "\n").split("\n"):
        soft = line.endswith(" ") and not _SIGNATURE.match(line)
        piece = line[:-1] if soft and delsp else line
        if joining:
            out[-1] += piece.lstrip(">") if out[-1].startswith(">") else piece
        else:
            out.append(piece)
        joining = soft
    return "\n".join(out)


def _front_matter(lines: list[str]) -> tuple[dict, str, list[str]]:
    """The `---` block the reply link wrote at the top, if the message still opens with it.

    Each line is read on its own, so a reader's slip on one line (a name with a colon,
    an unclosed quote) loses that line only, never the whole block.
    """
    start = next((number for number, line in enumerate(lines) if line.strip()), None)
    if start is None or not FRONT_MATTER_FENCE.match(lines[start]):
        return {}, "", lines
    end = next((number for number in range(start + 1, len(lines)) if FRONT_MATTER_FENCE.match(lines[number])), None)
    if end is None:
        return {}, "", lines
    meta: dict = {}
    block = [line.replace("\\_", "_") for line in lines[start + 1 : end]]
    for line in block:
        try:
            value = yaml.safe_load(line)
        except yaml.YAMLError:
            continue
        if isinstance(value, dict):
            meta.update((str(key), item) for key, item in value.items() if str(key) not in meta)
    return meta, "\n".join(block), lines[end + 1 :]


def _without_history(lines: list[str]) -> list[str]:
    """Cut the quoted message the reader answered: an attribution line followed by nothing
    but `>` lines and blank lines to the end, or an "Original Message" separator."""
    for number, line in enumerate(lines):
        if _ORIGINAL_MESSAGE.match(line.strip()):
            return lines[:number]
    for number in range(len(lines) - 1, -1, -1):
        for span in (1, 2):  # the attribution may be wrapped over two lines
            if number - span + 1 < 0:
                continue
            attribution = " ".join(part.strip() for part in lines[number - span + 1 : number + 1])
            rest = lines[number + 1 :]
            if _ATTRIBUTION.match(attribution) and any(line.startswith(">") for line in rest) and all(
                not line.strip() or line.startswith(">") for line in rest
            ):
                return lines[: number - span + 1]
    return lines


def _without_signature(lines: list[str]) -> list[str]:
    """Cut at the signature separator `-- ` (some programs drop its space), outside code blocks."""
    fenced = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and _SIGNATURE.match(line):
            return lines[:number]
    return lines


def _without_footers(lines: list[str]) -> list[str]:
    """Take off the trailing lines mail programs sign with ("Sent from my iPhone")."""
    lines = list(lines)
    while lines and (not lines[-1].strip() or _MOBILE_FOOTER.match(lines[-1].strip())):
        lines.pop()
    return lines

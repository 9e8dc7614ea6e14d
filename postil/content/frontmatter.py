"""Decode a source file and split its YAML front matter from its Markdown body."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Problem


@dataclass(frozen=True)
class Split:
    """A file cut in two. `body_line` is the 1-based file line where the body starts."""

    meta: dict
    body: str
    body_line: int
    key_lines: dict[str, int]


class FrontMatterError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def decode(raw: bytes, path: str) -> str:
    """UTF-8 text with any BOM dropped and CRLF/CR line endings made LF."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise FrontMatterError(
            Problem(path, line, col, f"invalid UTF-8 (byte 0x{raw[exc.start]:02x})", "save the file as UTF-8")
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# The front matter nearly every file has: `key: value` lines whose values are quoted text,
# plain words, a date, true or false, or a list of those. Read here, it spares a build that
# parses one edited file the import of PyYAML (~15 ms); anything else is PyYAML's to read
# (see yaml_front_matter.py). What is read here, PyYAML reads as the same values (a test
# holds the two to it), so this only ever says "not mine" when in doubt.
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.+))?")
_ITEM_LINE = re.compile(r"( *)- +(.+)")
_QUOTED = re.compile(r'"([^"\\]*)"|\'([^\']*)\'')
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,!?()'/&+-]*")
_FLOW_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .!?()'/&+-]*")  # inside [ ]: no comma
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?: ?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?))?)?")
# Words YAML 1.1 reads as true, false or null in some spelling (keys too); of these only
# lower-case true and false are read here.
_NOT_TEXT = frozenset({"yes", "no", "on", "off", "true", "false", "null"})
# Characters outside these (tabs, control characters, YAML's other line breaks, a BOM) go to PyYAML.
_UNUSUAL = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_MAX_PLAIN_LINES = 500  # PyYAML's reading bounds the number of values (see yaml_front_matter.py): a long one is its


def plain_front_matter(lines: list[str]) -> dict | None:
    """The front matter of these lines (those between the `---` lines) when it is plain
    (see above), else None."""
    if len(lines) > _MAX_PLAIN_LINES or _UNUSUAL.search("\n".join(lines)):
        return None
    meta: dict = {}
    listing: list | None = None  # the list the lines below a `key:` line fill
    indent = None
    for line in lines:
        line = line.rstrip(" ")
        if not line:
            continue
        item = _ITEM_LINE.fullmatch(line) if listing is not None else None
        if item is not None:
            value = _scalar(item.group(2), _PLAIN)
            if value is None or indent not in (None, item.group(1)):
                return None
            indent = item.group(1)
            listing.append(value)
            continue
        if listing is not None and not listing:
            return None  # `key:` with nothing below it
        key = _KEY_LINE.fullmatch(line)
        if key is None or key.group(1) in meta or key.group(1).lower() in _NOT_TEXT:
            return None
        name, text = key.groups()
        if text is None:
            meta[name] = listing = []
            indent = None
            continue
        listing = None
        value = _flow_list(text) if text.startswith("[") else _scalar(text, _PLAIN)
        if value is None:
            return None
        meta[name] = value
    return None if listing is not None and not listing else meta


def _scalar(text: str, plain: re.Pattern[str]) -> str | bool | None:
    """A value read as text (or as true or false), or None: not plain."""
    if quoted := _QUOTED.fullmatch(text):
        return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    if text in ("true", "false"):
        return text == "true"
    if (plain.fullmatch(text) and text.lower() not in _NOT_TEXT) or _DATE.fullmatch(text):
        return text
    return None


def _flow_list(text: str) -> list | None:
    """`[a, b]` of plain words and dates, or None."""
    if not text.endswith("]") or any(mark in text[1:-1] for mark in "[]{}\"'"):
        return None
    inner = text[1:-1].strip()
    if not inner:
        return []
    items = [_scalar(item.strip(), _FLOW_PLAIN) for item in inner.split(",")]
    return None if any(item is None or isinstance(item, bool) for item in items) else items


def split(text: str, path: str) -> Split:
    """Separate `---` fenced YAML from the body; raise FrontMatterError with the file position."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise FrontMatterError(
            Problem(path, 1, 1, "no front matter", "start the file with a '---' line, then 'title:' and 'date:', then '---'")
        )
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise FrontMatterError(Problem(path, 1, 1, "front matter is never closed", "end it with a '---' line"))

    meta = plain_front_matter(lines[1:end])
    if meta is None:
        from .yaml_front_matter import load_front_matter

        meta = load_front_matter("\n".join(lines[1:end]), path)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError(
            Problem(path, 2, 1, "front matter must be a mapping of keys to values", "write it as 'key: value' lines")
        )
    key_lines = {}
    for number, line in enumerate(lines[1:end], start=2):
        key = line.split(":", 1)[0]
        if line[:1].strip() and ":" in line and key not in key_lines:
            key_lines[key] = number
    return Split(meta, "\n".join(lines[end + 1 :]), end + 2, key_lines)

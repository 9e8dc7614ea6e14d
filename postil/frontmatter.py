"""Decode a source file and split its YAML front matter from its Markdown body."""
from __future__ import annotations

from dataclasses import dataclass

import yaml

from .errors import Problem


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


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


class _TextDatesLoader(_SafeLoader):
    """A safe loader that leaves dates as text, so a bad date becomes our message, not a crash."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

MAX_NODES = 10_000
MAX_DEPTH = 32
_ANCHOR_HINT = "write each value out in full; if the '{}' is part of the text, put the value in quotes"


class _Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that front matter does not accept; carries its own hint."""

    def __init__(self, mark, problem: str, hint: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


class _FrontMatterLoader(yaml.composer.Composer, _TextDatesLoader):
    """Front matter's loader: libyaml's events, composed in Python so each node is vetted.

    Anchors and aliases are refused: an alias is a reference, so nine nested ones make
    a billion values out of a few lines, which the parse cache and the templates would
    then walk (front matter has no use for them: write values out). Plain documents are
    bounded too, at MAX_NODES values and MAX_DEPTH levels, which also keeps the
    recursive composer far from Python's recursion limit. Composing in Python costs
    some 35 µs a file over libyaml's own composer.
    """

    where = "front matter"

    def __init__(self, stream: str):
        _TextDatesLoader.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, f"YAML anchors and aliases are not allowed in {self.where} ('*{event.anchor}')", _ANCHOR_HINT.format("*"))
        if event.anchor is not None:
            raise _Refused(event.start_mark, f"YAML anchors and aliases are not allowed in {self.where} ('&{event.anchor}')", _ANCHOR_HINT.format("&"))
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(event.start_mark, f"{self.where} has more than {MAX_NODES:,} values", "move bulk data into a file of its own")
        if self._depth >= MAX_DEPTH:
            raise _Refused(event.start_mark, f"{self.where} nests more than {MAX_DEPTH} levels deep", "flatten the structure")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class BoundedSafeLoader(_FrontMatterLoader):
    """The same bounds for other YAML that strangers write (imported comments); dates load as dates."""

    yaml_implicit_resolvers = yaml.SafeLoader.yaml_implicit_resolvers
    where = "a comment file"


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

    yaml_text = "\n".join(lines[1:end])
    try:
        meta = yaml.load(yaml_text, Loader=_FrontMatterLoader)  # noqa: S506 (a SafeLoader)
    except _Refused as exc:
        mark = exc.problem_mark
        raise FrontMatterError(Problem(path, mark.line + 2, mark.column + 1, exc.problem, exc.hint)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        col = mark.column + 1 if mark else None
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            message += f" ({exc.context} at line {exc.context_mark.line + 2}, column {exc.context_mark.column + 1})"
        raise FrontMatterError(Problem(path, line, col, message, "fix the front matter syntax")) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(Problem(path, 2, None, f"invalid YAML: {exc}", "fix the front matter syntax")) from None
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

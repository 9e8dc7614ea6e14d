"""Decode a source file and split its YAML front matter from its Markdown body."""
from __future__ import annotations

from dataclasses import dataclass

import yaml

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


# A quote, [list] or {mapping} left open: PyYAML's problem is where it gave up looking for
# the end (often the end of the front matter); the mistake is where the thing was opened.
_LEFT_OPEN = {
    "quoted scalar": ("the quoted value that starts here is never closed", "end it with the quote it starts with"),
    "flow sequence": ("the list that starts here with '[' is never closed", "end it with ']'"),
    "flow mapping": ("the mapping that starts here with '{' is never closed", "end it with '}'"),
}


def _yaml_problem(exc: yaml.MarkedYAMLError, path: str) -> Problem:
    """A YAML syntax error at the line and column of the mistake, in file lines (the YAML starts on line 2)."""
    problem, context = exc.problem_mark, exc.context_mark

    def where(mark: yaml.Mark) -> tuple[int, int]:
        return mark.line + 2, mark.column + 1

    left_open = next((value for key, value in _LEFT_OPEN.items() if key in (exc.context or "")), None)
    if left_open and context and problem and (problem.line > context.line or "end of stream" in (exc.problem or "")):
        line, col = where(context)
        at_line, at_col = where(problem)
        found = "the front matter ends first" if "end of stream" in (exc.problem or "") else f"{exc.problem} at line {at_line}, column {at_col}"
        return Problem(path, line, col, f"invalid YAML: {left_open[0]} ({found})", left_open[1])
    mark = problem or context
    line, col = where(mark) if mark else (None, None)
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.context and context and context is not mark:
        message += f" ({exc.context} at line {where(context)[0]}, column {where(context)[1]})"
    return Problem(path, line, col, message, _yaml_hint(exc.problem or ""))


def _yaml_hint(problem: str) -> str:
    if "mapping values are not allowed" in problem:
        return "put a value that holds ': ' in quotes (title: \"Margins: a defence\"), and start each key at the start of its line"
    if "tab" in problem:
        return "indent with spaces, not tabs"
    return "fix the front matter syntax"


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
        raise FrontMatterError(_yaml_problem(exc, path)) from None
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

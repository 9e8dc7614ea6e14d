"""Problems a build finds in its input, and the one exception that carries them.

Every stage reports into a list of `Problem`s instead of raising at the first one, so
the user sees every problem of a build at once. The CLI is the only place that catches
`PostilError`; the dev server shows the same text in its browser overlay. Both print
problems through `describe()`, which puts the offending line of the file under each one.
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where, what, and what to do about it."""

    path: str
    line: int | None
    col: int | None
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        text = f"{where}: {self.severity}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text

    def as_error(self) -> Problem:
        return Problem(self.path, self.line, self.col, self.message, self.hint, "error")


@dataclass
class Report:
    """Collects problems from every stage of one build."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, path: str, line: int | None, message: str, hint: str = "", col: int | None = None) -> None:
        self.problems.append(Problem(path, line, col, message, hint, "error"))

    def warning(self, path: str, line: int | None, message: str, hint: str = "", col: int | None = None) -> None:
        self.problems.append(Problem(path, line, col, message, hint, "warning"))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        """Problems in a stable order (by file, then line), duplicates dropped."""
        key = lambda p: (p.path, p.line or 0, p.col or 0, p.message)  # noqa: E731
        return sorted(set(self.problems), key=key)


class PostilError(Exception):
    """A failure the user can fix; it prints itself and knows its exit code."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(PostilError):
    """The command line itself is wrong (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__([Problem("postil", None, None, message)])

    def __str__(self) -> str:
        return f"postil: {self.problems[0].message}"


EXCERPT_WIDTH = 100  # characters of a source line shown under a message; longer lines are cut around the column


def describe(problems: Iterable[Problem], site_root: Path) -> str:
    """Problems as the terminal and the preview's overlay show them: each message, then the
    line it points at with a caret under the column, as Jinja and rustc show theirs::

        content/hello.md:2:8: error: invalid YAML: … — fix the front matter syntax
            2 | title: "Hello
              |        ^

    A problem without a line, or whose file cannot be read, is its message alone.
    """
    files: dict[str, list[str] | None] = {}
    blocks = []
    for problem in problems:
        block = str(problem)
        if problem.line is not None:
            if problem.path not in files:
                files[problem.path] = _read_lines(site_root / problem.path)
            lines = files[problem.path]
            if lines is not None and 1 <= problem.line <= len(lines):
                block += "\n" + source_excerpt(lines[problem.line - 1], problem.line, problem.col)
        blocks.append(block)
    return "\n".join(blocks)


def _read_lines(path: Path) -> list[str] | None:
    """A file's lines as the parser saw them (BOM dropped, any line ending), or None."""
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def source_excerpt(text: str, number: int, col: int | None) -> str:
    """One source line under a gutter with its number, and a caret under column `col` (1-based)."""
    start = 0
    if len(text) > EXCERPT_WIDTH:
        start = max(0, min((col or 1) - 1 - EXCERPT_WIDTH // 2, len(text) - EXCERPT_WIDTH))
    shown = text[start : start + EXCERPT_WIDTH]
    before = "…" if start else ""
    after = "…" if start + EXCERPT_WIDTH < len(text) else ""
    gutter = " " * 4 + str(number)
    excerpt = f"{gutter} | {before}{_printable(shown)}{after}".rstrip()
    if col is None:
        return excerpt
    lead = len(before) + _width(_printable(shown[: max(col - 1 - start, 0)]))
    return f"{excerpt}\n{' ' * len(gutter)} | {' ' * lead}^"


def _printable(text: str) -> str:
    """Tabs as four spaces; control characters (a stranger's reply may hold terminal escapes) as '�'."""
    text = text.replace("\t", "    ")
    return "".join("\ufffd" if unicodedata.category(char) == "Cc" else char for char in text)


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: wide East Asian characters two, combining marks none."""
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A "did you mean 'x'?" hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""

"""Problems a build finds in its input, and the one exception that carries them.

Every stage reports into a list of `Problem`s instead of raising at the first one, so
the user sees every problem of a build at once. The CLI is the only place that catches
`PostilError`; the dev server shows the same text in its browser overlay.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A "did you mean 'x'?" hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""

"""Unique ids within one document, numbering repeats as `x`, `x-2`, `x-3`…"""
from __future__ import annotations


class UniqueIds:
    """Hands out ids; remembers where each base's numbering got to, so that n repeats of
    one heading or paragraph cost n steps, not n² (a hostile file can hold 100,000)."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self._last: dict[str, int] = {}

    def take(self, base: str) -> str:
        number = self._last.get(base, 1)
        ident = base if number == 1 else f"{base}-{number}"
        while ident in self.used:
            number += 1
            ident = f"{base}-{number}"
        self._last[base] = number
        self.used.add(ident)
        return ident

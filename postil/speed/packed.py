"""Many strings as one compressed bytes value: how bulky parse results are kept.

One bytes object instead of thousands of strings costs a fraction of the memory and is
read back from the parse cache in one step. Rendered HTML, and Markdown sources (where
markdown-it turns NUL into U+FFFD), never hold NUL, so NUL separates the strings.
"""
from __future__ import annotations

import zlib


def pack(strings: list[str]) -> bytes:
    return zlib.compress("\0".join(strings).encode("utf-8"), 1) if strings else b""


def unpack(packed: bytes) -> list[str]:
    """The strings `pack` was given; zlib.error or UnicodeDecodeError when damaged."""
    return zlib.decompress(packed).decode("utf-8").split("\0") if packed else []

"""Quote matching: does a reply's blockquote come from the essay, or from a reply above it?

Readers copy passages by hand, through browsers and phones, so quotes are compared after
normalising what copying changes: Unicode forms, typographic quotes and dashes, runs of
whitespace and case. A reader may leave words out with "…" or "..."; each fragment must
then appear, in order, in the one passage quoted.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MINIMUM_QUOTE_LENGTH = 20

# Typographic quotes and dashes, and their plain forms. Replaced one character at a time,
# where present: str.translate looks up each character of a text that is not ASCII in a dict,
# ~50 µs for a paragraph with one ’ in it (with smart typography, most have one), ~1 µs so.
_TYPOGRAPHY = tuple({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
}.items())
_DASHES = re.compile(r"-{2,}")
_ELLIPSIS = re.compile(r"\s*\[?\s*\.\.\.\s*\]?\s*")


# What str.split() splits on (each character for which str.isspace() is true) but the single
# space, and two spaces: a text holding none of them, and no space at either end, is split
# and joined already. Looking for them costs a fraction of splitting a paragraph.
_SPACES = (
    "  ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u1680",
    *map(chr, range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
)


def normalise(text: str) -> str:
    """Text as compared: NFKC (which also turns "…" into "..."), plain quotes and dashes, folded case.

    Every passage of every essay is normalised as it is parsed: NFKC and the typography
    table change no ASCII character, and text spaced singly already needs no splitting."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        for typographic, replacement in _TYPOGRAPHY:
            if typographic in text:
                text = text.replace(typographic, replacement)
    if "--" in text:
        text = _DASHES.sub("-", text)
    # str.split() splits on exactly the characters regex \s matches, and drops the ends.
    if text[:1] == " " or text[-1:] == " " or any(space in text for space in _SPACES):
        text = " ".join(text.split())
    return text.casefold()


@lru_cache(maxsize=4096)
def fragments(quote: str) -> tuple[str, ...]:
    """The pieces of a normalised quote between ellipses, without empty ones. Cached: a
    quote is looked for in every passage of its essay."""
    return tuple(piece.strip() for piece in _ELLIPSIS.split(quote) if piece.strip())


def is_checked(quote: str) -> bool:
    """Quotes shorter than this are too short to point at one passage; they stay plain."""
    return sum(len(piece) for piece in fragments(quote)) >= MINIMUM_QUOTE_LENGTH


def found_in(quote: str, text: str) -> bool:
    """True when every fragment of `quote` occurs in normalised `text`, in order."""
    start = 0
    for piece in fragments(quote):
        at = text.find(piece, start)
        if at < 0:
            return False
        start = at + len(piece)
    return True

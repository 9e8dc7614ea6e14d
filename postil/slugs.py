"""How text becomes a slug: postil's own rule (tags, authors, file names) and GitHub's
(heading ids, and the links written for them).

A module of its own, free of Markdown, so that reading settings or working out a page's
path imports no markdown-it.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)
def slugify(text: str) -> str:
    """Lower-case words joined by hyphens; letters of any script are kept.

    Tags, authors and (before GitHub's rule) headings. Cached: templates slug every tag
    of every essay in every list they show."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


def _kept(char: str) -> bool:
    # GitHub keeps letters, marks, numbers, connector punctuation ('_') and '-'.
    return char == "-" or unicodedata.category(char)[0] in "LMN" or unicodedata.category(char) == "Pc"


_ASCII_DROPPED = re.compile(r"[^a-z0-9_\- ]")


@lru_cache(maxsize=4096)
def github_slug(text: str) -> str:
    """The id GitHub (and Quartz, and Obsidian's publish) gives a heading with this text:
    lower case, punctuation and symbols dropped, each space a '-'."""
    text = text.lower()
    if text.isascii():  # most headings: one regex instead of a look-up per character
        return _ASCII_DROPPED.sub("", text).replace(" ", "-")
    return "".join("-" if char == " " else char for char in text if char == " " or _kept(char))

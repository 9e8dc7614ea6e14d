"""Quick takes: short posts in one folder of content/, published as one stream.

A take is parsed like an essay (it is an `Essay` with `take=True`), from one rule about its
path: it lives at `content/<takes>/<name>.md` or `content/<takes>/<name>/index.md`, where
`<takes>` is the `takes` setting ("takes" unless renamed). What sets a take apart is decided
here, from its path and the config alone, so parsing stays a function of one file:

- its title is optional; an untitled take is named by its first words;
- its ids (headings, footnotes, passages) carry a prefix of its own, so that several takes
  share the stream page without two elements sharing an id;
- anything else in that folder (an `index.md`, a file nested deeper, a file with an essay's
  `summary` or `toc`) means the site keeps essays there, and the build says so.
"""
from __future__ import annotations

import re

from ..config import Config
from ..errors import Problem
from ..site.takes import PAGE_FOLDER  # no take may be named so
from .discover import CONTENT_DIR, EssaySource

TITLE_CHARACTERS = 60  # at most this much of an untitled take's first paragraph names it
ESSAY_ONLY_KEYS = ("summary", "toc")  # front matter only an essay has: a file with them is an essay


def takes_folder(config: Config) -> str:
    """The folder of takes, from the site root: 'content/takes'."""
    return f"{CONTENT_DIR}/{config.takes}"


def is_take(source: EssaySource, config: Config) -> bool:
    """Whether the file is a take: `<takes>/<name>.md` or `<takes>/<name>/index.md`."""
    inside = _inside_takes(source.path, config)
    if inside is None:
        return False
    parts = inside.split("/")
    return (len(parts) == 1 and parts[0] != "index.md") or (len(parts) == 2 and parts[1] == "index.md")


def misplaced_problem(source: EssaySource, meta: dict, key_lines: dict[str, int], config: Config) -> Problem | None:
    """Why a Markdown file in (or at the address of) the takes folder cannot be a take, if it
    cannot: the site keeps essays there, which the stream would hide or collide with."""
    folder = takes_folder(config)
    hint = (f"rename the folder {folder}/ (essays elsewhere in content/ keep their pages), or set "
            f"`takes = \"another-name\"` in [tool.postil] to publish quick takes from another folder")
    if source.path in (f"{folder}.md", f"{folder}/index.md"):
        return Problem(source.path, None, None, f"this essay's page would be /{config.takes}/, where the quick takes stream is published", hint)
    inside = _inside_takes(source.path, config)
    if inside is None:
        return None
    if not is_take(source, config):
        return Problem(source.path, None, None, f"{folder}/ holds quick takes, one file or bundle each, but this essay is nested deeper", hint)
    essay_keys = [key for key in ESSAY_ONLY_KEYS if key in meta]
    if essay_keys:
        key = essay_keys[0]
        return Problem(source.path, key_lines.get(key), None, f"'{key}' belongs to essays, and {folder}/ holds quick takes", hint)
    name = inside.split("/")[0].removesuffix(".md")
    if name == PAGE_FOLDER and "slug" not in meta:
        return Problem(source.path, None, None, f"a take may not be named '{PAGE_FOLDER}': /{config.takes}/{PAGE_FOLDER}/ holds the stream's later pages",
                       "rename the file, or give it a 'slug'")
    if meta.get("slug") == PAGE_FOLDER:
        return Problem(source.path, key_lines.get("slug"), None, f"a take's slug may not be '{PAGE_FOLDER}': /{config.takes}/{PAGE_FOLDER}/ holds the stream's later pages",
                       "choose another slug")
    return None


def take_doc_id(path: str, config: Config) -> str:
    """The prefix of every id in a take's HTML (the take's file at `path`): 'take-<its name>',
    unique among takes. The stream prefixes its own ids for the take (its thread's) with it too."""
    inside = _inside_takes(path, config) or path
    name = inside.split("/")[0].removesuffix(".md")
    return "take-" + "".join(character if character.isalnum() or character in "-_" else "-" for character in name)


def title_from_words(first_paragraph: str, fallback: str) -> str:
    """An untitled take's title for <title>, feeds and search: its first sentence when that
    is short, else its first words up to TITLE_CHARACTERS, cut between words."""
    text = " ".join(first_paragraph.split())
    if not text:
        return fallback
    sentence = re.match(r".+?[.!?…](?=\s|$)", text)
    if sentence and len(sentence[0]) <= TITLE_CHARACTERS:
        return sentence[0]
    if len(text) <= TITLE_CHARACTERS:
        return text
    cut = text[: TITLE_CHARACTERS + 1].rsplit(" ", 1)[0] if " " in text[:TITLE_CHARACTERS] else text[:TITLE_CHARACTERS]
    return cut.rstrip(",;:—–-") + "…"


def _inside_takes(path: str, config: Config) -> str | None:
    """`path` relative to the takes folder, or None when it lies outside."""
    prefix = takes_folder(config) + "/"
    return path[len(prefix):] if path.startswith(prefix) else None

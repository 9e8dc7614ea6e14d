"""A corpus of hostile and careless input, made on demand, and a build in a separate process.

Each essay shape is the bytes of one file under content/, at `scale` 1 the size the tests
use; bench/hostile.py builds the same shapes at several scales to show the time grows
linearly. `expect` is what a build must say about the file: "" for a clean build, or a
piece of its error message.
"""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HANG_GUARD = 180  # seconds: only there so a hang fails the test instead of stalling the run
TEST_SIZE = 20_000  # bytes of body at scale 1

CONFIG = '[tool.postil]\ntitle = "Hostile"\nbase_url = "https://example.org/"\nsearch = false\n'
FRONT = b"---\ntitle: Hostile\ndate: 2026-01-01\n---\n"


@dataclass(frozen=True)
class Shape:
    name: str
    make: Callable[[float], bytes]  # scale → the file's bytes
    expect: str = ""  # "" → builds cleanly; otherwise a piece of the error message
    reply: bool = False  # a reply file (content/talk/replies/r1.md) instead of an essay


def _repeat(unit: str, scale: float) -> str:
    return unit * max(1, int(TEST_SIZE * scale) // len(unit))


def _essay(body: Callable[[float], str]) -> Callable[[float], bytes]:
    return lambda scale: FRONT + body(scale).encode("utf-8")


def _front(yaml: Callable[[float], str]) -> Callable[[float], bytes]:
    return lambda scale: ("---\ntitle: Hostile\ndate: 2026-01-01\n" + yaml(scale) + "---\nBody.\n").encode("utf-8")


def _alias_bomb(scale: float) -> str:
    levels = ["  a0: &a0 [x, x, x, x, x, x, x, x, x]\n"]
    levels += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)]
    return "extra:\n" + "".join(levels)


def _reply(front: str, body: str = "A reply.") -> Callable[[float], bytes]:
    return lambda scale: f"---\n{front}---\n{body}\n".encode("utf-8")


def _reply_bytes(data: bytes) -> Callable[[float], bytes]:
    return lambda scale: data


REPLY_FRONT = "author: A Reader\ndate: 2026-03-02T10:00:00Z\n"

def _prose(scale: float) -> str:
    """Ordinary essay text, the yardstick: paragraphs, emphasis, links, code, footnotes."""
    count = max(1, int(TEST_SIZE * scale) // 170)
    return "".join(
        f"Paragraph {i} says *something* about a [margin](/notes/) and `code`, with a note.[^{i}] "
        f"Then it goes on for a while, as **essays** do, before it stops.\n\n[^{i}]: Note {i}.\n\n"
        for i in range(count)
    )


BRACKETS = "too many nested or unclosed brackets"

ESSAYS = [
    Shape("prose", _essay(_prose)),
    # Front matter
    Shape("yaml_alias_bomb", _front(_alias_bomb), "YAML anchors and aliases are not allowed"),
    Shape("yaml_merge_key", _front(lambda s: "base: &b {a: 1}\nextra:\n  <<: *b\n"), "YAML anchors and aliases are not allowed"),
    Shape("yaml_many_values", _front(lambda s: "extra: [" + ", ".join(["1"] * int(20_000 * max(s, 1))) + "]\n"), "more than 10,000 values"),
    Shape("yaml_deep_flow", _front(lambda s: "extra: " + "[" * 5000 + "]" * 5000 + "\n"), "invalid YAML"),
    Shape("yaml_deep_block", _front(lambda s: "extra:\n" + "".join(" " * i + "- \n" for i in range(1, 200))), "nests more than 32 levels"),
    Shape("yaml_python_tag", _front(lambda s: "extra: !!python/object/apply:os.system ['true']\n"), "invalid YAML"),
    Shape("yaml_huge_string", _front(lambda s: f"summary: {'x' * int(TEST_SIZE * s)}\n")),
    Shape("no_closing_fence", lambda s: b"---\ntitle: x\n" + _repeat("word ", s).encode(), "front matter is never closed"),
    # Sizes and encodings
    Shape("over_max_file_size", lambda s: FRONT + b"word " * 500_000, "over the limit of 2,000,000 (max_file_size)"),
    Shape("invalid_utf8", lambda s: FRONT + b"caf\xe9 " * 100, "invalid UTF-8 (byte 0xe9)"),
    Shape("bom_and_crlf", lambda s: b"\xef\xbb\xbf" + FRONT.replace(b"\n", b"\r\n") + _repeat("a line\r\n", s).encode()),
    Shape("lone_cr", lambda s: FRONT.replace(b"\n", b"\r") + _repeat("a line\r", s).encode()),
    Shape("nul_bytes", _essay(lambda s: _repeat("a\0b ", s))),
    Shape("control_characters", _essay(lambda s: _repeat("\x01\x07\x1b\x7f\u2028\u202e word ", s))),
    Shape("long_line", _essay(lambda s: _repeat("word ", s))),
    Shape("long_word", _essay(lambda s: "x" * int(TEST_SIZE * s))),
    # Nesting
    Shape("nested_inline_footnotes", _essay(lambda s: "^[" * int(TEST_SIZE * s / 3) + "x" + "]" * int(TEST_SIZE * s / 3)), BRACKETS),
    Shape("nested_blockquotes", _essay(lambda s: "> " * int(TEST_SIZE * s / 2) + "x\n"), "nest more than 20 levels deep"),
    Shape("nested_lists", _essay(lambda s: "".join("  " * i + "- x\n" for i in range(int(40 * max(s, 1))))), "nest more than 20 levels deep"),
    Shape("list_markers_on_one_line", _essay(lambda s: "- " * int(TEST_SIZE * s / 2) + "x\n"), "nest more than 20 levels deep"),
    Shape("nested_inline_footnotes_short", _essay(lambda s: "^[" * 20 + "x" + "]" * 20), "inline footnotes nest more than 5 deep"),
    Shape("nested_brackets", _essay(lambda s: "[" * int(TEST_SIZE * s / 2) + "a" + "]" * int(TEST_SIZE * s / 2)), BRACKETS),
    Shape("nested_containers", _essay(lambda s: "".join(":" * (3 + i) + " note\n" for i in range(30, 0, -1)) + "x\n"), "nest more than 20 levels deep"),
    # Runs that CommonMark parsers are known to struggle with
    Shape("open_brackets", _essay(lambda s: _repeat("[", s)), BRACKETS),
    Shape("link_openers", _essay(lambda s: _repeat("[a", s)), BRACKETS),
    Shape("link_closers", _essay(lambda s: _repeat("a]", s))),
    Shape("unclosed_links", _essay(lambda s: _repeat("[a](<b", s))),
    Shape("unclosed_link_destinations", _essay(lambda s: _repeat("[a](b", s))),
    Shape("link_emphasis_mix", _essay(lambda s: _repeat("[ a_", s)), BRACKETS),
    Shape("bracket_paren_mix", _essay(lambda s: _repeat("[ (](", s))),
    Shape("star_run", _essay(lambda s: _repeat("*", s))),
    Shape("underscore_run", _essay(lambda s: _repeat("_", s))),
    Shape("emphasis_openers", _essay(lambda s: _repeat("_a ", s))),
    Shape("emphasis_closers", _essay(lambda s: _repeat("a_ ", s))),
    Shape("mismatched_emphasis", _essay(lambda s: _repeat("*a_ ", s))),
    Shape("nested_strong_emphasis", _essay(lambda s: _repeat("*a **a ", s))),
    Shape("delimiters_multiple_of_three", _essay(lambda s: "a**b" + _repeat("c* ", s))),
    Shape("backtick_ladder", _essay(lambda s: "".join("e" + "`" * i for i in range(1, int((2 * TEST_SIZE * s) ** 0.5))))),
    Shape("backtick_run", _essay(lambda s: _repeat("`", s))),
    Shape("tilde_run", _essay(lambda s: _repeat("~", s))),
    Shape("dollar_run", _essay(lambda s: _repeat("$", s))),
    Shape("brace_run", _essay(lambda s: _repeat("{", s))),
    Shape("html_openers", _essay(lambda s: _repeat("<a", s))),
    Shape("autolink_openers", _essay(lambda s: _repeat("<http:", s))),
    Shape("entity_run", _essay(lambda s: _repeat("&amp", s))),
    # Many blocks
    Shape("repeated_headings", _essay(lambda s: _repeat("## h\n", s))),
    Shape("repeated_paragraphs", _essay(lambda s: _repeat("Same text.\n\n", s))),
    Shape("setext_headings", _essay(lambda s: _repeat("a\n=\n", s))),
    Shape("table_rows", _essay(lambda s: "|a|b|c|\n|-|-|-|\n" + _repeat("|1|2|3|\n", s))),
    Shape("table_columns", _essay(lambda s: "|" + "a|" * int(TEST_SIZE * s / 4) + "\n|" + "-|" * int(TEST_SIZE * s / 4) + "\n")),
    Shape("reference_flood", _essay(lambda s: "".join(f"[r{i}]: /u{i}\n" for i in range(int(TEST_SIZE * s / 24))) + "\n" + "".join(f"[r{i}] " for i in range(int(TEST_SIZE * s / 24))))),
    Shape("footnote_flood", _essay(lambda s: "".join(f"[^{i}] " for i in range(int(TEST_SIZE * s / 16))) + "\n\n" + "".join(f"[^{i}]: n\n" for i in range(int(TEST_SIZE * s / 16))))),
    Shape("undefined_footnotes", _essay(lambda s: _repeat("[^a]", s))),
    Shape("lazy_blockquote", _essay(lambda s: _repeat(">a\nb\n", s))),
    Shape("definition_lists", _essay(lambda s: _repeat("t\n: d\n", s))),
    Shape("fence_run", _essay(lambda s: _repeat("```\n", s))),
    Shape("html_block_run", _essay(lambda s: _repeat("<div>\n", s))),
    Shape("math_pairs", _essay(lambda s: _repeat("$a$ ", s))),
    Shape("unknown_code_language", _essay(lambda s: _repeat("```nosuchlanguage\nx\n```\n", s))),
]

REPLIES = [
    Shape("reply_alias", _reply(REPLY_FRONT + "url: &u https://a.example/\nparent: *u\n"), "YAML anchors and aliases are not allowed", reply=True),
    Shape("reply_over_64_kib", _reply(REPLY_FRONT, "x" * 70_000), "the limit is 64 KiB", reply=True),
    Shape("reply_nested_footnotes", _reply(REPLY_FRONT, "^[" * 20 + "x" + "]" * 20), "inline footnotes nest more than 5 deep", reply=True),
    Shape("reply_footnote_openers", _reply(REPLY_FRONT, "^[" * 30_000), BRACKETS, reply=True),
    Shape("reply_nested_blockquotes", _reply(REPLY_FRONT, "> " * 20_000 + "x"), "nest more than 20 levels deep", reply=True),
    Shape("reply_author_not_text", _reply("author: {name: x}\ndate: 2026-03-02T10:00:00Z\n"), "'author' must be text", reply=True),
    Shape("reply_author_control_characters", _reply('author: "Eve\\x00\\x1b[2J\\u202e"\ndate: 2026-03-02T10:00:00Z\n'), "'author' must be one line", reply=True),
    Shape("reply_author_huge", _reply(f"author: {'A' * 5000}\ndate: 2026-03-02T10:00:00Z\n"), "'author' must be one line", reply=True),
    Shape("reply_url_javascript", _reply(REPLY_FRONT + "url: javascript:alert(1)\n"), reply=True),
    Shape("reply_url_not_text", _reply(REPLY_FRONT + "url: [1, 2]\n"), reply=True),
    Shape("reply_score_huge", _reply(REPLY_FRONT + "score: 1e999\nagreement: 99999999999999999999999\n"), reply=True),
    Shape("reply_score_text", _reply(REPLY_FRONT + "score: lots\n"), reply=True),
    Shape("reply_parent_traversal", _reply(REPLY_FRONT + "parent: ../../etc/passwd\n"), "'parent' must be the id of another reply", reply=True),
    Shape("reply_parent_mapping", _reply(REPLY_FRONT + "parent: {a: 1}\n"), "'parent' must be the id of another reply", reply=True),
    Shape("reply_parent_missing", _reply(REPLY_FRONT + "parent: nobody\n"), reply=True),
    Shape("reply_date_nonsense", _reply("author: A Reader\ndate: yesterday\n"), "missing or invalid 'date'", reply=True),
    Shape("reply_nul_bytes", _reply(REPLY_FRONT, "a\0b\0" * 1000), reply=True),
    Shape("reply_invalid_utf8", _reply_bytes(b"---\nauthor: A\xff\ndate: 2026-03-02T10:00:00Z\n---\nx\n"), "invalid UTF-8 (byte 0xff)", reply=True),
    Shape("reply_bom_crlf", _reply_bytes(b"\xef\xbb\xbf---\r\nauthor: A Reader\r\ndate: 2026-03-02T10:00:00Z\r\n---\r\nx\r\n"), reply=True),
    Shape("reply_raw_html", _reply(REPLY_FRONT, "<script>alert(1)</script><img src=x onerror=alert(1)>"), reply=True),
    Shape("reply_unknown_keys", _reply(REPLY_FRONT + "email: eve@example.org\nx-y: 1\n"), reply=True),
    Shape("reply_control_character_key", _reply(REPLY_FRONT + "\x7f: 1\n"), "invalid YAML", reply=True),
]

SHAPES = ESSAYS + REPLIES


def make_site(root: Path, shape: Shape, scale: float = 1.0) -> Path:
    """A site folder holding `shape`'s file (and, for a reply, its essay); returns the file."""
    (root / "content").mkdir(parents=True)
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    if shape.reply:
        (root / "content/talk").mkdir()
        (root / "content/talk/index.md").write_bytes(b"---\ntitle: Talk\ndate: 2026-03-01\n---\nAn essay to answer.\n")
        (root / "content/talk/replies").mkdir()
        target = root / "content/talk/replies/r1.md"
    else:
        target = root / f"content/{shape.name}.md"
    target.write_bytes(shape.make(scale))
    return target


def build_in_subprocess(root: Path, timeout: float = HANG_GUARD) -> subprocess.CompletedProcess[str]:
    """`postil build` in its own process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "postil", "-C", str(root), "build"],
        capture_output=True, text=True, timeout=timeout,
    )

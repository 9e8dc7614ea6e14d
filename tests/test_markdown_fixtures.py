"""Markdown constructs against fixture files: input beside the expected HTML.

The files in tests/fixtures/markdown/ are in markdown-it-py's fixture format, one file for
each plugin (and one for a reply's Markdown and sanitising); RENDERERS says how each
file's inputs are rendered. After a
deliberate change of output, rewrite their expected HTML with

    POSTIL_REGENERATE_FIXTURES=1 python -m pytest tests/test_markdown_fixtures.py

and read the diff before committing it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from postil.site.assemble import assemble
from postil.config import Config
from postil.content.discover import discover
from postil.content.reply import parse_reply
from postil.errors import Report
from postil.markdown import essay_markdown, render_markdown
from postil.markdown.limits import OverLimit
from postil.content.essay import parse_essay
from postil.site.references import fill

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
_PASSAGE_ID = re.compile(r' id="passage-[0-9a-f]{6}(-\d+)?"')  # hashes of the text: noise but in passages.md


def _cases(name: str):
    return [pytest.param(name, line, title, text, expected, id=f"{name}:{line}") for line, title, text, expected in read_fixture_file(FIXTURES / name)]


def _essay_html(text: str, base_path: str = "/") -> str:
    return _PASSAGE_ID.sub("", _with_passage_ids(text, base_path))


def _with_passage_ids(text: str, base_path: str = "/") -> str:
    return render_markdown(essay_markdown(), text, first_line=1, base_path=base_path).html


def _refused_or_html(text: str) -> str:
    """The HTML, or the refusal a build reports (its line counted from 1, as in the fixture)."""
    try:
        return _essay_html(text)
    except OverLimit as refusal:
        return f"refused on line {refusal.line}: {refusal.message}\n"


def _reply_html(text: str) -> str:
    """`text` as the body of a reply to the essay at /essay/, as its page shows it."""
    raw = f"---\nauthor: A Reader\ndate: 2026-01-05\n---\n{text}".encode()
    parsed = parse_reply("content/essay/replies/r1.md", "content/essay", "essay/", raw, Config())
    assert parsed.reply is not None, parsed.problems
    return parsed.body.html


RENDERERS = {
    "headings.md": _essay_html,
    "footnotes.md": _essay_html,
    "callouts.md": _essay_html,
    "marks.md": _essay_html,
    "comments.md": _essay_html,
    "containers.md": _essay_html,
    "math.md": _essay_html,
    "highlight.md": _essay_html,
    "passages.md": _with_passage_ids,
    "links.md": lambda text: _essay_html(text, base_path="/blog/"),
    "limits.md": _refused_or_html,
    "reply.md": _reply_html,
}


def test_every_fixture_file_is_tested():
    assert sorted(RENDERERS) + ["wikilinks.md"] == sorted(path.name for path in FIXTURES.glob("*.md"))


# Other notes the wikilink fixtures link to, embed and transclude.
NOTES = {
    "content/notes/shard-theory.md": "---\ntitle: Shard Theory\ndate: 2024-01-02\n---\nThe intro of shard theory.\n\n## Second Part\n\nThe second part begins here.\n",
    "content/beta.md": "---\ntitle: Beta Title\ndate: 2024-01-03\naliases: [b-alias]\n---\nBeta's first words.\n",
    "content/draft.md": "---\ntitle: Draft Note\ndate: 2024-01-04\ndraft: true\n---\nNot for anyone yet.\n",
}


def _site_html(tmp_path: Path, text: str) -> str:
    """`text` as the body of content/a.md in a site of NOTES, references filled as a page shows them."""
    for path, note in {**NOTES, "content/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n" + text}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(note, encoding="utf-8")
    (tmp_path / "content/attachments").mkdir(exist_ok=True)
    (tmp_path / "content/attachments/pic.png").write_bytes(b"\x89PNG")
    config, report = Config(), Report()
    sources = discover(tmp_path, report)
    parsed = {source.path: parse_essay(source, (tmp_path / source.path).read_bytes(), config) for source in sources.essays}
    site = assemble([each.essay for each in parsed.values()], sources, report, section_leads=lambda essay: parsed[essay.source].body.section_leads)
    essay = next(essay for essay in site.essays if essay.source == "content/a.md")
    return _PASSAGE_ID.sub("", fill(parsed[essay.source].body.html, site.references.get(essay.url_path, ()), config.href))


def _check(name: str, line: int, text: str, expected: str, actual: str) -> None:
    if os.environ.get("POSTIL_REGENERATE_FIXTURES"):
        _regenerated.setdefault(name, {})[line] = actual
        return
    assert actual == expected


_regenerated: dict[str, dict[int, str]] = {}


@pytest.mark.parametrize(("name", "line", "title", "text", "expected"), [case for name in RENDERERS for case in _cases(name)])
def test_markdown_fixture(name, line, title, text, expected):
    _check(name, line, text, expected, RENDERERS[name](text))


@pytest.mark.parametrize(("name", "line", "title", "text", "expected"), _cases("wikilinks.md"))
def test_wikilink_fixture(tmp_path, name, line, title, text, expected):
    _check(name, line, text, expected, _site_html(tmp_path, text))


@pytest.fixture(scope="module", autouse=True)
def _write_regenerated():
    yield
    for name, outputs in _regenerated.items():
        _rewrite(FIXTURES / name, outputs)


def _rewrite(path: Path, outputs: dict[int, str]) -> None:
    """Put each case's new output in place of its expected HTML (the third '.'-fenced part)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    result, index = [], 0
    cases = {line for line in outputs}
    while index < len(lines):
        # read_fixture_file numbers a case by the line of its first '.', 0-based.
        if index in cases and lines[index].rstrip("\n") == ".":
            close_input = lines.index(".\n", index + 1)
            close_output = lines.index(".\n", close_input + 1)
            result += lines[index : close_input + 1] + [outputs[index]] + [".\n"]
            index = close_output + 1
            continue
        result.append(lines[index])
        index += 1
    path.write_text("".join(result), encoding="utf-8")

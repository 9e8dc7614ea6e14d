"""The least a Python pipeline on postil's libraries can do with a corpus: its floor.

    python bench/floor.py SITE OUT [--processes 2]

Essay pages only, each read, its YAML front matter loaded, its Markdown rendered by
markdown-it-py with footnotes and tables, its code highlighted by Pygments, put through a
trivial Jinja template and written to OUT/<name>/index.html. No replies, tag pages,
feeds, checks or cache. bench/run.py times it beside postil and Hugo, so that a ratio to
the peer can be read against what the libraries alone allow on the same machine.
"""
from __future__ import annotations

import argparse
import multiprocessing
import shutil
from functools import lru_cache
from pathlib import Path

import yaml
from jinja2 import Template
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

PAGE = Template("<!doctype html><title>{{ title }}</title><main>{{ body }}</main>\n")
FORMATTER = HtmlFormatter()


@lru_cache(maxsize=None)
def lexer(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def highlight_code(code: str, language: str, attrs: str) -> str | None:
    found = lexer(language) if language else None
    return highlight(code, found, FORMATTER) if found else None


MARKDOWN = MarkdownIt("commonmark", {"highlight": highlight_code}).use(footnote_plugin).enable("table")


def build_page(job: tuple[Path, Path]) -> None:
    source, target = job
    _, front, body = source.read_text(encoding="utf-8").split("---", 2)
    meta = yaml.load(front, Loader=yaml.CSafeLoader)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(PAGE.render(title=meta.get("title", ""), body=MARKDOWN.render(body)), encoding="utf-8")


def essay_files(site: Path) -> list[Path]:
    content = site / "content"
    return sorted([*content.glob("*.md"), *content.glob("*/index.md")])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    jobs = []
    for source in essay_files(args.site):
        name = source.parent.name if source.name == "index.md" else source.stem
        jobs.append((source, args.out / name / "index.html"))
    if args.processes > 1:
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            pool.map(build_page, jobs, chunksize=16)
    else:
        for job in jobs:
            build_page(job)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

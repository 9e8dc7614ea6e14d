"""The command line: default command, options, exit codes and the summary line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from postil.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_plain_build_py_builds_into_public(site):
    site.essay("a.md", title="First")
    result = subprocess.run([sys.executable, str(REPO / "build.py")], cwd=site.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (site.root / "public" / "a" / "index.html").is_file()


def test_summary_line_counts_pages_warnings_and_time(site, capsys):
    site.essay("a.md", body="A [dangling](/nowhere/) link.")
    assert site.build() == 0
    summary, advice = capsys.readouterr().out.strip().splitlines()[-2:]
    assert summary.startswith("Built ") and " pages " in summary
    assert "with 1 warning in" in summary and summary.endswith(" s")
    assert advice == "1 warning — run `postil check` before you publish"


def test_out_option_chooses_the_folder(site, tmp_path):
    site.essay("a.md")
    assert site.build("--out", str(tmp_path / "elsewhere")) == 0
    assert (tmp_path / "elsewhere" / "a" / "index.html").is_file()
    assert not (site.root / "public").exists()


def test_unknown_option_is_a_usage_error_with_exit_code_2(site, capsys):
    assert site.build("--frobnicate") == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --frobnicate" in err
    assert "Traceback" not in err


def test_unknown_command_is_a_usage_error(site, capsys):
    assert main(["-C", str(site.root), "publish-everything"]) == 2


def test_build_counts_each_file_once(site, capsys):
    """Pages written as soon as rendered, then read back for the search index, are still one file each."""
    site.write("pyproject.toml", '[tool.postil]\ntitle = "T"\nbase_url = "https://example.org/"\n')
    for number in range(60):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number % 28 + 1:02}")
    assert site.build() == 0
    files = sum(1 for path in site.out.rglob("*") if path.is_file())
    assert f"({files} files, {files} changed)" in capsys.readouterr().out

"""Hostile input, built by the real CLI in its own process: a clean build or clean errors.

Never a traceback, never a hang (the subprocess timeout is a hang guard only; the time each
file takes is measured by bench/hostile.py, outside the tests).
"""
from __future__ import annotations

import re

import pytest

from hostile_inputs import SHAPES, Shape, build_in_subprocess, make_site

# `path:line:col: severity: message — hint`, line and column when known.
PROBLEM_LINE = re.compile(r"content/[^\n:]+(?::\d+(?::\d+)?)?: (?:error|warning): \S.*")

pytestmark = pytest.mark.slow  # each test builds in processes of its own


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_hostile_file_builds_or_fails_cleanly(tmp_path, shape: Shape):
    target = make_site(tmp_path / "site", shape)
    result = build_in_subprocess(tmp_path / "site")
    shown = target.relative_to(tmp_path / "site").as_posix()

    assert "Traceback" not in result.stderr
    # A message may go on over an indented line (PyYAML's reader errors do).
    lines = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    if shape.expect:
        assert result.returncode == 1, result.stderr
        assert lines[-1].startswith("Build failed:")
        assert all(PROBLEM_LINE.fullmatch(line) for line in lines[:-1]), result.stderr
        errors = [line for line in lines if ": error: " in line]
        assert any(line.startswith(shown) and shape.expect in line for line in errors), result.stderr
        assert not (tmp_path / "site/public").exists()
    else:
        assert result.returncode == 0, result.stderr
        assert all(PROBLEM_LINE.fullmatch(line) for line in lines), result.stderr
        assert (tmp_path / "site/public/index.html").is_file()

"""Hostile input, built by the real CLI: a clean build or clean errors.

Never a traceback, never a hang (the hang guard only turns a hang into a failure instead of a
stalled run; the time each file takes is measured by bench/hostile.py, outside the tests).
Most shapes are built by the CLI's entry function in this process (~0.05 s of CPU each,
against ~0.45 s for a new Python process): an exception escaping it fails the test as a
traceback would. A few are built by `python -m postil` in its own process, the whole path a
user runs, down to the exit status and what reaches stderr.
"""
from __future__ import annotations

import faulthandler
import re
import sys

import pytest

from conftest import seed_compiled_theme
from hostile_inputs import HANG_GUARD, SHAPES, Shape, build_in_subprocess, make_site

from postil.cli import main

# `path:line:col: severity: message — hint`, line and column when known.
PROBLEM_LINE = re.compile(r"content/[^\n:]+(?::\d+(?::\d+)?)?: (?:error|warning): \S.*")

# A clean build, an essay refused, a reply refused: each path through the CLI once as a user runs it.
IN_A_PROCESS = {"prose", "yaml_alias_bomb", "reply_invalid_utf8"}

pytestmark = pytest.mark.slow  # 82 builds, a few of them in processes of their own


def build(root, shape: Shape, capsys) -> tuple[int, str]:
    """The exit status and the stderr of `postil build` of `root`."""
    if shape.name in IN_A_PROCESS:
        result = build_in_subprocess(root)
        return result.returncode, result.stderr
    # A hang ends this test process (xdist then reports the test as failed, and goes on).
    faulthandler.dump_traceback_later(HANG_GUARD, exit=True, file=sys.__stderr__)
    try:
        code = main(["-C", str(root), "build"])
    finally:
        faulthandler.cancel_dump_traceback_later()
    return code, capsys.readouterr().err


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_hostile_file_builds_or_fails_cleanly(tmp_path, shape: Shape, compiled_theme, capsys):
    target = make_site(tmp_path / "site", shape)
    seed_compiled_theme(tmp_path / "site", compiled_theme)
    code, stderr = build(tmp_path / "site", shape, capsys)
    shown = target.relative_to(tmp_path / "site").as_posix()

    assert "Traceback" not in stderr
    # A message may go on over an indented line (PyYAML's reader errors do).
    lines = [line for line in stderr.splitlines() if not line.startswith(" ")]
    if shape.expect:
        assert code == 1, stderr
        assert lines[-1].startswith("Build failed:")
        assert all(PROBLEM_LINE.fullmatch(line) for line in lines[:-1]), stderr
        errors = [line for line in lines if ": error: " in line]
        assert any(line.startswith(shown) and shape.expect in line for line in errors), stderr
        assert not (tmp_path / "site/public").exists()
    else:
        assert code == 0, stderr
        assert all(PROBLEM_LINE.fullmatch(line) for line in lines), stderr
        assert (tmp_path / "site/public/index.html").is_file()

"""The reference every "incremental (or cached) build equals a clean build" test compares
with: the same sources copied to a new folder and built by another Python process, with
no `.postil-cache/`, no user cache (compiled templates) and no module state shared with
the build under test. A cache that hands back a stale entry then shows as a difference.

The process is forked from a fork server (`multiprocessing`'s "forkserver"): a fresh
interpreter, started once per test process, that has imported postil and its libraries and
built nothing. Each clean build is a new fork of it, so it starts as `python build.py` would
once its imports are done (~0.35 s of CPU each, about half of a small clean build, saved).
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Output and caches a build leaves in a site's own folder; never part of its sources.
_NOT_SOURCES = {"public", ".postil-cache"}

# What a build imports, imported once by the fork server (a name that is gone is skipped).
_PRELOAD = ["postil.cli", "postil.pipeline", "postil.render.pages", "postil.markdown", "postil.site.assemble", "postil.write.output", "jinja2", "markdown_it", "pygments.lexers", "yaml"]

_FORK_SERVER = multiprocessing.get_context("forkserver")
_FORK_SERVER.set_forkserver_preload(_PRELOAD)


def clean_build(site_root: Path, *, drafts: bool = False, draft_replies: bool = False, hashed_assets: bool = True) -> dict[str, bytes]:
    """Every output file's bytes (keyed by posix path) of a clean build of `site_root`'s sources."""
    scratch = Path(tempfile.mkdtemp(prefix="clean-build-", dir=site_root.parent))
    copy = scratch / "site"
    top = str(site_root)
    shutil.copytree(site_root, copy, ignore=lambda folder, names: {
        name for name in names if name in _NOT_SOURCES or name.startswith(".public.")} if folder == top else set())
    log = scratch / "output.txt"
    process = _FORK_SERVER.Process(target=_build, args=(copy, scratch / "user-cache", drafts, draft_replies, hashed_assets, log))
    process.start()
    process.join()
    assert process.exitcode == 0, f"the clean build failed:\n{log.read_text(encoding='utf-8') if log.exists() else ''}"
    out = copy / "public"
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}


def _build(copy: Path, user_cache: Path, drafts: bool, draft_replies: bool, hashed_assets: bool, log: Path) -> None:
    """In the forked process: the `build` command, or for the options it has no flag for (the
    dev server's plain asset names and draft replies) the same Builder; output to `log`."""
    os.environ["XDG_CACHE_HOME"] = str(user_cache)  # read at the first build: none has run in this process
    os.chdir(REPO)
    with open(log, "w", encoding="utf-8") as stream, contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        try:
            if draft_replies or not hashed_assets:
                from postil.pipeline import Builder, BuildOptions

                Builder(copy, BuildOptions(out_dir=copy / "public", drafts=drafts, draft_replies=draft_replies, hashed_assets=hashed_assets)).build()
                code = 0
            else:
                from postil.cli import main

                code = main(["-C", str(copy), "build", *(["--drafts"] if drafts else [])])
        except BaseException:
            traceback.print_exc()
            code = 1
    sys.exit(code)

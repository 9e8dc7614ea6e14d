"""The reference every "incremental (or cached) build equals a clean build" test compares
with: the same sources copied to a new folder and built by another Python process, with
no `.postil-cache/`, no user cache (compiled templates) and no module state shared with
the build under test. A cache that hands back a stale entry then shows as a difference.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Output and caches a build leaves in a site's own folder; never part of its sources.
_NOT_SOURCES = {"public", ".postil-cache"}

# For the options the `build` command has no flag for (the dev server's plain asset
# names and draft replies): the same Builder, in a process of its own.
_BUILD_WITH_OPTIONS = """\
import sys
from pathlib import Path
from postil.pipeline import Builder, BuildOptions
root = Path(sys.argv[1])
Builder(root, BuildOptions(out_dir=root / "public", drafts=sys.argv[2] == "1",
        draft_replies=sys.argv[3] == "1", hashed_assets=sys.argv[4] == "1")).build()
"""


def clean_build(site_root: Path, *, drafts: bool = False, draft_replies: bool = False, hashed_assets: bool = True) -> dict[str, bytes]:
    """Every output file's bytes (keyed by posix path) of a clean build of `site_root`'s sources."""
    scratch = Path(tempfile.mkdtemp(prefix="clean-build-", dir=site_root.parent))
    copy = scratch / "site"
    top = str(site_root)
    shutil.copytree(site_root, copy, ignore=lambda folder, names: {
        name for name in names if name in _NOT_SOURCES or name.startswith(".public.")} if folder == top else set())
    environment = {**os.environ, "XDG_CACHE_HOME": str(scratch / "user-cache")}
    if draft_replies or not hashed_assets:
        command = [sys.executable, "-c", _BUILD_WITH_OPTIONS, str(copy), *("1" if flag else "0" for flag in (drafts, draft_replies, hashed_assets))]
    else:
        command = [sys.executable, str(REPO / "build.py"), "-C", str(copy), "build", *(["--drafts"] if drafts else [])]
    done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, f"the clean build failed:\n{done.stdout}{done.stderr}"
    out = copy / "public"
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}

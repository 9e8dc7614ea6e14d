"""The golden site: the example site (content/ and its settings) built with search off
(no Pagefind files) and stored, whole, in tests/golden/example/. tests/test_golden.py
compares a fresh build with it file by file.

After a deliberate change of what postil writes, regenerate it and review its diff as code:

    .venv/bin/python tests/golden.py --update && git diff --stat tests/golden/

`python tests/golden.py` alone builds and prints the differences (exit code 1 if any).
"""
from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "example"
UPDATE_COMMAND = ".venv/bin/python tests/golden.py --update"
_LINES_SHOWN = 40  # of each file's diff


def build_example(root: Path) -> Path:
    """Copy the example site into `root` with search off, build it with --strict in this
    process, and return the output folder."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from postil.cli import main

    shutil.copytree(REPO / "content", root / "content")
    settings = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert "\n[tool.postil]\n" in settings, "the example site's settings moved: update tests/golden.py"
    (root / "pyproject.toml").write_text(settings.replace("\n[tool.postil]\n", "\n[tool.postil]\nsearch = false\n"), encoding="utf-8")
    assert main(["-C", str(root), "build", "--strict"]) == 0, "the example site does not build"
    return root / "public"


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def differences(built: Path, golden: Path = GOLDEN) -> list[str]:
    """What differs between two trees, readably: missing and extra files, and a unified diff
    (its first lines) for each text file that changed."""
    new, old = files_in(built), files_in(golden)
    found = [f"missing from the build: {name}" for name in sorted(old.keys() - new.keys())]
    found += [f"not in the golden site: {name}" for name in sorted(new.keys() - old.keys())]
    for name in sorted(old.keys() & new.keys()):
        if old[name] == new[name]:
            continue
        try:
            before, after = old[name].decode("utf-8"), new[name].decode("utf-8")
        except UnicodeDecodeError:
            found.append(f"{name}: binary content differs ({len(old[name])} → {len(new[name])} bytes)")
            continue
        diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), f"golden/{name}", f"built/{name}", lineterm="", n=1))
        more = f"\n… {len(diff) - _LINES_SHOWN} more lines" if len(diff) > _LINES_SHOWN else ""
        found.append("\n".join(diff[:_LINES_SHOWN]) + more)
    return found


def update() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        built = build_example(Path(scratch))
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(built, GOLDEN)
    print(f"Wrote {len(files_in(GOLDEN))} files to {GOLDEN.relative_to(REPO)}/; review them with git diff before committing.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rebuild the golden site from the example site")
    if parser.parse_args().update:
        update()
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        found = differences(build_example(Path(scratch)))
    print("\n\n".join(found) or "The example site's build equals the golden site.")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

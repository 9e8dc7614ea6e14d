"""The layout's one rule: only the pipeline driver imports the speed layer.

Stages take data and return data; caches, stores and workers sit around them, so a
stage read on its own never needs a cache explained. See ARCHITECTURE.md.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "postil"
STAGES = ("content", "markdown", "site", "render", "write", "search")


def imported_modules(path: Path, package_root: Path = PACKAGE) -> set[str]:
    """Every postil module a file imports, as dotted names, relative imports resolved."""
    package = path.relative_to(package_root.parent).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "postil"}


def test_no_stage_imports_the_speed_layer():
    offenders = {}
    for stage in STAGES:
        for path in sorted((PACKAGE / stage).rglob("*.py")):
            speed = sorted(name for name in imported_modules(path) if name.startswith("postil.speed"))
            if speed:
                offenders[str(path.relative_to(PACKAGE))] = speed
    assert offenders == {}


def test_only_the_driver_imports_the_speed_layer():
    """Commands, the server and the importers ask the driver (a `Builder`) for what the speed
    layer knows, such as where the cache folder is."""
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        inside = path.relative_to(PACKAGE)
        if inside.parts[0] == "speed" or inside == Path("pipeline.py"):
            continue
        speed = sorted(name for name in imported_modules(path) if name.startswith("postil.speed"))
        if speed:
            offenders[str(inside)] = speed
    assert offenders == {}


def test_the_model_is_plain_data_that_reaches_for_nothing():
    """The model may name the plain types parsing makes (a Markdown link, a passage), but no
    store, cache, renderer, writer or server."""
    imported = imported_modules(PACKAGE / "site" / "model.py")
    reaching = ("postil.speed", "postil.write", "postil.render", "postil.serve", "postil.commands", "postil.search", "postil.pipeline")
    assert sorted(name for name in imported if name.startswith(reaching)) == []


def test_a_relative_speed_import_is_seen(tmp_path):
    planted = tmp_path / "postil" / "site" / "planted.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("from ..speed.blobs import Stored\nfrom . import model\n", encoding="utf-8")
    assert imported_modules(planted, tmp_path / "postil") >= {"postil.speed.blobs", "postil.site.model"}

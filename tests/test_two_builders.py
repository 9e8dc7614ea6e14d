"""Two Builders in one process keep nothing in common: each builds its own site as a clean
build in a process of its own would, however their builds alternate."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Site, files_in

from postil.pipeline import Builder, BuildOptions

CONFIG = '[tool.postil]\ntitle = "{title}"\nbase_url = "https://example.org/"\nsearch = false\n'


def make_site(root: Path, word: str) -> Site:
    """A site whose essays sit at the same paths as the other site's, with other words:
    backlinks, a reply quoting a passage (a side comment), code, and lists of essays."""
    root.mkdir()
    site = Site(root)
    site.write("pyproject.toml", CONFIG.format(title=f"The {word} site"))
    site.essay("first.md", title=f"First {word}", date="2026-01-01", tags="[shared]", body=f"Links to [the bundle](/bundle/).\n\n```python\nprint('{word}')\n```\n")
    site.essay("bundle/index.md", title=f"Bundle {word}", date="2026-01-02", tags="[shared]", body=f"The {word} passage worth quoting.\n\nAnother paragraph.\n")
    site.write("content/bundle/replies/r1.md", f'---\nauthor: "Reader"\ndate: 2026-01-03\n---\n> The {word} passage worth quoting.\n\nAgreed.\n')
    return site


def clean_build(site: Site, tmp_path: Path, name: str) -> dict[str, bytes]:
    """The site built from scratch by another process, with an empty cache."""
    copy = tmp_path / name
    shutil.copytree(site.root, copy, ignore=shutil.ignore_patterns("public", ".public.*", ".postil-cache"))
    subprocess.run([sys.executable, "-m", "postil", "-C", str(copy), "build"], check=True, capture_output=True)
    return files_in(copy / "public")


@pytest.mark.slow  # builds in another process
def test_two_builders_in_one_process_each_build_their_own_site_as_a_clean_build_does(tmp_path):
    one, two = make_site(tmp_path / "one", "amber"), make_site(tmp_path / "two", "birch")
    builders = {site.root: Builder(site.root, BuildOptions(out_dir=site.out)) for site in (one, two)}
    edits = [
        (one, lambda: one.essay("first.md", title="First amber, edited", date="2026-01-01", tags="[shared]", body="No link now.\n")),
        (two, lambda: two.write("content/bundle/replies/r2.md", '---\nauthor: "Other"\ndate: 2026-01-04\nparent: r1\n---\n> Another paragraph.\n\nYes.\n')),
        (one, lambda: one.essay("bundle/index.md", title="Bundle amber", date="2026-01-02", tags="[shared]", body="The amber passage worth quoting.\n\nChanged.\n")),
    ]
    for site in (one, two):
        builders[site.root].build()
    for site, edit in edits:
        edit()
        builders[site.root].build()
    assert files_in(one.out) == clean_build(one, tmp_path, "clean-one")
    assert files_in(two.out) == clean_build(two, tmp_path, "clean-two")

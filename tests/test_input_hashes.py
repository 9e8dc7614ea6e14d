"""The table of input files' hashes (kept beside the build's record, so that files saved
again unchanged leave nothing to do) is not written again for a small edit: the few files
it lacks the latest hash of are read again when their stat does not vouch for them."""
from __future__ import annotations

import pytest

from postil.pipeline import BuildOptions, Builder
from postil.speed import uptodate
from postil.speed.disk_cache import CACHE_DIR
from postil.speed.uptodate import UNSAVED_HASHES

pytestmark = pytest.mark.fresh_cache  # tests of what the build's record keeps


def write_essay(site, number: int, words: str) -> None:
    site.essay(f"e{number}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}", body=words)


def test_a_small_edit_leaves_the_hash_table_and_a_later_unchanged_save_has_nothing_to_do(site, monkeypatch):
    monkeypatch.setattr(uptodate, "RACY_NANOSECONDS", 0)  # as when files are hashed more than a clock tick after they were written
    for number in range(UNSAVED_HASHES + 8):
        write_essay(site, number, f"Words {number}.")
    options = BuildOptions(out_dir=site.root / "public")
    Builder(site.root, options).build()
    table = site.root / CACHE_DIR / "build-contents.pickle"
    written = table.read_bytes()

    write_essay(site, 3, "Other words.")
    assert not Builder(site.root, options).build().up_to_date
    assert table.read_bytes() == written  # it lacks the edited file's new hash

    for path in (site.root / "content").glob("*.md"):  # saved again, unchanged: new stats, the same bytes
        path.write_bytes(path.read_bytes())
    assert Builder(site.root, options).build().up_to_date

    for number in range(UNSAVED_HASHES + 1):
        write_essay(site, number, f"Yet other words {number}.")
    assert not Builder(site.root, options).build().up_to_date
    assert table.read_bytes() != written

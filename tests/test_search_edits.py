"""An edit with search on: which shards it indexes again, and what it reads to know."""
from __future__ import annotations

import os

import pytest

from postil.render.search import SEARCH_DIR
from postil.search import index, pagefind
from postil.search.shards import shard_of
from test_search import SHARDS, _bundle_of, _bundles, _clean_build, _word, _write_sharded_site


def _edit(site, name: str, words: str) -> None:
    essay = site.root / "content" / name
    essay.write_text(essay.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")


def _bundle_folder(site, output: str) -> str:
    """The bundle folder (as _bundles names it) that indexes the essay page `output`."""
    folder = f"{SEARCH_DIR}/{shard_of(output.removesuffix('index.html'), SHARDS)}"
    return folder if folder in _bundles(site.out) else SEARCH_DIR  # the first shard is the primary


def _search_files(site) -> dict[str, bytes]:
    return {name: data for name, data in site.snapshot().items() if name.startswith(SEARCH_DIR + "/")}


def _pages_told_to_the_index(monkeypatch) -> list[str]:
    """The output paths the search index is told were rendered, in order, from now on."""
    told, pages = index.IndexRun.rendered, []

    def telling(run, output, data):
        pages.append(output)
        return told(run, output, data)

    monkeypatch.setattr(index.IndexRun, "rendered", telling)
    return pages


def test_an_edit_keeps_the_other_shards_it_renders_again_from_the_pages_it_rendered(site, monkeypatch):
    """An edit renders again the pages of the essays beside the edited one (they name it),
    which may be in other shards. They come out the same, so their shards' bundles are kept
    on the word of those few pages: no other page of theirs is read, nor indexed again. A
    page of such a shard altered behind the build record's back (its size and time kept)
    shows it: a build that read it would index the altered word into a new bundle."""
    _write_sharded_site(site)
    assert site.build() == 0
    rendered = _pages_told_to_the_index(monkeypatch)
    _edit(site, "essay-007.md", "Now also qwyxlophant.")
    assert site.build() == 0
    edited = _bundle_folder(site, "essay-007/index.html")
    others = {_bundle_folder(site, output): output for output in rendered if output.startswith("essay-") and _bundle_folder(site, output) != edited}
    assert others, "the edit rendered no page of another shard: this test shows nothing"
    folder, neighbour = sorted(others.items())[0]
    number = next(n for n in range(40) if f"essay-{n:03d}/index.html" != neighbour and _bundle_folder(site, f"essay-{n:03d}/index.html") == folder)
    page = site.out / f"essay-{number:03d}" / "index.html"
    status = page.stat()
    altered = page.read_bytes().replace(_word(number).encode(), b"qwomble")
    assert len(altered) == status.st_size and b"qwomble" in altered
    page.write_bytes(altered)
    os.utime(page, ns=(status.st_atime_ns, status.st_mtime_ns))
    before = _search_files(site)
    indexed: list[set[str]] = []
    index_pages = pagefind.index_pages

    def watched_index_pages(pages, *args, **kwargs):
        indexed.append(set(pages))
        return index_pages(pages, *args, **kwargs)

    monkeypatch.setattr(pagefind, "index_pages", watched_index_pages)
    rendered.clear()
    _edit(site, "essay-007.md", "And then zandrophyle.")
    assert site.build() == 0
    assert neighbour in rendered  # rendered again, as the first edit did
    assert len(indexed) == 1 and "essay-007/index.html" in indexed[0]
    after = _search_files(site)
    changed = {_bundle_of(name) for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert changed == {edited}


@pytest.mark.slow  # builds in another process
def test_edits_in_a_row_and_a_bundle_lost_from_the_output_equal_a_clean_build(site, tmp_path):
    """Each edit's shard is indexed as soon as its page is rendered, its key worked out
    after: the bundles kept under those keys serve the later builds as a clean build's."""
    _write_sharded_site(site)
    assert site.build() == 0
    _edit(site, "essay-007.md", "Now also qwyxlophant.")
    assert site.build() == 0
    _edit(site, "essay-007.md", "And then zandrophyle.")
    _edit(site, "essay-023.md", "Now also vorpelquist.")
    assert site.build() == 0
    assert site.snapshot() == _clean_build(site, tmp_path / "first")
    for name in _search_files(site):
        if _bundle_of(name) == _bundle_folder(site, "essay-007/index.html"):
            (site.out / name).unlink()
    _edit(site, "essay-023.md", "And vorpelquist again.")
    assert site.build() == 0
    assert site.snapshot() == _clean_build(site, tmp_path / "second")


def test_an_edits_essay_pages_are_rendered_before_the_lists_they_are_in(site, monkeypatch):
    """The search index waits for the essay pages, not for the home page or the archive
    (long lists, the slowest pages an edit renders again): those come after."""
    _write_sharded_site(site)
    assert site.build() == 0
    order = _pages_told_to_the_index(monkeypatch)
    _edit(site, "essay-007.md", "Now also qwyxlophant.")
    assert site.build() == 0
    essays = [position for position, output in enumerate(order) if output.startswith("essay-")]
    lists = [position for position, output in enumerate(order) if output in ("index.html", "archive/index.html")]
    assert "essay-007/index.html" in order and lists
    assert max(essays) < min(lists)

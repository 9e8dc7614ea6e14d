"""An edit's search index: the edited essay's shard is indexed as soon as the essays' pages
that changed are rendered, before the rest of the site is looked at, and still from the
pages as this build made them (an essay beside the edited one renders again when it names
it), so that it finds the edit's words and equals a clean build's."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from clean_build import clean_build
from postil.render.search import SEARCH_DIR, unavailable_reason
from postil.search.shards import shard_count, shard_of

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason="Pagefind is not installed")

ESSAYS = 40


def _write_site(site) -> tuple[str, str]:
    """Forty essays; the first of them quotes the second (under its title), and both are in
    one shard. Gives their file names: (the one linking, the one linked to)."""
    (site.root / "pyproject.toml").write_text('[tool.postil]\ntitle = "Quillwort"\nbase_url = "http://127.0.0.1/"\n', encoding="utf-8")
    count = shard_count(ESSAYS, ESSAYS * 20)
    names = [f"essay-{number:03d}" for number in range(ESSAYS)]
    linking, linked = next((a, b) for a in names for b in names if a < b and shard_of(f"{a}/", count) == shard_of(f"{b}/", count))
    for number, name in enumerate(names):
        body = "Common words about reading and margins.\n"
        if name == linking:
            body += f"\n![[{linked}]]\n"  # quoted, under its title
        site.essay(f"{name}.md", title=f"Title of {name}", date=f"2025-{number % 12 + 1:02d}-{number % 28 + 1:02d}", body=body)
    return linking, linked


def _pages_holding(out: Path, word: str) -> set[str]:
    """The addresses of the indexed pages whose text holds `word`, from the index's fragments."""
    found = set()
    for path in (out / SEARCH_DIR).rglob("*.pf_fragment"):
        fragment = json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))  # Pagefind's signature
        if word in fragment["content"]:
            found.add(fragment["url"])
    return found


@pytest.mark.slow  # builds in another process
def test_a_new_title_is_found_in_its_essay_and_in_the_essay_naming_it_in_the_same_shard(site):
    linking, linked = _write_site(site)
    assert site.build() == 0
    source = site.root / "content" / f"{linked}.md"
    source.write_text(source.read_text(encoding="utf-8").replace(f"Title of {linked}", "Qwyxlophant essay"), encoding="utf-8")
    assert site.build() == 0
    assert _pages_holding(site.out, "Qwyxlophant") == {f"/{linking}/", f"/{linked}/"}
    assert site.snapshot() == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_a_new_word_is_found_after_edits_in_a_row_and_equals_a_clean_build(site):
    _write_site(site)
    assert site.build() == 0
    source = site.root / "content" / "essay-017.md"
    for word in ("zyxbrandelo", "zyxcrumpeto"):
        source.write_text(source.read_text(encoding="utf-8") + f"\nNow also {word}.\n", encoding="utf-8")
        assert site.build() == 0
        assert _pages_holding(site.out, word) == {"/essay-017/"}
    assert _pages_holding(site.out, "zyxbrandelo") == {"/essay-017/"}  # the first edit's word is kept
    assert site.snapshot() == clean_build(site.root)


def test_a_page_kept_in_the_output_is_staged_as_a_link_to_it_or_else_as_a_copy(tmp_path, monkeypatch):
    from postil.search import pagefind

    kept = tmp_path / "public" / "kept" / "index.html"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"<p>kept</p>")
    pages = {"kept/index.html": b"<p>kept</p>", "new/index.html": b"<p>new</p>"}
    linked = pagefind.stage(pages, {"kept/index.html": kept})
    staged = Path(linked.name) / "site"
    assert (staged / "kept" / "index.html").stat().st_ino == kept.stat().st_ino
    assert (staged / "new" / "index.html").read_bytes() == b"<p>new</p>"
    linked.cleanup()
    assert kept.read_bytes() == b"<p>kept</p>"  # the output's file outlives its link

    def refused(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(pagefind.os, "link", refused)
    copied = pagefind.stage(pages, {"kept/index.html": kept})
    staged = Path(copied.name) / "site"
    assert (staged / "kept" / "index.html").read_bytes() == b"<p>kept</p>"
    assert (staged / "kept" / "index.html").stat().st_ino != kept.stat().st_ino
    copied.cleanup()

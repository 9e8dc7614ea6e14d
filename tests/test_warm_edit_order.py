"""An edit with search on, in a new process: the shard of the essay parsed afresh goes to
Pagefind before the other essays' pages are even checked for changes (at 1,000 essays,
digesting them all first cost 0.07 s of CPU before Pagefind started), and the build
still equals a clean one."""
from __future__ import annotations

import pytest

from postil.search import pagefind
from postil.speed import render_cache
from postil.search.shards import shard_of
from replies_helpers import write_reply
from test_edit_index import _pages_holding
from test_search import SHARDS, _clean_build, _write_sharded_site

pytestmark = pytest.mark.skipif(bool(pagefind.unavailable_reason()), reason="Pagefind is not installed")


def _shard(output: str) -> int:
    return shard_of(output.removesuffix("index.html"), SHARDS)


def _essay_pages_looked_at_before_staging(monkeypatch) -> tuple[list[str], list[list[str]]]:
    """(the essay pages the render cache checks, in order; for each shard staged for
    Pagefind, in order, those checked before it was staged), from now on. A page rendered
    is checked first."""
    check, stage = render_cache._Staleness.is_stale, pagefind.stage
    checked: list[str] = []
    before_staging: list[list[str]] = []

    def checking(staleness, page):
        if page.output.startswith(("essay-", "talk/")):
            checked.append(page.output)
        return check(staleness, page)

    def staging(pages, *args, **kwargs):
        before_staging.append(list(checked))
        return stage(pages, *args, **kwargs)

    monkeypatch.setattr(render_cache._Staleness, "is_stale", checking)
    monkeypatch.setattr(pagefind, "stage", staging)
    return checked, before_staging


@pytest.mark.slow  # builds in another process
def test_the_edited_essays_shard_is_staged_before_any_essay_of_another_shard_is_checked(site, monkeypatch, tmp_path):
    _write_sharded_site(site)
    assert site.build() == 0
    _, before_staging = _essay_pages_looked_at_before_staging(monkeypatch)
    # An essay of the last shard (the others' pages would render first in the shards' order),
    # retitled: the essays beside it in the archive's order name it, and render again too.
    number = next(number for number in range(40) if _shard(f"essay-{number:03d}/index.html") == SHARDS - 1)
    page = f"essay-{number:03d}/index.html"
    edited = site.root / "content" / f"essay-{number:03d}.md"
    text = edited.read_text(encoding="utf-8").replace(f"Essay {number}", "Qwyxlophant")
    edited.write_text(text + "\nNow also zyxquorble.\n", encoding="utf-8")
    assert site.build() == 0
    # The shards of the essays beside it are staged too, later: their pages changed.
    assert page in before_staging[0]
    assert all(_shard(output) == _shard(page) for output in before_staging[0])
    assert {url.rstrip("/").rpartition("/")[2] for url in _pages_holding(site.out, "zyxquorble")} == {f"essay-{number:03d}"}
    assert site.snapshot() == _clean_build(site, tmp_path)


@pytest.mark.slow  # builds in another process
def test_an_edited_reply_puts_its_essays_shard_first(site, monkeypatch, tmp_path):
    _write_sharded_site(site)
    site.essay("talk/index.md", title="Talk", date="2025-06-15", body="Margins and replies.\n")
    write_reply(site, "first", "A reply about margins.")
    assert site.build() == 0
    _, before_staging = _essay_pages_looked_at_before_staging(monkeypatch)
    write_reply(site, "first", "A reply about qwyxlophant margins.")
    assert site.build() == 0
    assert "talk/index.html" in before_staging[0]
    assert all(_shard(output) == _shard("talk/index.html") for output in before_staging[0])
    assert site.snapshot() == _clean_build(site, tmp_path)

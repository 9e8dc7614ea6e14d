"""What a build holds is held once: the addresses essays link to, the list items it reuses.

Issue 17 asks for at most 150 MB in every process of a build at 5,000 essays. There,
34,000 links name 9,750 addresses, each link a copy of its own once read back from the
parse cache (7 MB in the main process and every worker it forks), and the 10,000 items
of the lists an edit renders again were held both as read from the cache and as parsed
(8 MB at the height of the build)."""
from __future__ import annotations

import os
import zlib

import pytest

from clean_build import clean_build
from conftest import SITE_SETTINGS, files_in

import postil.speed.workers
from postil.pipeline import Builder, BuildOptions
from postil.speed.disk_cache import DiskCache
from postil.speed.fragments import Fragments, _key_text
from postil.speed.spill import Spill

pytestmark = pytest.mark.fresh_cache  # tests of what the caches keep


def linking_essays(site) -> None:
    site.essay("target.md", title="Target", date="2026-01-01", body="The essay the others link to.\n")
    site.essay("first.md", title="First", date="2026-01-02", body="See [the target](../target/) and [more](https://example.org/more).\n")
    site.essay("second.md", title="Second", date="2026-01-03", body="Also [the target](../target/), and [more](https://example.org/more).\n")


def test_links_read_from_the_parse_cache_share_the_addresses_they_name(site):
    linking_essays(site)
    assert site.build() == 0  # parsed, and kept in the parse cache
    # A new Builder reads the parse results back from the cache, as a new run would.
    result = Builder(site.root, BuildOptions(out_dir=site.root / "public", always_assemble=True)).build()
    essays = {essay.title: essay for essay in result.site.essays}
    first, second = essays["First"], essays["Second"]
    assert [link.site_path for link in first.links] == ["target/", None]  # what the links say is unchanged
    for mine, theirs in zip(first.links, second.links):
        assert mine.target == mine.href and mine.href is mine.target
        assert mine.target is theirs.target
    assert first.links[0].site_path is second.links[0].site_path
    assert first.link_targets == ("target/",) and first.link_targets[0] is second.link_targets[0]
    assert result.site.backlinks["target/"] == (second, first)


def kept_items(site) -> set[bytes]:
    """The home page's list items kept on disk for the next run, as lines."""
    groups = DiskCache(site.root, "fragments").load()["groups"]
    return {line for name, packed in groups.items() if "item" in name for line in zlib.decompress(packed).splitlines()}


def test_an_edit_lets_go_of_each_kept_list_item_once_parsed_and_still_keeps_it_for_the_next_run(site):
    for number in range(6):
        site.essay(f"e{number}.md", title=f"Essay {number}", date=f"2025-01-0{number + 1}", body=f"Words {number}.")
    assert site.build() == 0
    stored = kept_items(site)
    assert len(stored) >= 6

    site.essay("e0.md", title="Essay zero", date="2025-01-01", body="Words 0.")  # its item in every list changes
    builder = Builder(site.root, BuildOptions(out_dir=site.root / "public"))
    builder.build()
    fragments = builder._kept.renders.fragments
    # The items of the other essays, read from the last run's and parsed: held once, parsed.
    reused = [key for key in fragments._outputs if key[0] in fragments._kept]
    assert len(reused) >= 5
    assert not any(_key_text(key) in fragments._kept[key[0]] for key in reused)
    now = kept_items(site)
    assert len(now) > len(stored) and any(b"Essay zero" in line for line in now)
    assert {line for line in stored if b"Essay 0" not in line} <= now  # every other item, for the next run

    site.essay("e1.md", title="Essay one", date="2025-01-02", body="Words 1.")
    again = Builder(site.root, BuildOptions(out_dir=site.root / "public"))
    again.build()
    assert again._kept.renders.fragments.rendered_last <= 3  # one item a list; the others were kept
    assert files_in(site.root / "public") == clean_build(site.root)


def sixty_essays(site) -> None:
    site.write("pyproject.toml", SITE_SETTINGS + "home_essays = 60\n")  # a home page of sixty items
    for number in range(60):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}")


@pytest.mark.slow  # forks render workers
def test_list_items_sent_back_by_workers_wait_on_disk_in_a_file_with_no_name(site, monkeypatch):
    """Issue 17's 150 MB: the items a cold build's workers render for the next run are not
    held in the main process until the caches are saved, nor left behind in the cache folder."""
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    sixty_essays(site)
    builder = Builder(site.root, BuildOptions(out_dir=site.root / "public"))
    builder.build()
    cache_files = sorted(path.name for path in (site.root / ".postil-cache").iterdir())
    fragments = builder._kept.renders.fragments
    assert fragments._packed  # the workers sent items back
    assert all(type(kept) is tuple for _, kept in fragments._packed)  # (offset, length) in the spill, not the bytes
    assert not any("tmp" in name for name in cache_files)
    assert len(kept_items(site)) >= 60  # saved for the next run all the same

    # The same Builder builds again (as `check` does): the items come back from the file.
    site.essay("e30.md", title="Essay thirty, retitled", date="2025-02-03")
    result = builder.build()
    assert 0 < result.rendered < result.pages / 2
    assert files_in(site.root / "public") == clean_build(site.root)


@pytest.mark.slow  # forks render workers
def test_a_render_worker_hands_back_the_list_items_it_renders_and_keeps_none(site, monkeypatch, tmp_path):
    """Issue 17's 150 MB: a worker rendering every page of 5,000 essays grew by every list
    item it rendered. It sends each back with its page and holds none; the next run still
    has them all."""
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    sixty_essays(site)
    held = tmp_path / "held-by-workers"
    take_added = Fragments.take_added

    def noting(self):
        if os.getpid() != self._owner:
            with held.open("a", encoding="utf-8") as stream:
                stream.write(f"{len(self._outputs)}\n")
        return take_added(self)

    monkeypatch.setattr(Fragments, "take_added", noting)
    Builder(site.root, BuildOptions(out_dir=site.root / "public")).build()
    counts = held.read_text(encoding="utf-8").split()
    assert len(counts) > 30  # pages rendered in workers
    assert len(set(counts)) == 1  # what the workers were forked with (the first page's items, made before): they gather none
    assert len(kept_items(site)) >= 60  # every essay's item, kept for the next run
    assert files_in(site.root / "public") == clean_build(site.root)


def test_an_edit_leaves_the_kept_items_of_lists_it_does_not_render_in_a_file_and_keeps_them(site):
    """The replies' pages are current after an essay's edit: their thousands of kept entries
    (most of what is kept at 5,000 essays) are not read into memory, and are kept all the same."""
    site.write("content/e1/index.md", "---\ntitle: With replies\ndate: 2025-01-02\n---\nWords.\n")
    for number in range(3):
        site.write(f"content/e1/replies/r{number}.md", f"---\nauthor: Reader {number}\ndate: 2025-01-0{number + 3}\n---\nReply {number}.\n")
    site.essay("e2.md", title="Second", date="2025-01-05", body="Words 2.")
    assert site.build() == 0
    before = DiskCache(site.root, "fragments").load()["groups"]
    replies = [name for name in before if "reply_entry" in name]
    assert replies  # the replies' pages list kept entries

    site.essay("e2.md", title="Second, retitled", date="2025-01-05", body="Words 2.")
    builder = Builder(site.root, BuildOptions(out_dir=site.root / "public"))
    builder.build()
    fragments = builder._kept.renders.fragments
    assert all(type(fragments._stored[name]) is tuple and name not in fragments._kept for name in replies)  # (offset, length), unread
    after = DiskCache(site.root, "fragments").load()["groups"]
    assert {name: after[name] for name in replies} == {name: before[name] for name in replies}
    assert files_in(site.root / "public") == clean_build(site.root)


@pytest.mark.slow  # forks render workers
def test_what_pages_rendered_by_workers_read_of_the_discussions_is_held_once(site, monkeypatch):
    """Every page comes back from a worker with its own copy of the names it read; the
    render cache keeps each set of names once."""
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    sixty_essays(site)
    site.write("content/e01/index.md", "---\ntitle: With replies\ndate: 2025-01-02\n---\nWords.\n")
    site.write("content/e01/replies/r1.md", "---\nauthor: Reader\ndate: 2025-01-03\n---\nA reply.\n")
    (site.root / "content/e01.md").unlink()
    builder = Builder(site.root, BuildOptions(out_dir=site.root / "public"))
    builder.build()
    reads = builder._kept.renders.reads
    nonempty = [names for names in reads.values() if names]
    assert len(nonempty) > len(set(nonempty)) > 0  # pages that read the same discussions
    assert len({id(names) for names in nonempty}) == len(set(nonempty))


def test_a_spill_gives_back_what_it_kept_and_keeps_bytes_in_memory_when_it_cannot_write(tmp_path):
    spill = Spill(tmp_path)
    kept = [spill.keep(data) for data in (b"first", b"", b"x" * 100_000, b"last")]
    assert [spill.read(place) for place in kept] == [b"first", b"", b"x" * 100_000, b"last"]
    assert all(type(place) is tuple for place in kept)
    assert list(tmp_path.iterdir()) == []  # no name leads to the file

    for nowhere in (Spill(tmp_path / "missing"), Spill()):  # a folder it cannot write in; none (the dev server)
        place = nowhere.keep(b"held")
        assert place == b"held" and nowhere.read(place) == b"held"

"""The on-disk cache: trusted only when whole, from this version, and plain data."""
from __future__ import annotations

import datetime as dt
import gc
import os
import pickle

from postil.speed.disk_cache import DiskCache
from postil.errors import Problem
from postil.site.model import Quote, Reply


def test_saved_entries_come_back(tmp_path):
    cache = DiskCache(tmp_path, "parsed")
    entries = {"content/a.md": (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), Problem("a", 1, None, "m"))}
    cache.save(entries)
    assert DiskCache(tmp_path, "parsed").load() == entries


def test_parse_results_come_back_whole_from_a_chunked_cache(tmp_path):
    """Slotted model classes are saved as calls of their class: every field comes back."""
    reply = Reply(
        source="content/a/replies/r1.md", id="r1", bundle_dir="content/a", page_path="a/", author="Reader",
        url="https://example.org/", date=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), parent="",
        score=3, agreement=-1, quotes=(Quote(4, "a passage", False),),
        links=(), key_lines={"author": 2}, draft=True,
    )
    entries = {"content/a/replies/r1.md": (reply, reply.quotes)}
    DiskCache(tmp_path, "parsed", chunked=True).save(entries)
    loaded = DiskCache(tmp_path, "parsed", chunked=True).load()
    assert loaded == entries and type(loaded["content/a/replies/r1.md"][0].quotes[0]) is Quote


def test_a_large_mapping_saved_in_chunks_comes_back_whole_with_the_other_values(tmp_path):
    """More items than a chunk holds, and a count that does not fill the last one."""
    from postil.speed.disk_cache import CHUNK

    quote = Quote(4, "a passage", False)
    large = {f"content/e{number}.md": (number, quote, "shared text") for number in range(2 * CHUNK + 7)}
    stored = {"scope": ("config", "code"), "entries": large, "small": {"a": 1}}
    DiskCache(tmp_path, "parsed", chunked=True).save(stored)
    loaded = DiskCache(tmp_path, "parsed", chunked=True).load()
    assert loaded == stored and list(loaded["entries"]) == list(large)


def test_a_mapping_refused_before_its_chunks_are_read_comes_back_empty(tmp_path):
    """`wanted` sees the values saved whole (the scope), before the chunked ones are read:
    a parse cache of another configuration is refused without being read whole."""
    from postil.speed.disk_cache import CHUNK

    stored = {"scope": ("config", "code"), "entries": {str(number): "x" for number in range(2 * CHUNK)}}
    DiskCache(tmp_path, "parsed", chunked=True).save(stored)
    shown = []
    assert DiskCache(tmp_path, "parsed", chunked=True).load(wanted=lambda top: shown.append(dict(top)) or False) == {}
    assert shown == [{"scope": ("config", "code")}]
    assert DiskCache(tmp_path, "parsed", chunked=True).load(wanted=lambda top: top["scope"] == ("config", "code")) == stored


class _Shared:
    """An object a process provides to what it loads (the parse cache's file of bodies)."""


def test_each_chunk_is_let_go_of_as_soon_as_it_is_read_while_collection_is_off(tmp_path):
    """Loading turns the collector off; an unpickler kept alive by a cycle held every
    object its memo named (a chunk's transient tuples and strings) until the next collection."""
    from postil.speed.disk_cache import CHUNK, _RestrictedUnpickler

    shared = _Shared()
    stored = {"entries": {str(number): (shared, number, f"text {number}") for number in range(3 * CHUNK)}}
    DiskCache(tmp_path, "parsed", shared={"blobs": shared}, chunked=True).save(stored)
    gc.collect()
    gc.disable()
    try:
        loaded = DiskCache(tmp_path, "parsed", shared={"blobs": shared}, chunked=True).load()
        left = [thing for thing in gc.get_objects() if isinstance(thing, _RestrictedUnpickler)]
    finally:
        gc.enable()
    assert loaded == stored and loaded["entries"]["7"][0] is shared
    assert left == []


def test_a_truncated_chunked_cache_is_discarded(tmp_path):
    from postil.speed.disk_cache import CHUNK

    cache = DiskCache(tmp_path, "parsed", chunked=True)
    cache.save({"entries": {str(number): "x" * 50 for number in range(3 * CHUNK)}})
    cache.path.write_bytes(cache.path.read_bytes()[:-2000])
    assert cache.load() == {}


def test_cache_folder_ignores_itself_for_git(tmp_path):
    DiskCache(tmp_path, "parsed").save({})
    assert (tmp_path / ".postil-cache" / ".gitignore").read_text() == "*\n"


def test_truncated_cache_is_discarded(tmp_path):
    cache = DiskCache(tmp_path, "parsed")
    cache.save({"x": "y" * 1000})
    cache.path.write_bytes(cache.path.read_bytes()[:-100])
    assert cache.load() == {}


def test_cache_from_another_version_is_discarded(tmp_path):
    cache = DiskCache(tmp_path, "parsed")
    cache.path.parent.mkdir(parents=True)
    with open(cache.path, "wb") as stream:
        pickle.dump(("postil-cache", 0, "0.0.0", (3, 0)), stream)
        pickle.dump({"x": "stale"}, stream)
    assert cache.load() == {}


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_planted_cache_cannot_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = DiskCache(tmp_path, "parsed")
    cache.save({})
    header = pickle.loads(cache.path.read_bytes())  # the first object is the header
    with open(cache.path, "wb") as stream:
        pickle.dump(header, stream)
        pickle.dump({"x": _Exploit()}, stream)
    assert cache.load() == {}
    assert not (tmp_path / "pwned").exists()

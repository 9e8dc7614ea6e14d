"""The on-disk cache: trusted only when whole, from this version, and plain data."""
from __future__ import annotations

import datetime as dt
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


def test_parse_results_come_back_whole_from_a_tree_saved_without_memo(tmp_path):
    """Slotted model classes are saved as calls of their class: every field comes back."""
    reply = Reply(
        source="content/a/replies/r1.md", id="r1", bundle_dir="content/a", page_path="a/", author="Reader",
        url="https://example.org/", date=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), parent="",
        score=3, agreement=-1, quotes=(Quote(4, "a passage", False),),
        links=(), key_lines={"author": 2}, draft=True,
    )
    entries = {"content/a/replies/r1.md": (reply, reply.quotes)}
    DiskCache(tmp_path, "parsed", tree=True).save(entries)
    loaded = DiskCache(tmp_path, "parsed", tree=True).load()
    assert loaded == entries and type(loaded["content/a/replies/r1.md"][0].quotes[0]) is Quote


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

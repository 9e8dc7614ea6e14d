"""The on-disk cache: trusted only when whole, from this version, and plain data."""
from __future__ import annotations

import datetime as dt
import os
import pickle

from postil.cache import DiskCache
from postil.errors import Problem


def test_saved_entries_come_back(tmp_path):
    cache = DiskCache(tmp_path, "parsed")
    entries = {"content/a.md": (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), Problem("a", 1, None, "m"))}
    cache.save(entries)
    assert DiskCache(tmp_path, "parsed").load() == entries


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

"""The record of a build into a folder holds every output folder's modification time, so
that the next build can tell that the output is as it was without listing a folder. A
small change made in place stats again only the folders it wrote in."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from postil.pipeline import BuildOptions, Builder
from postil.speed import uptodate
from postil.speed.disk_cache import DiskCache

pytestmark = pytest.mark.fresh_cache  # tests of what the build's record keeps


def recorded_folder_times(site_root: Path) -> dict[str, int]:
    return DiskCache(site_root, "build").load()["folders"]


def folder_times(public: Path) -> dict[str, int]:
    """Each folder of the output as it is on disk, by its path inside it ("" for itself)."""
    times = {"": public.stat().st_mtime_ns}
    times.update({path.relative_to(public).as_posix(): path.stat().st_mtime_ns for path in public.rglob("*") if path.is_dir()})
    return times


def test_an_edit_made_in_place_records_the_times_of_the_folders_it_wrote_in(site, monkeypatch):
    # As when each build begins more than a clock tick after the last: the folders an edit
    # did not write in keep the times they had when it began.
    monkeypatch.setattr(uptodate, "RACY_NANOSECONDS", 0)
    for number in range(60):
        site.essay(f"e{number}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}", tags="[words]", body=f"Words {number}.")
    options = BuildOptions(out_dir=site.root / "public")
    public = site.root / "public"
    Builder(site.root, options).build()
    assert recorded_folder_times(site.root) == folder_times(public)
    folder = public.stat().st_ino

    site.essay("e3.md", title="Essay 3", date="2025-01-04", tags="[words]", body="Other words.")
    edit = Builder(site.root, options).build()
    assert "e3/index.html" in edit.changed and public.stat().st_ino == folder  # changed in place, not a new tree
    assert recorded_folder_times(site.root) == folder_times(public)

    listed: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": listed.append(os.fspath(path)) or scandir(path))
    assert Builder(site.root, options).build().up_to_date
    assert not [path for path in listed if path.startswith(str(public.resolve()))]

    (public / "e5/stray.html").write_text("not from the site", encoding="utf-8")  # a folder the edit left alone
    assert not Builder(site.root, options).build().up_to_date
    assert not (public / "e5/stray.html").exists()


def test_folders_listed_once_past_the_clock_tick_of_the_build_that_wrote_them_are_not_listed_again(site, monkeypatch):
    # A build that wrote every folder records their times in the same clock tick: the next
    # run cannot trust them and lists each folder. Listed past that tick, they are settled.
    for number in range(5):
        site.essay(f"e{number}.md", title=f"Essay {number}", date=f"2025-01-{number + 1:02}", body=f"Words {number}.")
    options = BuildOptions(out_dir=site.root / "public")
    public = site.root / "public"
    Builder(site.root, options).build()
    long_ago = public.stat().st_mtime_ns - 60 * 10**9  # the build happened a minute ago, in one tick
    for folder in folder_times(public):
        os.utime(public / folder, ns=(long_ago, long_ago))
    record = DiskCache(site.root, "build")
    record.save({**record.load(), "folders": folder_times(public), "folders_ns": long_ago + 1})

    listed: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": listed.append(os.fspath(path)) or scandir(path))
    assert Builder(site.root, options).build().up_to_date
    assert [path for path in listed if path.startswith(str(public.resolve()))]  # in doubt: listed
    listed.clear()
    assert Builder(site.root, options).build().up_to_date
    assert not [path for path in listed if path.startswith(str(public.resolve()))]

    (public / "e2/stray.html").write_text("not from the site", encoding="utf-8")
    assert not Builder(site.root, options).build().up_to_date
    assert not (public / "e2/stray.html").exists()

"""A build into a folder keeps nothing for a later build in its own process, and packs
its cached partials line by line.

`postil build` runs once: the memos that spare the dev server's next build digesting the
very same values again (the render cache's, the cached partials' keys by identity) were
held through the height of such a build for no later one. And the list items its workers
sent back were unpacked whole to be saved (issue 17: at most 150 MB in every process at
5,000 essays)."""
from __future__ import annotations

import zlib

import pytest

from clean_build import clean_build
from conftest import files_in

from postil.pipeline import Builder, BuildOptions
from postil.speed.fragments import _PIECE, _kept_lines, _lines, _pack_lines

pytestmark = pytest.mark.fresh_cache  # tests of what the caches keep


def tagged_essays(site) -> None:
    for number in range(4):
        site.essay(f"e{number}.md", title=f"Essay {number}", date=f"2025-01-0{number + 1}", body=f"Words {number}.", tags="[margins]")


def test_a_build_into_a_folder_keeps_no_memos_for_a_next_build_and_still_builds_again_as_a_clean_build(site):
    tagged_essays(site)
    builder = Builder(site.root, BuildOptions(out_dir=site.root / "public"))
    builder.build()
    renders = builder._kept.renders
    assert renders.digests  # what the record keeps for the next run is there
    assert renders._frozen == {} and renders._read_digests == {} and renders._inputs == {}
    assert renders.fragments._keys == {}

    site.essay("e0.md", title="Essay zero", date="2025-01-01", body="Words 0.", tags="[margins]")
    result = builder.build()  # the same Builder again: only slower, never other bytes
    assert 0 < result.rendered < result.pages
    assert files_in(site.root / "public") == clean_build(site.root)


def test_the_dev_server_keeps_its_memos_for_its_next_build(site):
    tagged_essays(site)
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    renders = builder._kept.renders
    assert renders._frozen and renders._read_digests and renders._inputs
    assert renders.fragments._keys


def test_packed_lines_are_read_back_a_piece_at_a_time_across_the_pieces_edges():
    lines = [(f"key{number}", b"x" * (number % 700) + b"]") for number in range(3000)]
    group = _pack_lines(lines)
    assert len(zlib.decompress(group)) > 2 * _PIECE  # lines cross the pieces' edges
    assert list(_lines(group)) == lines
    assert _kept_lines(group) == dict(lines)


def test_a_damaged_group_gives_its_lines_up_to_the_damage_or_none_when_all_must_hold():
    lines = [(f"key{number}", f'["item {number}", [], "#d"]'.encode()) for number in range(2000)]
    whole = zlib.decompress(_pack_lines(lines))
    cut = zlib.compress(whole[: len(whole) // 2])  # a line cut in the middle
    read = list(_lines(cut))
    assert read == lines[: len(read)] and 0 < len(read) < len(lines)
    assert _kept_lines(cut) == {}
    assert list(_lines(b"not packed")) == [] and _kept_lines(b"") == {}

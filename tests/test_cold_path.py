"""A cold build's fixed costs: this process compiles the templates while the workers parse,
and the templates so compiled serve the render cache exactly as the renderer's own."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import postil.speed.workers
from clean_build import clean_build
from postil.pipeline import Builder, BuildOptions
from postil.speed.compiled_templates import store_path
from postil.speed.disk_cache import CACHE_DIR
from postil.speed.parse_cache import MIN_ESSAYS_FOR_PROCESSES
from postil.speed.workers import MIN_ITEMS_FOR_PROCESSES, WARM_ITEMS, map_in_processes

pytestmark = pytest.mark.fresh_cache  # a cold build compiles the templates


def wait_for(marker: str) -> bool:
    """Whether `marker` appears within 30 s (a worker's task: it waits on this process)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(marker):
            return True
        time.sleep(0.01)
    return False


def test_steps_of_meanwhile_are_taken_here_while_the_workers_work(monkeypatch, tmp_path):
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    marker = tmp_path / "made-meanwhile"
    taken = []

    def steps():
        for step in range(3):
            taken.append((step, os.getpid()))
            marker.touch()
            yield

    # The workers' items wait for the marker: were `meanwhile` taken after the workers, none
    # would see it. (The first items, this process's own before the fork, wait for a folder that is there.)
    items = [str(tmp_path)] * WARM_ITEMS + [str(marker)] * (MIN_ITEMS_FOR_PROCESSES - WARM_ITEMS)
    seen = map_in_processes(wait_for, items, meanwhile=steps())
    assert seen == [True] * MIN_ITEMS_FOR_PROCESSES
    assert taken == [(step, os.getpid()) for step in range(3)]  # all, here, once each


def test_meanwhile_is_left_alone_when_no_workers_are_used(monkeypatch):
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    taken = []

    def steps():
        taken.append(1)
        yield

    assert map_in_processes(abs, [-1] * (MIN_ITEMS_FOR_PROCESSES - 1), meanwhile=steps()) == [1] * (MIN_ITEMS_FOR_PROCESSES - 1)
    assert taken == []


def _essays(site, count: int) -> list[Path]:
    return [site.essay(f"essay-{number:03}.md", title=f"Essay {number}", tags="[one, two]", body=f"Text {number}, with a [link](/essay-000/).") for number in range(count)]


def test_templates_compiled_while_workers_parse_serve_the_next_run(monkeypatch, site):
    """Compiled during the parse, in their own environment: the next process still renders
    only the pages an edit concerns, and the same bytes as a clean build."""
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    essays = _essays(site, MIN_ITEMS_FOR_PROCESSES + 2)
    Builder(site.root, BuildOptions(out_dir=site.out)).build()
    essays[5].write_text(essays[5].read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
    result = Builder(site.root, BuildOptions(out_dir=site.out)).build()  # a new Builder: as a new process
    assert 0 < result.rendered < 20  # the edited essay and the lists it is in, not every page
    assert store_path(site.root / CACHE_DIR).is_file()  # what the second build compiled nothing with
    assert {path.relative_to(site.out).as_posix(): path.read_bytes() for path in site.out.rglob("*") if path.is_file()} == clean_build(site.root)


def noting_parses(monkeypatch, log: Path) -> None:
    """Have every essay and reply parse write its kind and its process's id to `log`."""
    import postil.speed.parse_cache as parse_cache

    def noting(kind, parse):
        def parse_and_note(*args, **kwargs):
            with open(log, "a", encoding="utf-8") as stream:
                stream.write(f"{kind} {os.getpid()}\n")
            return parse(*args, **kwargs)
        return parse_and_note

    monkeypatch.setattr(parse_cache, "parse_essay", noting("essay", parse_cache.parse_essay))
    monkeypatch.setattr(parse_cache, "parse_reply", noting("reply", parse_cache.parse_reply))


def parsed_by(log: Path) -> dict[str, set[int]]:
    """{kind: the processes that parsed that kind}, from `noting_parses`'s log."""
    by_kind: dict[str, set[int]] = {"essay": set(), "reply": set()}
    for line in log.read_text(encoding="utf-8").splitlines():
        kind, pid = line.split()
        by_kind[kind].add(int(pid))
    return by_kind


def test_essays_and_replies_are_parsed_by_the_same_workers(monkeypatch, site, tmp_path):
    """One fork for the parse: the replies, which wait for the essays' addresses, go to
    the processes that parsed the essays, not to a second pool started for them."""
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    log = tmp_path / "parsed-by"
    noting_parses(monkeypatch, log)
    for number in range(MIN_ITEMS_FOR_PROCESSES):
        site.essay(f"talk-{number:02}/index.md", title=f"Talk {number}")
        site.write(f"content/talk-{number:02}/replies/r1.md", '---\nauthor: "Reader"\ndate: 2026-01-05\n---\nA reply.\n')
    Builder(site.root, BuildOptions(out_dir=site.out)).build()
    by_kind = parsed_by(log)
    workers = (by_kind["essay"] | by_kind["reply"]) - {os.getpid()}
    assert by_kind["reply"] and os.getpid() not in by_kind["reply"]  # in workers, as are the essays but the first (see workers.WARM_ITEMS)
    assert len(workers) <= 2  # one pool of two: a second pool for the replies would add its own processes
    assert (site.out / "talk-00/index.html").is_file()


def test_a_small_site_s_essays_are_parsed_in_workers_and_an_edited_one_here(monkeypatch, site, tmp_path):
    """An essay costs several pages' work, so a site of a few essays already has them
    parsed on every core; one edited essay is parsed in this process (no fork to wait for)."""
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    log = tmp_path / "parsed-by"
    noting_parses(monkeypatch, log)
    essays = _essays(site, MIN_ESSAYS_FOR_PROCESSES)
    assert MIN_ESSAYS_FOR_PROCESSES < MIN_ITEMS_FOR_PROCESSES  # fewer items than a render forks for
    Builder(site.root, BuildOptions(out_dir=site.out)).build()
    assert parsed_by(log)["essay"] - {os.getpid()}
    log.unlink()
    essays[3].write_text(essays[3].read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
    Builder(site.root, BuildOptions(out_dir=site.out)).build()
    assert parsed_by(log)["essay"] == {os.getpid()}


def test_a_site_built_with_workers_equals_one_built_in_one_process(monkeypatch, site, tmp_path):
    """The first essay and page are made in this process before the workers fork (see
    workers.WARM_ITEMS), the rest in them: the same bytes as a build with no workers at all,
    and as a clean build in another process."""
    code = "```python\ndef shelve(book, *, margin=3):\n    return [note for note in book.notes if note.margin > margin]\n```\n"
    for number in range(MIN_ITEMS_FOR_PROCESSES + 2):
        site.essay(f"essay-{number:03}/index.md", title=f"Essay {number}", tags="[one, two]", body=f"Text {number}.\n\n{code}")
        site.write(f"content/essay-{number:03}/replies/r1.md", '---\nauthor: "Reader"\ndate: 2026-01-05\n---\nA reply.\n')
    alone = tmp_path / "alone"
    shutil.copytree(site.root, alone)
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    Builder(site.root, BuildOptions(out_dir=site.out)).build()
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 1)
    Builder(alone, BuildOptions(out_dir=alone / "public")).build()
    with_workers = {path.relative_to(site.out).as_posix(): path.read_bytes() for path in site.out.rglob("*") if path.is_file()}
    assert with_workers == {path.relative_to(alone / "public").as_posix(): path.read_bytes() for path in (alone / "public").rglob("*") if path.is_file()}
    assert with_workers == clean_build(site.root)

"""Work spread over processes comes back whole and in order."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import postil.speed.workers
from postil.speed.workers import MIN_ITEMS_FOR_PROCESSES, WARM_ITEMS, map_in_processes

REPO = Path(__file__).resolve().parent.parent


def square_with_pid(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


@pytest.mark.parametrize("count", [MIN_ITEMS_FOR_PROCESSES, 1001])
def test_every_item_once_in_order_from_worker_processes(monkeypatch, count):
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    seen: list[int] = []
    results = map_in_processes(square_with_pid, list(range(count)), each=lambda index, result: seen.append(index))
    assert [square for square, _ in results] == [number * number for number in range(count)]
    assert seen == list(range(count))
    # The first items here, before the fork (what they build is then inherited); the rest in workers.
    assert {pid for _, pid in results[:WARM_ITEMS]} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid in results[WARM_ITEMS:]}


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _reaches_end(descriptor: int, seconds: float) -> bool:
    """Whether reading `descriptor` comes to its end (every writer closed it) in time."""
    deadline = time.monotonic() + seconds
    while select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))[0]:
        if not os.read(descriptor, 65536):
            return True
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or len(os.sched_getaffinity(0)) < 2, reason="needs /proc and two cores (else no workers)")
@pytest.mark.slow  # builds in another process
def test_workers_of_a_killed_build_end_so_its_output_pipe_closes(site):
    for number in range(400):
        site.essay(f"e{number:03}.md", title=f"Essay {number}", body="```python\nx = 1\n```\n" + "word " * 400)
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(site.root)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        workers: set[int] = set()
        for _ in range(6000):  # until its workers exist (a bounded wait on an event, not a sleep)
            workers = _children(build.pid)
            if workers or build.poll() is not None:
                break
            time.sleep(0.01)
        assert workers, "the build ended before it forked workers"
        build.kill()
        build.wait()
        assert _reaches_end(build.stdout.fileno(), seconds=10), "the build's stdout is still held open after it was killed"
        for _ in range(1000):
            if not any(map(_alive, workers)):
                break
            time.sleep(0.01)
        assert not any(map(_alive, workers))
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        build.stdout.close()


ORPHAN = """
import os, time
import postil.speed.workers as parallel
parallel._ask_for_parent_death_signal = lambda: False  # as where there is no prctl
parallel.PARENT_POLL_SECONDS = 0.05
parent = os.getpid()
child = os.fork()
if child == 0:
    parallel._die_with_parent(parent)
    time.sleep(60)  # until its watching thread ends it
    os._exit(3)
print(child, flush=True)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or not hasattr(os, "fork"), reason="needs fork and /proc")
@pytest.mark.slow  # starts processes of its own
def test_without_prctl_a_worker_notices_its_parent_is_gone_and_ends():
    parent = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True, cwd=REPO, timeout=30)
    assert parent.stderr == ""
    child = int(parent.stdout)
    try:
        for _ in range(1000):
            if not _alive(child):
                break
            time.sleep(0.01)
        assert not _alive(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)

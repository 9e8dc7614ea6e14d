"""Spread pure per-item work over the machine's cores.

Workers are forked, so they start with every module already imported and with whatever
the parent had built (the site model, the Jinja environment) without pickling it, and with
what the first item built (it is done here, before the fork). Small batches stay in this
process: forking costs more than it saves below a few dozen pages' work (or a few essays').
Workers end with the process that forked them, even when it is killed (see `_die_with_parent`).
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS_FOR_PROCESSES = 48

# Items the first large map runs in this process before it forks the workers. What the task
# builds on first use is then built once, and inherited, rather than once in each worker:
# a cold build's first essay cost each parse worker 75-115 ms of CPU (Pygments' lexers, their
# patterns compiled), the essays after it ~20 ms; the first page, a render worker up to 30 ms.
WARM_ITEMS = 1

# Items sent to a worker at once. A chunk's results come back as one message, held whole
# until they are used: at 5,000 essays, chunks of a thousand rendered pages held up to
# 140 MB at a time. Small chunks cost a message each, a few microseconds.
MAX_CHUNK = 32

# Chunks handed out per worker before the first of them is used. More would only pile up
# results in this process when it is slower to use them than the workers are to make
# them (an executor's `map` hands out every chunk at once: at 5,000 essays, rendered
# pages waiting to be written held over 100 MB).
CHUNKS_PER_WORKER = 2

# Where Linux's prctl is unavailable, how often a worker looks whether its parent is gone.
PARENT_POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1

# In a worker process only: the function it maps, set once as the worker starts (see
# `_start_worker`). Handed over by fork, it is never pickled (it may hold a Jinja
# environment or a large cache); the process that maps never sets it.
_task: Callable | None = None


def _run_chunk(items: Sequence) -> list:
    assert _task is not None, "run in a worker started by map_in_processes"
    return [_task(item) for item in items]


def _start_worker(parent: int, task: Callable) -> None:
    """Run in each worker as it starts: take the task, and end with the build process."""
    global _task
    _task = task
    _die_with_parent(parent)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_in_processes(
    function: Callable[[Item], Result], items: Sequence[Item],
    each: Callable[[int, Result], None] | None = None, keep: bool = True,
    meanwhile: Iterable[object] | None = None,
) -> list[Result]:
    """`[function(item) for item in items]`, in order, on all cores when it pays.

    Items and results are pickled; `function` is not (workers inherit it), so it may
    hold anything. `each(index, result)`, if given, is called in this process as results
    arrive, so that this process can use them while the workers go on; with `keep=False`
    results are not collected (an empty list is returned), so each can be let go.
    `meanwhile`, if given, is other work for this process, in small steps (an iterator's
    items, each made when asked for): taken one at a time whenever no result is waiting,
    so that the workers are kept fed, and only when workers are used. It is work this
    process would otherwise do alone, after them, while they were not running.
    """
    with Workers(function) as workers:
        return workers.map(items, each, keep, meanwhile)


class Workers:
    """Processes forked once for several maps of the same function, one after another.

    The workers are forked by the first map that is large enough to pay for them, and
    serve the later maps too: a cold build's essays and then its replies (which wait for
    the essays' addresses) are parsed by the same two processes, where a pool each cost
    a fork, a manager thread and a shutdown apiece (~30 ms)."""

    def __init__(self, function: Callable[[Item], Result]):
        self.function = function
        self._pool: Executor | None = None
        self._cores = usable_cores()

    def map(
        self, items: Sequence[Item], each: Callable[[int, Result], None] | None = None, keep: bool = True,
        meanwhile: Iterable[object] | None = None, fork_from: int = MIN_ITEMS_FOR_PROCESSES,
    ) -> list[Result]:
        """`map_in_processes(self.function, items, each, keep, meanwhile)`, in these workers,
        forked if they are not yet and there are at least `fork_from` items: fewer where
        each item costs more than a rendered page does."""
        if self._pool is not None:
            return _collect(_in_order(self._pool, items, self._cores, meanwhile), each, keep)
        if self._cores < 2 or len(items) < fork_from:
            return _collect(map(self.function, items), each, keep)
        warm = [self.function(item) for item in items[:WARM_ITEMS]]  # before the fork: see WARM_ITEMS
        rest = items[WARM_ITEMS:]
        if not self._fork():
            return _collect(chain(warm, map(self.function, rest)), each, keep)
        return _collect(chain(warm, _in_order(self._pool, rest, self._cores, meanwhile)), each, keep)  # type: ignore[arg-type]

    def _fork(self) -> bool:
        """Start the workers; False where processes cannot be forked."""
        # Imported only here: a run that needs no pool (an edit, a preview save) skips ~25 ms.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if "fork" not in multiprocessing.get_all_start_methods():
            return False
        context = multiprocessing.get_context("fork")
        # A forked worker is handed its initializer's arguments as they are in memory, unpickled.
        self._pool = ProcessPoolExecutor(
            max_workers=self._cores, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), self.function),
        )
        return True

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _die_with_parent(parent: int) -> None:
    """End this worker as soon as the build process ends.

    A killed build's workers lived on otherwise (each holds the other end of the pool's
    queues, so none ever saw them close), and with them the build's stdout and cache files:
    whoever read the build's output waited forever. Linux kills them with their parent
    (PR_SET_PDEATHSIG: the parent here is the thread that forked them, which waits for
    them); elsewhere a thread of theirs notices that they were handed to another parent.
    """
    if not _ask_for_parent_death_signal():
        threading.Thread(target=_exit_when_orphaned, args=(parent,), name="postil-orphan-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent was gone before the signal was asked for
        os._exit(1)


def _ask_for_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    return prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _in_order(pool: Executor, items: Sequence[Item], workers: int, meanwhile: Iterable[object] | None = None) -> Iterator:
    """The results of the workers' task over `items`, in order, with no more than CHUNKS_PER_WORKER
    chunks per worker handed out and not yet used; steps of `meanwhile` are taken while
    the next result is not ready, and any left once all are in."""
    steps = iter(meanwhile) if meanwhile is not None else None
    pending: deque[Future] = deque()
    for start, end in _chunks(len(items), workers):
        pending.append(pool.submit(_run_chunk, items[start:end]))
        if len(pending) >= workers * CHUNKS_PER_WORKER:
            steps = _step_until_done(steps, pending[0])
            yield from pending.popleft().result()
    while pending:
        steps = _step_until_done(steps, pending[0])
        yield from pending.popleft().result()
    for _ in steps or ():
        pass


def _step_until_done(steps: Iterator[object] | None, future: Future) -> Iterator[object] | None:
    """Take steps until `future` is done; None once there are none left."""
    while steps is not None and not future.done():
        if next(steps, _NO_STEP) is _NO_STEP:
            return None
    return steps


_NO_STEP = object()


def _chunks(count: int, workers: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each chunk: smaller as fewer items remain, so that workers finish
    together. With equal chunks, one worker sat idle for up to a chunk's time (0.3 s of a
    cold build's parsing at 1,000 essays) while the other finished the last one."""
    start = 0
    while start < count:
        size = max(1, min((count - start) // (workers * 4), MAX_CHUNK))
        yield start, start + size
        start += size


def _collect(results: Iterable[Result], each: Callable[[int, Result], None] | None, keep: bool) -> list[Result]:
    collected = []
    for index, result in enumerate(results):
        if each is not None:
            each(index, result)
        if keep:
            collected.append(result)
    return collected

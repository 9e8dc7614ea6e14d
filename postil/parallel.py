"""Spread pure per-item work over the machine's cores.

Workers are forked, so they start with every module already imported and with whatever
the parent had built (the site model, the Jinja environment) without pickling it. Small
batches stay in this process: forking costs more than it saves below a few dozen items.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_ITEMS_FOR_PROCESSES = 48


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_in_processes(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """`[function(item) for item in items]`, in order, on all cores when it pays."""
    workers = min(usable_cores(), len(items) // (MIN_ITEMS_FOR_PROCESSES // 2) or 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    chunk = max(1, len(items) // (workers * 8))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(function, items, chunksize=chunk))

"""Work spread over processes comes back whole and in order."""
from __future__ import annotations

import os

import pytest

import postil.parallel
from postil.parallel import MIN_ITEMS_FOR_PROCESSES, map_in_processes


def square_with_pid(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


@pytest.mark.parametrize("count", [MIN_ITEMS_FOR_PROCESSES, 1001])
def test_every_item_once_in_order_from_worker_processes(monkeypatch, count):
    monkeypatch.setattr(postil.parallel, "usable_cores", lambda: 2)
    seen: list[int] = []
    results = map_in_processes(square_with_pid, list(range(count)), each=lambda index, result: seen.append(index))
    assert [square for square, _ in results] == [number * number for number in range(count)]
    assert seen == list(range(count))
    assert os.getpid() not in {pid for _, pid in results}

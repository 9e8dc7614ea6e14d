"""Time a build of each hostile file (tests/hostile_inputs.py) at 1×, 2× and 4× its size.

    python bench/hostile.py                        # every shape at scales 1 2 4 of 100 KB
    python bench/hostile.py --base 500000 --only open_brackets,table_rows
    python bench/hostile.py --scales 1 2 4 8

Each build is `postil build` in its own process on a fresh site (no cache). The figures are
the build's CPU seconds (user + system, its workers included), which a busy machine
disturbs far less than the wall clock; they include the process start (the `empty` row):
subtract it to compare shapes. A shape that grows linearly shows a last/first ratio near
the ratio of the scales (the start-up pulls it lower).
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import hostile_inputs  # noqa: E402
from hostile_inputs import SHAPES, Shape, build_in_subprocess, make_site  # noqa: E402

EMPTY = Shape("empty", lambda scale: hostile_inputs.FRONT + b"Body.\n")


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_build(shape: Shape, scale: float, work: Path) -> tuple[float, int, int]:
    """(CPU seconds, file size, exit code) of one cold build."""
    site = work / f"{shape.name}-{scale}"
    size = make_site(site, shape, scale).stat().st_size
    before = cpu_of_children()
    result = build_in_subprocess(site, timeout=600)
    seconds = cpu_of_children() - before
    shutil.rmtree(site)
    return seconds, size, result.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=100_000, help="bytes of body at scale 1 (default 100,000)")
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 2, 4])
    parser.add_argument("--only", default="", help="comma-separated shape names")
    args = parser.parse_args()
    hostile_inputs.TEST_SIZE = args.base
    wanted = set(filter(None, args.only.split(",")))
    shapes = [EMPTY] + [shape for shape in SHAPES if not wanted or shape.name in wanted]

    header = f"{'shape':34}" + "".join(f"{f'{scale:g}× bytes':>12}{'cpu s':>8}" for scale in args.scales) + f"{'last/first':>11}  exit"
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for shape in shapes:
            row, times, codes = f"{shape.name:34}", [], set()
            for scale in args.scales:
                seconds, size, code = timed_build(shape, scale, Path(folder))
                times.append(seconds)
                codes.add(code)
                row += f"{size:>12,}{seconds:>8.2f}"
            print(f"{row}{times[-1] / times[0]:>11.1f}  {','.join(map(str, sorted(codes)))}", flush=True)


if __name__ == "__main__":
    main()

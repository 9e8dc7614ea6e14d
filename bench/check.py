"""`postil check`, paired against another checkout: CPU seconds and peak memory.

    python bench/check.py SITE --against /work/wt/base18              # nothing changed, 3 rounds
    python bench/check.py SITE --against /work/wt/base18 --edit       # one essay edited before each
    python bench/check.py SITE --against /work/wt/base18 --work /tmp/me/check

SITE is a built or unbuilt site (e.g. `gen_corpus.py --replies 12 SITE 5000`). Each checkout
checks its own copy of it (caches are per checkout's code), once to warm up, then the
rounds alternate between them. CPU is user + system of the `postil check` process and any
worker it waited for; peak memory is the largest resident set among them (ru_maxrss):
issue 17 asks for at most 150 MB at 5,000 essays. On a shared machine wall-clock times
are noise: compare CPU medians.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def checked(postil: Path, site: Path) -> tuple[float, float]:
    """CPU seconds and peak MB of one `postil check` of `site`; its exit code may be 0 or 1."""
    process = subprocess.Popen([str(postil), "-C", str(site), "check"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{postil} check {site} failed with {process.returncode}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def edit(site: Path, round_number: int) -> None:
    """Append a line to the site's first essay, as an author saving it would."""
    essay = min((site / "content").glob("*.md"))
    with essay.open("a", encoding="utf-8") as stream:
        stream.write(f"\nAn edit, round {round_number}.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--against", type=Path, required=True, help="another checkout with its own .venv")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--edit", action="store_true", help="edit one essay before every check")
    parser.add_argument("--work", type=Path, help="where the copies go (default: beside SITE)")
    args = parser.parse_args()
    work = args.work or args.site.parent
    sides = {"this": REPO, "other": args.against.resolve()}
    sites = {}
    for name, checkout in sides.items():
        copy = work / f"{args.site.name}-check-{name}"
        if not copy.exists():
            shutil.copytree(args.site, copy, ignore=shutil.ignore_patterns("public", ".postil-cache"))
        sites[name] = copy
        checked(checkout / ".venv" / "bin" / "postil", copy)  # builds, and warms the caches
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for round_number in range(args.rounds):
        for name, checkout in sides.items():
            if args.edit:
                edit(sites[name], round_number)
            figures[name].append(checked(checkout / ".venv" / "bin" / "postil", sites[name]))
            print(f"round {round_number + 1} {name}: {figures[name][-1][0]:.2f} CPU-s, {figures[name][-1][1]:.0f} MB", flush=True)
    for name in sides:
        cpu = statistics.median(seconds for seconds, _ in figures[name])
        peak = max(megabytes for _, megabytes in figures[name])
        print(f"{name} ({sides[name]}): median {cpu:.2f} CPU-s, peak {peak:.0f} MB")
    ratio = statistics.median(s for s, _ in figures["other"]) / statistics.median(s for s, _ in figures["this"])
    print(f"this checkout is {ratio:.2f}x the other's speed (CPU)")


if __name__ == "__main__":
    main()

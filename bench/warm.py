"""The warm paths of `postil build`, paired against another checkout: CPU seconds and wall.

    python bench/warm.py --against /work/wt/pre            # 1,000 essays, search off, 5 rounds
    python bench/warm.py --against /tmp/base --essays 100 --search
    python bench/warm.py --against /tmp/base --ci          # also a CI run (see run.py's --ci)
    python bench/warm.py --against /tmp/base --essays 100 --cold   # also a cold build
    python bench/warm.py --against /tmp/base --essays 100 --search --path  # and the edit's path

Each checkout builds its own copy of the same corpus (its caches are its own), then the
rounds alternate between them: one essay edited, nothing changed, and with --ci a fresh
clone with the cache and output restored, one essay edited or none, and with --cold a
build with no .postil-cache/ and no output (on a machine that built the site before, as
run.py's cold build). On a shared machine wall-clock times are noise: compare the CPU
seconds (user + system of the build and any worker it waited for), as medians.

With --search and --path, each edit's build runs through edit_path.py, which also notes
the CPU of the build's path: before Pagefind starts on the edited shard, that Pagefind
run, and after it. Work moved from before Pagefind to while it runs leaves the total CPU
as it was but shortens the path; their sum is what a quiet machine's wall clock shows.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULT_GENERATOR, REPO, generate, in_turn  # noqa: E402

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org"]


PATH_PARTS = ("before", "pagefind", "after")  # as edit_path.py names them


def timed(command: list[str], cwd: Path, env: dict[str, str], path: dict[str, list[float]] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command`; with `path`, the parts of the edit's
    path that edit_path.py prints are added to it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE if path is not None else subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if path is not None:
        parts = json.loads(run.stderr.decode().strip().splitlines()[-1])
        if all(parts[part] is not None for part in PATH_PARTS):
            for part in PATH_PARTS:
                path.setdefault(part, []).append(parts[part])
            path.setdefault("the path", []).append(sum(parts[part] for part in PATH_PARTS))
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def installed(checkout: Path, target: Path) -> Path:
    """`checkout`'s postil copied afresh and compiled, as `pip install` on a runner leaves it."""
    shutil.rmtree(target, ignore_errors=True)
    for name in ("postil", "templates", "theme"):
        shutil.copytree(checkout / name, target / name, copy_function=shutil.copyfile, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(target)], check=True)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, required=True, help="the other checkout")
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--search", action="store_true", help="keep Pagefind search on")
    parser.add_argument("--ci", action="store_true", help="also a fresh clone with cache and output restored")
    parser.add_argument("--cold", action="store_true", help="also a cold build: no cache folder, no output")
    parser.add_argument("--path", action="store_true", help="with --search: the CPU of the edit's path (see edit_path.py)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/postil-warm-bench"))
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # else every run compiles postil again

    corpus = args.work / "corpus"
    generate(args.generator, corpus, args.essays, args.replies, "postil")
    if not args.search:
        with open(corpus / "pyproject.toml", "a", encoding="utf-8") as config:
            config.write("search = false\n")
    checkouts = {"this": REPO, "other": args.against.resolve()}
    command = [sys.executable, "-m", "postil", "build"]
    edit_command = [sys.executable, str(Path(__file__).resolve().parent / "edit_path.py")] if args.path and args.search else command
    paths: dict[str, dict[str, list[float]]] = {name: {} for name in ("this", "other")}
    sites, environments = {}, {}
    for name, checkout in checkouts.items():
        site = sites[name] = args.work / name
        shutil.rmtree(site, ignore_errors=True)
        shutil.copytree(corpus, site)
        for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "site"]):
            subprocess.run(GIT + step, cwd=site, check=True)
        # Compiled templates in a user cache folder of each checkout's own (see run.py).
        environments[name] = {**os.environ, "PYTHONPATH": str(checkout), "XDG_CACHE_HOME": str(args.work / f"user-cache-{name}")}
        subprocess.run(command, cwd=site, env=environments[name], check=True, stdout=subprocess.DEVNULL)
        if args.ci:
            for folder in (".postil-cache", "public"):
                shutil.copytree(site / folder, args.work / f"saved-{name}" / folder, copy_function=shutil.copy2, dirs_exist_ok=True)
    time.sleep(2.5)  # past the caches' racy-clean window, as a real pause is
    essays = sorted((corpus / "content").glob("*.md"))
    essay = essays[len(essays) // 2].relative_to(corpus)

    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for number in range(args.rounds):
        for name in in_turn(checkouts, number):
            site, environment = sites[name], environments[name]
            if args.cold:
                for folder in (".postil-cache", "public"):
                    shutil.rmtree(site / folder, ignore_errors=True)
                samples.setdefault(("cold build", name), []).append(timed(command, site, environment))
                time.sleep(2.5)  # past the racy-clean window again, for the warm runs that follow
            edited = site / essay
            edited.write_text(edited.read_text(encoding="utf-8") + f"\n\nAn edit, number {number}.\n", encoding="utf-8")
            samples.setdefault(("one essay edited", name), []).append(timed(edit_command, site, environment, paths[name] if edit_command is not command else None))
            samples.setdefault(("nothing changed", name), []).append(timed(command, site, environment))
            if args.ci:
                for edit in (True, False):
                    clone = args.work / "clone"
                    shutil.rmtree(clone, ignore_errors=True)
                    subprocess.run(GIT + ["clone", "-q", str(site), str(clone)], check=True)
                    for folder in (".postil-cache", "public"):
                        shutil.copytree(args.work / f"saved-{name}" / folder, clone / folder, copy_function=shutil.copy2)
                    if edit:
                        (clone / essay).write_text((clone / essay).read_text(encoding="utf-8") + f"\n\nA CI edit, number {number}.\n", encoding="utf-8")
                    user_cache = args.work / "user-cache"
                    shutil.rmtree(user_cache, ignore_errors=True)
                    runner = {**os.environ, "PYTHONPATH": str(installed(checkouts[name], args.work / "install")), "XDG_CACHE_HOME": str(user_cache)}
                    what = "CI, one essay edited" if edit else "CI, nothing changed"
                    samples.setdefault((what, name), []).append(timed(command, clone, runner))

    search = "on" if args.search else "off"
    print(f"{args.essays} essays, {args.replies} replies per bundle, search {search}, {args.rounds} rounds; medians, CPU (wall)")
    print(f"  {'':<24} {'this':>16} {'other':>16}   CPU this/other")
    for what in dict.fromkeys(what for what, _ in samples):
        this, other = samples[what, "this"], samples[what, "other"]
        cpu = [statistics.median(cpu for _, cpu in runs) for runs in (this, other)]
        wall = [statistics.median(wall for wall, _ in runs) for runs in (this, other)]
        print(f"  {what:<24} {cpu[0]:7.3f} ({wall[0]:5.2f}) {cpu[1]:7.3f} ({wall[1]:5.2f})   {cpu[0] / cpu[1]:.2f}")
    if paths["this"] and paths["other"]:
        print("  the edit's path, CPU medians (see edit_path.py):")
        for part in (*PATH_PARTS, "the path"):
            this, other = (statistics.median(paths[name][part]) for name in ("this", "other"))
            print(f"    {part:<22} {this:7.3f}         {other:7.3f}           {this / other:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

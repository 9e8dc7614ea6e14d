"""Live-preview latency on a large site: save one essay → new page served → browser shows it.

    python /work/shared/bench/gen_corpus.py /tmp/serve-corpus 1000 --replies 12
    python bench/serve_latency.py /tmp/serve-corpus [--runs 9]

Each run appends a unique sentence to the newest essay (restored at the end) and measures, from
the moment the file is written: until the server answers the page with the sentence in it
(served before the rest of the build), until a Chromium tab open on that page shows it (no
manual reload), the difference being the browser's part, and until the whole build is
served (the lists and feeds the essay appears in too). Then as many runs give the essay a
new title and measure until its page, the home page and its tag pages show it. Medians of the runs.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import re
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from postil.serve.server import CONTROL_PREFIX  # noqa: E402
from postil.content.frontmatter import decode, split  # noqa: E402
from postil.slugs import slugify  # noqa: E402
from postil.serve.preview import Preview  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def page_has(connection: http.client.HTTPConnection, path: str, marker: str) -> bool:
    """Whether the page is served with `marker` in it, asked on a kept-alive connection, as a browser does."""
    connection.request("GET", path)
    return marker.encode() in connection.getresponse().read()


def read_pages(port: int) -> None:
    """Report when pages are served with a marker, fetching each, like a tab open on it,
    once the server's messages say it changed; in a process of its own, as a browser is
    (a client in the server's process would slow the build it measures). Each path has a
    connection of its own and pages named at once are fetched at once, as tabs would.

    Each job, a line of JSON on stdin: [marker, paths, the last build before the save].
    Each answer, on stdout: the moments (`time.perf_counter`, one clock for all processes
    on Linux) each path was served with the marker.
    """
    events = http.client.HTTPConnection("127.0.0.1", port)
    events.request("GET", CONTROL_PREFIX + "events")
    stream = events.getresponse()
    print("listening", flush=True)
    tabs: dict[str, http.client.HTTPConnection] = {}

    def served(path: str, marker: str) -> float | None:
        """When the page was served with the marker, if it was."""
        tab = tabs.setdefault(path, http.client.HTTPConnection("127.0.0.1", port, timeout=10))
        return time.perf_counter() if page_has(tab, path, marker) else None

    with ThreadPoolExecutor(max_workers=8) as fetch:
        for job in sys.stdin:
            marker, paths, build = json.loads(job)
            print("ready", flush=True)
            moments: dict[str, float] = {}
            while len(moments) < len(paths):
                line = stream.readline()
                if not line.startswith(b"data: "):
                    continue
                message = json.loads(line[len(b"data: "):])
                if message["build"] <= build:
                    continue
                named = [path for path in paths if path not in moments and path in message["changed"]]
                for path, moment in zip(named, fetch.map(served, named, [marker] * len(named))):
                    if moment is not None:
                        moments[path] = moment
            print(json.dumps([moments[path] for path in paths]), flush=True)


def newest_essay(corpus: Path) -> Path:
    """The essay its author is most likely writing, and one the home page lists: the newest."""
    def date(path: Path) -> str:
        source = path.relative_to(corpus).as_posix()
        return str(split(decode(path.read_bytes(), source), source).meta.get("date", ""))

    return max((path for path in (corpus / "content").rglob("*.md") if "replies" not in path.parts), key=lambda path: (date(path), path))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    essay = newest_essay(args.corpus)
    original = essay.read_bytes()
    started = time.perf_counter()
    said = io.StringIO()
    preview = Preview(args.corpus, port=free_port(), out=said).start()
    print(f"first build: {time.perf_counter() - started:.2f} s")
    source = essay.relative_to(args.corpus).as_posix()
    page_path = essay.parent.relative_to(args.corpus / "content").as_posix() + "/" if essay.name == "index.md" else essay.relative_to(args.corpus / "content").with_suffix("").as_posix() + "/"
    url = preview.url + page_path
    served, shown, builds, whole, retitled, listed, tagged = [], [], [], [], [], [], []
    front_matter = split(decode(original, source), source).meta
    tag_paths = [f"/tags/{slugify(str(tag))}/" for tag in front_matter.get("tags") or ()]
    finished: list[float] = []  # when each rebuild ended: the whole site, lists and all, served
    rebuild = preview.rebuild
    preview.rebuild = lambda batch: (rebuild(batch), finished.append(time.perf_counter()))  # type: ignore[method-assign]

    reader = subprocess.Popen([sys.executable, __file__, "--reader", str(preview.server.port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdout.readline()  # it listens to the server's messages

    def save_and_wait(content: bytes, marker: str, paths: list[str]) -> list[float]:
        """Save; the time until each of `paths` is served with `marker` in it, as `read_pages` saw."""
        _, state = preview.server.hello()
        reader.stdin.write(json.dumps([marker, paths, state["build"]]) + "\n")
        reader.stdin.flush()
        reader.stdout.readline()  # it has the job
        saved = time.perf_counter()
        essay.write_bytes(content)
        return [saved, *(moment - saved for moment in json.loads(reader.stdout.readline()))]

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            tab = browser.new_page()
            tab.goto(url)
            for run in range(args.runs):
                marker = f"Benchmark sentence number {run}."
                before = preview.builds
                saved, took = save_and_wait(original + f"\n\n{marker}\n".encode(), marker, ["/" + page_path])
                served.append(took)
                tab.wait_for_function(f"() => document.body.innerText.includes({marker!r})", polling="raf", timeout=30_000)
                shown.append(time.perf_counter() - saved)
                preview.wait_for_builds(before + 1)
                builds.append(preview.builds - before)
                whole.append(min(moment for moment in finished if moment > saved) - saved)
                preview.wait_for_builds(preview.builds + 1, timeout=0.3)  # let stragglers settle
            for run in range(args.runs):  # a new title shows on the essay's page and on the home page
                title = f"Benchmark title {run}"
                content = re.sub(rb"(?m)^title: .*$", f'title: "{title}"'.encode(), original, count=1)
                before = preview.builds
                _, on_page, on_home, *on_tags = save_and_wait(content, title, ["/" + page_path, "/", *tag_paths])
                retitled.append(on_page)
                listed.append(on_home)
                tagged.append(max(on_tags, default=0.0))
                preview.wait_for_builds(before + 1)
                preview.wait_for_builds(preview.builds + 1, timeout=0.3)
            browser.close()
    finally:
        essay.write_bytes(original)
        reader.kill()
        preview.close()
    print(f"essay edited: {source} ({args.runs} runs)")
    print(f"save → server has the new page: median {statistics.median(served) * 1000:.0f} ms (min {min(served) * 1000:.0f}, max {max(served) * 1000:.0f})")
    print(f"save → browser shows it:        median {statistics.median(shown) * 1000:.0f} ms (min {min(shown) * 1000:.0f}, max {max(shown) * 1000:.0f})")
    browser = [after - before for before, after in zip(served, shown)]
    print(f"of which the browser's part:     median {statistics.median(browser) * 1000:.0f} ms (min {min(browser) * 1000:.0f}, max {max(browser) * 1000:.0f})")
    print(f"save → whole build served:       median {statistics.median(whole) * 1000:.0f} ms (lists, tags, feeds updated too)")
    print(f"new title → essay page served:  median {statistics.median(retitled) * 1000:.0f} ms; → home page served: median {statistics.median(listed) * 1000:.0f} ms")
    if tag_paths:
        print(f"            → its {len(tag_paths)} tag pages served: median {statistics.median(tagged) * 1000:.0f} ms (the last of them)")
    print(f"builds per save: {builds}")
    own = [float(line.split(" in ")[1].split(" s")[0]) for line in said.getvalue().splitlines()[1:] if line.startswith("Built ")]
    print(f"of which the build itself:       median {statistics.median(own) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--reader"]:
        raise SystemExit(read_pages(int(sys.argv[2])))
    raise SystemExit(main())

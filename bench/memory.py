"""Peak resident memory of every process a build starts: the build, its workers, Pagefind.

    python bench/memory.py SITE                   # a cold build, then one essay edited
    python bench/memory.py SITE --no-search       # the same with search off
    python bench/memory.py SITE --postil PATH     # another checkout's postil (a paired comparison)
    python bench/memory.py SITE --rerender        # a cold build, then every page rendered again
                                                  # into its output (another --base-url)

Issue 17 asks for at most 150 MB in every one of those processes at 5,000 essays. Each
process's own high-water mark (VmHWM in /proc) is read every few milliseconds while the
build runs: it only grows, so a sample misses at most what a process added in its last
few milliseconds. RSS does not depend on the machine's load, so figures taken on a busy
machine hold. Linux only (/proc). The site is changed: its output and cache are removed
before the cold build, and one essay gets a line appended for the edit.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SAMPLE_SECONDS = 0.005


def _peak(pid: int) -> int | None:
    """Peak resident KiB of a live process, None once it is gone (or a zombie, whose memory is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def _parent(pid: int) -> int | None:
    """The parent pid of a live process, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text.rpartition(")")[2].split()[1])  # the command name, in parentheses, may hold spaces


class _Tree:
    """The processes descended from one, found without reading every process's status on
    every sample: a process's parent is read once, when its pid first shows in /proc (the
    machine is shared: polling all of it every few milliseconds cost minutes of CPU a run)."""

    def __init__(self, root: int):
        self.root = root
        self.members = {root}
        self._outside: set[int] = set()

    def update(self) -> set[int]:
        """The tree now: the processes seen before, and those started since under one of them."""
        live = {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}
        self._outside &= live  # a pid that went away may come back for another process
        self.members = (self.members & live) | {self.root}
        parents = {pid: _parent(pid) for pid in live - self.members - self._outside}
        grew = True
        while grew:  # a child may show before its parent joins (pids wrap around)
            grew = False
            for pid, parent in list(parents.items()):
                if parent in self.members:
                    self.members.add(pid)
                    del parents[pid]
                    grew = True
        self._outside.update(parents)
        return self.members


def _role(pid: int, root_command: bytes) -> str:
    """'build' for the process started, 'worker' for a fork of it, else the program's name."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    if command == root_command:
        return "worker"
    return Path(command.split(b"\0")[0].decode(errors="replace")).name or "?"


def measure(command: list[str], cwd: Path) -> dict[int, tuple[str, float]]:
    """Run `command`; each process of its tree's pid → (role, peak resident MB)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root_command = b""
    peaks: dict[int, tuple[str, int]] = {}
    processes = _Tree(process.pid)
    while process.poll() is None:
        if not root_command:
            try:
                root_command = Path(f"/proc/{process.pid}/cmdline").read_bytes()
            except OSError:
                pass
        tree = processes.update()
        for pid in tree:
            role = "build" if pid == process.pid else _role(pid, root_command)
            # Read after its program's name: a child that starts Pagefind in between gives
            # Pagefind's memory, not the build's it shared until then (vfork).
            peak = _peak(pid)
            if peak is not None:
                known_role, known_peak = peaks.get(pid, (role, 0))
                if role == "?":  # exiting, its name already gone: still the program it was
                    role = known_role
                # Seen before it started its program, it showed the build's memory: not its own.
                peaks[pid] = (role, peak if role != known_role else max(peak, known_peak))
        time.sleep(SAMPLE_SECONDS)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")  # type: ignore[union-attr]
    return {pid: (role, kib / 1024) for pid, (role, kib) in peaks.items()}


def summary(peaks: dict[int, tuple[str, float]]) -> str:
    by_role: dict[str, list[float]] = {}
    for role, mb in peaks.values():
        by_role.setdefault(role, []).append(mb)
    return ", ".join(f"{role} {max(mbs):.0f} MB" + (f" (max of {len(mbs)})" if len(mbs) > 1 else "") for role, mbs in sorted(by_role.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--postil", type=Path, default=Path(sys.executable).parent / "postil", help="the postil executable to run")
    parser.add_argument("--no-search", action="store_true", help="build with search off (a copy of the config with search = false)")
    parser.add_argument("--skip-cold", action="store_true", help="only the second build (the edit, or the re-render): the site was built before")
    parser.add_argument("--rerender", action="store_true",
                        help="instead of the edit, a build with another --base-url: every page rendered again into the existing output")
    args = parser.parse_args()
    site = args.site.resolve()
    if args.no_search:
        config = site / "pyproject.toml"
        text = config.read_text(encoding="utf-8")
        if "search =" not in text:
            config.write_text(text.replace("[tool.postil]\n", "[tool.postil]\nsearch = false\n"), encoding="utf-8")
    command = [str(args.postil), "build"]
    if not args.skip_cold:
        for name in ("public", ".postil-cache"):
            shutil.rmtree(site / name, ignore_errors=True)
        print(f"cold build:   {summary(measure(command, site))}", flush=True)
    if args.rerender:  # a base URL no earlier build had, so that every page changes
        print(f"re-render:    {summary(measure([*command, '--base-url', f'https://r{time.time_ns()}.example/'], site))}", flush=True)
        return 0
    essay = min((site / "content").glob("*.md"))
    essay.write_text(essay.read_text(encoding="utf-8") + f"\n\nAn edit at {time.time_ns()}.\n", encoding="utf-8")
    print(f"one edit:     {summary(measure(command, site))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

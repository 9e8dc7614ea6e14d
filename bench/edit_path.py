"""`postil build` in this process, timing the CPU of the work an edit's reader waits for.

    PYTHONPATH=<checkout> python bench/edit_path.py            # in the site's folder
    PYTHONPATH=<checkout> python bench/edit_path.py --stages   # and when each step began

An edit's build runs on two cores at once: Pagefind indexes the edited shard in a process
of its own while the build goes on with the rest of the site. The total CPU time of the
build cannot show work moved from before Pagefind starts to while it runs; this can. It
prints, as one JSON line on stderr, this process's CPU seconds until the first Pagefind
run starts (the edited shard's), that run's own CPU seconds, and this process's CPU
seconds after it ended: their sum is the CPU of the build's path on a quiet machine. On a
shared machine it is far steadier than the wall-clock time. Without a Pagefind run (search
off, nothing changed) the first and last are null. With --stages it also gives this
process's CPU seconds when each step of the build (a method of the Builder) began.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable


STEPS = ("build", "_build", "_parse", "_assemble", "_render", "_gather", "_save_caches", "_index", "_problems", "_write")


def _noted(method: Callable, name: str, stages: list[tuple[str, float]]) -> Callable:
    """`method`, noting in `stages` the CPU time when each call of it begins."""
    def noting(*args: object, **kwargs: object) -> object:
        stages.append((name, time.process_time()))
        return method(*args, **kwargs)
    return noting


def main() -> int:
    import postil.cli
    from postil.search import pagefind

    first: dict[str, float] = {}
    stages: list[tuple[str, float]] = []
    if "--stages" in sys.argv[1:]:
        from postil.pipeline import Builder

        for name in STEPS:
            setattr(Builder, name, _noted(getattr(Builder, name), name, stages))

    def run(command: list[str], capture_output: bool = False, timeout: float | None = None, check: bool = False) -> subprocess.CompletedProcess:
        """subprocess.run, noting the first run's start, end and CPU (its rusage, from wait4,
        so the child is reaped here: its output goes to unnamed files, not pipes)."""
        is_first = "started" not in first
        if is_first:
            first["started"] = time.process_time()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            process = subprocess.Popen(command, stdout=out if capture_output else None, stderr=err if capture_output else None)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(command, process.returncode, out.read(), err.read())
        if is_first:
            first["ended"] = time.process_time()
            first["pagefind"] = usage.ru_utime + usage.ru_stime
        return result

    pagefind.subprocess = types.SimpleNamespace(run=run, TimeoutExpired=subprocess.TimeoutExpired)  # type: ignore[attr-defined]
    sys.argv = ["postil", "build"]
    code = postil.cli.main()
    total = time.process_time()
    before = first.get("started")
    after = total - first["ended"] if "ended" in first else None
    print(json.dumps({"before": before, "pagefind": first.get("pagefind"), "after": after, "main": total, **({"stages": stages} if stages else {})}), file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

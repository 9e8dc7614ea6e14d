"""`postil serve`: build, serve, watch, rebuild; the glue between pipeline, watcher and server.

The preview build differs from `postil build` in three ways only: it stays in memory
(public/ is never touched, so drafts and local URLs cannot leak into a deploy), its
base_url is the server's own address (keeping the configured sub-path, so a site meant
for https://example.org/blog/ previews at http://127.0.0.1:8000/blog/), and asset names
are not hashed (a stylesheet edit then changes one file, swapped in without a reload).
"""
from __future__ import annotations

import gc
import ipaddress
import sys
import threading
import traceback
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from ..config import CONFIG_FILE, load_config
from .server import DevServer
from ..content.discover import CONTENT_DIR
from ..errors import PostilError, describe
from ..pipeline import Builder, BuildOptions, finish_killed_builds
from ..render.theme import theme_roots
from .watch import Batch, Watcher


class Preview:
    """One site previewed: a builder, a server and a watcher, with the loop between them."""

    def __init__(self, site_root: Path, host: str = "127.0.0.1", port: int = 8000, drafts: bool = True, strict: bool = False, out: TextIO = sys.stdout):
        self.site_root = site_root.resolve()
        self.out = out
        self.server = DevServer(host, port)
        self.builder = Builder(self.site_root, BuildOptions(out_dir=None, drafts=drafts, draft_replies=drafts, strict=strict, hashed_assets=False, search=False))
        self.builds = 0  # finished builds, good or bad (tests wait on this)
        self.built = threading.Condition()
        self._last_failure = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="postil-rebuild", daemon=True)
        self._switch_interval = sys.getswitchinterval()
        self.watcher = Watcher(self._watched_folders(), [self.site_root / CONFIG_FILE], ignore=self._ignored)

    def _watched_folders(self) -> list[Path]:
        folders = [self.site_root / CONTENT_DIR]
        try:
            roots = theme_roots(self.site_root, load_config(self.site_root))
        except PostilError:
            roots = [self.site_root]
        for root in roots:
            folders += [root / "templates", root / "theme"]
        return list(dict.fromkeys(folders))

    def _ignored(self, path: Path) -> bool:
        return "__pycache__" in path.parts

    @property
    def url(self) -> str:
        return self.server.origin + self.server.base_path

    def start(self) -> Preview:
        """Watch first (so no edit made during the first build is lost), build, then serve."""
        if not _is_loopback(self.server.host):
            self._say(f"Warning: listening on {self.server.host}, not on loopback: other machines can read your drafts.")
        # The preview writes no folder, but a build killed mid-write left the site's output
        # half changed: put it right, as the next build would.
        finish_killed_builds(self.site_root)
        self.watcher.start()
        self.rebuild(None)
        # What the first build made (every parsed file) mostly lives for the whole session:
        # frozen, it is no longer walked by each garbage collection, which cost up to 90 ms
        # of a save's rebuild at 1,000 essays. Parse results hold no reference cycles, so
        # those later replaced are still freed; only the first build's few cyclic objects stay.
        gc.freeze()
        # Requests are served by other threads while a build runs; with Python's default
        # 5 ms switch interval each request waits several turns for the interpreter lock,
        # so the page published early reached a tab ~50 ms late. Builds barely notice.
        sys.setswitchinterval(0.0005)
        self.server.start()
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self.watcher.close()
        self._thread.join(timeout=10)
        self.server.close()
        sys.setswitchinterval(self._switch_interval)

    def _loop(self) -> None:
        while not self._stop.is_set():
            batch = self.watcher.next_batch(timeout=0.5)
            if batch is not None and not self._stop.is_set():
                self.rebuild(batch)

    def rebuild(self, batch: Batch | None) -> None:
        """One build; its outcome is published to the server and said once in the terminal."""
        try:
            base_path = load_config(self.site_root).base_path
            self.server.base_path = base_path
            self.builder.options = replace(self.builder.options, base_url=self.server.origin + base_path)
            changed = None if batch is None or batch.rescan else self._relative(batch)
            # The page just saved is served as soon as it is rendered; lists follow with the build.
            result = self.builder.build(changed, early=self.server.publish_early)
        except PostilError as exc:
            text = describe(exc.problems, self.site_root)
            if text != self._last_failure:
                self._say(text + "\nBuild failed; still serving the last good build.")
            self._last_failure = text
            self.server.publish_error(text)
        except Exception:  # a bug in postil must not end the preview
            text = "postil crashed while building (a bug, please report it):\n" + traceback.format_exc()
            self._say(text)
            self.server.publish_error(text)
        else:
            if result.warnings:
                self._say(describe(result.warnings, self.site_root))
            self._last_failure = ""
            self.server.publish(result.files, result.changed)
            self._say(f"Built {result.pages} pages in {result.seconds:.2f} s ({len(result.changed)} files changed)")
        self.watcher.follow(self.builder.linked())
        with self.built:
            self.builds += 1
            self.built.notify_all()

    def _relative(self, batch: Batch) -> set[str]:
        relative = set()
        for path in batch.paths:
            try:
                relative.add(path.relative_to(self.site_root).as_posix())
            except ValueError:
                relative.add(path.as_posix())
        return relative

    def wait_for_builds(self, count: int, timeout: float = 10.0) -> bool:
        with self.built:
            return self.built.wait_for(lambda: self.builds >= count, timeout)

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(site_root: Path, host: str, port: int, drafts: bool, strict: bool) -> int:
    """Run the preview until Ctrl-C."""
    preview = Preview(site_root, host, port, drafts, strict)
    if preview.server.port != port:
        print(f"Port {port} is in use; using {preview.server.port} instead.", flush=True)
    preview.start()
    print(f"Serving {preview.url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopped.")
    finally:
        preview.close()
    return 0

"""File-system events in, debounced batches of changed paths out.

Editors save in many ways (in place, write-to-temp-then-rename, delete-then-create, with
swap and backup files around), and a `git checkout` touches a thousand files at once. The
watcher collects the paths of every relevant event into one set and hands it over once
the events have been quiet for a moment, so each save, and each burst, becomes one batch.
Events that arrive while the caller is busy building are kept for the next batch, so no
edit is lost. When the kernel's event queue overflows, the next batch says `rescan`:
something changed, but nobody knows what.

Symbolic links are not followed by the watch itself (one pointing at `/` would have it
watch the whole disk, and two pointing at their folder would loop). The places that
content's links lead to inside the site are watched on their own (`follow`): a change
there is a change to files known under other names, so it asks for a rescan.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from watchdog.events import (
    EVENT_TYPE_ATTRIB,
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from ..content.discover import is_editor_leftover

QUIET_SECONDS = 0.05
# Once every path's last event finished it (a file closed after writing, or renamed into
# place), the save is whole: wait only for the other files of the same save.
SETTLED_QUIET_SECONDS = 0.005
# Once a batch holds many paths a burst is under way (a checkout, a copy); on a busy
# machine its writes can pause longer than a single save's events, so wait longer.
BURST_PATHS = 20
BURST_QUIET_SECONDS = 0.3

# Opening or reading a file (which every build does) must not count as a change.
_CHANGE_EVENTS = {EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_DELETED, EVENT_TYPE_MOVED, EVENT_TYPE_CLOSED, EVENT_TYPE_ATTRIB}
# watchdog reports a kernel queue overflow only through this logger.
_WATCHDOG_LOGGER = "watchdog.observers.inotify_c"


class _OverflowListener(logging.Handler):
    def __init__(self, on_overflow: Callable[[], None]):
        super().__init__(logging.WARNING)
        self.on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.on_overflow()


@dataclass(frozen=True)
class Batch:
    paths: frozenset[Path]
    rescan: bool  # events were lost: check everything, not only `paths`


class Watcher:
    """Watches folders (recursively) and single files; `next_batch()` returns what changed.

    A folder that does not exist yet is watched from the moment it is created.
    """

    def __init__(self, folders: list[Path], files: list[Path], ignore: Callable[[Path], bool] = lambda path: False, quiet: float = QUIET_SECONDS):
        self.folders = [folder.resolve() for folder in folders]
        self.files = {file.resolve() for file in files}
        self.ignore = ignore
        self.quiet = quiet
        self._condition = threading.Condition()
        self._pending: set[Path] = set()
        self._unsettled: set[Path] = set()  # pending paths whose last event may be followed by more writes
        self._rescan = False
        self._last_event = 0.0
        self._closed = False
        self._observer = Observer()
        self._overflow = _OverflowListener(self.rescan)
        self._handler = _Handler(self)
        self._unwatched: set[Path] = set()
        self._linked: frozenset[Path] = frozenset()  # where followed links lead (see follow)
        self._link_watches: set[tuple[Path, bool]] = set()  # (folder, recursive) watched for them

    def start(self) -> Watcher:
        for folder in self.folders:
            if folder.is_dir():
                self._observer.schedule(self._handler, str(folder), recursive=True)
            else:
                self._unwatched.add(folder)
        parents = {file.parent for file in self.files} | {folder.parent for folder in self._unwatched}
        for parent in sorted(parents - set(self.folders)):
            if parent.is_dir():
                self._observer.schedule(self._handler, str(parent), recursive=False)
        logging.getLogger(_WATCHDOG_LOGGER).addHandler(self._overflow)
        self._observer.start()
        return self

    def close(self) -> None:
        logging.getLogger(_WATCHDOG_LOGGER).removeHandler(self._overflow)
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._observer.stop()
        self._observer.join(timeout=5)

    def _relevant(self, path: Path) -> bool:
        if is_editor_leftover(path.name) or self.ignore(path):
            return False
        return path in self.files or any(folder == path or folder in path.parents for folder in self.folders)

    def folder_created(self, path: Path) -> None:
        if path in self._unwatched and path.is_dir():
            self._unwatched.discard(path)
            self._observer.schedule(self._handler, str(path), recursive=True)

    def follow(self, targets: list[Path]) -> None:
        """Watch these files and folders too (where links in the watched folders lead, as
        discovery found them, all inside the site); an event there asks for a rescan.

        A watch, once made, stays when its link goes (it may be shared with another link,
        or be the watch of the config file's folder); only `targets` ask for rescans."""
        self._linked = linked = frozenset(target.resolve() for target in targets)
        for target in sorted(linked):
            watch = (target, True) if target.is_dir() else (target.parent, False)
            if watch not in self._link_watches:
                try:
                    self._observer.schedule(self._handler, str(watch[0]), recursive=watch[1])
                except OSError:  # gone meanwhile: the next build says so
                    continue
                self._link_watches.add(watch)

    def _under_link(self, path: Path) -> bool:
        return any(target == path or target in path.parents for target in self._linked)

    def add(self, paths: list[Path], settled: bool = False) -> None:
        """Note changes to `paths`; `settled` when the event left them whole (see `_quiet`)."""
        if self._linked and any(self._under_link(path) for path in paths if not is_editor_leftover(path.name)):
            self.rescan()
        relevant = {path for path in paths if self._relevant(path)}
        if relevant:
            with self._condition:
                self._pending |= relevant
                if settled:
                    self._unsettled -= relevant
                else:
                    self._unsettled |= relevant
                self._last_event = time.monotonic()
                self._condition.notify_all()

    def rescan(self) -> None:
        with self._condition:
            self._rescan = True
            self._last_event = time.monotonic()
            self._condition.notify_all()

    def _quiet(self) -> float:
        if len(self._pending) >= BURST_PATHS:
            return max(self.quiet, BURST_QUIET_SECONDS)
        return self.quiet if self._unsettled or self._rescan else min(self.quiet, SETTLED_QUIET_SECONDS)

    def next_batch(self, timeout: float | None = None) -> Batch | None:
        """Wait for changes, then for a quiet moment; None when `timeout` passed or the watcher closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while not (self._pending or self._rescan):
                remaining = None if deadline is None else deadline - time.monotonic()
                if self._closed or (remaining is not None and remaining <= 0):
                    return None
                self._condition.wait(remaining)
            while (quiet_left := self._last_event + self._quiet() - time.monotonic()) > 0 and not self._closed:
                self._condition.wait(quiet_left)
            batch = Batch(frozenset(self._pending), self._rescan)
            self._pending, self._unsettled, self._rescan = set(), set(), False
        return batch


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGE_EVENTS:
            return
        if event.is_directory and event.event_type in (EVENT_TYPE_MODIFIED, EVENT_TYPE_ATTRIB, EVENT_TYPE_CLOSED):
            return  # a folder's own timestamps change with every file written in it
        paths = [Path(str(path)) for path in (event.src_path, getattr(event, "dest_path", "")) if path]
        if event.is_directory and event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MOVED):
            self.watcher.folder_created(paths[-1])
        # Closed after writing, or renamed into place: that file's save is done. A file just
        # created, written, deleted or renamed away may have more to come (editors that move
        # the old file to a backup, or delete it, before writing the new one).
        if event.event_type == EVENT_TYPE_MOVED:
            self.watcher.add(paths[:1])
            self.watcher.add(paths[1:], settled=True)
        else:
            self.watcher.add(paths, settled=event.event_type == EVENT_TYPE_CLOSED)

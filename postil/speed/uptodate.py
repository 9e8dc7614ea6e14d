"""What the last build into a folder read and wrote, so the next one can skip what it may.

A build that writes a folder records a digest of its inputs' stats (size, modification
time, inode of every source, template and theme file, plus config, options and postil's
code), the stat of every file it wrote, and a digest of what each page was rendered
from. The next build compares: when no input and no output file changed, the output is
already what it would make; when some did, pages whose digest is unchanged and whose
output file is as it was written are linked into the new output instead of rendered.

Stats only vouch for bytes: when they differ (a fresh clone, where every file is new,
or a file saved again unchanged), the inputs' contents decide. The record keeps each
input's hash beside its stat, in a file of its own read only then, so that only files
whose stat changed are read again; when every hash is the one recorded, there is
nothing to do.

This module imports nothing heavy, so a build with nothing to do never loads Markdown,
Jinja or Pygments.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .disk_cache import RACY_NANOSECONDS, DiskCache, code_fingerprint
from ..config import CONFIG_FILE, Config
from ..content.discover import Sources
from ..render.theme import template_dirs, theme_dirs

Manifest = dict[str, tuple[int, int]]  # file path inside a folder → (size, mtime_ns)
Stat = tuple[int, int, int]  # size, mtime_ns, inode


@dataclass(frozen=True)
class Inputs:
    digest: str  # of every input's stat, the config, the build options and the code
    newest_ns: int  # the newest modification time among the input files
    read_ns: int  # when the stats were taken: a file changed since (in the same clock tick) cannot be told by its stat
    stats: dict[str, Stat]  # site path of each source file → (size, mtime_ns, inode)
    scope: str = ""  # the config, the options but the output folder, and the code: what a site's copy elsewhere shares
    files: tuple[tuple[str, str, Stat | None], ...] = ()  # each input: a name that does not depend on where the site is, its path, its stat (None: missing)


def source_files(sources: Sources) -> set[str]:
    """Every file under content/ that a build reads."""
    files = {source.path for source in sources.essays} | set(sources.loose_files) | set(sources.reactions.values())
    for group in (*sources.bundle_files.values(), *sources.replies.values()):
        files.update(group)
    return files


def read_inputs(site_root: Path, sources: Sources, config: Config, options: object) -> Inputs:
    """Stat everything a build reads: sources, templates, theme files and the config file."""
    read_ns = time.time_ns()
    hasher = hashlib.sha256(repr((config, options, code_fingerprint())).encode())
    placeless = dataclasses.replace(options, out_dir=None) if dataclasses.is_dataclass(options) else options  # type: ignore[type-var]
    scope = hashlib.sha256(repr((config, placeless, code_fingerprint())).encode()).hexdigest()
    root = str(site_root)
    site = os.path.realpath(site_root)
    sources_found = sorted(source_files(sources))
    # Sources are site paths, joined by hand: os.path.join was a fifth of this at 1,000 essays.
    named = [*((path, f"{root}/{path}") for path in sources_found), (CONFIG_FILE, os.path.join(root, CONFIG_FILE))]
    for number, folder in enumerate([*template_dirs(site_root, config), *theme_dirs(site_root, config)]):
        named += ((f"{number}:{name}", os.path.join(folder, name)) for name in sorted(manifest(folder, site)))
    newest = 0
    sources_count = len(sources_found)
    lines = []
    stats = {}
    files = []
    for index, (name, path) in enumerate(named):
        try:
            status = os.stat(path)
        except OSError:
            lines.append(f"{path}:missing")
            files.append((name, path, None))
            continue
        key = (size, mtime_ns, inode) = (status.st_size, status.st_mtime_ns, status.st_ino)
        lines.append(f"{path}:{size}:{mtime_ns}:{inode}")
        if mtime_ns > newest:
            newest = mtime_ns
        files.append((name, path, key))
        if index < sources_count:
            stats[sources_found[index]] = key
    hasher.update("\n".join(lines).encode())
    return Inputs(hasher.hexdigest(), newest, read_ns, stats, scope, tuple(files))


def manifest(folder: Path | str, links_within: str | None = None) -> Manifest:
    """Every file under `folder` with its size and modification time.

    Links to folders are followed only when they lead inside `links_within` (a real path:
    the site's folder), and into each real folder once, so that a link that loops or
    leaves the site (which the build reports as an error) cannot stall the scan."""
    found: Manifest = {}
    pending = [(os.fspath(folder), "")]
    followed: set[str] = set()
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if links_within is None or target in followed or os.path.commonpath((target, links_within)) != links_within:
                        continue
                    followed.add(target)
                pending.append((entry.path, f"{prefix}{entry.name}/"))
            else:
                try:
                    status = entry.stat()
                except OSError:
                    continue
                found[prefix + entry.name] = (status.st_size, status.st_mtime_ns)
    return found


def _folder_times(root: str, files: Manifest, seen: dict[str, int], seen_ns: int, touched: set[str]) -> dict[str, int] | None:
    """The modification time of the output folder and of every folder in it, by path
    inside it ("" for itself); None when one cannot be read. A folder's time in `seen`
    (found when the build began) is taken as it is unless the folder is in `touched` or
    that time is within the racy window of `seen_ns`: a build that changed a few files in
    place stats the folders it wrote in, not the thousands it left alone. A folder changed
    since it was seen then has another time than the one recorded, as the next build finds."""
    times = {}
    recent = seen_ns - RACY_NANOSECONDS
    try:
        for folder in _with_parents(files):
            known = seen.get(folder) if folder not in touched else None
            times[folder] = known if known is not None and known < recent else os.stat(f"{root}/{folder}" if folder else root).st_mtime_ns
    except OSError:
        return None
    return times


def _with_parents(paths: Iterable[str]) -> set[str]:
    """The folders holding `paths`, and every folder above them ("" for the top)."""
    folders = {""}
    for path in paths:
        while "/" in path:
            path = path.rpartition("/")[0]
            if path in folders:
                break
            folders.add(path)
    return folders


def _names_in(files: Manifest, folder: str) -> set[str]:
    """The names `folder` holds (files and folders), by its path ("" for the top). Asked
    for the few folders changed in the record's clock tick (an edit's), not for every folder."""
    if not folder:
        return {path.partition("/")[0] for path in files}
    prefix = folder + "/"
    return {path[len(prefix):].partition("/")[0] for path in files if path.startswith(prefix)}


def last_output(site_root: Path) -> Path | None:
    """The folder the site's last build wrote, as its record says."""
    out_dir = DiskCache(site_root, "build").load().get("out_dir")
    return site_root.resolve() / out_dir if isinstance(out_dir, str) else None


def _as_recorded(site_root: Path, out_dir: Path) -> str:
    """The output folder as the record names it: relative to the site when inside it, so
    that a copy of the site elsewhere (a CI checkout, a moved folder) keeps its record."""
    site, out = site_root.resolve(), out_dir.resolve()
    return out.relative_to(site).as_posix() if out.is_relative_to(site) else str(out)


class BuildRecord:
    """The record of the last build into one output folder, and that folder as it is now."""

    def __init__(self, site_root: Path, out_dir: Path):
        self._store = DiskCache(site_root, "build")
        self._contents = InputContents(site_root)
        self.out_dir = str(out_dir.resolve())
        self._name = _as_recorded(site_root, out_dir)
        saved = self._store.load()
        self._saved = saved if saved.get("out_dir") == self._name else {}
        self.found: Manifest = {}
        # The folders' times as the scan found them, when they were the recorded ones, and when it began.
        self._seen_folders: dict[str, int] = {}
        self._scanned_ns = 0
        self._settled = False  # the scan listed the folders the record left in doubt, and none is in doubt now
        self.scan()

    def scan(self) -> None:
        """Look at the output folder as it is now (someone may have changed it)."""
        self._scanned_ns, self._seen_folders, self._settled = time.time_ns(), {}, False
        self.found = self._recorded_files() or manifest(self.out_dir)

    def _recorded_files(self) -> Manifest | None:
        """The output folder's files, found by looking at the recorded ones alone, when no
        folder in it had a name added, removed or renamed since the record was made; else
        None. A folder's modification time says so, but for one changed in the clock tick
        of the record: its names are listed. A stat per file and folder, where walking
        the folder (a folder per page) costs twice as much."""
        written, folders = self._saved.get("manifest"), self._saved.get("folders")
        if not written or not isinstance(folders, dict):
            return None
        root, recorded_ns = self.out_dir, self._saved.get("folders_ns", 0)
        racy = []
        try:
            for folder, mtime_ns in folders.items():
                status = os.stat(f"{root}/{folder}" if folder else root)
                if status.st_mtime_ns != mtime_ns or not stat.S_ISDIR(status.st_mode):
                    return None
                if mtime_ns >= recorded_ns - RACY_NANOSECONDS:
                    racy.append(folder)
            if racy:
                if any({entry.name for entry in os.scandir(f"{root}/{folder}" if folder else root)} != _names_in(written, folder) for folder in racy):
                    return None
                # Listed now, a clock tick after they last changed: stamped with this scan, none is in doubt for the next run.
                self._settled = max(folders[folder] for folder in racy) < self._scanned_ns - RACY_NANOSECONDS
            found: Manifest = {}
            for name, recorded in written.items():
                status = os.stat(f"{root}/{name}")
                if stat.S_ISDIR(status.st_mode):
                    return None
                now = (status.st_size, status.st_mtime_ns)
                found[name] = recorded if now == recorded else now  # the record's own, not a copy, for a file as it was written
        except OSError:
            return None
        self._seen_folders = folders
        return found

    @property
    def pages(self) -> int:
        return self._saved.get("pages", 0)

    @property
    def warnings(self) -> list:
        return list(self._saved.get("warnings", ()))

    @property
    def render_digests(self) -> tuple[str, dict[str, str], dict[str, tuple[str, ...]], dict[str, tuple[str, dict[str, tuple[str, str] | None]]]]:
        """The scope, per-page digests, reads of `discussions` and families of pages the last
        build rendered from (see render_cache.py)."""
        saved = self._saved
        return saved.get("render_scope", ""), saved.get("render_digests", {}), saved.get("render_reads", {}), saved.get("render_families", {})

    def unchanged(self, inputs: Inputs) -> bool:
        """True when neither the inputs nor the output changed since the record was made.

        As for parsed files, stat is trusted only when every input was older than the
        record by more than a clock tick.
        """
        saved = self._saved
        intact = bool(saved) and self.found == saved.get("manifest")
        # The folders listed by the scan (after a build that wrote them all) need not be listed by the next run.
        settled = {"folders_ns": self._scanned_ns} if self._settled else {}
        if intact and saved.get("inputs") == inputs.digest and inputs.newest_ns < saved.get("recorded_ns", 0) - RACY_NANOSECONDS:
            if settled:
                self._saved = {**saved, **settled}
                self._store.save(self._saved)
            return True
        # Hashed now, before a build reads them, the record will name the bytes it was made from.
        contents = self._contents.digest_of(inputs)
        if not intact or contents != saved.get("contents"):
            return False
        # The same bytes under new stats: recorded as they are now, the next run need not read them.
        self._saved = {**saved, "inputs": inputs.digest, "recorded_ns": inputs.read_ns, "contents": contents, **settled}
        self._store.save(self._saved)
        self._contents.save()
        return True

    def hashed(self, inputs: Inputs) -> dict[str, tuple[Stat, int, str]]:
        """The hash of each of `inputs` that `unchanged(inputs)` took (or found taken at the
        same stat), by name (a source's name is its site path): (stat, when taken, sha256).
        The parse cache takes them rather than read and hash every file of a fresh clone
        again. Empty for inputs it did not look at last: a file may have changed since, not its stat."""
        return self._contents.looked_at if self._contents.looked_at_for(inputs) else {}

    def intact(self) -> set[str]:
        """Output files that are still exactly as the last build wrote them."""
        written = self._saved.get("manifest", {})
        return {name for name, status in self.found.items() if written.get(name) == status}

    def current(self) -> Manifest | None:
        """The output folder's files, when it is exactly as the last build left it."""
        return self.found if self.found and self.found == self._saved.get("manifest") else None

    def save(
        self, inputs: Inputs, written: Manifest, pages: int, warnings: list,
        render_scope: str, render_digests: dict[str, str], render_reads: dict[str, tuple[str, ...]],
        render_families: dict[str, tuple[str, dict[str, tuple[str, str] | None]]],
        changed_in_place: Iterable[str] | None = None,
    ) -> None:
        """Record this build. `changed_in_place` names the files it wrote or removed when it
        changed the output folder in place (None: anything in it may be new): the other
        folders keep the times found when the build began (see `_folder_times`)."""
        contents = self._contents.digest_of(inputs)
        self._contents.save()
        # Stamped with when the inputs were looked at, not now: an input changed while the
        # build ran, in the clock tick of its last change, is then within the racy window.
        folders_ns = time.time_ns()
        seen = self._seen_folders if changed_in_place is not None else {}
        folders = _folder_times(self.out_dir, written, seen, self._scanned_ns, _with_parents(changed_in_place or ()))
        self._saved = {
            "inputs": inputs.digest, "recorded_ns": inputs.read_ns, "out_dir": self._name, "contents": contents,
            "folders": folders, "folders_ns": folders_ns, "manifest": written, "pages": pages, "warnings": warnings,
            "render_scope": render_scope, "render_digests": render_digests, "render_reads": render_reads,
            "render_families": render_families,
        }
        self._store.save(self._saved)


def _file_hash(path: str) -> str:
    """The sha256 of a file's bytes. Read through the file descriptor, not a file object:
    a fresh clone hashes every source, and for the small files of a site the buffered
    reader's setting up was a third of the time (SHA-256 itself is a fifth)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        hasher = hashlib.sha256()
        while chunk := os.read(descriptor, 1 << 16):
            hasher.update(chunk)
        return hasher.hexdigest()
    finally:
        os.close(descriptor)


# Hashes taken anew that the table on disk may lack: each costs the next runs that look at
# every input's bytes a read and a hash of that file, far less than writing the whole table
# again (a line per input) after each edit.
UNSAVED_HASHES = 32


class InputContents:
    """A hash of each input file's bytes, kept with the stat it had when hashed, so that
    only files whose stat changed since are read again (see the module's docstring)."""

    def __init__(self, site_root: Path):
        self._store = DiskCache(site_root, "build-contents")
        self._hashes: dict[str, tuple[Stat, int, str]] | None = None  # name → (stat, when hashed, hash)
        self._taken: dict[str, tuple[Stat, int, str]] | None = None  # the hashes of the inputs last looked at, when any was new
        self._new = 0  # how many of `_taken` were new
        self._unsaved = 0  # hashes taken since the table was last written
        self._looked_at: Inputs | None = None
        self.digest = ""  # of the inputs last looked at
        self.looked_at: dict[str, tuple[Stat, int, str]] = {}  # name → (stat, when hashed, hash) of the inputs last looked at

    def digest_of(self, inputs: Inputs) -> str:
        """One digest of every input's name and bytes (and the config, options and code); a
        file whose stat is the one it had when hashed, outside the racy window, is not read
        again. Asked again for the same inputs (the build that checked them now saves its
        record), it gives the digest of the bytes as they were before the build read them."""
        if inputs is self._looked_at:
            return self.digest
        if self._hashes is None:
            stored = self._store.load().get("hashes")
            self._hashes = stored if isinstance(stored, dict) else {}
        hasher = hashlib.sha256(f"{inputs.scope}\n".encode())
        hashes: dict[str, tuple[Stat, int, str]] = {}
        new = 0
        for name, path, status in inputs.files:
            known = self._hashes.get(name)
            if status is not None and known is not None and known[0] == status and status[1] < known[1] - RACY_NANOSECONDS:
                hashes[name] = known
            elif status is not None:
                try:
                    hashes[name] = (status, inputs.read_ns, _file_hash(path))
                    new += 1
                except OSError:
                    pass
            hasher.update(f"{name}\0{hashes[name][2] if name in hashes else 'missing'}\n".encode())
        self._taken = hashes if new or hashes.keys() != self._hashes.keys() else None
        self._new = new if hashes.keys() == self._hashes.keys() else UNSAVED_HASHES + 1
        self._looked_at, self.looked_at, self.digest = inputs, hashes, hasher.hexdigest()
        return self.digest

    def looked_at_for(self, inputs: Inputs) -> bool:
        """Whether `looked_at` holds the hashes of these very inputs."""
        return inputs is self._looked_at

    def save(self) -> None:
        """Keep the hashes last taken for the next run, when the inputs are other files or
        more than a few hashes differ from those kept (see UNSAVED_HASHES)."""
        if self._taken is not None:
            self._hashes, self._taken = self._taken, None
            self._unsaved += self._new
            if self._unsaved > UNSAVED_HASHES:
                self._store.save({"hashes": self._hashes})
                self._unsaved = 0

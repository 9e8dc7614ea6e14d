"""Parse every essay and reply file, reusing what an earlier build parsed.

A file is parsed again only when its bytes changed. Whether they did is first asked of
the file system (size, modification time, inode: one `stat`, no read), and only when that
differs are the bytes read and compared by hash. Parsed results live in memory between
builds of one process (the dev server) and on disk in `.postil-cache/` between runs, and
are trusted only for the same config and the same postil code. Files that do need
parsing are parsed on all cores.
"""
from __future__ import annotations

import copyreg
import gc
import hashlib
import operator
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .blobs import BlobFile, Stored, load
from .disk_cache import CACHE_DIR, RACY_NANOSECONDS, DiskCache, code_fingerprint
from ..config import Config
from ..content.discover import Sources, bundle_url_path
from ..errors import Report
from ..markdown import Link, Passage
from ..markdown.highlight import highlight_code
from .packed import pack, unpack
from .workers import MIN_ITEMS_FOR_PROCESSES, Workers
from ..content.essay import Parsed, parse_essay
from ..content.reply import ParsedReply, parse_reply
from ..site.model import Body, Essay, Quote, Reply, ReplyBody


# An essay costs its parse about five rendered pages' work (its code highlighted, its passages
# found), so the workers are forked for fewer essays than pages (workers.MIN_ITEMS_FOR_PROCESSES).
MIN_ESSAYS_FOR_PROCESSES = 10


def _as_call(cls: type):
    """A reducer that pickles an instance of a slotted dataclass as a call of the class with
    its fields: unpickling then runs `__init__`, where dataclasses' default `__setstate__`
    lists the fields again for every instance (half the time of reading a parse cache)."""
    values = operator.attrgetter(*(field.name for field in fields(cls)))
    return lambda instance: (cls, values(instance))


# Parse results repeat many small values: every reply's front matter names the same keys on
# the same lines, a bundle's replies share its folder and page path, tags and authors recur.
# Unpickled (from the cache, or from a worker), each would be a copy of its own: at 5,000
# essays and 12,000 replies, 9 MB of a build's main process, and of every worker it forks.
# Essays and replies are rebuilt through `_essay` and `_reply`, which make equal values one
# object. Their key lines travel as a tuple, and equal ones become one dict: the model is
# never changed once made, so no one writes to it.
_ESSAY_FIELDS = tuple(field.name for field in fields(Essay))
_REPLY_FIELDS = tuple(field.name for field in fields(Reply))
_ESSAY_STRINGS = tuple(_ESSAY_FIELDS.index(name) for name in ("author", "in_reply_to", "replies_mode"))
_REPLY_STRINGS = tuple(_REPLY_FIELDS.index(name) for name in ("bundle_dir", "page_path", "author"))
_ESSAY_KEY_LINES, _REPLY_KEY_LINES = _ESSAY_FIELDS.index("key_lines"), _REPLY_FIELDS.index("key_lines")
_ESSAY_TAGS, _ESSAY_LINK_TARGETS = _ESSAY_FIELDS.index("tags"), _ESSAY_FIELDS.index("link_targets")


@lru_cache(maxsize=1024)
def _shared_key_lines(items: tuple[tuple[str, int], ...]) -> dict[str, int]:
    return dict(items)


def _shared(values: tuple, strings: tuple[int, ...], key_lines: int) -> list:
    shared = list(values)
    for index in strings:
        shared[index] = sys.intern(shared[index])
    shared[key_lines] = _shared_key_lines(shared[key_lines])
    return shared


def _essay(*values: object) -> Essay:
    """An essay as unpickled (see above)."""
    shared = _shared(values, _ESSAY_STRINGS, _ESSAY_KEY_LINES)
    shared[_ESSAY_TAGS] = tuple(map(sys.intern, shared[_ESSAY_TAGS]))
    shared[_ESSAY_LINK_TARGETS] = tuple(map(sys.intern, shared[_ESSAY_LINK_TARGETS]))
    return Essay(*shared)


def _link(line: int, target: str, is_image: bool, href: str, site_path: str | None) -> Link:
    """A link as unpickled: the essays of a site link to the same few thousand
    addresses, written the same way (at 5,000 essays, 34,000 links to 9,750 addresses),
    and a link's href is most often its target as written."""
    target = sys.intern(target)
    return Link(line, target, is_image, target if href == target else sys.intern(href), site_path and sys.intern(site_path))


def _reply(*values: object) -> Reply:
    """A reply as unpickled (see above)."""
    return Reply(*_shared(values, _REPLY_STRINGS, _REPLY_KEY_LINES))


def _as_shared_call(names: tuple[str, ...], key_lines: int, rebuild: Callable[..., object]) -> Callable[[object], tuple]:
    """A reducer like `_as_call`'s, calling `rebuild`, with the key lines as a tuple."""
    values = operator.attrgetter(*names)

    def reduce(instance: object) -> tuple:
        pickled = values(instance)
        return rebuild, (*pickled[:key_lines], tuple(pickled[key_lines].items()), *pickled[key_lines + 1 :])
    return reduce


# Registered for every pickler (the cache's, and the one bringing results back from workers).
for _parsed_type in (Quote, Parsed, ParsedReply):
    copyreg.pickle(_parsed_type, _as_call(_parsed_type))
copyreg.pickle(Essay, _as_shared_call(_ESSAY_FIELDS, _ESSAY_KEY_LINES, _essay))
copyreg.pickle(Reply, _as_shared_call(_REPLY_FIELDS, _REPLY_KEY_LINES, _reply))
copyreg.pickle(Link, lambda link: (_link, tuple(link)))


class Entry(NamedTuple):
    """What the cache keeps of one file. A named tuple, as Link is: a site's thousands of
    entries are read back from the cache (and from workers) three times as fast as a
    frozen dataclass's, whose `__init__` sets each field through `object.__setattr__`."""

    stat: tuple[int, int, int]  # size, mtime_ns, inode
    digest: str
    recorded_ns: int
    result: Parsed | ParsedReply
    page_path: str = ""  # what a reply was parsed against (see _Job)
    highlights: bytes | Stored = b""  # its code blocks as highlighted, for the next parse (see _ReusingHighlighter)
    body: bytes | Stored = b""  # an essay's passages' HTML, packed (see pack_body); a reply's body, packed
    passage_index: bytes | Stored = b""  # their ids, lines and texts, packed


@dataclass(frozen=True)
class _Job:
    path: str
    bundle_dir: str | None  # set for replies
    essay_source: object  # the EssaySource, for essays
    page_path: str = ""  # for replies: their essay's site path, which their links are relative to


@dataclass(frozen=True)
class _Jobs:
    """An update's jobs, kept for the next update told what changed (the dev server)."""

    sources: Sources  # what they were made from: the next update may reuse them only for these very sources
    essays: list[_Job]
    replies: list[_Job]
    by_path: dict[str, _Job]


class _Store:
    """Parse results on disk: a large base file, and a small file of the changes since it,
    both pointing into a file of their bulky values (see blobs.py).

    Rewriting tens of megabytes because one essay changed would cost more than parsing
    it, so a save writes only the changes, until they are a sizeable share of the whole.
    A file whose stat changed but not its bytes (every file of a fresh checkout) is saved
    among the changes as its new stat alone, however many there are.
    The changes name the base they apply to: after an interrupted save, a base and
    changes that do not belong together are never combined. The values file is started
    afresh when it has grown to more than twice what the entries point at.
    """

    REWRITE_SHARE = 0.1
    MAX_GARBAGE_SHARE = 0.5

    def __init__(self, site_root: Path):
        self.blobs = BlobFile(site_root / CACHE_DIR / "blobs")
        self.base = DiskCache(site_root, "parsed", {"blobs": self.blobs}, chunked=True)
        self.changes = DiskCache(site_root, "parsed-changes", {"blobs": self.blobs}, chunked=True)
        self._base: dict = {}  # as last read or written: scope, id, entries

    def load(self, scope: tuple) -> dict[str, Entry]:
        """The stored entries for `scope`, or none (and a new values file) when they are not to be trusted."""
        entries = self._load(scope)
        if not entries or self.blobs.size > _stored_size(entries.values()) / (1 - self.MAX_GARBAGE_SHARE) + 2**20:
            self._base = {}
            self.blobs.start()
            return {}
        return entries

    def _load(self, scope: tuple) -> dict[str, Entry]:
        stored = self.base.load(wanted=lambda stored: stored.get("scope") == scope)
        if not stored or not self.blobs.resume(stored.get("blobs")):
            return {}
        self._base = stored
        entries = dict(stored["entries"])
        changes = self.changes.load()
        if changes.get("base") == stored.get("id") and self.blobs.holds(changes.get("blobs")):
            for path, entry in changes["entries"].items():
                if entry is None:
                    entries.pop(path, None)
                else:
                    entries[path] = entry
            for path, (stat, recorded_ns) in changes.get("restat", {}).items():
                if path in entries:
                    entries[path] = entries[path]._replace(stat=stat, recorded_ns=recorded_ns)
        return entries

    def save(self, scope: tuple, entries: dict[str, Entry]) -> None:
        base = self._base.get("entries", {}) if self._base.get("scope") == scope else {}
        changed: dict[str, Entry | None] = {}
        restat: dict[str, tuple[tuple[int, int, int], int]] = {}
        for path, entry in entries.items():
            old = base.get(path)
            if old is entry:
                continue
            if old is not None and all(getattr(old, name) == getattr(entry, name) for name in _PARSE_FIELDS):
                restat[path] = (entry.stat, entry.recorded_ns)
            else:
                changed[path] = entry
        changed.update((path, None) for path in base if path not in entries)
        if base and len(changed) <= self.REWRITE_SHARE * len(entries):
            self.changes.save({"base": self._base["id"], "blobs": self.blobs.mark(), "entries": changed, "restat": restat})
            return
        self._base = {"scope": scope, "id": os.urandom(8).hex(), "blobs": self.blobs.mark(), "entries": entries}
        self.base.save(self._base)
        self.changes.save({})


def pack_body(body: Body) -> tuple[bytes, bytes]:
    """An essay's body as two packed values: its passages' HTML, and an index of their
    ids, lines and texts followed by its sections' first words (all that the quote check
    and transclusions read, unpacked without the HTML).

    Bodies are most of what a site's parse results weigh (at 5,000 essays, hundreds of
    megabytes held for the whole build); each is read back only when its page is rendered,
    its quotes are checked or one of its sections is transcluded. The sections' first
    words alone weighed 15 MB at 5,000 essays, in the main process and every worker.
    """
    html = [passage.html for passage in body.passages]
    passages = [part for passage in body.passages for part in (passage.id, str(passage.line), passage.text)]
    leads = [part for lead in body.section_leads for part in lead]
    return pack(html), pack([str(len(body.passages)), *passages, *leads])


def _index_parts(index: bytes) -> tuple[list[str], list[str]]:
    """A packed index's passages (id, line, text, ...) and section leads (id, words, ...)."""
    values = unpack(index)
    end = 1 + 3 * int(values[0])
    return values[1:end], values[end:]


def unpack_body(html: bytes, index: bytes) -> Body:
    """The body `pack_body` packed."""
    values, leads = _index_parts(index)
    passages = tuple(Passage(part, values[3 * i], int(values[3 * i + 1]), values[3 * i + 2]) for i, part in enumerate(unpack(html)))
    return Body(passages, tuple(zip(leads[::2], leads[1::2])))


# What an entry holds of its file's bytes; the rest (stat, recorded_ns) only says when it was looked at.
_PARSE_FIELDS = tuple(name for name in Entry._fields if name not in ("stat", "recorded_ns"))


def _stored_size(entries: Iterable[Entry]) -> int:
    """How many bytes of the values file `entries` point at."""
    total = 0
    for entry in entries:
        for value in (entry.highlights, entry.body, entry.passage_index):
            if isinstance(value, Stored):
                total += value.length
    return total


# Per file, the hash of its bytes as a caller took it: (stat when taken, when, sha256 hex).
Hashes = dict[str, tuple[tuple[int, int, int], int, str]]


def _stat_key(status: os.stat_result) -> tuple[int, int, int]:
    return (status.st_size, status.st_mtime_ns, status.st_ino)


class ParsedSources:
    """The parse results of one site, kept fresh across builds."""

    def __init__(self, site_root: Path, persist: bool = True):
        """`persist=False` keeps results in memory only (the dev server: saving after
        every save of a file would cost more than the parse it spares)."""
        self.site_root = site_root
        self.persist = persist
        self.disk = _Store(site_root)
        self.entries: dict[str, Entry] | None = None
        self.scope: tuple | None = None
        self.parsed_last = 0  # files parsed afresh by the last update (for tests and figures)
        self.parsed_paths: set[str] = set()  # which they were: their pages come first (see the driver's _render)
        self._jobs: _Jobs | None = None  # the last update's (see _Jobs)

    def update(
        self, sources: Sources, config: Config, report: Report, stats: dict[str, tuple[int, int, int]] | None = None,
        changed: set[str] | None = None, meanwhile: Iterable[object] | None = None, hashes: Hashes | None = None,
    ) -> tuple[list[Parsed], list[ParsedReply]]:
        """Parse results for every essay and reply file in `sources`, in discovery order.

        `stats` may give files' (size, mtime_ns, inode) as the caller just read them, and
        `hashes` the sha256 of files' bytes the caller took at that stat this very run
        (path → (stat, when taken, hash)): a file whose stat is new is then not read again
        to learn that its bytes are not (every file of a fresh clone).
        `changed` may name the only files and folders that changed since the last update
        (a watcher's word): the others are not even stat'ed. `meanwhile` is other work,
        in steps, taken while worker processes parse essays, if they do (see
        workers.map_in_processes)."""
        scope = (config, code_fingerprint())
        if self.entries is None:
            self.entries = self.disk.load(scope) if self.persist else {}
            if self.persist:
                gc.freeze()  # see below
        elif self.scope != scope:
            self.entries, self._jobs = {}, None
        self.scope = scope

        previous = self.entries
        self.parsed_last, self.parsed_paths = 0, set()
        reusable = previous  # entries a parse may be taken from
        if changed is not None and self._jobs is not None and self._jobs.sources is sources:
            edited, complete = self._edited(config, previous, report, changed)
            if complete:
                return self._finish(scope, previous, edited, self._jobs.essays, self._jobs.replies)
            reusable = edited
        fresh: dict[str, Entry] = {}
        essay_jobs = [_Job(source.path, None, source) for source in sources.essays]
        # The workers forked for the essays, if any, parse the replies too.
        with Workers(_Worker(self.site_root, config, reusable)) as workers:
            self._refresh(essay_jobs, workers, reusable, fresh, report, stats or {}, changed, meanwhile, hashes or {}, MIN_ESSAYS_FOR_PROCESSES)
            reply_jobs = self._reply_jobs(sources, essay_jobs, fresh)
            self._refresh(reply_jobs, workers, reusable, fresh, report, stats or {}, changed, None, hashes or {})
        # A build into a folder has no next update, and would hold a job per file meanwhile.
        self._jobs = None if self.persist else _Jobs(sources, essay_jobs, reply_jobs, {job.path: job for job in (*essay_jobs, *reply_jobs)})
        return self._finish(scope, previous, fresh, essay_jobs, reply_jobs)

    @staticmethod
    def _reply_jobs(sources: Sources, essay_jobs: list[_Job], fresh: dict[str, Entry]) -> list[_Job]:
        """A job per reply file. Replies come after essays: their links resolve against
        their essay's URL, which a slug may move."""
        essay_urls = {
            entry.result.essay.bundle_dir: entry.result.essay.url_path
            for job in essay_jobs
            if (entry := fresh.get(job.path)) and isinstance(entry.result, Parsed) and entry.result.essay and entry.result.essay.bundle_dir
        }
        jobs = []
        for bundle, paths in sorted(sources.replies.items()):
            # Slugged only for a bundle without an essay: once a bundle, not once a reply.
            url = essay_urls[bundle] if bundle in essay_urls else bundle_url_path(bundle)
            jobs += (_Job(path, bundle, None, url) for path in paths)
        return jobs

    def _edited(self, config: Config, previous: dict[str, Entry], report: Report, changed: set[str]) -> tuple[dict[str, Entry], bool]:
        """The entries after an edit of files the last update knew (`changed`, the watcher's
        word, with the same sources found): only those files are looked at, so a save costs
        the parse of what was saved, not a walk over every entry. Not complete when an
        essay's URL moved, as its replies' links then resolve anew: the caller goes the
        long way, taking the parses made here."""
        assert self._jobs is not None
        named = [self._jobs.by_path[path] for path in sorted(changed) if path in self._jobs.by_path]
        fresh = dict(previous)
        for job in named:
            fresh.pop(job.path, None)  # a file that cannot be read has no entry
        with Workers(_Worker(self.site_root, config, previous)) as workers:
            self._refresh(named, workers, previous, fresh, report, {}, None)
        if any(job.bundle_dir is None and _bundle_url(previous.get(job.path)) != _bundle_url(fresh.get(job.path)) for job in named):
            return fresh, False
        return fresh, True

    def _finish(
        self, scope: tuple, previous: dict[str, Entry], fresh: dict[str, Entry], essay_jobs: list[_Job], reply_jobs: list[_Job]
    ) -> tuple[list[Parsed], list[ParsedReply]]:
        changed = fresh.keys() != previous.keys() or any(fresh[path] is not previous[path] for path in fresh)
        self.entries = fresh
        if self.persist and changed:
            self.disk.save(scope, fresh)

        if self.persist:
            # A build into a folder is one run: the parse results live until it ends. Freezing
            # them spares every later garbage collection a walk over a few hundred thousand
            # objects (~0.2 s at 1,000 essays). The dev server, which runs for hours, does not.
            gc.freeze()
        essays = [fresh[job.path].result for job in essay_jobs if job.path in fresh]
        replies = [fresh[job.path].result for job in reply_jobs if job.path in fresh]
        return essays, replies  # type: ignore[return-value]

    def digest(self, parsed: object) -> str | None:
        """A string standing for what an essay or reply of the last update was parsed from
        (its file's path, bytes and base path; config and code are the caller's scope);
        None for any other object."""
        entry = (self.entries or {}).get(getattr(parsed, "source", None))  # type: ignore[arg-type]
        return _digest_text(parsed.source, entry) if entry is not None and _parsed(entry) is parsed else None  # type: ignore[attr-defined]

    def body(self, essay: Essay) -> Body:
        """The body of an essay of the last update (read from the values file when it lies there)."""
        entry = self.entries[essay.source]  # type: ignore[index]
        return unpack_body(load(entry.body), load(entry.passage_index))

    def reply_body(self, reply: Reply) -> ReplyBody:
        """The HTML and texts of a reply of the last update (read from the values file when
        they lie there). Held in memory, 12,000 replies' weighed 16 MB in the main process
        and in every worker it forked; a page reads only those of the replies it shows, and
        the quote check the texts of the few replies quoted."""
        return ReplyBody(*unpack(load(self.entries[reply.source].body)))  # type: ignore[index]

    def reply_text(self, reply: Reply) -> str:
        """A reply's whole text, normalised, for the quote check (see reply_body)."""
        return self.reply_body(reply).text

    def passage_texts(self, essay: Essay) -> list[tuple[str, str]]:
        """Each passage's id and normalised text, without unpacking the body's HTML."""
        index, _ = _index_parts(load(self.entries[essay.source].passage_index))  # type: ignore[index]
        return [(index[i], index[i + 2]) for i in range(0, len(index), 3)]

    def section_leads(self, essay: Essay) -> list[tuple[str, str]]:
        """Each section's heading id and first words, without unpacking the body's HTML."""
        _, leads = _index_parts(load(self.entries[essay.source].passage_index))  # type: ignore[index]
        return list(zip(leads[::2], leads[1::2]))

    def _refresh(
        self, jobs: list[_Job], workers: Workers, previous: dict[str, Entry], fresh: dict[str, Entry],
        report: Report, stats: dict[str, tuple[int, int, int]], changed: set[str] | None, meanwhile: Iterable[object] | None = None,
        hashes: Hashes | None = None, fork_from: int = MIN_ITEMS_FOR_PROCESSES,
    ) -> None:
        """Put an entry for every job into `fresh`: from `previous` when the file is
        unchanged, else parsed by `workers` (whose `_Worker` holds `previous`)."""
        stale: list[_Job] = []
        for job in jobs:
            entry = previous.get(job.path)
            if changed is not None and entry is not None and entry.page_path == job.page_path and not _named(job.path, changed):
                fresh[job.path] = entry
                continue
            status = stats.get(job.path)
            if status is None:
                try:
                    status = _stat_key(os.stat(os.path.join(self.site_root, job.path)))
                except OSError:
                    status = None
            if entry is None or status is None or entry.page_path != job.page_path:
                stale.append(job)
            elif status == entry.stat and status[1] < entry.recorded_ns - RACY_NANOSECONDS:
                fresh[job.path] = entry
            elif (same := self._same_bytes(job.path, status, entry, (hashes or {}).get(job.path))) is not None:
                fresh[job.path] = same
            else:
                stale.append(job)

        def take(index: int, outcome: Entry | str) -> None:
            job = stale[index]
            if isinstance(outcome, str):
                report.error(job.path, None, f"cannot read file: {outcome}", "check that it exists and is readable")
            elif outcome.result is None:  # same bytes as before: keep the result, note the new stat
                known = previous[job.path]
                fresh[job.path] = outcome._replace(result=known.result, highlights=known.highlights, body=known.body, passage_index=known.passage_index)
            else:
                fresh[job.path] = self._stored(outcome)
                self.parsed_last += 1
                self.parsed_paths.add(job.path)

        # Taken as they come, so that only a few results at a time hold their bulky values.
        workers.map(stale, each=take, keep=False, meanwhile=meanwhile, fork_from=fork_from)

    def _same_bytes(self, path: str, status: tuple[int, int, int], entry: Entry, hashed: tuple[tuple[int, int, int], int, str] | None) -> Entry | None:
        """`entry` with the file's new stat when its bytes are still those it was parsed
        from, else None. Reading and hashing here costs ~30 µs a file, far less than
        sending it to a worker: a fresh checkout (every stat new) re-parses nothing. A
        hash the caller took at this stat (`hashed`) spares reading the file again."""
        if hashed is not None and hashed[0] == status:
            digest, recorded_ns = hashed[2], hashed[1]
        else:
            try:
                with open(os.path.join(self.site_root, path), "rb") as stream:
                    digest = hashlib.sha256(stream.read()).hexdigest()
            except OSError:
                return None
            recorded_ns = time.time_ns()
        return entry._replace(stat=status, recorded_ns=recorded_ns) if digest == entry.digest else None

    def _stored(self, entry: Entry) -> Entry:
        """`entry` with its bulky values moved to the values file (when there is one)."""
        add = self.disk.blobs.add
        return entry._replace(highlights=add(entry.highlights), body=add(entry.body), passage_index=add(entry.passage_index))  # type: ignore[arg-type]


def _parsed(entry: Entry) -> object:
    """The essay or reply an entry holds, if its file parsed."""
    return entry.result.essay if isinstance(entry.result, Parsed) else entry.result.reply


def _digest_text(path: str, entry: Entry) -> str:
    return f"#{entry.digest}:{path}:{entry.page_path}"


def _bundle_url(entry: Entry | None) -> str | None:
    """The URL an essay's bundle gives its replies' links (None: the folder's own)."""
    essay = entry.result.essay if entry is not None and isinstance(entry.result, Parsed) else None
    return essay.url_path if essay is not None and essay.bundle_dir else None


def _named(path: str, changed: set[str]) -> bool:
    """Whether `path` or a folder it is in is among `changed`."""
    while path:
        if path in changed:
            return True
        path = path.rpartition("/")[0]
    return False


class _ReusingHighlighter:
    """Highlights code with the blocks a file's last parse highlighted at hand, noting the
    blocks it gives, to be kept with the new parse. A new process that re-parses an edited
    essay then needs no lexer for the code it did not touch: building Pygments' lexers
    (compiling their patterns) is ~70 ms of such a run. The code it does highlight is
    lexed with joined rules (see lexers.py)."""

    def __init__(self, packed: bytes):
        self.reusable = _unpack_blocks(packed)
        self.used: dict[tuple[str, str, str], str] = {}

    def __call__(self, code: str, language: str, attrs: str = "") -> str:
        key = (code, language, attrs)
        block = self.used[key] = self.reusable.get(key) or _highlight_afresh(code, language, attrs)
        return block

    def packed(self) -> bytes:
        return pack([part for (code, language, attrs), block in self.used.items() for part in (code, language, attrs, block)])


def _highlight_afresh(code: str, language: str, attrs: str) -> str:
    """A block highlighted with the build's lexers, whose module (and Pygments' lexing
    machinery) is imported only for a block the file's last parse did not highlight."""
    from .lexers import joined_lexer

    return highlight_code(code, language, attrs, joined_lexer)


def _unpack_blocks(packed: bytes) -> dict[tuple[str, str, str], str]:
    """The blocks `_ReusingHighlighter.packed` packed; none when they are damaged (they only save time)."""
    try:
        values = unpack(packed)
    except (zlib.error, UnicodeDecodeError):
        return {}
    return {(values[i], values[i + 1], values[i + 2]): values[i + 3] for i in range(0, len(values) - 3, 4)}


class _Worker:
    """Reads, hashes and parses one file; runs in a forked process, so it holds `previous` for free."""

    def __init__(self, site_root: Path, config: Config, previous: dict[str, Entry]):
        self.site_root, self.config, self.previous = site_root, config, previous

    def __call__(self, job: _Job) -> Entry | str:
        path = self.site_root / job.path
        try:
            status = _stat_key(os.stat(path))
            raw = path.read_bytes()
        except OSError as exc:
            return exc.strerror or str(exc)
        digest = hashlib.sha256(raw).hexdigest()
        now = time.time_ns()
        known = self.previous.get(job.path)
        if known is not None and known.digest == digest and known.page_path == job.page_path:
            # Unchanged bytes: send back no result (the parent has it), just the new stat.
            return Entry(status, digest, now, None, job.page_path)  # type: ignore[arg-type]
        try:
            highlighted = load(known.highlights) if known is not None else b""
        except OSError:  # the values file was cut short: highlight afresh
            highlighted = b""
        highlight = _ReusingHighlighter(highlighted)
        if job.bundle_dir is None:
            result: Parsed | ParsedReply = parse_essay(job.essay_source, raw, self.config, highlight)  # type: ignore[arg-type]
        else:
            result = parse_reply(job.path, job.bundle_dir, job.page_path, raw, self.config, highlight)
        if isinstance(result, Parsed) and result.body is not None:
            # The body travels and is kept apart from the essay (see ParsedSources.body).
            body, passage_index = pack_body(result.body)
            return Entry(status, digest, now, replace(result, body=None), job.page_path, highlight.packed(), body, passage_index)
        if isinstance(result, ParsedReply) and result.body is not None:
            # So does a reply's (see ParsedSources.reply_body).
            body = result.body
            return Entry(status, digest, now, replace(result, body=None), job.page_path, highlight.packed(), pack([body.html, body.text, body.excerpt]))
        return Entry(status, digest, now, result, job.page_path, highlight.packed())

"""Which essay an import goes to: by the folder given with --to, or by the page's URL.

Replies live in a bundle (`content/x/index.md` with `content/x/replies/`). A single-file
essay `content/x.md` is moved to `content/x/index.md` (same URL) just before the first
reply file is written, the way `postil new --reply` does it, and the import says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ...config import Config
from ...content.discover import discover
from ...errors import PostilError, Problem, Report
from ...site.model import Body, Essay
from ...content.essay import Parsed, parse_essay
from ..scaffold import find_essay, into_bundle


@dataclass
class EssayFile:
    """An essay an import writes replies to; `bundle` is where they go (made on demand)."""

    site_root: Path
    file: Path  # content/x.md or content/x/index.md
    essay: Essay  # parsed: its URL and aliases
    body: Body  # its passages (for the quote check)
    moved_from: Path | None = None  # set once a single-file essay was turned into a bundle

    @property
    def bundle(self) -> Path:
        return self.file.parent if self.file.name == "index.md" else self.file.with_suffix("")

    def make_bundle(self) -> None:
        """Turn a single-file essay into a bundle, once, before anything is written into it."""
        if self.file.name != "index.md":
            self.moved_from = self.file
            self.file = into_bundle(self.file, self.site_root)


def essay_at(site_root: Path, given: Path, config: Config, here: Path) -> EssayFile:
    """The essay named by --to (relative to `here`, where the command runs): its bundle
    folder, its file, or what will be its bundle folder."""
    file = find_essay(site_root, str(given), here)
    for parsed in _parsed_essays(site_root, config):
        if (site_root / parsed.essay.source).resolve() == file.resolve():  # type: ignore[union-attr]
            return EssayFile(site_root, file, parsed.essay, parsed.body)  # type: ignore[arg-type]
    raise PostilError([Problem(str(file), None, None, "this essay has errors, so replies cannot be matched to it",
                               "run 'postil build' and fix what it reports first")])


def parsed_essays(site_root: Path, config: Config) -> list[Essay]:
    """Every essay of the site that parses."""
    return [parsed.essay for parsed in _parsed_essays(site_root, config)]  # type: ignore[misc]


def _parsed_essays(site_root: Path, config: Config) -> list[Parsed]:
    """The parse of every essay of the site that parses (an import needs their URLs and passages only)."""
    essays = []
    for source in discover(site_root, Report()).essays:
        try:
            raw = (site_root / source.path).read_bytes()
        except OSError:
            continue
        parsed = parse_essay(source, raw, config)
        if parsed.essay is not None:
            essays.append(parsed)
    return essays


def _url_key(url: str) -> str:
    """A URL as compared: no scheme, 'www.' or port-less host folded, no query or fragment,
    'index.html' dropped and a trailing slash added."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path or "/"
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    return host + path


class EssaysByUrl:
    """Finds the essay an absolute URL points at, under base_url, aliases included."""

    def __init__(self, site_root: Path, config: Config):
        self.files: dict[str, EssayFile] = {}
        for parsed in _parsed_essays(site_root, config):
            essay = parsed.essay
            file = EssayFile(site_root, site_root / essay.source, essay, parsed.body)  # type: ignore[union-attr, arg-type]  # one per essay: it may become a bundle
            for path in (essay.url_path, *essay.aliases):
                self.files.setdefault(_url_key(config.absolute(path)), file)

    def find(self, url: str) -> EssayFile | None:
        return self.files.get(_url_key(url))

"""The quick takes stream's place in the site model: the folder it is published in, and
the pages it claims there, which no alias may take."""
from __future__ import annotations

import posixpath
from collections.abc import Sequence

from ..errors import Report
from .model import Essay

PAGE_FOLDER = "page"  # the stream's later pages are /takes/page/2/, …


def stream_folder(takes: Sequence[Essay]) -> str:
    """The stream's site path ('takes/'): the folder the takes' pages are in; '' without takes."""
    return posixpath.dirname(takes[0].url_path.rstrip("/")) + "/" if takes else ""


def without_stream_collisions(takes: Sequence[Essay], redirects: tuple[tuple[str, Essay], ...], report: Report) -> tuple[tuple[str, Essay], ...]:
    """The redirects, less those (reported) whose alias is the stream's page or inside its
    later pages, which the build writes."""
    folder = stream_folder(takes)
    if not folder:
        return redirects
    kept = []
    for output, essay in redirects:
        key = output.casefold()
        if key == (folder + "index.html").casefold() or key.startswith((folder + PAGE_FOLDER + "/").casefold()):
            report.error(essay.source, essay.key_lines.get("aliases"), f"alias /{output.removesuffix('index.html')} is a page of the quick takes stream",
                         "remove the alias")
            continue
        kept.append((output, essay))
    return tuple(kept)

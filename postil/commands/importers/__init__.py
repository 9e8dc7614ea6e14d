"""Importers: discussions from elsewhere (forums, webmentions, comment systems) as reply files.

Each importer reads its source into planned replies and writes them through one module,
sync.py, which keeps each essay's import record (record.py) so that importing again is
a sync: new comments added, changed ones refreshed, hand edits and deletions respected.
`summary` says what an import did, for the command line.
"""
from __future__ import annotations

from .sync import SyncResult


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def summary(result: SyncResult) -> tuple[list[str], list[str]]:
    """(lines for standard output, lines for standard error) describing an import."""
    out, err = [], []
    err += [str(problem) for problem in result.problems]
    err += [f"{path}: edited by hand since it was imported; left alone" for path in result.hand_edited]
    err += [f"{path}: deleted by hand since it was imported; not written again" for path in result.removed]
    err += [f"{path}: deleted where it was first published; the file was kept as it is" for path in result.gone_upstream]
    err += [f"{path}: its opening quote is in neither the essay nor a reply above (the essay changed since?); marked {{.elsewhere}}"
            for path in result.elsewhere]
    err += result.notices
    out += [f"{path} became {path.removesuffix('.md')}/index.md (same URL), a bundle that can hold replies" for path in result.bundled]
    out += [f"Added {added}" for added in result.added]
    out.append(
        f"Imported {_plural(len(result.written), 'new reply', 'new replies')}; "
        f"{len(result.refreshed)} refreshed, {result.unchanged} unchanged, {len(result.hand_edited)} left alone (edited by hand)"
    )
    return out, err

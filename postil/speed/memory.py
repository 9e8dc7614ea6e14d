"""What a Builder keeps from one build to the next: every cache and memo in one place.

Each Builder owns one, so two Builders in one process (tests, a tool building two sites)
share nothing. In the dev server it is what makes the next build cheap: parse results,
the digests and bytes of rendered pages, the last assembly's backlinks and discussions
(whose identity tells the render cache that nothing changed), compiled templates.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..site.assemble import AssemblyMemory
from .compiled_templates import CompiledTemplates
from .disk_cache import DiskCache
from .parse_cache import ParsedSources
from .render_cache import RenderCache
from .uptodate import BuildRecord


@dataclass
class BuildMemory:
    parsed: ParsedSources  # parse results, and essays' bodies kept apart from them
    renders: RenderCache  # per page, what it was rendered from; cached partials
    assembly: AssemblyMemory  # the last build's backlinks and discussions
    compiled: CompiledTemplates  # Jinja's compiled code
    fragments: DiskCache  # where a build into a folder keeps cached partials for the next run

    @classmethod
    def start(cls, site_root: Path, out_dir: Path | None, record: BuildRecord | None) -> BuildMemory:
        """A Builder's memory before its first build: empty in the dev server (`out_dir`
        None), else what the last run into `out_dir` kept on disk (`record`)."""
        memory = cls(
            ParsedSources(site_root, persist=out_dir is not None), RenderCache(keep_bytes=out_dir is None),
            AssemblyMemory(), CompiledTemplates(), DiskCache(site_root, "fragments"),
        )
        if record is not None:
            memory.renders.restore(*record.render_digests)
            memory.renders.fragments.restore(memory.fragments.load())
        return memory

    def save(self) -> None:
        """Keep on disk, for the next run, what this build added (a failure only costs speed)."""
        if self.renders.fragments.changed:
            self.fragments.save(self.renders.fragments.saved())
        self.compiled.save()

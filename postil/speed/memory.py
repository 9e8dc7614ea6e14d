"""What a Builder keeps from one build to the next: every cache and memo in one place.

Each Builder owns one, so two Builders in one process (tests, a tool building two sites)
share nothing. In the dev server it is what makes the next build cheap: parse results,
the digests and bytes of rendered pages, the last assembly's backlinks and discussions
(whose identity tells the render cache that nothing changed), compiled templates.

Only the parse results are made at once. The rest is made when a build first asks for
it: what rendering keeps brings in Jinja (~70 ms of imports), which a cold build's parse
workers have no use for, so it is imported while they parse rather than before they fork.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .disk_cache import CACHE_DIR, DiskCache
from .parse_cache import ParsedSources
from .spill import Spill
from .uptodate import BuildRecord

if TYPE_CHECKING:
    from ..site.assemble import AssemblyMemory
    from .compiled_templates import CompiledTemplates
    from .quote_places import KeptQuotePlaces
    from .render_cache import RenderCache


@dataclass
class BuildMemory:
    parsed: ParsedSources  # parse results, and essays' bodies kept apart from them
    site_root: Path
    out_dir: Path | None  # None: the dev server's, kept in memory only
    record: BuildRecord | None  # what the last run into `out_dir` kept on disk, read when first needed

    @classmethod
    def start(cls, site_root: Path, out_dir: Path | None, record: BuildRecord | None) -> BuildMemory:
        """A Builder's memory before its first build: empty in the dev server (`out_dir`
        None), else what the last run into `out_dir` kept on disk (`record`)."""
        return cls(ParsedSources(site_root, persist=out_dir is not None), site_root, out_dir, record)

    @cached_property
    def renders(self) -> RenderCache:
        """Per page, what it was rendered from; cached partials."""
        from .render_cache import RenderCache

        renders = RenderCache(keep_bytes=self.out_dir is None)
        if self.out_dir is not None:  # list items kept for the next run wait on disk (see spill.py)
            renders.fragments.spill = Spill(self.site_root / CACHE_DIR)
        if self.record is not None:
            renders.restore(*self.record.render_digests)
            renders.fragments.restore(self.fragments.load())
        return renders

    @cached_property
    def assembly(self) -> AssemblyMemory:
        """The last build's backlinks and discussions."""
        from ..site.assemble import AssemblyMemory

        return AssemblyMemory()

    @cached_property
    def quote_places(self) -> KeptQuotePlaces:
        """Where replies' quotes were found in their essays."""
        from ..site.threads import places_in_passages
        from .quote_places import KeptQuotePlaces

        store = DiskCache(self.site_root, "quote-places") if self.out_dir is not None else None
        return KeptQuotePlaces(places_in_passages(self.parsed.passage_texts), self.parsed.digest, store)

    @cached_property
    def compiled(self) -> CompiledTemplates:
        """Jinja's compiled code."""
        from .compiled_templates import CompiledTemplates

        return CompiledTemplates()

    @cached_property
    def fragments(self) -> DiskCache:
        """Where a build into a folder keeps cached partials for the next run."""
        return DiskCache(self.site_root, "fragments")

    def save(self) -> None:
        """Keep on disk, for the next run, what this build added since it last saved (a
        failure only costs speed)."""
        made = self.__dict__  # what this build asked for: nothing else has anything to save
        if "renders" in made and self.renders.fragments.changed:
            self.fragments.save(self.renders.fragments.saved())
            self.renders.fragments.changed = False  # kept: saving again in this build adds nothing
        if "compiled" in made:
            self.compiled.save()
        if "quote_places" in made:
            self.quote_places.save()

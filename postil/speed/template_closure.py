"""A template with every template it pulls in: one digest of their sources, and the names
they read from a context.

A page must be rendered again when its template or any template it extends, includes or
imports changed; a list item's output can be reused only while the values of the names
its templates read are the same. Both come from the compiled templates (see
template_code.py), so no template is parsed to find them; and from the facts an earlier
run's compiled templates gave for the same sources (see compiled_templates.py), so that a
runner without the compiled code compiles only the templates it renders.
"""
from __future__ import annotations

import hashlib
from typing import NamedTuple

import jinja2

from .compiled_templates import CompiledTemplates, Facts


class Closure(NamedTuple):
    digest: str  # of the names and sources of the template and all it pulls in
    context_names: tuple[str, ...]  # every name any of them reads from its context, sorted


class TemplateClosures:
    """The closure of each template, found once per build (None when unsure: the caller renders)."""

    def __init__(self, environment: jinja2.Environment):
        self.environment = environment
        self._closures: dict[str, Closure | None] = {}
        cache = environment.bytecode_cache
        self._kept = cache if isinstance(cache, CompiledTemplates) else None
        # A template's context names leave out the environment's globals.
        self._globals = "\0".join(sorted(environment.globals))

    def digest(self, name: str) -> str | None:
        closure = self.closure(name)
        return None if closure is None else closure.digest

    def closure(self, name: str) -> Closure | None:
        if name not in self._closures:
            self._closures[name] = self._walk(name)
        return self._closures[name]

    def _walk(self, name: str) -> Closure | None:
        seen: set[str] = set()
        pending = [name]
        hasher = hashlib.sha256()
        context_names: set[str] = set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            source = self._source(current)
            hasher.update(current.encode() + b"\0" + (source.encode() if source is not None else b"\1missing") + b"\0")
            if source is None:
                continue
            facts = self._facts(current, source)
            if facts is None:
                return None
            references, names = facts
            context_names.update(names)
            pending.extend(references)
        return Closure(hasher.hexdigest(), tuple(sorted(context_names)))

    def _facts(self, name: str, source: str) -> Facts | None:
        """The templates `name` pulls in and the names it reads: as an earlier build's
        compiled template gave them for this source, else from the template, loaded or
        compiled (None when it cannot tell)."""
        key = hashlib.sha256(f"{name}\0{self._globals}\0{source}".encode()).hexdigest()
        if self._kept is not None and (known := self._kept.facts(key)) is not None:
            return known
        try:
            template = self.environment.get_template(name)
        except (jinja2.TemplateError, UnicodeDecodeError):
            return None  # rendering will report it
        references, names = getattr(template, "references", None), getattr(template, "context_names", None)
        if references is None or names is None:
            return None
        if self._kept is not None:
            self._kept.note_facts(key, (references, names))
        return references, names

    def _source(self, name: str) -> str | None:
        loader = self.environment.loader
        assert loader is not None
        try:
            return loader.get_source(self.environment, name)[0]
        except jinja2.TemplateNotFound:
            return None

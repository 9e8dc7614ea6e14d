"""Compiled templates that carry what the render cache must know of them.

Whether a page is current depends on the source of its template and of every template it
pulls in; whether a list item can be reused depends on the names its template reads from
its context. Jinja knows both when it compiles a template, from the parsed template
itself, and compiled code is kept between runs (see compiled_templates.py): so each
compiled template carries them, and a new run finds them without parsing any template.

The same code generator compiles an `{% include %}` inside a `{% for %}` loop, one list
item, into a call of `fragments.include_list_item`, which reuses the item's last output
while its inputs are the same. The theme writes plain Jinja and knows nothing of it.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.idtracking import VAR_LOAD_RESOLVE

# Theme functions that render the template their first argument names (see fragments.py).
_PARTIAL_FUNCTIONS = frozenset({"cached_partial", "cached_partial_each"})


def equip(environment: jinja2.Environment) -> None:
    """Compile and load `environment`'s templates as this module describes. Templates it
    loaded before are plain ones: the render cache takes them as unknown, and renders."""
    environment.code_generator_class = ItemsCodeGenerator
    environment.template_class = KnownTemplate


class KnownTemplate(jinja2.Template):
    """A template with what its compiled code says of it (None where it cannot tell)."""

    references: tuple[str, ...] | None  # the templates it pulls in; None: one named at run time
    context_names: tuple[str, ...] | None  # the names it reads from its context

    @classmethod
    def _from_namespace(
        cls, environment: jinja2.Environment, namespace: MutableMapping[str, Any], globals: MutableMapping[str, Any],
    ) -> jinja2.Template:
        template = super()._from_namespace(environment, namespace, globals)
        # Code compiled by Jinja's own generator carries neither: the template is unknown.
        template.references = namespace.get("references")  # type: ignore[attr-defined]
        template.context_names = namespace.get("context_names")  # type: ignore[attr-defined]
        return template


class ItemsCodeGenerator(CodeGenerator):
    """Jinja's code generator, adding `references` and `context_names` to each compiled
    template and compiling list-item includes into `include_list_item` calls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loops = 0
        self._context_names: set[str] = set()

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__package__}.fragments import include_list_item")
        super().visit_Template(node, frame)
        self.writeline(f"references = {referenced_templates(node)!r}")
        self.writeline(f"context_names = {tuple(sorted(self._context_names))!r}")

    def enter_frame(self, frame: Frame) -> None:
        """Note the names the frame looks up in the context, as it is compiled: what
        `jinja2.meta.find_undeclared_variables` finds, without the second pass of code
        generation over the template that it makes (~30% of compiling the theme)."""
        super().enter_frame(frame)
        for action, name in frame.symbols.loads.values():
            if action == VAR_LOAD_RESOLVE and name not in self.environment.globals:
                self._context_names.add(name)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loops += 1
        try:
            super().visit_For(node, frame)
        finally:
            self._loops -= 1

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        name = node.template.value if isinstance(node.template, nodes.Const) else None
        if not (self._loops and isinstance(name, str) and node.with_context and not node.ignore_missing and not self.environment.is_async):
            super().visit_Include(node, frame)
            return
        # What Jinja's include does (a new context from this one and the loop's names), through the cache.
        call = f"include_list_item(environment, {name!r}, {self.name!r}, context, {self.dump_local_context(frame)})"
        self.simple_write(call, frame, node)


def referenced_templates(template: nodes.Template) -> tuple[str, ...] | None:
    """The templates a parsed template extends, includes or imports, and those it names to
    `cached_partial`; None when one is named at run time (a variable, an expression)."""
    found = set()
    for name in meta.find_referenced_templates(template):
        if name is None:
            return None
        found.add(name)
    calls = [call for call in template.find_all(nodes.Call) if isinstance(call.node, nodes.Name) and call.node.name in _PARTIAL_FUNCTIONS]
    # A partial function used otherwise than called by its name (passed on, renamed) hides what it renders.
    if sum(1 for name in template.find_all(nodes.Name) if name.name in _PARTIAL_FUNCTIONS) != len(calls):
        return None
    for call in calls:
        first = call.args[0] if call.args else None
        if not (isinstance(first, nodes.Const) and isinstance(first.value, str)):
            return None
        found.add(first.value)
    return tuple(sorted(found))

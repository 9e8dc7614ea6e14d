"""What each compiled template records of itself: found while it is compiled, the same as
Jinja's own introspection finds by compiling it a second time."""
from __future__ import annotations

import jinja2
import pytest
from jinja2 import meta

from postil.config import load_config
from postil.render.pages import make_environment
from postil.render.theme import collect_assets
from postil.speed.template_code import equip

# Names read in every kind of scope Jinja compiles: the template, blocks, macros, call
# blocks, loops (with a list-item include), `set` blocks, imports and filters' arguments.
TRICKY = {
    "page.html": """{% extends "base.html" %}{% import "macros.html" as m %}
{% set shown = title | default(fallback) %}
{% block body %}{{ shown }}{{ m.card(item) }}
{% for essay in essays if essay.visible %}{% include "item.html" %}{{ loop.index }} {{ outer }}{% endfor %}
{% call m.wrap(kind) %}{{ inside_call }}{% endcall %}
{% set captured %}{{ captured_name }}{% endset %}{{ captured }}{% endblock %}""",
    "base.html": "<title>{{ site_title }}</title>{% block body %}{{ default_body }}{% endblock %}",
    "macros.html": "{% macro card(x) %}{{ x }}{{ macro_global }}{% endmacro %}{% macro wrap(k) %}{{ caller() }}{{ k }}{% endmacro %}",
    "item.html": "<li>{{ essay.title }} {{ item_extra }}</li>",
}


def _environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    environment = jinja2.Environment(loader=loader, autoescape=True)
    environment.globals.update(site=None, url=None)  # globals are not context names
    equip(environment)
    return environment


def _names_by_second_pass(environment: jinja2.Environment, name: str) -> tuple[str, ...]:
    source = environment.loader.get_source(environment, name)[0]  # type: ignore[union-attr]
    return tuple(sorted(meta.find_undeclared_variables(environment.parse(source))))


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_context_names_are_those_jinja_finds_in_a_second_pass(name):
    environment = _environment(jinja2.DictLoader(TRICKY))
    template = environment.get_template(name)
    assert template.context_names == _names_by_second_pass(environment, name)
    assert template.context_names  # each reads some name from its context


def test_context_names_of_every_theme_template_are_those_jinja_finds(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.postil]\ntitle = "t"\n', encoding="utf-8")
    config = load_config(tmp_path)
    environment = make_environment(tmp_path, config, collect_assets(tmp_path, config), bodies=lambda essay: None, reply_bodies=lambda reply: None)
    equip(environment)
    names = environment.list_templates()
    assert len(names) > 20
    for name in names:
        assert environment.get_template(name).context_names == _names_by_second_pass(environment, name), name


def test_a_template_is_compiled_in_one_pass_of_code_generation(monkeypatch):
    passes = []
    generate = jinja2.compiler.CodeGenerator.visit_Template
    monkeypatch.setattr(jinja2.compiler.CodeGenerator, "visit_Template", lambda self, *args: passes.append(1) or generate(self, *args))
    _environment(jinja2.DictLoader(TRICKY)).get_template("item.html")
    assert passes == [1]

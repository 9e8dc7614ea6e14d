"""Compiled templates kept on disk: reused by the next run, and never run unless signed here."""
from __future__ import annotations

import hashlib
import hmac
import marshal
import os
import shutil
import secrets

import jinja2
import pytest

from clean_build import clean_build
from conftest import files_in

import postil.speed.workers
import postil.speed.compiled_templates
from postil.speed.compiled_templates import CompiledTemplates, store_path, user_key
from postil.speed.disk_cache import CACHE_DIR
from postil.speed.workers import MIN_ITEMS_FOR_PROCESSES
from postil.pipeline import Builder, BuildOptions

pytestmark = [pytest.mark.slow,  # each test compares with a clean build in another process
              pytest.mark.fresh_cache]  # what is compiled, and when, is their subject


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    names: list[str] = []
    compile_template = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return compile_template(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def two_essays(site) -> None:
    site.essay("first.md", title="First", date="2026-01-01", body="Links to [the second](/second/).")
    site.essay("second.md", title="Second", date="2026-01-02", tags="[reading]", body="Plain text.")


def test_a_new_run_compiles_no_template_the_last_run_compiled(site, tmp_path, compiles):
    two_essays(site)
    out = tmp_path / "public"
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert compiles and store_path(site.root / CACHE_DIR).exists()
    compiles.clear()
    site.essay("second.md", title="Second, edited", date="2026-01-02", tags="[reading]", body="New text.")
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert compiles == []
    assert files_in(out) == clean_build(site.root)


def test_a_cold_build_compiles_no_template_an_earlier_build_of_the_site_compiled(site, tmp_path, compiles):
    """The site's cache folder and output deleted: the compiled templates are in the user's cache."""
    two_essays(site)
    out = tmp_path / "public"
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert compiles
    compiles.clear()
    shutil.rmtree(site.root / CACHE_DIR)
    shutil.rmtree(out)
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert compiles == []
    assert not list(site.root.rglob("*.marshal"))  # nothing compiled is kept in the site
    assert files_in(out) == clean_build(site.root)


def test_the_least_recently_used_sites_compiled_templates_are_removed(tmp_path, monkeypatch, request):
    monkeypatch.setattr(postil.speed.compiled_templates, "KEPT_STORES", 3)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # no other test's sites
    user_key.cache_clear()
    request.addfinalizer(user_key.cache_clear)
    folders = [tmp_path / name / CACHE_DIR for name in ("first", "second", "third")]
    for folder in folders:
        compiled = CompiledTemplates()
        compiled.use_folder(folder)
        jinja2.Environment(loader=jinja2.DictLoader({"page.html": "{{ x }}"}), bytecode_cache=compiled).get_template("page.html")
        compiled.save()
        os.utime(store_path(folder), ns=(1, folders.index(folder) + 1))  # written in this order
    CompiledTemplates().use_folder(folders[0])  # read: used most recently
    compiled = CompiledTemplates()
    compiled.use_folder(tmp_path / "fourth" / CACHE_DIR)
    jinja2.Environment(loader=jinja2.DictLoader({"page.html": "{{ y }}"}), bytecode_cache=compiled).get_template("page.html")
    compiled.save()
    assert [store_path(folder).exists() for folder in folders] == [True, False, True]
    assert store_path(tmp_path / "fourth" / CACHE_DIR).exists()


def test_templates_compiled_for_forked_workers_are_kept_for_the_next_run(site, tmp_path, compiles, monkeypatch):
    """Pages rendered in worker processes: code a worker compiled would die with it."""
    monkeypatch.setattr(postil.speed.workers, "usable_cores", lambda: 2)
    for number in range(MIN_ITEMS_FOR_PROCESSES):
        site.essay(f"e{number}.md", title=f"Essay {number}", date="2026-01-01", body="Text.")
    out = tmp_path / "public"
    Builder(site.root, BuildOptions(out_dir=out)).build()
    compiles.clear()
    site.essay("e1.md", title="Essay 1, edited", date="2026-01-01", body="New text.")
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert compiles == []
    assert files_in(out) == clean_build(site.root)


def test_an_edited_template_is_compiled_again_by_a_new_run(site, tmp_path, compiles):
    two_essays(site)
    out = tmp_path / "public"
    Builder(site.root, BuildOptions(out_dir=out)).build()
    compiles.clear()
    site.write("templates/partials/essay_item.html", "<li class=item>{{ essay.title }}</li>\n")
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert "partials/essay_item.html" in compiles
    assert files_in(out) == clean_build(site.root)


@pytest.mark.parametrize("forgery", ["signed with another key", "changed after signing"])
def test_compiled_code_from_elsewhere_is_never_run(site, tmp_path, forgery):
    """A cache folder that came with a site must not make postil run its code."""
    two_essays(site)
    out = tmp_path / "public"
    Builder(site.root, BuildOptions(out_dir=out)).build()
    stored = store_path(site.root / CACHE_DIR)
    signed = stored.read_bytes()
    signature, data = signed[:32], signed[32:]
    made_by, code = marshal.loads(data)
    marker = tmp_path / "pwned"
    evil = compile(f"open({str(marker)!r}, 'w').close()", "evil", "exec")
    data = marshal.dumps((made_by, {key: (checksum, evil) for key, (checksum, _) in code.items()}))
    if forgery == "signed with another key":
        signature = hmac.new(secrets.token_bytes(32), data, hashlib.sha256).digest()
    stored.write_bytes(signature + data)
    site.essay("second.md", title="Second, edited", date="2026-01-02", tags="[reading]", body="New text.")
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert not marker.exists()
    assert files_in(out) == clean_build(site.root)

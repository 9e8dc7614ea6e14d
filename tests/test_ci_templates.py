"""A CI runner's templates: it has a new signing key, so none of the compiled code the last
run kept is usable, but the facts those templates gave (what each pulls in, what names it
reads) are restored with the site's cache. The runner then compiles only the templates of
the pages it renders, and a template changed in the repository is still found changed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import files_in
from test_ci_cache import BUILD, REPO, build, fresh_install, git, restore

from postil.speed.compiled_templates import FACTS_CACHE, CompiledTemplates
from postil.speed.disk_cache import CACHE_DIR, DiskCache

pytestmark = [pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
              pytest.mark.slow,  # fresh clones built in processes of their own
              pytest.mark.fresh_cache]  # which templates a runner compiles is the subject

# The same build, also naming every template it compiled.
COUNTING_COMPILES = (
    "import jinja2\n"
    "compiled = []\n"
    "compile_template = jinja2.Environment.compile\n"
    "def counting(self, source, name=None, *args, **kwargs):\n"
    "    compiled.append(name)\n"
    "    return compile_template(self, source, name, *args, **kwargs)\n"
    "jinja2.Environment.compile = counting\n"
    + BUILD.replace("print(json.dumps({", "print(json.dumps({'compiled': sorted(compiled), "))


@pytest.fixture
def repository(site):
    for number in range(12):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number + 1:02}", tags="[words]", body=f"Words {number}.\n")
    site.write("templates/404.html", (REPO / "templates/404.html").read_text(encoding="utf-8"), dedent=False)
    git("init", "-q", cwd=site.root)
    git("add", "-A", cwd=site.root)
    git("commit", "-q", "-m", "The site", cwd=site.root)
    return site.root


def runner(repository: Path, saved: Path, tmp_path: Path) -> Path:
    """A fresh clone of `repository` with the saved cache and output restored."""
    clone = tmp_path / "checkout"
    shutil.rmtree(clone, ignore_errors=True)
    git("clone", "-q", str(repository), str(clone), cwd=tmp_path)
    restore(saved, clone)
    return clone


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def equals_clean_build(clone: Path, tmp_path: Path) -> bool:
    clean = tmp_path / "clean"
    shutil.copytree(clone, clean, ignore=shutil.ignore_patterns(".git", "public", ".public.*", ".postil-cache"))
    build(clean, REPO, tmp_path / "runner-clean")
    return files_in(clone / "public") == files_in(clean / "public")


def test_a_runner_without_the_key_compiles_only_the_templates_of_the_pages_it_renders(repository, tmp_path):
    build(repository, REPO, tmp_path / "runner-1")
    saved = tmp_path / "saved"
    restore(repository, saved)
    clone = runner(repository, saved, tmp_path)
    edit(clone / "content/e05.md", "Words 5.", "Other words.")

    result = build(clone, fresh_install(tmp_path / "install"), tmp_path / "runner-2", COUNTING_COMPILES)

    assert result["parsed"] == 1 and 0 < result["rendered"] < result["pages"] / 2
    assert "essay.html" in result["compiled"] and "base.html" in result["compiled"]
    assert "404.html" not in result["compiled"] and "redirect.html" not in result["compiled"]
    assert equals_clean_build(clone, tmp_path)

    # Without the facts, the same run compiles every template to tell which pages are current.
    clone = runner(repository, saved, tmp_path)
    (clone / CACHE_DIR / f"{FACTS_CACHE}.pickle").unlink()
    edit(clone / "content/e05.md", "Words 5.", "Other words.")
    assert "404.html" in build(clone, fresh_install(tmp_path / "install-2"), tmp_path / "runner-3", COUNTING_COMPILES)["compiled"]


def test_a_template_changed_since_the_restored_cache_renders_its_pages_again(repository, tmp_path):
    build(repository, REPO, tmp_path / "runner-1")
    saved = tmp_path / "saved"
    restore(repository, saved)
    edit(repository / "templates/404.html", "</p>", " Try the archive.</p>")
    git("commit", "-q", "-am", "A hint on the 404 page", cwd=repository)
    clone = runner(repository, saved, tmp_path)

    result = build(clone, fresh_install(tmp_path / "install"), tmp_path / "runner-2", COUNTING_COMPILES)

    assert result["parsed"] == 0 and result["rendered"] == 1
    assert "404.html" in result["compiled"] and "essay.html" not in result["compiled"]
    assert "Try the archive." in (clone / "public/404.html").read_text(encoding="utf-8")
    assert equals_clean_build(clone, tmp_path)


def test_damaged_facts_are_not_taken(tmp_path):
    site = tmp_path / "site"
    folder = site / CACHE_DIR
    site.mkdir()
    kept = CompiledTemplates()
    kept.use_folder(folder)
    kept.note_facts("good", (("base.html",), ("essay",)))
    kept.note_facts("bad", (("base.html",), ("essay",)))
    kept.save()
    store = DiskCache(site, FACTS_CACHE)
    saved = store.load()
    saved["facts"]["bad"] = ("base.html", ["essay"])  # not two tuples of names
    store.save(saved)

    restored = CompiledTemplates()
    restored.use_folder(folder)
    assert restored.facts("good") == (("base.html",), ("essay",))
    assert restored.facts("bad") is None
    assert restored.facts("never noted") is None

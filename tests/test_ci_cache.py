"""A CI runner's build: a fresh clone, the last run's cache and output restored, one edit.

On a runner every source file is new (new modification times and inodes), postil itself
was just installed afresh, and the user's signing key for compiled templates is new. The
restored cache must still spare the work: files are recognised by their bytes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import files_in

REPO = Path(__file__).resolve().parent.parent

# Runs one build in the current folder and prints the build's own counters.
BUILD = (
    "import json, pathlib\n"
    "from postil.pipeline import Builder, BuildOptions\n"
    "root = pathlib.Path.cwd()\n"
    "result = Builder(root, BuildOptions(out_dir=root / 'public')).build()\n"
    "print(json.dumps({'parsed': result.parsed, 'rendered': result.rendered, 'pages': result.pages, 'up_to_date': result.up_to_date}))\n"
)

pytestmark = [pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
              pytest.mark.slow,  # fresh clones built in processes of their own
              pytest.mark.fresh_cache]  # a runner's first build compiles the templates


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=CI", "-c", "user.email=ci@example.org", *args], cwd=cwd, check=True, capture_output=True)


# The same, also counting how often the build (this process: nothing parses in workers
# for a few files) opens each file under content/.
COUNTING_OPENS = (
    "import collections, json, pathlib, sys\n"
    "opened = collections.Counter()\n"
    "content = str(pathlib.Path.cwd() / 'content') + '/'\n"
    "sys.addaudithook(lambda event, args: event == 'open' and isinstance(args[0], str) and args[0].startswith(content) and opened.update([args[0][len(content):]]))\n"
    + BUILD.replace("print(json.dumps({", "print(json.dumps({'opened': opened, ")
)


def build(site: Path, code: Path, user_cache: Path, script: str = BUILD) -> dict:
    """Build `site` in a new process running the postil found in `code`."""
    environment = {**os.environ, "PYTHONPATH": str(code), "XDG_CACHE_HOME": str(user_cache), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=site, env=environment, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def fresh_install(target: Path) -> Path:
    """postil's code and default theme copied anew, as `pip install` on a runner gives them:
    the same bytes, every file with a new modification time."""
    for name in ("postil", "templates", "theme"):
        shutil.copytree(REPO / name, target / name, copy_function=shutil.copyfile, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def restore(saved: Path, clone: Path) -> None:
    """What a CI cache step does: the folders come back with their files' modification
    times, as new files (new inodes)."""
    for name in (".postil-cache", "public"):
        shutil.copytree(saved / name, clone / name, copy_function=shutil.copy2)


@pytest.fixture
def repository(site):
    for number in range(12):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number + 1:02}", tags="[words]", body=f"Words {number}.[^1]\n\n[^1]: A note.\n")
    site.essay("bundle/index.md", title="A bundle", date="2024-05-01", body="![A figure](figure.svg)\n")
    site.write("content/bundle/figure.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    site.write("content/bundle/replies/r1.md", "---\nauthor: Reader\ndate: 2024-06-01\n---\nA reply to [the figure](figure.svg).\n")
    git("init", "-q", cwd=site.root)
    git("add", "-A", cwd=site.root)
    git("commit", "-q", "-m", "The site", cwd=site.root)
    return site.root


def test_a_fresh_clone_with_the_cache_restored_parses_only_the_edited_essay(repository, tmp_path):
    # The last CI run: a build, whose cache and output the cache step saves.
    assert build(repository, REPO, tmp_path / "runner-1")["parsed"] == 14
    saved = tmp_path / "saved"
    restore(repository, saved)

    # This run: a new machine, a fresh clone in another folder, a fresh install of postil.
    clone = tmp_path / "checkout"
    git("clone", "-q", str(repository), str(clone), cwd=tmp_path)
    restore(saved, clone)
    edited = clone / "content/e05.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Words 5.", "Other words."), encoding="utf-8")
    result = build(clone, fresh_install(tmp_path / "install"), tmp_path / "runner-2")

    assert result["parsed"] == 1
    assert 0 < result["rendered"] < result["pages"] / 2  # the essay, its neighbours, the lists it is in

    clean = tmp_path / "clean"
    shutil.copytree(clone, clean, ignore=shutil.ignore_patterns(".git", "public", ".public.*", ".postil-cache"))
    assert build(clean, REPO, tmp_path / "runner-3")["parsed"] == 14
    assert files_in(clone / "public") == files_in(clean / "public")
    assert "Other words." in (clone / "public/e05/index.html").read_text(encoding="utf-8")


def test_a_fresh_clone_reads_each_unchanged_source_once(repository, tmp_path):
    # Whether anything changed and which files to parse again are both told by the files'
    # bytes when every stat is new: the hash the first took serves the second.
    build(repository, REPO, tmp_path / "runner-1")
    clone = tmp_path / "checkout"
    git("clone", "-q", str(repository), str(clone), cwd=tmp_path)
    restore(repository, clone)
    edited = clone / "content/e05.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Words 5.", "Other words."), encoding="utf-8")

    result = build(clone, fresh_install(tmp_path / "install"), tmp_path / "runner-2", COUNTING_OPENS)

    assert result["parsed"] == 1
    opened = result["opened"]
    assert opened.pop("e05.md") == 2  # hashed, then parsed
    assert opened.pop("bundle/figure.svg") == 2  # hashed, then copied into the output
    assert len(opened) == 13 and set(opened.values()) == {1}, opened


def age(folder: Path) -> None:
    """Make every file look older than the caches' racy-clean window, as after a pause."""
    for path in [folder, *folder.rglob("*")]:
        status = path.stat()
        os.utime(path, ns=(status.st_atime_ns - 10**10, status.st_mtime_ns - 10**10))


def test_a_fresh_clone_with_nothing_changed_parses_nothing_and_keeps_the_new_stats(repository, tmp_path):
    build(repository, REPO, tmp_path / "runner-1")
    clone = tmp_path / "checkout"
    git("clone", "-q", str(repository), str(clone), cwd=tmp_path)
    age(clone / "content")
    age(clone / "pyproject.toml")  # an input too: fresh from the checkout, it would be inside the racy window of a fast build
    restore(repository, clone)
    before = files_in(clone / "public")
    parse_cache = (clone / ".postil-cache/parsed.pickle").read_bytes()

    installed = fresh_install(tmp_path / "install")
    age(installed)
    result = build(clone, installed, tmp_path / "runner-2")

    assert result["parsed"] == 0 and result["rendered"] == 0
    assert files_in(clone / "public") == before
    # The new stats went into the small changes file; the parse cache was not written again.
    assert (clone / ".postil-cache/parsed.pickle").read_bytes() == parse_cache
    assert build(clone, installed, tmp_path / "runner-2")["up_to_date"]


def test_code_fingerprint_follows_the_code_bytes_not_its_files_times(tmp_path):
    def fingerprint(code: Path) -> str:
        environment = {**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-c", "from postil.speed.disk_cache import code_fingerprint; print(code_fingerprint())"]
        return subprocess.run(command, cwd=code, env=environment, check=True, capture_output=True, text=True).stdout

    installed = fresh_install(tmp_path / "install")
    assert fingerprint(installed) == fingerprint(REPO)
    module = installed / "postil/site/paths.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    assert fingerprint(installed) != fingerprint(REPO)


@pytest.mark.parametrize("variables", [{"HOME": "home"}, {"HOME": "home", "XDG_CACHE_HOME": "cache"}])
def test_a_runner_with_no_usable_home_keeps_no_signing_key_in_the_site(repository, tmp_path, variables):
    """With no absolute folder to keep the key in (a relative HOME; a relative
    XDG_CACHE_HOME, which the XDG spec says to ignore), templates are compiled in memory only."""
    environment = {key: value for key, value in os.environ.items() if key != "XDG_CACHE_HOME"} | variables | {"PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", BUILD], cwd=repository, env=environment, check=True, capture_output=True)
    assert not (repository / "home").exists() and not (repository / "cache").exists()
    assert not list(repository.rglob("*.marshal"))
    assert (repository / "public/e05/index.html").is_file()

"""Shared fixtures: real sites in temporary folders, built through the real CLI."""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.cli import main
from postil.config import find_site_root
from postil.pipeline import BuildOptions, Builder
from postil.speed.compiled_templates import store_path, user_key
from postil.speed.disk_cache import CACHE_DIR


def pytest_configure(config: pytest.Config) -> None:
    """Tests run postil in empty temporary folders to see what it does outside a site; a stray
    site above the temporary folder (a copied pyproject.toml with [tool.postil]) would make
    postil build that site instead, and a dozen tests fail far from the cause."""
    temp = Path(config.option.basetemp or tempfile.gettempdir()).resolve()
    stray = find_site_root(temp)
    if stray is not None:
        raise pytest.UsageError(
            f"{stray / 'pyproject.toml'}: a postil site encloses the tests' temporary folder {temp} — "
            "move that pyproject.toml away, or give pytest --basetemp outside it")


@pytest.fixture(autouse=True, scope="session")
def own_user_cache(tmp_path_factory):
    """The user's cache folder (where postil keeps its signing key) is the test run's own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        user_key.cache_clear()
        yield
    user_key.cache_clear()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (addopts) starts two workers per core: much of a test's time is spent waiting
    on Chromium, a served page, a file watcher or a build in another process, and a second
    worker fills those waits (tests/browser on a busy 2-core machine: 293 s with 4 workers,
    320 s with 2)."""
    return 2 * len(os.sched_getaffinity(0))


BROWSER_FIXTURES = {"browser"}


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process (each xdist worker has its own), shared by every
    browser test: starting one costs about a second. Tests open their own contexts in it."""
    from browser_support import launched_chromium  # here: test_first_hour copies this file where tests/ is not on the path

    with launched_chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def local_contexts(browser):
    from browser_support import LocalContexts

    contexts = LocalContexts(browser)
    yield contexts
    contexts.close()


@pytest.fixture
def new_context(local_contexts):
    """new_context(**options) → a context for pages on the test's own servers of 127.0.0.1,
    as good as new: shared by the module's tests (`LocalContexts` says why), its tabs
    closed and their storage cleared after each test."""
    yield local_contexts.get
    local_contexts.reset()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the browser, whoever wrote it, is marked `browser`, so that
    `-m "not browser"` leaves it out.

    The longest modules are run first: the workers take whole modules in the order
    collected (`--dist loadfile`, `--no-loadscope-reorder`), and a long module begun last
    keeps one worker busy after the others have finished. A module's length is estimated
    from its tests: one that drives Chromium or is marked `slow` takes about four times as
    long as another (2.9 and 3.2 s against 0.7 s each, on average, in a full run on a busy
    machine)."""
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
    length = Counter()
    for item in items:
        length[item.path] += 4 if item.get_closest_marker("slow") or item.get_closest_marker("browser") else 1
    items.sort(key=lambda item: -length[item.path])  # stable: a module's tests keep their order


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (CI set, as .ci/run runs) a skipped test fails: CI installs everything the
    tests need (Chromium, Playwright, axe-core), so a skip there means a test that ran nothing."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where nothing may be: {reason}"


@dataclass
class Site:
    """A site folder on disk that tests write files into and build."""

    root: Path

    def write(self, relative: str, text: str, *, dedent: bool = True) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n") if dedent else text, encoding="utf-8")
        return path

    def essay(self, relative: str, title: str = "An essay", date: str = "2026-01-15", body: str = "Some text.", **meta: str) -> Path:
        lines = [f"title: {title!r}" if '"' not in title else f"title: '{title}'", f"date: {date}"]
        lines += [f"{key}: {value}" for key, value in meta.items()]
        front = "\n".join(lines)
        return self.write(f"content/{relative}", f"---\n{front}\n---\n{textwrap.dedent(body).lstrip()}", dedent=False)

    def build(self, *args: str) -> int:
        return main(["-C", str(self.root), "build", *args])

    @property
    def out(self) -> Path:
        return self.root / "public"

    def html(self, output: str) -> HTMLParser:
        return HTMLParser((self.out / output).read_text(encoding="utf-8"))

    def snapshot(self) -> dict[str, bytes]:
        """Every output file's bytes, keyed by its path inside the output folder."""
        return files_in(self.out)


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file's bytes under `folder`, keyed by its posix path inside it."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def built_once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, build: Callable[[Path], Path]) -> Path:
    """The output folder of `build(root)`, run once per test run for the site `name` whose
    tests only read it: under xdist the first worker to ask builds it in the run's shared
    temporary folder while the others wait, instead of each worker building its own copy."""
    if worker_id == "master":
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / name
    built = shared / "built"  # written last: a failed build is tried again (and fails) on each worker
    with open(shared.with_name(f"{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            shutil.rmtree(shared, ignore_errors=True)
            output = build(shared)
            built.write_text(output.relative_to(shared).as_posix(), encoding="utf-8")
    return shared / built.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def example_site(tmp_path_factory, worker_id: str) -> Path:
    """The example site (content/) built once per test run with --strict and search off, for
    the tests that only read its output; tests/golden.py says how."""
    from golden import build_example

    return built_once(tmp_path_factory, worker_id, "example-site", build_example)


SITE_SETTINGS = '[tool.postil]\ntitle = "Test Site"\nbase_url = "https://example.org/"\nauthor = "Ada"\nsearch = false\n'


@pytest.fixture(scope="session")
def compiled_theme(tmp_path_factory, own_user_cache) -> bytes:
    """The theme's templates as a first build compiles and signs them (with this test
    process's key) into the user's cache folder: compiling them takes ~0.4 s of CPU, most of
    a small test site's build, and the same ~33 templates would be compiled for every test."""
    root = tmp_path_factory.mktemp("compiled-theme")
    (root / "pyproject.toml").write_text(SITE_SETTINGS, encoding="utf-8")
    Site(root).essay("only.md")
    Builder(root, BuildOptions(out_dir=root / "public")).build()
    return store_path(root / CACHE_DIR).read_bytes()


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    """A new site folder with a settings file. The theme's compiled templates are kept for
    it in the user's cache folder (as after an earlier build of the site): which templates are compiled
    changes no output (each is kept with the checksum of its source, so one the test edits
    is compiled again), and tests that compare with a clean build compare with one that
    compiled everything. Tests of the caches themselves are marked `fresh_cache` and start
    with none."""
    root = tmp_path / "site"
    root.mkdir()
    # Search is off here: Pagefind adds about 0.4 s to every build. tests/test_search.py turns it on.
    (root / "pyproject.toml").write_text(SITE_SETTINGS, encoding="utf-8")
    if request.node.get_closest_marker("fresh_cache") is None:
        seed_compiled_theme(root, request.getfixturevalue("compiled_theme"))
    return Site(root)


def seed_compiled_theme(site_root: Path, compiled: bytes) -> None:
    """Put `compiled_theme` where a build of `site_root` looks for compiled templates."""
    store = store_path(site_root / CACHE_DIR)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(compiled)

"""Search: Pagefind's index of the essays, used through a real browser on a static server."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

from browser_support import QuietHandler, Tabs, axe_source, static_server, tabs
from conftest import Site, files_in, seed_compiled_theme
from postil.pipeline import Builder, BuildOptions
from postil.render.search import SEARCH_DIR, unavailable_reason
from postil.search import pagefind
from postil.search.index import IndexRun
from postil.search.shards import MAX_SHARD_WORDS, plan, shard_count, shard_of



def _built(tmp_path_factory: pytest.TempPathFactory, compiled_theme: bytes, write: Callable[[Site], None]) -> Site:
    """A site written by `write` and built once, for a module's tests that only read it."""
    site = Site(tmp_path_factory.mktemp("search-site"))
    seed_compiled_theme(site.root, compiled_theme)
    write(site)
    assert site.build() == 0
    return site


@contextmanager
def _served_under_blog(out: Path) -> Iterator[str]:
    """`out` served as plain static files under /blog/ on 127.0.0.1 (the sub-path its
    base_url names); yields the base URL."""
    with static_server(_blog_folder(out)) as server:
        yield f"{server}/blog/"


def _blog_folder(out: Path) -> Path:
    """A folder beside `out` that holds it as blog/, to serve it under /blog/."""
    served = out.parent / "served"
    served.mkdir(exist_ok=True)
    if not (served / "blog").exists():
        (served / "blog").symlink_to(out)
    return served


class Served:
    """A built site served under /blog/, with tabs to open its pages in as a first visit
    would (`Tabs`)."""

    VIEWPORT = {"width": 1280, "height": 720}  # a new page's own

    def __init__(self, base: str, opened: Tabs) -> None:
        self.base, self.tabs = base, opened

    def page(self, color_scheme: str = "light"):
        return self.tabs.new_page(self.VIEWPORT, color_scheme=color_scheme)


@contextmanager
def _served_site(browser, out: Path) -> Iterator[Served]:
    with _served_under_blog(out) as base, tabs(browser, base) as opened:
        yield Served(base, opened)


def _write_search_site(site) -> None:
    (site.root / "pyproject.toml").write_text(
        '[tool.postil]\ntitle = "Quillwort"\nbase_url = "http://127.0.0.1/blog/"\n', encoding="utf-8"
    )
    site.essay("bees.md", title="On Bees", date="2026-01-10", body="The hive hums with zymurgical industry all summer.")
    site.essay("ink.md", title="On Ink", date="2026-01-11", body="Iron gall ink eats the page slowly.\n\n## Corrosion\n\nIt browns.")


def test_search_index_is_written_beside_the_pages(search_site):
    site = search_site
    assert (site.out / SEARCH_DIR / "pagefind-entry.json").is_file()
    assert (site.out / SEARCH_DIR / "pagefind-ui.js").is_file()
    assert site.html("search/index.html").css_first("#search") is not None


def test_search_box_in_the_header_sends_words_to_the_search_page(search_site):
    site = search_site
    form = site.html("bees/index.html").css_first("header form[role=search]")
    assert form.attributes["action"] == "/blog/search/"
    assert form.css_first("input[type=search]").attributes["name"] == "q"


def test_essay_body_is_marked_for_indexing_and_its_byline_is_not(search_site):
    site = search_site
    page = site.html("bees/index.html")
    body = page.css_first("[data-pagefind-body]")
    assert "zymurgical" in body.text()
    assert page.css("[data-pagefind-body] .site-header, [data-pagefind-body] .site-nav") == []
    assert "data-pagefind-ignore" in body.css_first(".essay-meta").attributes


def test_builds_with_search_are_byte_for_byte_identical(site):
    _write_search_site(site)
    assert site.build() == 0
    first = site.snapshot()
    shutil.rmtree(site.out)
    assert site.build() == 0
    assert site.snapshot() == first


def test_a_site_without_essays_has_a_search_page_saying_so(site):
    (site.root / "pyproject.toml").write_text('[tool.postil]\ntitle = "Quillwort"\n', encoding="utf-8")
    (site.root / "content").mkdir(exist_ok=True)  # a new site, its first essay not yet written
    assert site.build() == 0
    page = site.html("search/index.html")
    assert "no essays to search yet" in page.css_first("main").text()
    assert page.css("script[src*=pagefind], link[href*=pagefind]") == [] and not (site.out / SEARCH_DIR).exists()
    assert site.html("index.html").css_first("header form[role=search]").attributes["action"] == "/search/"


def test_search_can_be_turned_off(site):
    _write_search_site(site)
    with open(site.root / "pyproject.toml", "a", encoding="utf-8") as config:
        config.write("search = false\n")
    assert site.build() == 0
    assert not (site.out / SEARCH_DIR).exists() and not (site.out / "search").exists()
    assert site.html("bees/index.html").css_first("form[role=search]") is None


def test_search_setting_must_be_true_or_false(site, capsys):
    _write_search_site(site)
    with open(site.root / "pyproject.toml", "a", encoding="utf-8") as config:
        config.write('search = "yes"\n')
    assert site.build() == 1
    assert "'search' must be true or false" in capsys.readouterr().err


def test_without_pagefind_the_site_builds_without_search_and_says_so(site, monkeypatch, capsys):
    _write_search_site(site)
    monkeypatch.setitem(sys.modules, "pagefind", None)  # makes `import pagefind` fail
    unavailable_reason.cache_clear()
    try:
        assert site.build() == 0
    finally:
        unavailable_reason.cache_clear()
    assert "warning: built without search: the pagefind package is not installed" in capsys.readouterr().err
    assert not (site.out / SEARCH_DIR).exists() and not (site.out / "search").exists()
    assert site.html("bees/index.html").css_first("form[role=search]") is None


@pytest.fixture(scope="module")
def search_site(tmp_path_factory, compiled_theme) -> Site:
    """The two-essay site, built once for the tests that only read it."""
    return _built(tmp_path_factory, compiled_theme, _write_search_site)


@pytest.fixture(scope="module")
def served_module(browser, search_site) -> Iterator[Served]:
    with _served_site(browser, search_site.out) as served:
        yield served


@pytest.fixture
def served(served_module) -> Iterator[Served]:
    """The two-essay site served under /blog/ on 127.0.0.1; the test's tabs close after it."""
    yield served_module
    served_module.tabs.close_pages()


_ALL_RESULTS_SHOWN = """() => {
    const message = document.querySelector('.search-message');
    if (!message || message.textContent.includes('Searching')) return false;
    const announced = message.textContent.startsWith('No results') ? 0 : parseInt(message.textContent, 10);
    const results = [...document.querySelectorAll('.search-result')];
    return results.length === announced && results.every(result => result.querySelector('.search-result-link'));
}"""


def _results(page, url: str) -> list[tuple[str, str]]:
    """The results `page` shows at `url`, as (text, href) of each result link. The page is
    left open: the fixture that gave it empties it after the test and keeps it for the next
    (a tab closed here would have to be opened again, at about the cost of a page load)."""
    page.goto(url)
    # The message says "1 result for …" or "No results for …"; each result (a page, with
    # links to its matching sections) shows its links once its own fragment has loaded.
    page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
    links = page.locator(".search-result-link")
    return [(links.nth(i).inner_text(), links.nth(i).get_attribute("href")) for i in range(links.count())]


def _wait_for_results_of(page, word: str) -> None:
    """Wait until `page` shows every result of the search for `word` (not a search before it)."""
    page.wait_for_function(f"document.querySelector('.search-message')?.textContent.includes({word!r}) && ({_ALL_RESULTS_SHOWN})()",
                           timeout=10_000)


def test_search_page_finds_the_one_essay_containing_a_word(served):
    assert _results(served.page(), served.base + "search/?q=zymurgical") == [("On Bees", "/blog/bees/")]


def test_search_does_not_find_words_only_in_the_navigation(served):
    assert _results(served.page(), served.base + "search/?q=quillwort") == []


def test_a_search_that_finds_nothing_says_so_where_a_screen_reader_announces_it(served):
    page = served.page()
    page.goto(served.base + "search/?q=quillwort")
    page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
    status = page.get_by_role("status")
    assert status.inner_text() == "No results for quillwort"
    assert page.locator(".search-result").count() == 0 and page.locator(".search-more").is_hidden()


def test_the_search_box_is_named_and_focused_enter_stays_on_the_page_and_tab_reaches_the_first_result(served):
    page = served.page()
    page.goto(served.base + "search/")
    box = page.get_by_role("searchbox", name="Search the essays").last
    assert box.evaluate("element => element === document.activeElement")  # ready to type in
    box.press_sequentially("zymurgical")
    box.press("Enter")
    page.wait_for_function(f"document.querySelector('.search-message').textContent === '1 result for zymurgical' && ({_ALL_RESULTS_SHOWN})()",
                           timeout=10_000)
    assert page.url == served.base + "search/"  # searched in the page, not sent again
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
    assert focused == ["On Bees", "/blog/bees/"]


def test_search_box_leads_to_results(served):
    page = served.page()
    page.goto(served.base + "ink/")
    page.fill("header input[type=search]", "gall")
    page.press("header input[type=search]", "Enter")
    page.wait_for_selector(".search-result-link", timeout=10_000)
    assert page.url == served.base + "search/?q=gall"
    assert page.locator(".search-result-link").first.inner_text() == "On Ink"


def test_search_result_names_the_section_without_its_permalink_mark(served):
    assert _results(served.page(), served.base + "search/?q=browns") == [("On Ink", "/blog/ink/"), ("Corrosion", "/blog/ink/#corrosion")]


def test_search_page_with_results_has_no_accessibility_violations(served):
    axe = axe_source()
    page = served.page()
    page.goto(served.base + "search/?q=zymurgical")
    page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
    page.add_script_tag(content=axe)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert [violation["id"] for violation in result["violations"]] == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_search_results_are_set_in_the_sites_type_and_colours(served, theme):
    page = served.page(color_scheme=theme)
    page.goto(served.base + "search/?q=zymurgical")
    page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
    style = page.evaluate("""() => {
        const css = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
        return {
            title: [css('.search-result-title', 'fontFamily'), css('.search-result-title', 'fontWeight')],
            titleColour: css('.search-result-link', 'color'),
            text: css('body', 'color'),
            excerpt: css('.search-result-excerpt', 'fontFamily'),
            input: [css('.search-input', 'fontFamily'), css('.search-input', 'fontWeight'),
                    css('.search-input', 'borderTopWidth'), css('.search-input', 'backgroundColor')],
            surface: getComputedStyle(document.documentElement).getPropertyValue('--surface').trim(),
        };
    }""")
    assert style["title"] == ['"Source Serif 4", Charter, "Bitstream Charter", Georgia, serif', "600"]
    assert style["excerpt"].startswith('"Source Serif 4"') and style["titleColour"] == style["text"]
    family, weight, border, background = style["input"]
    assert family.startswith('"Source Sans 3"') and weight == "400" and border == "1px"
    expected = {"light": "rgb(255, 255, 255)", "dark": "rgb(34, 33, 38)"}[theme]
    assert background == expected and style["surface"] in {"#ffffff", "#222126"}


# The index split into shards: a site of 40 essays has 4 (see postil/search/shards.py).
SHARDS = 4
def _word(number: int) -> str:
    """A made-up word found in essay `number` only (no stemmer shortens it)."""
    return "zyx" + "".join("bcdfghjklmnpqrstvwz"[int(digit)] for digit in f"{number:03d}") + "o"


def _write_sharded_site(site, essays: int = 40) -> None:
    (site.root / "pyproject.toml").write_text(
        '[tool.postil]\ntitle = "Quillwort"\nbase_url = "http://127.0.0.1/blog/"\n', encoding="utf-8"
    )
    for number in range(essays):
        site.essay(f"essay-{number:03d}.md", title=f"Essay {number}", date=f"2025-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
                   body=f"Common words about reading and margins.\n\nThe word {_word(number)} is found here alone.\n")


def _bundles(out: Path) -> list[str]:
    """The bundle folders in the output: those with an entry file."""
    return sorted(path.parent.relative_to(out).as_posix() for path in out.glob(f"{SEARCH_DIR}/**/pagefind-entry.json"))


def _bundle_of(name: str) -> str:
    """'pagefind/5/index/…' → 'pagefind/5'; 'pagefind/index/…' → 'pagefind'."""
    parts = name.split("/")
    return "/".join(parts[:2]) if parts[1].isdigit() else parts[0]


def _clean_build(site, tmp_path: Path) -> dict[str, bytes]:
    """The same sources built in a separate process, in another folder, with no cache."""
    copy = tmp_path / "clean"
    shutil.copytree(site.root, copy, ignore=shutil.ignore_patterns("public", ".public.*", ".postil-cache", "served"))
    subprocess.run([sys.executable, "-m", "postil", "-C", str(copy), "build"], check=True, capture_output=True)
    return files_in(copy / "public")


def test_shard_count_grows_as_the_cube_root_and_with_long_essays():
    assert [shard_count(essays, essays * 1000) for essays in (1, 31, 32, 44, 45, 100, 353, 354, 1000, 5000)] == [1, 1, 4, 4, 8, 8, 8, 16, 16, 32]
    assert shard_count(5000, 5000 * 2000) == 64  # 32 shards would hold 312,500 words each
    assert shard_count(100, 100 * MAX_SHARD_WORDS) == 128  # every shard within the words a shard may hold


def test_an_essay_keeps_its_shard_while_other_essays_come_and_go():
    class Essay:
        def __init__(self, number):
            self.url_path, self.word_count = f"essay-{number:03d}/", 100

    before = {output for outputs in plan([Essay(n) for n in range(40)]).values() for output in outputs}
    assert len(before) == 40
    shards_before = {output: folder for folder, outputs in plan([Essay(n) for n in range(40)]).items() for output in outputs}
    shards_after = {output: folder for folder, outputs in plan([Essay(n) for n in range(1, 45)]).items() for output in outputs}
    assert all(shards_after[output] == folder for output, folder in shards_before.items() if output in shards_after)


def test_a_cold_build_renders_the_essays_shard_by_shard_before_the_other_pages(site, monkeypatch):
    """So that each shard is complete, and indexed, while the next renders."""
    _write_sharded_site(site)
    order: list[str] = []
    rendered = IndexRun.rendered

    def noting(self, output, data):
        order.append(output)
        return rendered(self, output, data)

    monkeypatch.setattr(IndexRun, "rendered", noting)
    assert site.build() == 0
    planned = _planned(site)
    shards = {output: folder for folder, outputs in planned.items() for output in outputs}
    places = {folder: place for place, folder in enumerate(planned)}
    ranks = [places[shards[output]] if output in shards else len(places) for output in order]
    assert ranks == sorted(ranks) and len(set(ranks)) == SHARDS + 1  # every shard, then the rest


def test_no_temporary_folder_of_pagefinds_is_left_once_the_build_is_done(site, monkeypatch, tmp_path):
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    _write_sharded_site(site)
    assert site.build() == 0
    assert len(_bundles(site.out)) == SHARDS
    assert list(temporary.iterdir()) == []


def _planned(site) -> dict[str, list[str]]:
    """The shards of the site's essays, as the build plans them."""
    return plan(Builder(site.root, BuildOptions(out_dir=None, search=False)).build().site.essays)


def test_index_is_split_into_shards_that_the_search_page_merges(sharded_site):
    site = sharded_site
    bundles = _bundles(site.out)
    assert len(bundles) == SHARDS and bundles[0] == SEARCH_DIR
    named = site.html("search/index.html").css_first("script[data-bundles]").attributes["data-bundles"].split()
    paths, tags = named[::2], named[1::2]
    assert paths == [f"/blog/{SEARCH_DIR}/"] + sorted((f"/blog/{bundle}/" for bundle in bundles[1:]), key=lambda path: int(path.split("/")[-2]))
    # Each bundle's tag is the hash of its metadata, as its entry file names it.
    for path, tag in zip(paths, tags):
        entry = json.loads((site.out / path.removeprefix("/blog/") / "pagefind-entry.json").read_bytes())
        assert [language["hash"] for language in entry["languages"].values()] == [tag]
    # A merged bundle carries only its index: the primary's scripts serve them all.
    assert (site.out / SEARCH_DIR / "pagefind-ui.js").is_file()
    assert not any((site.out / bundle / "pagefind-ui.js").exists() for bundle in bundles[1:])


def test_search_page_preloads_the_files_every_search_needs_first(sharded_site):
    site = sharded_site
    page = site.html("search/index.html")
    preloaded = {link.attributes["href"] for link in page.css('head link[rel=preload][as=fetch]')}
    assert all("crossorigin" in link.attributes for link in page.css('head link[rel=preload][as=fetch]'))
    expected = {f"/blog/{SEARCH_DIR}/wasm.en.pagefind"}
    for bundle in _bundles(site.out):
        entry = json.loads((site.out / bundle / "pagefind-entry.json").read_bytes())
        tag = entry["languages"]["en"]["hash"]
        expected |= {f"/blog/{bundle}/pagefind-entry.json?ts={tag}", f"/blog/{bundle}/pagefind.{tag}.pf_meta"}
    assert preloaded == expected
    assert all((site.out / href.removeprefix("/blog/").split("?")[0]).is_file() for href in preloaded)
    # search.js is asked for before them and at high priority: nothing searches until it runs.
    head = [element.attributes for element in page.css("head > script, head > link")]
    script = next(number for number, attributes in enumerate(head) if "data-bundles" in attributes)
    first_preload = next(number for number, attributes in enumerate(head) if "pagefind/" in (attributes.get("href") or ""))
    assert script < first_preload and head[script]["fetchpriority"] == "high"


def test_an_edit_renames_its_bundles_entry_on_the_search_page(site):
    _write_sharded_site(site)
    assert site.build() == 0
    before = set(site.html("search/index.html").css_first("script[data-bundles]").attributes["data-bundles"].split())
    essay = site.root / "content" / "essay-007.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nNow also qwyxlophant.\n", encoding="utf-8")
    assert site.build() == 0
    after = set(site.html("search/index.html").css_first("script[data-bundles]").attributes["data-bundles"].split())
    assert len(after - before) == 1  # the edited shard's tag, and only it: a browser never reuses a stale entry


@pytest.mark.slow  # builds in another process
def test_an_edit_indexes_only_its_shard_again_and_equals_a_clean_build(site, tmp_path):
    _write_sharded_site(site)
    assert site.build() == 0
    before = site.snapshot()
    essay = site.root / "content" / "essay-007.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nNow also qwyxlophant.\n", encoding="utf-8")
    assert site.build() == 0
    after = site.snapshot()
    changed = {name for name in after.keys() | before.keys() if name.startswith(SEARCH_DIR + "/") and after.get(name) != before.get(name)}
    shard = f"{SEARCH_DIR}/{shard_of('essay-007/', SHARDS)}"
    edited_bundle = shard if shard in _bundles(site.out) else SEARCH_DIR  # the first shard is the primary
    assert changed and {_bundle_of(name) for name in changed} == {edited_bundle}
    assert after == _clean_build(site, tmp_path)


@pytest.mark.slow  # builds in another process
def test_an_essay_moved_to_another_shard_and_a_deleted_one_equal_a_clean_build(site, tmp_path):
    _write_sharded_site(site)
    assert site.build() == 0
    new = next(f"moved-{n}/" for n in range(100) if shard_of(f"moved-{n}/", SHARDS) != shard_of("essay-011/", SHARDS))
    (site.root / "content" / "essay-011.md").rename(site.root / "content" / (new.rstrip("/") + ".md"))
    (site.root / "content" / "essay-012.md").unlink()
    assert site.build() == 0
    assert site.snapshot() == _clean_build(site, tmp_path)


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory, compiled_theme) -> Site:
    """The 40-essay site, its index in 4 shards, built once for the tests that only read it."""
    return _built(tmp_path_factory, compiled_theme, _write_sharded_site)


@pytest.fixture(scope="module")
def served_shards_module(browser, sharded_site) -> Iterator[Served]:
    with _served_site(browser, sharded_site.out) as served:
        yield served


@pytest.fixture
def served_shards(served_shards_module) -> Iterator[Served]:
    """The 40-essay site served under /blog/ on 127.0.0.1; the test's tabs close after it."""
    yield served_shards_module
    served_shards_module.tabs.close_pages()


def test_a_word_of_any_essay_finds_it_first_whatever_its_shard(served_shards):
    base = served_shards.base
    one_per_shard = {shard_of(f"essay-{number:03d}/", SHARDS): number for number in range(40)}
    assert len(one_per_shard) == SHARDS
    # One page, a word typed after another as a reader does: loading Pagefind takes seconds.
    page = served_shards.page()
    page.goto(base + "search/")
    for number in one_per_shard.values():
        word = _word(number)
        page.fill(".search-input", word)
        _wait_for_results_of(page, word)
        first = page.locator(".search-result-link").first
        assert (first.inner_text(), first.get_attribute("href")) == (f"Essay {number}", f"/blog/essay-{number:03d}/")


def test_a_search_from_the_address_fetches_each_file_once_and_in_the_page(browser, served_shards):
    base = served_shards.base
    page = browser.new_page()  # a context of its own: nothing in its HTTP cache yet
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url.removeprefix(base)))
    try:
        page.goto(base + f"search/?q={_word(7)}")
        page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
        assert page.locator(".search-result-link").first.get_attribute("href") == "/blog/essay-007/"
        preloaded = {link.get_attribute("href").removeprefix("/blog/") for link in page.locator("head link[rel=preload][as=fetch]").all()}
    finally:
        page.close()
    # The preloaded files served Pagefind's own requests (it ran in the page, not in its
    # worker), under the names the page gave: nothing fetched twice, no worker started.
    assert len(fetched) == len(set(fetched))
    assert f"{SEARCH_DIR}/pagefind-worker.js" not in fetched
    entries = {url for url in fetched if "pagefind-entry.json" in url}
    assert len(entries) == SHARDS and entries <= preloaded
    assert preloaded <= set(fetched)


def test_words_typed_after_those_from_the_address_find_their_essay(served_shards):
    """The words from ?q= are searched at once, without waiting for a pause in typing; what
    the reader types next is searched as usual, across every shard."""
    base = served_shards.base
    page = served_shards.page()
    page.goto(f"{base}search/?q={_word(3)}")
    _wait_for_results_of(page, _word(3))
    assert page.locator(".search-result-link").first.get_attribute("href") == "/blog/essay-003/"
    page.fill(".search-input", _word(29))
    _wait_for_results_of(page, _word(29))
    links = page.locator(".search-result-link")
    assert (links.count(), links.first.get_attribute("href")) == (1, "/blog/essay-029/")


def test_words_typed_while_pagefind_loads_are_searched_across_the_shards_once_it_is_ready(served_shards):
    """The page wires up its search box before Pagefind is ready (a reader may type at once):
    words typed meanwhile wait for the index, then find their essay in whatever shard."""
    page = served_shards.page()
    with _held_back(page, "**/wasm.en.pagefind") as held:  # Pagefind's WebAssembly, until the words are typed
        page.goto(served_shards.base + "search/", wait_until="domcontentloaded")
        page.fill(".search-input", _word(21))
        page.wait_for_function("document.querySelector('.search-message').textContent.startsWith('Searching for')", timeout=10_000)
        assert held and not page.locator(".search-result").count()
    assert _only_result_of(page, _word(21)) == "/blog/essay-021/"


def test_words_typed_before_the_search_script_arrives_are_searched(served_shards):
    """The search box is shown before search.js runs (it loads without holding the page
    back): what a reader typed by then is searched when it does."""
    page = served_shards.page()
    with _held_back(page, "**/assets/search.*.js") as held:  # the page's search.js, until the words are typed
        page.goto(served_shards.base + "search/", wait_until="domcontentloaded")
        page.fill(".search-input", _word(34))
        assert held and page.locator(".search-message").inner_text() == ""
    assert _only_result_of(page, _word(34)) == "/blog/essay-034/"


def test_words_from_the_address_are_searched_once_the_page_is_parsed_not_after_its_deferred_scripts(browser, sharded_site):
    """search.js may run before the page is parsed (it is fetched first): the words from
    ?q= are then searched as soon as the page is parsed, without waiting for
    DOMContentLoaded, which waits for postil.js too (deferred, so fetched last)."""
    rest = threading.Event()
    page = browser.new_page()
    page.add_init_script(_NOTE_FETCHES)
    try:
        with _search_page_sent_in_two_parts(sharded_site.out, rest) as base, _held_back(page, "**/assets/postil.*.js") as held:
            page.goto(f"{base}search/?q={_word(12)}", wait_until="commit")
            page.wait_for_function("window.fetched.length > 0", timeout=10_000)  # search.js has run and started Pagefind
            assert page.evaluate("document.readyState") == "loading"
            rest.set()
            _wait_for_results_of(page, _word(12))
            assert held and page.evaluate("document.readyState") == "interactive"  # postil.js has not run
            assert page.locator(".search-result-link").first.get_attribute("href") == "/blog/essay-012/"
    finally:
        rest.set()
        page.close()


_NOTE_FETCHES = """window.fetched = [];
const pageFetch = window.fetch;
window.fetch = function (input) { window.fetched.push(String(input)); return pageFetch.apply(this, arguments); };"""


@contextmanager
def _search_page_sent_in_two_parts(out: Path, rest: threading.Event) -> Iterator[str]:
    """`out` served under /blog/ as plain files, but the search page's body from <main> on
    is sent only once `rest` is set (as a slow network would deliver it); yields the base URL."""
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path != "/blog/search/":
                return super().do_GET()
            html = (out / "search" / "index.html").read_bytes()
            cut = html.index(b"<main")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()  # no length: HTTP/1.0, the body ends when the connection does
            self.wfile.write(html[:cut])
            self.wfile.flush()
            rest.wait(timeout=30)
            self.wfile.write(html[cut:])

    with static_server(_blog_folder(out), Handler) as server:
        yield f"{server}/blog/"


@contextmanager
def _held_back(page, pattern: str) -> Iterator[list]:
    """Requests for `pattern` wait, listed, until the block ends; then they go on."""
    held: list = []
    page.route(pattern, lambda route: held.append(route))  # Playwright wraps Python functions, not built-in methods
    yield held
    for route in held:
        route.continue_()
    page.unroute(pattern)


def _only_result_of(page, word: str) -> str | None:
    """The address of the one result shown for `word`, once its results are shown."""
    _wait_for_results_of(page, word)
    links = page.locator(".search-result-link")
    assert links.count() == 1
    return links.first.get_attribute("href")


def test_a_word_in_every_essay_finds_all_of_them_across_the_shards(served_shards):
    base = served_shards.base
    page = served_shards.page()
    page.goto(base + "search/?q=margins")
    # Five results are shown at first (then "Load more"); the message counts them all.
    page.wait_for_function("/^\\d+ results/.test(document.querySelector('.search-message')?.textContent)", timeout=10_000)
    assert page.locator(".search-message").inner_text().startswith("40 results")


def test_load_more_shows_five_more_results_until_every_one_is_shown(served_shards):
    base = served_shards.base
    page = served_shards.page()
    page.goto(base + "search/?q=margins")
    page.wait_for_function("document.querySelector('.search-message').textContent === '40 results for margins'", timeout=10_000)
    titles = page.locator(".search-result > .search-result-title")
    assert titles.count() == 5
    more = page.get_by_role("button", name="Load more results")
    for shown in range(10, 45, 5):
        more.click()
        page.wait_for_function(f"document.querySelectorAll('.search-result').length === {shown}", timeout=10_000)
    assert more.is_hidden()
    hrefs = [link.get_attribute("href") for link in page.locator(".search-result > .search-result-title a").all()]
    assert sorted(hrefs) == [f"/blog/essay-{number:03d}/" for number in range(40)]


def test_search_after_an_edit_a_move_and_a_deletion_finds_the_essays_where_they_are(new_context, site):
    _write_sharded_site(site)
    assert site.build() == 0
    essay = site.root / "content" / "essay-007.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nNow also qwyxlophant.\n", encoding="utf-8")
    new = next(f"moved-{n}" for n in range(100) if shard_of(f"moved-{n}/", SHARDS) != shard_of("essay-011/", SHARDS))
    (site.root / "content" / "essay-011.md").rename(site.root / "content" / f"{new}.md")
    (site.root / "content" / "essay-012.md").unlink()
    assert site.build() == 0
    page = new_context().new_page()
    with _served_under_blog(site.out) as base:
        assert _results(page, f"{base}search/?q=qwyxlophant") == [("Essay 7", "/blog/essay-007/")]
        assert _results(page, f"{base}search/?q={_word(11)}") == [("Essay 11", f"/blog/{new}/")]
        assert _results(page, f"{base}search/?q={_word(12)}") == []


def test_a_result_at_a_non_ascii_address_links_to_it_as_the_site_does(new_context, site):
    _write_search_site(site)
    site.essay("café.md", title="On Cafés", date="2026-01-12", body="Espresso and zymotic crema.")
    root = site.root / "served"
    with static_server(root) as server:
        base = f"{server}/blog/"
        assert site.build("--out", str(root / "blog"), "--base-url", base) == 0
        archive = LexborHTMLParser((root / "blog" / "archive" / "index.html").read_text(encoding="utf-8"))
        link = next(a.attributes["href"] for a in archive.css("a") if a.text() == "On Cafés")
        assert link == "/blog/caf%C3%A9/"
        assert _results(new_context().new_page(), f"{base}search/?q=zymotic") == [("On Cafés", link)]


@pytest.mark.slow  # builds in another process
def test_a_shard_missing_from_the_output_is_written_again(site, tmp_path):
    _write_sharded_site(site)
    assert site.build() == 0
    merged = _bundles(site.out)[1]
    shutil.rmtree(site.out / merged)  # someone cleaned up too much
    essay = site.root / "content" / "essay-020.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nAn edit elsewhere.\n", encoding="utf-8")
    assert site.build() == 0
    assert site.snapshot() == _clean_build(site, tmp_path)


def test_an_index_pagefind_left_incomplete_fails_the_build_instead_of_missing_essays():
    from postil.search.pagefind import _check_complete

    with pytest.raises(RuntimeError, match="incomplete index"):
        _check_complete({"pagefind-entry.json": b""}, 3)
    with pytest.raises(RuntimeError, match="indexed 2 of 3 pages"):
        _check_complete({"pagefind-entry.json": b'{"version":"1.5.2","languages":{"en":{"hash":"x","wasm":"en","page_count":2}}}'}, 3)


def test_an_edits_shard_is_indexed_while_the_rest_of_the_site_renders(site, monkeypatch):
    """The edited essay's shard need not wait for every page: its other essays' pages are
    kept as the output holds them, so Pagefind starts on it as soon as the edited page is
    rendered. Seen here: the build's next step after rendering waits until Pagefind has
    been handed the shard (long enough to fail, not to pass, when it starts only after)."""
    _write_sharded_site(site)
    assert site.build() == 0
    essay = site.root / "content" / "essay-007.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nNow also qwyxlophant.\n", encoding="utf-8")
    handed = threading.Event()
    index_pages, gather = pagefind.index_pages, Builder._gather

    def watched_index_pages(pages, *args, **kwargs):
        if b"qwyxlophant" in pages.get("essay-007/index.html", b""):
            handed.set()
        return index_pages(pages, *args, **kwargs)

    def gather_once_handed(self, *args):
        assert handed.wait(timeout=30), "rendering ended before the edited shard was handed to Pagefind"
        return gather(self, *args)

    monkeypatch.setattr(pagefind, "index_pages", watched_index_pages)
    monkeypatch.setattr(Builder, "_gather", gather_once_handed)
    assert site.build() == 0
    assert handed.is_set()


def test_a_build_that_finds_nothing_changed_reads_no_essay_page_back_for_the_index(site):
    """Sources written just before a build leave its record unsure of them (they may change
    again within the clock's tick), so the next build looks at everything again. The index
    then takes each shard on the render cache's word that its pages were rendered from the
    same inputs: it reads none of them (reading and hashing every page cost more than the
    rest of that build). A page altered behind the record's back, its size and time kept,
    shows that it was not read: a build reading it would index the altered word."""
    _write_sharded_site(site)
    assert site.build() == 0
    before = {name: data for name, data in site.snapshot().items() if name.startswith(SEARCH_DIR + "/")}
    page = site.out / "essay-007" / "index.html"
    status = page.stat()
    altered = page.read_bytes().replace(_word(7).encode(), b"qwomble")
    assert len(altered) == status.st_size and b"qwomble" in altered
    page.write_bytes(altered)
    os.utime(page, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert site.build() == 0
    assert {name: data for name, data in site.snapshot().items() if name.startswith(SEARCH_DIR + "/")} == before


def test_a_restored_ci_cache_and_an_edit_equal_a_clean_build_and_search_finds_the_edit(new_context, site, tmp_path):
    """A CI runner: a fresh clone (every source file new), the last run's cache and output
    restored, one essay edited."""
    _write_sharded_site(site)
    assert site.build() == 0
    clone = tmp_path / "clone"
    shutil.copytree(site.root, clone, copy_function=shutil.copyfile, ignore=shutil.ignore_patterns("public", ".postil-cache"))
    for name in ("public", ".postil-cache"):
        shutil.copytree(site.root / name, clone / name, copy_function=shutil.copy2)
    essay = clone / "content" / "essay-023.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nNow also vorpelquist.\n", encoding="utf-8")
    site.root = clone
    assert site.build() == 0
    assert site.snapshot() == _clean_build(site, tmp_path)
    page = new_context().new_page()
    with _served_under_blog(clone / "public") as base:
        assert _results(page, f"{base}search/?q=vorpelquist") == [("Essay 23", "/blog/essay-023/")]
        assert _results(page, f"{base}search/?q={_word(31)}") == [("Essay 31", "/blog/essay-031/")]

"""The header's search box: the best results in a panel under it as the reader types, on
every page, from a list of the index's bundles fetched when the box is first focused."""
from __future__ import annotations

import json
import re
from pathlib import Path
from collections.abc import Iterator

import pytest

from browser_support import axe_source, axe_violations
from conftest import Site
from postil.render.search import SEARCH_DIR
from postil.search.shards import shard_of
from test_search import SHARDS, Served, _built, _served_site, _word, _write_sharded_site

PANEL = ".site-search .search-panel"


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory, compiled_theme) -> Site:
    """The 40-essay site of tests/test_search.py, its index in 4 shards, built once."""
    return _built(tmp_path_factory, compiled_theme, _write_sharded_site)


@pytest.fixture(scope="module")
def served_module(browser, sharded_site) -> Iterator[Served]:
    with _served_site(browser, sharded_site.out) as served:
        yield served


@pytest.fixture
def served(served_module) -> Iterator[Served]:
    """The 40-essay site served under /blog/ on 127.0.0.1; the test's tabs close after it."""
    yield served_module
    served_module.tabs.close_pages()


def _panel_results_of(page, word: str) -> list[tuple[str, str]]:
    """Type `word` into the header's box (one input event, as a paste is) and return the
    panel's results, (title, href) each, once its status line counts them."""
    box = page.locator("header input[type=search]")
    box.focus()
    page.keyboard.insert_text(word)
    page.wait_for_function(f"""() => {{
        const status = document.querySelector('{PANEL} [role=status]');
        return status && / for {word}$/.test(status.textContent) && !status.textContent.startsWith('Searching');
    }}""", timeout=10_000)
    links = page.locator(f"{PANEL} .search-panel-link")
    return [(links.nth(i).inner_text(), links.nth(i).get_attribute("href")) for i in range(links.count())]


def test_the_list_of_bundles_names_those_the_search_page_preloads(sharded_site):
    listed = json.loads((sharded_site.out / "search" / "bundles.json").read_text(encoding="utf-8"))
    search_page = sharded_site.html("search/index.html")
    preloaded = {link.attributes["href"] for link in search_page.css("head link[rel=preload][as=fetch]")}
    assert listed["base"] == "/blog/" and len(listed["bundles"]) == SHARDS
    assert listed["bundles"][0]["path"] == f"/blog/{SEARCH_DIR}/"
    named = {listed["wasm"]} | {bundle["meta"] for bundle in listed["bundles"]}
    named |= {f"{bundle['path']}pagefind-entry.json?ts={bundle['tag']}" for bundle in listed["bundles"]}
    assert named == preloaded


def test_an_edit_renames_its_shard_in_the_bundle_list_and_leaves_the_other_essays_pages_as_they_were(site):
    _write_sharded_site(site)
    assert site.build() == 0
    before = site.snapshot()
    essay = site.root / "content" / "essay-007.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nNow also qwyxlophant.\n", encoding="utf-8")
    assert site.build() == 0
    after = site.snapshot()
    tags = [{bundle["tag"] for bundle in json.loads(files["search/bundles.json"])["bundles"]} for files in (before, after)]
    assert len(tags[1] - tags[0]) == 1  # the edited shard's
    changed_pages = {path for path in after if path.endswith(".html") and before.get(path) != after[path]}
    assert "essay-007/index.html" in changed_pages
    assert not {path for path in changed_pages if path.startswith("essay-") and path != "essay-007/index.html"}


def test_a_site_without_essays_lists_no_bundles_for_the_header_box(site):
    (site.root / "pyproject.toml").write_text('[tool.postil]\ntitle = "Quillwort"\n', encoding="utf-8")
    (site.root / "content").mkdir(exist_ok=True)
    assert site.build() == 0
    assert json.loads((site.out / "search" / "bundles.json").read_text(encoding="utf-8")) == {"base": "/", "bundles": [], "wasm": ""}


def test_no_page_but_the_search_page_names_the_index_files_an_edit_renames(sharded_site):
    """An edit that indexes a shard again renames its files: the pages that do not name
    them are not written again for it. Pagefind's module keeps its name."""
    for output in ("essay-003/index.html", "index.html", "archive/index.html"):
        html = (sharded_site.out / output).read_text(encoding="utf-8")
        assert set(re.findall(f'/blog/{SEARCH_DIR}/[^"]*', html)) == {f"/blog/{SEARCH_DIR}/pagefind.js"}


def test_a_word_typed_in_the_header_on_an_essay_finds_its_essay_first_and_its_link_leads_there(served):
    page = served.page()
    page.goto(served.base + "essay-005/")
    results = _panel_results_of(page, _word(17))
    assert results[0] == ("Essay 17", "/blog/essay-017/")
    assert page.locator(f"{PANEL} mark").first.inner_text() == _word(17)
    page.locator(f"{PANEL} .search-panel-link").first.click()
    page.wait_for_url(served.base + "essay-017/")
    assert page.locator("h1").first.inner_text() == "Essay 17"


def test_a_word_of_an_essay_in_any_shard_is_found_from_the_header(served):
    one_per_shard = {shard_of(f"essay-{number:03d}/", SHARDS): number for number in range(40)}
    page = served.page()
    page.goto(served.base + "archive/")
    for number in one_per_shard.values():
        page.locator("header input[type=search]").fill("")
        assert _panel_results_of(page, _word(number))[:1] == [(f"Essay {number}", f"/blog/essay-{number:03d}/")]


def test_nothing_of_the_search_is_fetched_until_the_box_is_focused(served):
    page = served.page()
    fetched: list[str] = []
    note = lambda request: fetched.append(request.url.removeprefix(served.base))  # noqa: E731
    page.on("request", note)
    try:
        page.goto(served.base + "essay-009/", wait_until="load")  # postil.js (deferred) has run
        before = list(fetched)
        assert before and not [url for url in before if url.startswith(SEARCH_DIR) or "search" in url]
        assert _panel_results_of(page, _word(9))[0][1] == "/blog/essay-009/"
    finally:
        page.remove_listener("request", note)
    searched = fetched[len(before):]
    assert "search/bundles.json" in searched and any(url.startswith(f"{SEARCH_DIR}/") for url in searched)
    assert len(searched) == len(set(searched))  # the preloaded files served Pagefind's own requests


def test_arrow_keys_move_through_the_results_and_escape_closes_the_panel_keeping_the_words(served):
    page = served.page()
    page.goto(served.base + "essay-001/")
    box = page.locator("header input[type=search]")
    results = _panel_results_of(page, "reading")
    assert len(results) == 5 and box.get_attribute("aria-expanded") == "true"
    assert page.locator(f"{PANEL} .search-panel-all").inner_text() == "See all 40 results"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == results[0][1]
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == results[1][1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert box.evaluate("element => element === document.activeElement")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    assert page.locator(PANEL).is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.evaluate("element => element === document.activeElement") and box.input_value() == "reading"


def test_the_box_says_it_controls_the_panel_and_the_status_line_counts_the_results(served):
    page = served.page()
    page.goto(served.base + "essay-002/")
    assert _panel_results_of(page, _word(2)) == [("Essay 2", "/blog/essay-002/")]
    box = page.locator("header input[type=search]")
    panel_id = page.locator(PANEL).get_attribute("id")
    assert box.get_attribute("aria-controls") == panel_id and box.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("status").inner_text() == f"1 result for {_word(2)}"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_open_panel_with_a_result_focused_has_no_accessibility_violations(served, theme):
    page = served.page(color_scheme=theme)
    page.goto(served.base + "essay-003/")
    _panel_results_of(page, "reading")
    page.keyboard.press("ArrowDown")
    assert [violation["id"] for violation in axe_violations(page, axe_source(), theme)] == []


def test_a_click_outside_or_tab_out_of_the_box_closes_the_panel_and_focus_opens_it_again(served):
    page = served.page()
    page.goto(served.base + "essay-004/")
    _panel_results_of(page, "margins")
    page.locator(f"{PANEL} [role=status]").click()  # the panel's own text keeps it open
    assert page.locator(PANEL).is_visible()
    page.mouse.click(5, 700)  # the page beside the reading column
    assert page.locator(PANEL).is_hidden()
    page.locator("header input[type=search]").focus()
    assert page.locator(PANEL).is_visible()
    page.locator(f"{PANEL} .search-panel-all").focus()
    page.keyboard.press("Tab")  # past the panel's last link
    assert page.locator(PANEL).is_hidden()


def test_enter_in_the_header_box_goes_to_the_search_page_with_its_results(served):
    page = served.page()
    page.goto(served.base + "essay-006/")
    _panel_results_of(page, _word(31))
    page.keyboard.press("Enter")
    page.wait_for_url(served.base + f"search/?q={_word(31)}")
    page.wait_for_selector("#search .search-result-link", timeout=10_000)
    assert page.locator("#search .search-result-link").first.get_attribute("href") == "/blog/essay-031/"


def test_the_see_all_link_leads_to_the_search_page_with_the_words(served):
    page = served.page()
    page.goto(served.base + "essay-007/")
    _panel_results_of(page, "common words")
    page.locator(f"{PANEL} .search-panel-all").click()
    page.wait_for_url(served.base + "search/?q=common+words")
    page.wait_for_selector("#search .search-result-link", timeout=10_000)
    assert page.locator(".search-input").input_value() == "common words"


def test_without_javascript_the_header_box_is_a_plain_form_to_the_search_page(served):
    page = served.tabs.new_page(Served.VIEWPORT, javascript=False)
    page.goto(served.base + "essay-008/")
    box = page.locator("header input[type=search]")
    assert box.get_attribute("role") is None and page.locator(PANEL).count() == 0
    box.fill(_word(8))
    box.press("Enter")
    page.wait_for_url(served.base + f"search/?q={_word(8)}")


def test_on_the_search_page_the_header_box_shares_the_pages_search(served):
    page = served.page()
    fetched: list[str] = []
    note = lambda request: fetched.append(request.url.removeprefix(served.base))  # noqa: E731
    page.on("request", note)
    try:
        page.goto(served.base + "search/")
        assert _panel_results_of(page, _word(22))[0][1] == "/blog/essay-022/"
    finally:
        page.remove_listener("request", note)
    assert "search/bundles.json" not in fetched and len([url for url in fetched if "/search." in url]) == 1


def test_the_panel_is_given_to_the_new_box_when_the_preview_swaps_the_body(served):
    """`postil serve` swaps a saved page's body in place (postil/serve/devserver.js): its
    scripts are asked to agree, the body replaced, and they are told to start again."""
    page = served.page()
    page.goto(served.base + "essay-010/")
    _panel_results_of(page, _word(10))
    agreed = page.evaluate("""async () => {
        const fresh = new DOMParser().parseFromString(await (await fetch(location.href)).text(), 'text/html');
        const agreed = Array.from(document.scripts).filter(script => script.src)
            .every(script => !script.dispatchEvent(new Event('postil:update', { cancelable: true })));
        document.documentElement.replaceChild(document.adoptNode(fresh.body), document.body);
        document.dispatchEvent(new Event('postil:updated'));
        return agreed;
    }""")
    assert agreed and page.locator(PANEL).count() == 1 and page.locator(PANEL).is_hidden()
    assert _panel_results_of(page, _word(11))[0][1] == "/blog/essay-011/"


SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots" / "popover"


@pytest.mark.parametrize("theme", ["light", "dark", "auto"])
@pytest.mark.parametrize("width", [1440, 390])
def test_the_panel_sits_under_the_box_within_the_window_and_is_written_for_review(served, width, theme):
    """Wide, the panel hangs from the box's right edge; narrow, it spans the page under the
    header. Screenshots of it (and of the search page, unchanged) are kept for people to look at."""
    page = served.tabs.new_page({"width": width, "height": 900 if width > 400 else 844}, color_scheme="dark" if theme == "auto" else "light",
                                storage={} if theme == "auto" else {"theme": theme})
    page.goto(served.base + "essay-012/")
    _panel_results_of(page, "reading margins")
    box, panel = page.locator("header input[type=search]").bounding_box(), page.locator(PANEL).bounding_box()
    assert panel["y"] >= box["y"] + box["height"] and panel["x"] >= 0 and panel["x"] + panel["width"] <= width
    if width < 600:
        assert panel["x"] <= 12 and panel["x"] + panel["width"] >= width - 12
    else:
        assert abs(panel["x"] + panel["width"] - (box["x"] + box["width"])) < 1
    assert page.evaluate("document.documentElement.scrollWidth") == width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"panel-{width}-{theme}.png"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.screenshot(path=str(SCREENSHOTS / f"panel-{width}-{theme}-second-focused.png"))
    page.goto(served.base + "search/?q=reading+margins")
    page.wait_for_selector("#search .search-result-link", timeout=10_000)
    page.screenshot(path=str(SCREENSHOTS / f"search-page-{width}-{theme}.png"))

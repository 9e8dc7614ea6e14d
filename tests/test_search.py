"""Search: Pagefind's index of the essays, used through a real browser on a static server."""
from __future__ import annotations

import shutil
import sys

import pytest

from browser_support import axe_source, static_server
from postil.render.search import SEARCH_DIR, unavailable_reason



def _write_search_site(site) -> None:
    (site.root / "pyproject.toml").write_text(
        '[tool.postil]\ntitle = "Quillwort"\nbase_url = "http://127.0.0.1/blog/"\n', encoding="utf-8"
    )
    site.essay("bees.md", title="On Bees", date="2026-01-10", body="The hive hums with zymurgical industry all summer.")
    site.essay("ink.md", title="On Ink", date="2026-01-11", body="Iron gall ink eats the page slowly.\n\n## Corrosion\n\nIt browns.")


def test_search_index_is_written_beside_the_pages(site):
    _write_search_site(site)
    assert site.build() == 0
    assert (site.out / SEARCH_DIR / "pagefind-entry.json").is_file()
    assert (site.out / SEARCH_DIR / "pagefind-ui.js").is_file()
    assert site.html("search/index.html").css_first("#search") is not None


def test_search_box_in_the_header_sends_words_to_the_search_page(site):
    _write_search_site(site)
    assert site.build() == 0
    form = site.html("bees/index.html").css_first("header form[role=search]")
    assert form.attributes["action"] == "/blog/search/"
    assert form.css_first("input[type=search]").attributes["name"] == "q"


def test_essay_body_is_marked_for_indexing_and_its_byline_is_not(site):
    _write_search_site(site)
    assert site.build() == 0
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
    monkeypatch.setitem(sys.modules, "pagefind.service", None)  # makes `import pagefind.service` fail
    unavailable_reason.cache_clear()
    try:
        assert site.build() == 0
    finally:
        unavailable_reason.cache_clear()
    assert "warning: built without search: the pagefind package is not installed" in capsys.readouterr().err
    assert not (site.out / SEARCH_DIR).exists() and not (site.out / "search").exists()
    assert site.html("bees/index.html").css_first("form[role=search]") is None


@pytest.fixture
def served(site):
    """The built site served as plain static files under /blog/ on 127.0.0.1."""
    _write_search_site(site)
    root = site.root / "served"
    with static_server(root) as server:
        base = f"{server}/blog/"
        assert site.build("--out", str(root / "blog"), "--base-url", base) == 0
        yield base


_ALL_RESULTS_SHOWN = """() => {
    const message = document.querySelector('.pagefind-ui__message');
    if (!message || message.textContent.includes('Searching')) return false;
    const announced = message.textContent.startsWith('No results') ? 0 : parseInt(message.textContent, 10);
    const results = [...document.querySelectorAll('.pagefind-ui__result')];
    return results.length === announced && results.every(result => result.querySelector('.pagefind-ui__result-link'));
}"""


def _results(browser, url: str) -> list[tuple[str, str]]:
    page = browser.new_page()
    try:
        page.goto(url)
        # The message says "1 result for …" or "No results for …"; each result (a page, with
        # links to its matching sections) shows its links once its own fragment has loaded.
        page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
        links = page.locator(".pagefind-ui__result-link")
        return [(links.nth(i).inner_text(), links.nth(i).get_attribute("href")) for i in range(links.count())]
    finally:
        page.close()


def test_search_page_finds_the_one_essay_containing_a_word(browser, served):
    assert _results(browser, served + "search/?q=zymurgical") == [("On Bees", "/blog/bees/")]


def test_search_does_not_find_words_only_in_the_navigation(browser, served):
    assert _results(browser, served + "search/?q=quillwort") == []


def test_search_box_leads_to_results(browser, served):
    page = browser.new_page()
    try:
        page.goto(served + "ink/")
        page.fill("header input[type=search]", "gall")
        page.press("header input[type=search]", "Enter")
        page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
        assert page.url == served + "search/?q=gall"
        assert page.locator(".pagefind-ui__result-link").first.inner_text() == "On Ink"
    finally:
        page.close()


def test_search_result_names_the_section_without_its_permalink_mark(browser, served):
    assert _results(browser, served + "search/?q=browns") == [("On Ink", "/blog/ink/"), ("Corrosion", "/blog/ink/#corrosion")]


def test_search_page_with_results_has_no_accessibility_violations(browser, served):
    axe = axe_source()
    page = browser.new_page()
    try:
        page.goto(served + "search/?q=zymurgical")
        page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
        page.add_script_tag(content=axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        assert [violation["id"] for violation in result["violations"]] == []
    finally:
        page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_search_results_are_set_in_the_sites_type_and_colours(browser, served, theme):
    context = browser.new_context(color_scheme=theme)
    try:
        page = context.new_page()
        page.goto(served + "search/?q=zymurgical")
        page.wait_for_function(_ALL_RESULTS_SHOWN, timeout=10_000)
        style = page.evaluate("""() => {
            const css = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
            return {
                title: [css('.pagefind-ui__result-title', 'fontFamily'), css('.pagefind-ui__result-title', 'fontWeight')],
                titleColour: css('.pagefind-ui__result-link', 'color'),
                text: css('body', 'color'),
                excerpt: css('.pagefind-ui__result-excerpt', 'fontFamily'),
                input: [css('.pagefind-ui__search-input', 'fontFamily'), css('.pagefind-ui__search-input', 'fontWeight'),
                        css('.pagefind-ui__search-input', 'borderTopWidth'), css('.pagefind-ui__search-input', 'backgroundColor')],
                surface: getComputedStyle(document.documentElement).getPropertyValue('--surface').trim(),
            };
        }""")
        assert style["title"] == ['"Source Serif 4", Charter, "Bitstream Charter", Georgia, serif', "600"]
        assert style["excerpt"].startswith('"Source Serif 4"') and style["titleColour"] == style["text"]
        family, weight, border, background = style["input"]
        assert family.startswith('"Source Sans 3"') and weight == "400" and border == "1px"
        expected = {"light": "rgb(255, 255, 255)", "dark": "rgb(34, 33, 38)"}[theme]
        assert background == expected and style["surface"] in {"#ffffff", "#222126"}
    finally:
        context.close()

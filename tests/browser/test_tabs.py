"""Pages from `Tabs` share a context but nothing a test could notice: each starts as the
first page of a new context would, with the settings asked for."""
from __future__ import annotations

from .conftest import NARROW, WIDE


def test_a_new_tab_sees_nothing_an_earlier_tab_stored(new_tab):
    first = new_tab(WIDE)
    first.goto("/notes-in-the-margin/")
    first.evaluate("localStorage.setItem('theme', 'dark'); document.cookie = 'visit=1; path=/'")
    assert first.evaluate("localStorage.length") > 0
    second = new_tab(WIDE)
    second.goto("/notes-in-the-margin/")
    assert second.evaluate("[localStorage.getItem('theme'), document.cookie]") == [None, ""]


def test_a_new_tab_has_the_viewport_colour_scheme_motion_and_storage_asked_for(new_tab):
    page = new_tab(NARROW, color_scheme="dark", reduced_motion="reduce", storage={"theme": "light"})
    page.goto("/")
    assert page.evaluate("[innerWidth, innerHeight]") == [NARROW["width"], NARROW["height"]]
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches && matchMedia('(prefers-reduced-motion: reduce)').matches")
    assert page.evaluate("localStorage.getItem('theme')") == "light"


def test_a_tab_without_javascript_runs_no_script_of_the_page(new_tab):
    page = new_tab(WIDE, javascript=False)
    page.goto("/notes-in-the-margin/")
    # The theme's script marks the page it ran on (the toggle shows its state); here it never ran.
    assert page.locator(".theme-toggle").get_attribute("data-state") is None


def test_a_kept_tab_carries_nothing_of_the_test_that_used_it_before(site_tabs):
    page = site_tabs.new_page(WIDE)
    page.route("**/*.css", lambda route: route.abort())
    page.goto("/notes-in-the-margin/")
    page.emulate_media(media="print")
    page.evaluate("sessionStorage.setItem('seen', '1')")
    page.get_by_role("link", name="the companion essay", exact=True).hover()
    site_tabs.close_pages()  # as after a test
    again = site_tabs.new_page(WIDE)
    assert again is page  # kept, not a new tab: else this test proves nothing
    again.goto("/notes-in-the-margin/")
    assert again.evaluate("[sessionStorage.length, matchMedia('print').matches, document.querySelectorAll(':hover').length]") == [0, False, 0]
    assert again.evaluate("[...document.styleSheets].filter(sheet => sheet.href).every(sheet => sheet.cssRules.length > 0)")  # not aborted

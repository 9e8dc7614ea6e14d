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

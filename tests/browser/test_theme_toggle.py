"""The three-state theme toggle, its persistence, and colours at first paint."""
from __future__ import annotations

import itertools
import re

import pytest

from .conftest import WIDE

LIGHT_BACKGROUND = "rgb(251, 250, 246)"
DARK_BACKGROUND = "rgb(23, 23, 26)"
PAGES = ["/", "/notes-in-the-margin/", "/tags/reading/", "/tags/", "/archive/", "/404.html"]


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


def toggle(page):
    return page.get_by_role("button", name=re.compile("^Theme:"))


def test_toggle_cycles_auto_light_dark_and_names_the_current_state(open_page):
    page = open_page("/", color_scheme="light")
    button = toggle(page)
    names = [button.get_attribute("data-state")]
    for _ in range(3):
        button.click()
        names.append(button.inner_text())
    assert names == ["auto", "Theme: light", "Theme: dark", "Theme: auto (light)"]


def test_each_toggle_state_applies_its_colours(open_page):
    page = open_page("/", color_scheme="dark")
    button = toggle(page)
    seen = [background(page)]
    for _ in range(3):
        button.click()
        seen.append(background(page))
    assert seen == [DARK_BACKGROUND, LIGHT_BACKGROUND, DARK_BACKGROUND, DARK_BACKGROUND]


def test_chosen_theme_is_stored_and_kept_on_the_next_page(open_page):
    page = open_page("/", color_scheme="light")
    toggle(page).click()
    toggle(page).click()
    assert page.evaluate("localStorage.getItem('theme')") == "dark"
    page.goto("/archive/")
    assert background(page) == DARK_BACKGROUND
    assert toggle(page).inner_text() == "Theme: dark"


def test_returning_to_auto_forgets_the_stored_choice(open_page):
    page = open_page("/", storage={"theme": "dark"})
    toggle(page).click()
    assert page.evaluate("localStorage.getItem('theme')") is None
    assert page.evaluate("document.documentElement.dataset.theme") is None


def test_auto_follows_the_os_preference_live(open_page):
    page = open_page("/notes-in-the-margin/", color_scheme="light")
    assert background(page) == LIGHT_BACKGROUND
    page.emulate_media(color_scheme="dark")
    assert background(page) == DARK_BACKGROUND
    page.get_by_role("button", name="Theme: auto (dark)", exact=True).wait_for()  # set by the media query's change event, which comes a moment later


def test_without_stored_choice_or_os_preference_the_page_is_light(open_page):
    page = open_page("/", color_scheme="no-preference")
    assert background(page) == LIGHT_BACKGROUND


@pytest.mark.parametrize(
    "stored, os_preference",
    list(itertools.product([None, "light", "dark"], ["light", "dark", "no-preference"])),
)
def test_first_paint_has_the_right_colours_on_every_page_type(new_tab, stored, os_preference):
    """The theme script is blocked, so only the inline <head> script and CSS can act."""
    expected = DARK_BACKGROUND if stored == "dark" or (stored is None and os_preference == "dark") else LIGHT_BACKGROUND
    page = new_tab(WIDE, color_scheme=os_preference, storage={"theme": stored} if stored else None)
    page.route(re.compile(r"/assets/postil\.[0-9a-f]+\.js$"), lambda route: route.abort())
    seen = {}
    for path in PAGES:
        page.goto(path, wait_until="domcontentloaded")
        seen[path] = background(page)
    assert seen == {path: expected for path in PAGES}


@pytest.mark.parametrize("os_preference, expected", [("light", LIGHT_BACKGROUND), ("dark", DARK_BACKGROUND)])
def test_without_javascript_the_page_follows_the_os_and_hides_the_toggle(new_tab, os_preference, expected):
    page = new_tab(WIDE, color_scheme=os_preference, javascript=False)
    page.goto("/notes-in-the-margin/")
    assert background(page) == expected
    assert not page.locator(".theme-toggle").is_visible()


def test_toggle_works_from_the_keyboard_with_a_visible_focus(open_page):
    page = open_page("/", color_scheme="light")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('theme-toggle')"):
            break
    else:
        pytest.fail("the theme toggle was not reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    assert outline != "none"
    assert toggle(page).inner_text() == "Theme: dark"

"""Screenshots of an essay for people to look at (written to test-artifacts/screenshots/),
taken of a page that is what a reader would see: in the theme asked for, the essay's title
and text in view, nothing wider than the window."""
from __future__ import annotations

import pytest

from .conftest import ARTIFACTS, NARROW, WIDE, assert_in_theme, png_size

@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_essay_screenshot_is_written_for_review(open_page, theme, viewport):
    page = open_page("/notes-in-the-margin/", viewport=viewport, storage={"theme": theme})
    page.evaluate("document.fonts.ready")
    assert_in_theme(page, theme)
    assert page.locator("h1").inner_text() == "Notes in the Margin"
    title = page.locator("h1").bounding_box()
    assert 0 <= title["x"] and title["x"] + title["width"] <= viewport["width"] and title["y"] < viewport["height"]
    assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]

    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"essay-{viewport['width']}-{theme}.png"
    page.screenshot(path=str(path), full_page=True)
    assert png_size(path.read_bytes()) == (viewport["width"], page.evaluate("document.documentElement.scrollHeight"))

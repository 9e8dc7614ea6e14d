"""Screenshots of an essay for people to look at (written to test-artifacts/screenshots/),
taken of a page that is what a reader would see: in the theme asked for, the essay's title
and text in view, nothing wider than the window."""
from __future__ import annotations

import struct

import pytest

from .conftest import ARTIFACTS, NARROW, WIDE

# The relative luminance (0 black … 1 white) of a CSS colour, read from the page.
LUMINANCE = """color => {
    const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number).map(c => c / 255)
        .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}"""

# The colour behind the text: the body's, or the root's where the body's is transparent.
PAGE_BACKGROUND = """[document.body, document.documentElement].map(element => getComputedStyle(element).backgroundColor)
    .find(color => color !== 'transparent' && !/^rgba\\(.*,\\s*0\\)$/.test(color))"""


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_essay_screenshot_is_written_for_review(open_page, theme, viewport):
    page = open_page("/notes-in-the-margin/", viewport=viewport, storage={"theme": theme})
    page.evaluate("document.fonts.ready")
    background = page.evaluate(f"({LUMINANCE})({PAGE_BACKGROUND})")
    text = page.evaluate(f"({LUMINANCE})(getComputedStyle(document.querySelector('.essay-body p')).color)")
    if theme == "dark":
        assert background < 0.05 and text > 0.5
    else:
        assert background > 0.8 and text < 0.2
    assert page.locator("h1").inner_text() == "Notes in the Margin"
    title = page.locator("h1").bounding_box()
    assert 0 <= title["x"] and title["x"] + title["width"] <= viewport["width"] and title["y"] < viewport["height"]
    assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]

    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"essay-{viewport['width']}-{theme}.png"
    page.screenshot(path=str(path), full_page=True)
    assert png_size(path.read_bytes()) == (viewport["width"], page.evaluate("document.documentElement.scrollHeight"))

"""Screenshots of an essay for people to look at (written to test-artifacts/screenshots/)."""
from __future__ import annotations

import pytest

from .conftest import ARTIFACTS, NARROW, WIDE


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_essay_screenshot_is_written_for_review(open_page, theme, viewport):
    page = open_page("/notes-in-the-margin/", viewport=viewport, storage={"theme": theme})
    page.evaluate("document.fonts.ready")
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"essay-{viewport['width']}-{theme}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000

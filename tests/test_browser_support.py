"""Browser tests skip on a machine without Chromium, and fail under CI, where it must be there;
the contexts they share start each test as good as new."""
from __future__ import annotations

import pytest

import browser_support
from browser_support import LocalContexts, launched_chromium, static_server


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "chromium")


def test_missing_chromium_skips_outside_ci(no_chromium, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        with launched_chromium():
            pass


def test_missing_chromium_fails_under_ci(no_chromium, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        with launched_chromium():
            pass


def test_a_shared_context_forgets_what_a_page_stored_even_one_left_reloading(browser, tmp_path):
    (tmp_path / "index.html").write_text("<p>A page.</p>", encoding="utf-8")
    contexts = LocalContexts(browser)
    try:
        with static_server(tmp_path) as url:
            page = contexts.get().new_page()
            page.goto(url + "/")
            page.evaluate("localStorage.setItem('theme', 'dark'); location.reload()")  # reloading as the test ends
            contexts.reset()
            page = contexts.get().new_page()
            page.goto(url + "/")
            assert page.evaluate("localStorage.length") == 0
    finally:
        contexts.close()

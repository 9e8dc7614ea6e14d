"""The first hour in a real browser: the site `postil init` makes, as `postil serve` shows
it, says true things about itself, and a YAML mistake is shown in the preview's overlay with
its line and a caret under the column."""
from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
POSTIL = Path(sys.executable).with_name("postil")
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 390, "height": 844}


@contextmanager
def serving_a_new_site(folder: Path) -> Iterator[tuple[Path, str]]:
    """`postil serve` in a site `postil init` made in `folder`, as a user starts it; stopped with Ctrl-C."""
    command = [str(POSTIL)] if POSTIL.exists() else [sys.executable, "-m", "postil"]
    assert subprocess.run([*command, "init", "blog"], cwd=folder, capture_output=True).returncode == 0
    root = folder / "blog"
    # Ctrl-C's default action, as a terminal gives it: a test run started in the background
    # (`cmd &` in a script) ignores SIGINT, which its children would inherit, and Python
    # installs no KeyboardInterrupt for an ignored SIGINT.
    process = subprocess.Popen([*command, "serve", "--port", "0"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in process.stdout:
            if line.startswith("Serving "):
                url = line.split()[1]
                break
        else:
            pytest.fail("postil serve stopped before serving")
        yield root, url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            remaining, _ = process.communicate(timeout=30)
        finally:
            process.kill()  # no server left running when it did not stop (a no-op when it did)
            process.wait()
        assert process.returncode == 0 and "Stopped." in remaining


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One new site served for the tests that only read it: starting one costs seconds."""
    with serving_a_new_site(tmp_path_factory.mktemp("first-hour")) as running:
        yield running


@pytest.fixture
def served_to_edit(tmp_path):
    """A new site served for one test that edits it."""
    with serving_a_new_site(tmp_path) as running:
        yield running


def test_serve_answers_over_http_with_the_first_essay(served):
    _, url = served
    with urllib.request.urlopen(url + "hello/", timeout=10) as response:
        assert response.status == 200
        assert b"<h1" in response.read()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_first_essays_footnote_is_in_the_margin_on_a_wide_screen_as_it_says(new_context, served, theme):
    _, url = served
    page = new_context(viewport=WIDE).new_page()
    page.emulate_media(color_scheme=theme)
    page.goto(url + "hello/")
    note = page.locator(".sidenote").first
    note.wait_for(state="visible")
    text = page.locator(".essay-body p").first.bounding_box()
    assert note.bounding_box()["x"] >= text["x"] + text["width"]  # right of the text column
    assert not page.locator(".footnotes").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"init-hello-1440-{theme}.png"), full_page=True)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_first_essays_footnote_waits_at_the_end_on_a_narrow_screen_and_opens_on_a_tap(browser, served, theme):
    _, url = served
    context = browser.new_context(viewport=NARROW, color_scheme=theme, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(url + "hello/")
        assert page.locator(".footnotes").is_visible()
        assert not page.locator(".sidenote").first.is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"init-hello-390-{theme}.png"), full_page=True)
        page.locator(".essay-body a[role=doc-noteref]").first.tap()
        assert page.locator(".popover").inner_text().startswith("Like this one.")
    finally:
        context.close()


def test_the_overlay_shows_a_yaml_mistakes_line_with_the_caret_under_its_column(new_context, served_to_edit):
    """At 1440 px, then with the window narrowed to 390 px: one served site for both, since
    starting one costs seconds."""
    root, url = served_to_edit
    page = new_context(viewport=WIDE).new_page()
    page.goto(url + "hello/")
    essay = root / "content" / "hello" / "index.md"
    essay.write_text(essay.read_text(encoding="utf-8").replace("title: Hello", 'title: "Hello', 1), encoding="utf-8")
    source = page.locator("#postil-error-overlay .postil-error-source")
    source.wait_for(state="visible")
    assert source.inner_text() == '    2 | title: "Hello\n      |        ^'
    overlay = page.locator("#postil-error-overlay").inner_text()
    assert "content/hello/index.md:2:8: error: invalid YAML: the quoted value that starts here is never closed" in overlay
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        # The caret stands under the quote (column 8), however narrow the window.
        caret, quote = page.evaluate("""() => {
            const text = document.querySelector('#postil-error-overlay .postil-error-source').firstChild;
            const box = (start) => { const range = document.createRange(); range.setStart(text, start);
                                     range.setEnd(text, start + 1); return range.getBoundingClientRect(); };
            const value = text.data;
            return [box(value.indexOf('^')).left, box(value.indexOf('"')).left];
        }""")
        assert abs(caret - quote) < 0.5, viewport
        assert source.is_visible()
        page.screenshot(path=str(ARTIFACTS / f"overlay-yaml-{viewport['width']}.png"))

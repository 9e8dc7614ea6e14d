"""The live preview as an author sees it, in a real Chromium."""
from __future__ import annotations

import io
import socket

import pytest

from browser_support import launched_chromium
from postil.preview import Preview

TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as browser:
        yield browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def essay_text(body: str) -> str:
    return f"---\ntitle: First\ndate: 2026-01-01\n---\n{body}\n"


@pytest.fixture
def preview(site):
    long_body = "\n\n".join(f"Paragraph {number} of a long essay." for number in range(200))
    site.write("content/first.md", essay_text("The first text.\n\n" + long_body), dedent=False)
    site.essay("second.md", title="Second", date="2026-01-02", body="The second text.")
    site.write("theme/style.css", "body { color: rgb(0, 0, 0); }\n")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    yield preview
    preview.close()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => document.querySelector('script[src=\"/__postil/live.js\"]') !== null")
    return page


def test_saved_text_appears_without_manual_reload(preview, site, context):
    page = open_page(context, preview.url + "first/")
    long_body = "\n\n".join(f"Paragraph {number} of a long essay." for number in range(200))
    (site.root / "content/first.md").write_text(essay_text("The saved text.\n\n" + long_body), encoding="utf-8")
    page.wait_for_function("() => document.body.innerText.includes('The saved text.')")


def test_reload_keeps_the_scroll_position(preview, site, context):
    page = open_page(context, preview.url + "first/")
    page.evaluate("window.scrollTo(0, 1500); window.beforeTheReload = true")
    page.wait_for_function("() => window.scrollY >= 1000")
    long_body = "\n\n".join(f"Paragraph {number} of a long essay." for number in range(200))
    text = f"---\ntitle: First\ndate: 2026-01-01\nsummary: A new summary.\n---\nThe first text.\n\n{long_body}\n"
    (site.root / "content/first.md").write_text(text, encoding="utf-8")
    page.wait_for_function("() => window.beforeTheReload === undefined && document.readyState === 'complete'")
    assert page.locator('meta[name="description"]').get_attribute("content") == "A new summary."
    page.wait_for_function("() => window.scrollY >= 1000")


def test_edited_paragraph_out_of_view_is_scrolled_into_view(preview, site, context):
    page = open_page(context, preview.url + "first/")
    assert page.evaluate("window.scrollY") == 0
    paragraphs = [f"Paragraph {number} of a long essay." for number in range(200)]
    paragraphs[150] = "Paragraph 150, just edited."
    (site.root / "content/first.md").write_text(essay_text("The first text.\n\n" + "\n\n".join(paragraphs)), encoding="utf-8")
    page.wait_for_function("() => document.body.innerText.includes('just edited')")
    edited = page.locator("p", has_text="just edited")
    page.wait_for_function(
        "(element) => { const box = element.getBoundingClientRect(); return box.top >= 0 && box.bottom <= innerHeight; }",
        arg=edited.element_handle(),
    )


def test_stylesheet_change_is_swapped_in_without_reload(preview, site, context):
    page = open_page(context, preview.url + "first/")
    page.evaluate("window.stillTheSamePage = true")
    (site.root / "theme/style.css").write_text("body { color: rgb(200, 0, 0); }\n", encoding="utf-8")
    page.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(200, 0, 0)'")
    assert page.evaluate("window.stillTheSamePage === true")


def test_only_tabs_whose_page_changed_reload(preview, site, context):
    first = open_page(context, preview.url + "first/")
    second = open_page(context, preview.url + "second/")
    second.evaluate("window.stillTheSamePage = true")
    site.essay("second.md", title="Second", date="2026-01-02", body="The second text, edited.")
    second.wait_for_function("() => document.body.innerText.includes('edited')")
    first.evaluate("window.firstUntouched = true")
    site.essay("second.md", title="Second", date="2026-01-02", body="The second text, edited twice.")
    second.wait_for_function("() => document.body.innerText.includes('edited twice')")
    assert first.evaluate("window.firstUntouched === true")


def test_many_tabs_all_update_and_pages_still_load(preview, site, context):
    pages = [open_page(context, preview.url + "first/") for _ in range(10)]
    extra = context.new_page()
    response = extra.goto(preview.url + "second/")
    assert response.status == 200
    long_body = "\n\n".join(f"Paragraph {number} of a long essay." for number in range(200))
    (site.root / "content/first.md").write_text(essay_text("Seen by every tab.\n\n" + long_body), encoding="utf-8")
    for page in pages:
        page.wait_for_function("() => document.body.innerText.includes('Seen by every tab.')")


def test_error_overlay_appears_and_goes_away_when_fixed(preview, site, context):
    page = open_page(context, preview.url + "second/")
    path = site.root / "content/first.md"
    path.write_text("---\ntitle: [unclosed\n---\nBroken.\n", encoding="utf-8")
    overlay = page.locator("#postil-error-overlay")
    overlay.wait_for(state="visible")
    assert "content/first.md:" in overlay.inner_text()
    path.write_text(essay_text("Fixed."), encoding="utf-8")
    overlay.wait_for(state="detached")


def test_after_server_restart_each_tab_reloads_once(preview, site, context):
    pages = [open_page(context, preview.url + "first/") for _ in range(2)]
    for page in pages:
        page.evaluate("sessionStorage.setItem('loads', '0'); window.addEventListener('beforeunload', () => sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads')) + 1)))")
    port = preview.server.port
    preview.close()
    restarted = Preview(site.root, port=port, out=io.StringIO()).start()
    try:
        for page in pages:
            page.wait_for_function(f"() => document.querySelector('script[data-server=\"{restarted.server.server_id}\"]') !== null")
        pages[0].wait_for_timeout(1500)  # long enough for a reload loop to show itself
        for page in pages:
            assert page.evaluate("sessionStorage.getItem('loads')") == "1"
    finally:
        restarted.close()

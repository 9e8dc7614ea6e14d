"""The live preview as an author sees it, in a real Chromium."""
from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

from postil.serve.preview import Preview

TIMEOUT_MS = 10_000
DEFAULT_BASE_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "base.html"
LONG_BODY = "\n\n".join(f"Paragraph {number} of a long essay." for number in range(200))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def essay_text(body: str, **meta: str) -> str:
    front = "".join(f"{key}: {value}\n" for key, value in meta.items())
    return f"---\ntitle: First\ndate: 2026-01-01\n{front}---\n{body}\n"


@pytest.fixture
def start_preview(site):
    """start_preview() → a running Preview of the site as it is on disk; closed after the test."""
    started = []

    def start() -> Preview:
        started.append(Preview(site.root, port=free_port(), out=io.StringIO()).start())
        return started[-1]

    yield start
    for preview in started:
        preview.close()


@pytest.fixture
def preview(site, start_preview):
    site.write("content/first.md", essay_text("The first text.\n\n" + LONG_BODY), dedent=False)
    site.essay("second.md", title="Second", date="2026-01-02", body="The second text.")
    site.write("theme/style.css", "body { color: rgb(0, 0, 0); }\n")
    return start_preview()


@pytest.fixture
def context(new_context):
    context = new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context


# Notes when the tab's live connection to the server is open.
NOTE_LIVE_CONNECTION = """
window.EventSource = class extends window.EventSource {
  constructor(...args) { super(...args); this.addEventListener("open", () => { window.__liveOpen = true; }); }
};
"""


def open_page(context, url: str, connected: bool = True):
    """A tab on `url`; with `connected`, once its live connection is open, since a save
    before that reaches the tab as "builds went by unseen", which reloads it by design.
    (Tests with several tabs do not wait: there the tabs behind were not seen to connect at
    once in headless Chromium, and those tests do not depend on it.)"""
    page = context.new_page()
    page.add_init_script(NOTE_LIVE_CONNECTION)
    page.goto(url)
    page.wait_for_function("() => document.querySelector('script[src=\"/__postil/live.js\"]') !== null")
    if connected:
        page.wait_for_function("() => window.__liveOpen === true")
    page.evaluate("document.fonts.ready.then(() => true)")  # no later reflow moves what a test scrolled to
    return page


PARAGRAPH_IN_VIEW = "Array.from(document.querySelectorAll('main p'), (p) => [p, p.getBoundingClientRect()]).find(([p, box]) => box.top > 200 && box.bottom < innerHeight - 200)[0].textContent"


def mark(page) -> None:
    """Set a variable that lives as long as the page does: a reload clears it."""
    page.evaluate("window.__marker = 'still the same page'")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__marker === 'still the same page'")


def count_scrolls(page) -> None:
    """Count the page's scroll events from now on (a smooth scroll fires them frame by frame)."""
    page.evaluate("window.__scrolls = 0; window.addEventListener('scroll', () => window.__scrolls++)")


def scroll_to(page, top: int) -> None:
    """Scroll at once to `top` and wait for the scroll event that fires at the next frame,
    so that scroll events counted afterwards are the update's, not this one's."""
    page.evaluate(f"new Promise(done => {{ addEventListener('scroll', done, {{once: true}}); scrollTo({{top: {top}, behavior: 'instant'}}); }})")
    assert page.evaluate("window.scrollY") == top


def after_frames(page, frames: int = 3) -> None:
    """Wait until the page has drawn `frames` more frames: whatever an update set going
    (a smooth scroll, a layout of new content) has started by then."""
    page.evaluate(f"new Promise(done => {{ let left = {frames}; const next = () => --left ? requestAnimationFrame(next) : done(); requestAnimationFrame(next); }})")


def save_first(site, first_paragraph: str, body: str = LONG_BODY, **meta: str) -> None:
    (site.root / "content/first.md").write_text(essay_text(first_paragraph + "\n\n" + body, **meta), encoding="utf-8")


def test_saved_text_appears_in_place_without_a_reload(preview, site, context):
    page = open_page(context, preview.url + "first/")
    mark(page)
    save_first(site, "The saved text.")
    page.wait_for_function("() => document.body.innerText.includes('The saved text.')")
    save_first(site, "Saved a second time.")
    page.wait_for_function("() => document.body.innerText.includes('Saved a second time.')")
    assert not_reloaded(page)
    # The new page's own live-preview tag is put in place but never run: one stream per tab.
    assert page.evaluate("performance.getEntriesByName(new URL('/__postil/live.js', location.href).href).length") == 1
    assert page.locator('script[src="/__postil/live.js"]').count() == 1


def test_update_keeps_the_scroll_position_exactly_and_replaces_the_head_metadata(preview, site, context):
    page = open_page(context, preview.url + "first/")
    scroll_to(page, 1500)
    mark(page)
    count_scrolls(page)
    paragraphs = LONG_BODY.replace("Paragraph 40 of", "Paragraph 40, edited, of")
    save_first(site, "The first text.", paragraphs, summary="A new summary.")
    page.wait_for_function("() => document.body.innerText.includes('Paragraph 40, edited')")
    assert page.locator('meta[name="description"]').get_attribute("content") == "A new summary."
    assert page.locator('meta[name="description"]').count() == 1
    assert page.evaluate("window.scrollY") == 1500
    after_frames(page)
    assert page.evaluate("[window.scrollY, window.__scrolls]") == [1500, 0]
    assert not_reloaded(page)


def test_edited_paragraph_out_of_view_is_scrolled_into_view(preview, site, context):
    page = open_page(context, preview.url + "first/")
    assert page.evaluate("window.scrollY") == 0
    mark(page)
    paragraphs = [f"Paragraph {number} of a long essay." for number in range(200)]
    paragraphs[150] = "Paragraph 150, just edited."
    save_first(site, "The first text.", "\n\n".join(paragraphs))
    page.wait_for_function("() => document.body.innerText.includes('just edited')")
    edited = page.locator("p", has_text="just edited")
    page.wait_for_function(
        "(element) => { const box = element.getBoundingClientRect(); return box.top >= 0 && box.bottom <= innerHeight; }",
        arg=edited.element_handle(),
    )
    assert not_reloaded(page)


def test_theme_choice_focus_and_toggle_still_work_after_an_update(preview, site, context):
    page = open_page(context, preview.url + "first/")
    toggle = page.locator(".theme-toggle")
    toggle.click()
    toggle.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    toggle.focus()
    mark(page)
    save_first(site, "The saved text.")
    page.wait_for_function("() => document.body.innerText.includes('The saved text.')")
    assert not_reloaded(page)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert toggle.inner_text() == "Theme: dark"
    assert page.evaluate("document.activeElement.matches('.theme-toggle')")
    toggle.click()  # one step on, not two: the old page's handlers are gone
    assert toggle.get_attribute("data-state") == "auto"
    assert page.evaluate("localStorage.getItem('theme')") is None


FOOTNOTED = """\
A claim with a note.[^one] Another claim.[^two]

{body}

[^one]: The first note, {note}.
[^two]: The second note.
"""


def write_reply(site, ident: str, date: str, body: str) -> None:
    site.write(f"content/talk/replies/{ident}.md", f"---\nauthor: Reader {ident}\ndate: {date}\n---\n{body}\n", dedent=False)


def overlapping(first: dict, second: dict) -> bool:
    return first["y"] < second["y"] + second["height"] and second["y"] < first["y"] + first["height"]


def test_sidenotes_side_comments_and_reply_controls_work_after_an_update(site, start_preview, context):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=FOOTNOTED.format(body=LONG_BODY, note="as written"))
    write_reply(site, "older", "2026-03-02T10:00:00Z", "> A claim with a note.\n\nThe older reply, a side comment.")
    write_reply(site, "newer", "2026-03-05T10:00:00Z", "The newer reply.")
    preview = start_preview()
    page = open_page(context, preview.url + "talk/")
    page.wait_for_function("() => document.querySelectorAll('.sidenote').length === 2")
    mark(page)
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=FOOTNOTED.format(body=LONG_BODY, note="rewritten"))
    page.wait_for_function("() => document.querySelector('.sidenote').textContent.includes('rewritten')")
    assert not_reloaded(page)
    assert page.locator(".sidenote").count() == 2
    assert page.locator(".essay-body.has-sidenotes").count() == 1
    # In the margin, as on a freshly loaded page: the side comment beside the paragraph it
    # quotes, the first note just below it rather than over it.
    note, comment = page.locator(".sidenote").first.bounding_box(), page.locator(".side-comments").bounding_box()
    reference = page.locator("a[role=doc-noteref]").first.bounding_box()
    assert note["x"] > reference["x"] + 100 and comment["x"] > reference["x"] + 100
    assert not overlapping(note, comment) and note["y"] - reference["y"] < 150
    page.locator("a[role=doc-noteref]").first.click()
    assert "is-highlighted" in page.locator(".sidenote").first.get_attribute("class")
    assert page.locator(".replies-controls").is_visible()
    # Still the first visit: the update is the same visit, not a later one.
    assert page.locator(".replies-since option").count() == 4 and page.locator(".reply-new").count() == 0
    page.locator(".replies-sort").select_option("new")
    assert page.locator(".reply-list > .reply").first.get_attribute("id") == "reply-newer"


def listener_counts(page) -> dict[str, int]:
    """How many event listeners window and document hold, as DevTools lists them."""
    session = page.context.new_cdp_session(page)
    counts = {}
    for name in ("window", "document"):
        target = session.send("Runtime.evaluate", {"expression": name})["result"]["objectId"]
        counts[name] = len(session.send("DOMDebugger.getEventListeners", {"objectId": target})["listeners"])
    session.detach()
    return counts


def test_updates_leave_no_listeners_behind(site, start_preview, context):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=FOOTNOTED.format(body=LONG_BODY, note="as written"))
    preview = start_preview()
    page = open_page(context, preview.url + "talk/")
    page.wait_for_load_state("load")
    fresh = listener_counts(page)
    mark(page)
    for note in ("rewritten", "rewritten again"):
        site.essay("talk/index.md", title="Talk", date="2026-03-01", body=FOOTNOTED.format(body=LONG_BODY, note=note))
        page.wait_for_function(f"() => document.querySelector('.sidenote').textContent.includes({note + '.'!r})")
    assert not_reloaded(page)
    assert listener_counts(page) == fresh


# Polled every 150 ms: true once the page's smooth scroll towards its :target has come to rest.
SCROLLED_TO_THE_TARGET = """() => {
    const resting = window.lastScrollY === scrollY;
    window.lastScrollY = scrollY;
    return resting && scrollY > 0;
}"""


def test_url_fragment_and_its_target_survive_an_update(site, start_preview, context):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=LONG_BODY)
    write_reply(site, "first", "2026-03-02T10:00:00Z", "The reply linked to.")
    preview = start_preview()
    page = open_page(context, preview.url + "talk/#reply-first")
    page.wait_for_function("() => document.querySelector(':target')?.id === 'reply-first'")
    page.wait_for_function(SCROLLED_TO_THE_TARGET, polling=150)
    # Until the page has loaded, Chromium scrolls its target back into view at every
    # layout, over a script's scroll (once on CI, under load).
    page.wait_for_function("() => document.readyState === 'complete'")
    # The reader scrolls to 600 px, again if anything took the page back to its target first.
    page.wait_for_function("() => scrollY === 600 || void scrollTo({top: 600, behavior: 'instant'})", polling=100)
    entries = page.evaluate("history.length")
    visible = page.evaluate(PARAGRAPH_IN_VIEW)
    mark(page)
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=LONG_BODY.replace(visible, "Edited in view."))
    page.wait_for_function("() => document.body.innerText.includes('Edited in view.')")
    assert not_reloaded(page)
    assert page.evaluate("location.hash") == "#reply-first"
    assert page.evaluate("document.querySelector(':target')?.id") == "reply-first"
    assert page.evaluate("window.scrollY") == 600
    assert page.evaluate("history.length") == entries


TALL_IMAGE = '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="1200"><rect width="600" height="1200" fill="#ccc"/></svg>\n'


def test_images_are_not_loaded_again_so_nothing_above_the_reader_moves(site, start_preview, context):
    site.write("content/pictured/tall.svg", TALL_IMAGE)
    site.essay("pictured/index.md", title="Pictured", date="2026-03-01", body="![A tall picture](tall.svg)\n\n" + LONG_BODY)
    preview = start_preview()
    page = open_page(context, preview.url + "pictured/")
    requested = []
    page.on("request", lambda request: requested.append(request.url) if request.url.endswith("/tall.svg") else None)
    scroll_to(page, 2000)
    top_paragraph = page.evaluate("document.elementFromPoint(700, 10).closest('p')?.textContent")
    visible = page.evaluate(PARAGRAPH_IN_VIEW)
    mark(page)
    count_scrolls(page)
    edited = LONG_BODY.replace(visible, "Edited in view.")
    site.essay("pictured/index.md", title="Pictured", date="2026-03-01", body="![A tall picture](tall.svg)\n\n" + edited)
    page.wait_for_function("() => document.body.innerText.includes('Edited in view.')")
    after_frames(page)
    assert not_reloaded(page)
    assert requested == []
    assert page.evaluate("[window.scrollY, window.__scrolls]") == [2000, 0]
    assert page.evaluate("document.elementFromPoint(700, 10).closest('p')?.textContent") == top_paragraph


def base_template(extra_head: str = "", extra_body: str = "") -> str:
    """The default theme's base.html with lines added, as a site's own template."""
    text = DEFAULT_BASE_TEMPLATE.read_text(encoding="utf-8")
    assert "{% block head %}" in text and "</body>" in text
    return text.replace("{% block head %}", extra_head + "\n{% block head %}").replace("</body>", extra_body + "\n</body>")


def test_a_new_stylesheet_in_the_head_reloads_the_page(preview, site, context):
    page = open_page(context, preview.url + "first/")
    page.evaluate("window.scrollTo({top: 1500, behavior: 'instant'})")
    mark(page)
    site.write("theme/extra.css", "body { background: rgb(0, 0, 200); }\n")
    site.write("templates/base.html", base_template(extra_head="<link rel=\"stylesheet\" href=\"{{ asset('extra.css') }}\">"), dedent=False)
    page.wait_for_function("() => window.__marker === undefined && document.readyState === 'complete'")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 200)"
    page.wait_for_function("() => window.scrollY >= 1000")


@pytest.mark.parametrize(
    "extra_head, extra_body",
    [
        ("<script src=\"{{ asset('custom.js') }}\" defer></script>", ""),  # does not agree to start over
        ("", "<script>window.bodyScriptRuns = (window.bodyScriptRuns || 0) + 1</script>"),  # would have to run again
    ],
    ids=["head-script-that-does-not-agree", "script-in-the-body"],
)
def test_a_page_whose_scripts_cannot_start_over_reloads(site, start_preview, context, extra_head, extra_body):
    site.write("content/first.md", essay_text("The first text."), dedent=False)
    site.write("theme/custom.js", "window.customRuns = (window.customRuns || 0) + 1;\n")
    site.write("templates/base.html", base_template(extra_head, extra_body), dedent=False)
    preview = start_preview()
    page = open_page(context, preview.url + "first/")
    mark(page)
    save_first(site, "The saved text.", "")
    # One wait for all of it: a reloaded page may reload once more (a build it did not see
    # went by while it reconnected), and a separate evaluate would race that.
    page.wait_for_function("""() => document.readyState === 'complete' && document.body.innerText.includes('The saved text.')
        && window.__marker === undefined && (window.customRuns || window.bodyScriptRuns) === 1""")


def test_a_deleted_page_reloads_to_show_it_is_gone(preview, site, context):
    page = open_page(context, preview.url + "second/", connected=False)
    mark(page)
    (site.root / "content/second.md").unlink()
    page.wait_for_function("() => window.__marker === undefined && document.readyState === 'complete'")
    assert page.title().startswith("Page not found")


def test_stylesheet_change_is_swapped_in_without_reload(preview, site, context):
    page = open_page(context, preview.url + "first/")
    mark(page)
    (site.root / "theme/style.css").write_text("body { color: rgb(200, 0, 0); }\n", encoding="utf-8")
    page.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(200, 0, 0)'")
    assert not_reloaded(page)


def test_page_saved_after_a_stylesheet_swap_still_updates_in_place(preview, site, context):
    page = open_page(context, preview.url + "first/")
    mark(page)
    (site.root / "theme/style.css").write_text("body { color: rgb(200, 0, 0); }\n", encoding="utf-8")
    page.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(200, 0, 0)'")
    page.wait_for_function("() => document.querySelectorAll('link[rel=stylesheet][href*=\"style.css\"]').length === 1")
    save_first(site, "The saved text.")
    page.wait_for_function("() => document.body.innerText.includes('The saved text.')")
    assert not_reloaded(page)
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(200, 0, 0)"


def test_only_tabs_whose_page_changed_update(preview, site, context):
    first = open_page(context, preview.url + "first/", connected=False)
    second = open_page(context, preview.url + "second/", connected=False)
    first.evaluate("document.body.dataset.untouched = 'yes'")  # an update would replace the body
    mark(first)
    mark(second)
    site.essay("second.md", title="Second", date="2026-01-02", body="The second text, edited.")
    second.wait_for_function("() => document.body.innerText.includes('edited')")
    site.essay("second.md", title="Second", date="2026-01-02", body="The second text, edited twice.")
    second.wait_for_function("() => document.body.innerText.includes('edited twice')")
    assert not_reloaded(second)
    assert not_reloaded(first) and first.evaluate("document.body.dataset.untouched") == "yes"


def test_many_tabs_all_update_and_pages_still_load(preview, site, context):
    # The short essay: what is tested is the server's many streams, not the size of a page
    # (ten tabs of the long one cost Chromium about twice as much to load and update).
    pages = [open_page(context, preview.url + "second/", connected=False) for _ in range(10)]
    extra = context.new_page()
    response = extra.goto(preview.url)
    assert response.status == 200
    site.essay("second.md", title="Second", date="2026-01-02", body="Seen by every tab.")
    for page in pages:
        page.wait_for_function("() => document.body.innerText.includes('Seen by every tab.')")


def test_error_overlay_appears_and_goes_away_when_fixed(preview, site, context):
    page = open_page(context, preview.url + "second/", connected=False)
    path = site.root / "content/first.md"
    path.write_text("---\ntitle: [unclosed\n---\nBroken.\n", encoding="utf-8")
    overlay = page.locator("#postil-error-overlay")
    overlay.wait_for(state="visible")
    assert "content/first.md:" in overlay.inner_text()
    path.write_text(essay_text("Fixed."), encoding="utf-8")
    overlay.wait_for(state="detached")


def test_after_server_restart_each_tab_reloads_once(preview, site, context):
    pages = [open_page(context, preview.url + "first/", connected=False) for _ in range(2)]
    for page in pages:
        page.evaluate("sessionStorage.setItem('loads', '0'); window.addEventListener('beforeunload', () => sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads')) + 1)))")
    port = preview.server.port
    preview.close()
    restarted = Preview(site.root, port=port, out=io.StringIO()).start()
    try:
        for page in pages:
            page.wait_for_function(f"() => document.querySelector('script[data-server=\"{restarted.server.server_id}\"]') !== null")
            mark(page)
        # A later update arrives in place in each tab: each is settled on the new server's
        # stream (a reload loop would have cleared its mark, or counted a second load).
        save_first(site, "Once the server is back.")
        for page in pages:
            page.wait_for_function("() => document.body.innerText.includes('Once the server is back.')")
            assert not_reloaded(page)
            assert page.evaluate("sessionStorage.getItem('loads')") == "1"
    finally:
        restarted.close()


def test_reply_links_and_the_passage_control_work_after_an_update(site, start_preview, context):
    site.write("pyproject.toml", site.root.joinpath("pyproject.toml").read_text(encoding="utf-8") + 'replies_via = "mailto:ada@example.org"\n')
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=FOOTNOTED.format(body=LONG_BODY, note="as written"))
    write_reply(site, "older", "2026-03-02T10:00:00Z", "A reply.")
    preview = start_preview()
    page = open_page(context, preview.url + "talk/")
    page.wait_for_load_state("load")
    fresh = listener_counts(page)
    mark(page)
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body="A rewritten opening paragraph, long enough to quote.\n\n" + FOOTNOTED.format(body=LONG_BODY, note="as written"))
    page.wait_for_function("() => document.body.innerText.includes('A rewritten opening')")
    assert not_reloaded(page) and listener_counts(page) == fresh
    page.evaluate("""() => {
        const text = document.querySelector('.essay-body > p').firstChild;
        document.getSelection().setBaseAndExtent(text, 0, text, text.length);
    }""")
    link = page.locator(".passage-reply a")
    link.wait_for()
    assert "A%20rewritten%20opening%20paragraph" in link.get_attribute("href")
    assert page.locator(".passage-reply").count() == 1

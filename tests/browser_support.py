"""The one way the real-browser tests start Debian's Chromium, find their tools and serve
the sites they build.

Without /usr/bin/chromium, Playwright or axe-core these tests skip, unless CI is set: CI
installs them all, so there a missing one is a failure, not a skip. axe-core comes with the
test dependencies, inside the axe-playwright-python package, so no npm step is needed.
"""
from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


def missing(what: str, hint: str) -> NoReturn:
    """Skip the test for lack of `what`; under CI, fail it."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; {hint}", pytrace=False)
    pytest.skip(f"{what} is missing; {hint}")


@contextmanager
def launched_chromium() -> Iterator[object]:
    """A headless Chromium (a Playwright Browser), closed on exit."""
    if not CHROMIUM.exists():
        missing(str(CHROMIUM), "install Debian's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python", "install the project's test dependencies")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def axe_source() -> str:
    """axe-core's script, to inject into a page: the copy axe-playwright-python ships."""
    try:
        script = resources.files("axe_playwright_python").joinpath("axe.min.js")
    except ModuleNotFoundError:
        missing("axe-core (from axe-playwright-python)", "install the project's test dependencies: pip install -e '.[test]'")
    return script.read_text(encoding="utf-8")


# What the theme can change on a page: the dark theme sets colours only (custom properties in
# theme/style.css, and a filter on the images that opt in), never what is shown or where it is.
# So the rules that read colours are all that can find something in dark that the same page at
# the same width in light, checked with every rule, did not.
AXE_COLOUR_RULES = ("color-contrast", "link-in-text-block")


def axe_violations(page: Any, source: str, theme: str) -> list[dict]:
    """axe-core's violations on `page` as it is now, `source` being axe's script. In the dark
    theme only AXE_COLOUR_RULES run (about half the cost of every rule): each test that checks
    a page in dark checks the same page at the same width in light too."""
    page.add_script_tag(content=source)
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if theme == "dark":
        options["runOnly"] = {"type": "rule", "values": list(AXE_COLOUR_RULES)}
    return page.evaluate("options => axe.run(document, options)", options)["violations"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without a line on stderr per request."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(folder: Path, handler_class: type[QuietHandler] = QuietHandler) -> Iterator[str]:
    """`folder` served as plain files over real HTTP on a free port of 127.0.0.1, as any
    static host would; yields its base URL. Files are read per request, so the folder may
    be built after the server started (to build with the server's address as base_url).
    A test that needs a request answered otherwise passes its own `handler_class`."""
    handler = functools.partial(handler_class, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


def keep_renderer_alive(context: Any, url: str) -> Any:
    """Open a page of `url`'s site in `context` and leave it open, so that the pages the
    context opens on that site later share its renderer process instead of starting their
    own. The page is an empty document of that origin: the server is never asked, and none
    of the site's scripts run in it."""
    keeper = context.new_page()
    keeper.route("**/*", lambda route: route.fulfill(status=200, content_type="text/html", body=""))
    keeper.goto(url)
    return keeper


class Tabs:
    """New pages for the tests of one served site, opened in one long-lived browser context.

    A new context per test costs about 1.2 s of CPU, mostly a renderer process started for
    it and torn down after; a new page in a context whose renderer for the site is still
    alive costs a fifth of that. So the context is made once, with a blank page of the site
    kept open to keep its renderer alive. Pages without JavaScript are tabs of the same
    context with script execution turned off through the DevTools protocol, the call that
    Playwright's `java_script_enabled=False` makes for every page of a context: a second
    context for them started a second renderer. Opening a tab costs about as much again as
    loading an essay in it, so the tabs are kept too: when a test ends, its tabs lose the
    routes it set and their sessionStorage, are emptied (navigated to about:blank, which ends
    the test's document, its scripts and timers) and wait for the next test, which sets their
    viewport, colour scheme, motion and JavaScript afresh. The site's localStorage and
    cookies are cleared before each test, so a test sees what a first visit in a new context
    would see.

    What outlives a document on a kept tab is the test's to undo: an event handler it adds
    (`page.remove_listener`); a test that needs an init script opens a context of its own.
    """

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self._context: tuple[Any, Any] | None = None
        self._idle: list[Any] = []
        self._pages: list[Any] = []
        self._scripts_off: dict[Any, Any] = {}  # a page without JavaScript → the DevTools session that turned it off

    def _opened_context(self) -> tuple[Any, Any]:
        if self._context is None:
            context = self.browser.new_context(base_url=self.base_url)
            self._context = (context, keep_renderer_alive(context, "/__blank__"))
        return self._context

    def _run_scripts(self, page: Any, javascript: bool) -> None:
        """Turn `page`'s scripts on or off; they stay off while the DevTools session that
        turned them off is attached."""
        session = self._scripts_off.get(page)
        if javascript and session is not None:
            session.send("Emulation.setScriptExecutionDisabled", {"value": False})
            session.detach()
            del self._scripts_off[page]
        elif not javascript and session is None:
            session = self._scripts_off[page] = page.context.new_cdp_session(page)
            session.send("Emulation.setScriptExecutionDisabled", {"value": True})

    def new_page(self, viewport: dict, color_scheme: str = "light", reduced_motion: str = "no-preference",
                 javascript: bool = True, storage: dict | None = None) -> Any:
        """A blank page, as the first page of a new context with these settings would be;
        `storage` is in the site's localStorage before the page loads anything."""
        context, keeper = self._opened_context()
        context.clear_cookies()
        keeper.evaluate("""items => {
            localStorage.clear();
            for (const [key, value] of Object.entries(items)) localStorage.setItem(key, value);
        }""", storage or {})
        page = self._idle.pop() if self._idle else context.new_page()
        self._pages.append(page)
        self._run_scripts(page, javascript)
        page.set_viewport_size(viewport)
        page.emulate_media(media="null", color_scheme=color_scheme, reduced_motion=reduced_motion)
        return page

    def close_pages(self) -> None:
        """Empty the tabs a test opened and keep them for the next (after each test)."""
        for page in self._pages:
            if page.is_closed():
                self._scripts_off.pop(page, None)
                continue
            page.unroute_all(behavior="ignoreErrors")
            if page not in self._scripts_off and page.url.startswith(self.base_url):
                page.evaluate("sessionStorage.clear()")
            page.goto("about:blank")
            self._idle.append(page)
        self._pages.clear()

    def close(self) -> None:
        if self._context is not None:
            self._context[0].close()


@contextmanager
def tabs(browser: Any, base_url: str) -> Iterator[Tabs]:
    """`Tabs` on the site at `base_url`; its context is closed on exit."""
    opened = Tabs(browser, base_url)
    try:
        yield opened
    finally:
        opened.close()


class LocalContexts:
    """Browser contexts for the tests of a module whose pages are on servers of 127.0.0.1
    that each test starts for itself. Every such server is one site (an address's site
    leaves the port out) but its own origin, so its own storage: one context per set of
    options serves all the module's tests, with a blank 127.0.0.1 page kept open in it so
    that each test's tabs share one renderer instead of starting their own."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self._contexts: dict[str, tuple[Any, Any]] = {}

    def get(self, **options: Any) -> Any:
        """The module's context with these `browser.new_context` options."""
        key = repr(sorted(options.items()))
        if key not in self._contexts:
            context = self.browser.new_context(**options)
            self._contexts[key] = (context, keep_renderer_alive(context, "http://127.0.0.1:9/"))
        return self._contexts[key][0]

    def reset(self) -> None:
        """Close every tab a test opened, clearing what it stored (after each test)."""
        for context, keeper in self._contexts.values():
            for page in context.pages:
                if page is not keeper:
                    if page.url.startswith("http://127.0.0.1:"):
                        clear_local_storage(context, page)
                    page.close()
            context.clear_cookies()

    def close(self) -> None:
        for context, _ in self._contexts.values():
            context.close()


def clear_local_storage(context: Any, page: Any) -> None:
    """Empty the localStorage of `page`'s origin through the DevTools protocol rather than a
    script in the page: a page that a test left reloading (a live reload it set off, which
    may come once more after the test's last wait) has no document to run a script in, and
    `page.evaluate` failed with "Execution context was destroyed"."""
    address = urlsplit(page.url)
    session = context.new_cdp_session(page)
    try:
        session.send("DOMStorage.clear", {"storageId": {"securityOrigin": f"{address.scheme}://{address.netloc}", "isLocalStorage": True}})
    finally:
        session.detach()

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
from typing import NoReturn

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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """`folder` served as plain files over real HTTP on a free port of 127.0.0.1, as any
    static host would; yields its base URL. Files are read per request, so the folder may
    be built after the server started (to build with the server's address as base_url)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()

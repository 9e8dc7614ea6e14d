"""Real-browser fixtures: a small site built once, served over HTTP on 127.0.0.1, and
Debian's Chromium driven by Playwright.

Chromium is the one `browser` of tests/conftest.py (one per test process): a skip
without /usr/bin/chromium, a failure under CI.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_support import Tabs, static_server, tabs
from conftest import built_once
from postil.cli import main

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDE = {"width": 1440, "height": 900}
NARROW = {"width": 390, "height": 844}

_PARAGRAPH = (
    "A margin is a place to argue with a book while the book is still open. The reader who "
    "writes there is not taking notes so much as taking part, and the page keeps the record."
)

LONG_ESSAY = f"""\
---
title: "Notes in the Margin"
date: 2026-02-01
summary: "How readers answer a page while they read it."
tags: [margins, reading]
toc: true
---
{_PARAGRAPH} The first note sits here.[^one] A second follows at once.[^two] And a third, close behind.[^three]

{_PARAGRAPH}

## Reading with a pencil

{_PARAGRAPH} See also [the companion essay](/companion/) and [an outside page](https://example.com/elsewhere).

{_PARAGRAPH}[^long]

```python
def annotate(page: str, note: str) -> str:
    \"\"\"Return the page with the note beside it.\"\"\"
    return f"{{page}}  # {{note}}"  # a comment, a string and a number: 42
```

| Reader | Notes | Pages | Books | Years | Pencils | Erasers | Shelves | Rooms | Houses |
|--------|-------|-------|-------|-------|---------|---------|---------|-------|--------|
| M. R.  | 1,204 | 3,310 | 61    | 40    | 212     | 17      | 9       | 4     | 2      |

![A box with an arrow pointing into its margin.](diagram.svg){{.invert-dark}}

## Answering back

{_PARAGRAPH}

{_PARAGRAPH}[^five]

### A smaller point

{_PARAGRAPH}

::: aside
An aside is a callout that belongs to the text around it.
:::

- [x] Read the page
- [ ] Answer it in the margin

## What is left

{_PARAGRAPH}

{_PARAGRAPH}

[^one]: The first note is short.
[^two]: The second note is longer, long enough to wrap over several lines in the margin so that the next note has to move down to make room for it.
[^three]: The third note would overlap the second if nothing pushed it down.
[^long]: A note with two paragraphs.

    Its second paragraph.
[^five]: The last note.
"""

COMPANION = """\
---
title: "The Companion Essay"
date: 2026-01-10
summary: "What a second reader adds to a first reader's notes."
tags: [reading]
---
A short essay that the long one links to.
"""

REPLY = """\
---
author: "Tomas Reed"
url: "https://tomas.example/"
date: 2026-02-03T10:00:00Z
---
> A margin is a place to argue with a book

Or to agree with it in a hurry.[^aside]

[^aside]: Most of my own margin notes are question marks.
"""

REPLY_QUOTING_ANOTHER_PASSAGE = """\
---
author: "Mira Osei"
date: 2026-02-05T08:00:00Z
---
> See also the companion essay and an outside page.

Then what is a footnote?
"""

REPLY_TO_REPLY = """\
---
author: "Ada"
date: 2026-02-04T09:30:00Z
parent: first
---
A question mark is an argument postponed.
"""

DIAGRAM = """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80" viewBox="0 0 200 80">
<rect x="10" y="10" width="120" height="60" fill="none" stroke="#000"/><path d="M190 40H140" stroke="#000"/>
</svg>
"""


def build_fixture_site(root: Path) -> Path:
    """Write the fixture site's files and build it; return the output folder."""
    (root / "content").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.postil]\ntitle = "Fixture Essays"\nbase_url = "https://example.org/"\nauthor = "Ada"\n', encoding="utf-8"
    )
    bundle = root / "content" / "notes-in-the-margin"
    (bundle / "replies").mkdir(parents=True)
    (bundle / "index.md").write_text(LONG_ESSAY, encoding="utf-8")
    (bundle / "replies" / "first.md").write_text(REPLY, encoding="utf-8")
    (bundle / "diagram.svg").write_text(DIAGRAM, encoding="utf-8")
    (bundle / "replies" / "third.md").write_text(REPLY_QUOTING_ANOTHER_PASSAGE, encoding="utf-8")
    (bundle / "replies" / "second.md").write_text(REPLY_TO_REPLY, encoding="utf-8")
    (root / "content" / "companion.md").write_text(COMPANION, encoding="utf-8")
    assert main(["-C", str(root), "build"]) == 0
    return root / "public"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The fixture site, built once per test run (`built_once`): the tests only read it."""
    return built_once(tmp_path_factory, worker_id, "browser-site", build_fixture_site)


@pytest.fixture(scope="session")
def base_url(built_site: Path) -> Iterator[str]:
    """The built site over real HTTP on a free port of 127.0.0.1."""
    with static_server(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def site_tabs(browser, base_url: str) -> Iterator[Tabs]:
    with tabs(browser, base_url) as opened:
        yield opened


@pytest.fixture
def new_tab(site_tabs: Tabs):
    """new_tab(viewport, color_scheme=, reduced_motion=, javascript=, storage=) → a blank Page
    on the fixture site, as a new context would open it (`Tabs.new_page`)."""
    yield site_tabs.new_page
    site_tabs.close_pages()


@pytest.fixture
def open_page(site_tabs: Tabs):
    """open_page(path, viewport=WIDE, color_scheme="light", storage=None) → a loaded Page.

    `storage` is written to localStorage before any script of the page runs.
    """

    def open_page(path: str, viewport: dict = WIDE, color_scheme: str = "light", storage: dict | None = None, wait: str = "load"):
        page = site_tabs.new_page(viewport, color_scheme=color_scheme, storage=storage)
        page.goto(path, wait_until=wait)
        return page

    yield open_page
    site_tabs.close_pages()


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


def assert_in_theme(page, theme: str) -> None:
    """The page shows `theme`: dark text on a light page, or light text on a dark one."""
    background = page.evaluate(f"({LUMINANCE})({PAGE_BACKGROUND})")
    text = page.evaluate(f"({LUMINANCE})(getComputedStyle(document.querySelector('.essay-body p')).color)")
    if theme == "dark":
        assert background < 0.05 and text > 0.5, (background, text)
    else:
        assert background > 0.8 and text < 0.2, (background, text)

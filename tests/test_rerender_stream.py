"""Rendering every page again into an existing output (a new base URL, an edited template).

The pages go beside the output as they are rendered, only those whose bytes changed, and
the build's own process holds none of them: at 5,000 essays, holding them all until the
end cost it 400 MB. The output then equals a clean build's, or, when the build fails,
stays as it was.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from clean_build import clean_build
from postil import pipeline
from postil.pipeline import Builder, BuildOptions, BuildResult
from postil.write import output

REPO = Path(__file__).resolve().parent.parent
ESSAYS = 60


@pytest.fixture
def few_pages(monkeypatch):
    """Batches of any size go beside the output, as a large site's do (see FEW_PAGES)."""
    monkeypatch.setattr(pipeline, "FEW_PAGES", 1)


def _write_site(site, base_url: str = "https://example.org/") -> None:
    _settings(site, base_url)
    for number in range(ESSAYS):
        site.essay(f"e{number:02}.md", title=f"Essay {number}", date=f"2025-{number // 28 + 1:02}-{number % 28 + 1:02}",
                   body=f"Words {number} about hives and ink.", tags="[bees]" if number % 3 else "[ink]")


def _settings(site, base_url: str) -> None:
    """Search on: the index reads the pages back from beside the output."""
    site.write("pyproject.toml", f'[tool.postil]\ntitle = "Test Site"\nbase_url = "{base_url}"\nauthor = "Ada"\n')


def _build(site) -> BuildResult:
    return Builder(site.root, BuildOptions(out_dir=site.out)).build()


def _pages_held(result: BuildResult) -> list[str]:
    """The essays' pages the build's process held in memory to the end."""
    return [name for name in result.files if name.startswith("e") and name.endswith("/index.html")]


def _staging_folders(site) -> list[str]:
    return [path.name for path in site.root.iterdir() if path.name.startswith(".public.tmp-")]


def test_a_new_base_url_goes_beside_the_output_page_by_page_and_equals_a_clean_build(site, few_pages):
    _write_site(site)
    _build(site)
    folder = site.out.stat().st_ino
    _settings(site, "https://other.example/blog/")
    result = _build(site)
    assert result.rendered > ESSAYS
    assert _pages_held(result) == []
    assert site.out.stat().st_ino != folder  # every page changed: a whole new tree swapped in
    assert site.snapshot() == clean_build(site.root)
    assert _staging_folders(site) == []


def test_an_edited_template_goes_beside_the_output_page_by_page_and_equals_a_clean_build(site, few_pages):
    _write_site(site)
    _build(site)
    base = (REPO / "templates/base.html").read_text(encoding="utf-8")
    site.write("templates/base.html", base.replace("<body", "<!-- edited -->\n<body", 1), dedent=False)
    result = _build(site)
    assert _pages_held(result) == []
    assert "<!-- edited -->" in (site.out / "e07/index.html").read_text(encoding="utf-8")
    assert site.snapshot() == clean_build(site.root)


def test_a_small_change_goes_beside_the_output_and_is_renamed_in_place(site, few_pages):
    _write_site(site)
    _build(site)
    folder = site.out.stat().st_ino
    site.essay("e40.md", title="Essay 40", date="2025-02-13", body="Words 40, and more.", tags="[bees]")
    result = _build(site)
    assert _pages_held(result) == []
    assert "e40/index.html" in result.changed
    assert site.out.stat().st_ino == folder
    assert site.snapshot() == clean_build(site.root)
    assert _staging_folders(site) == []


def test_a_re_render_that_fails_late_leaves_the_output_as_it_was(site, few_pages):
    _write_site(site)
    _build(site)
    before = site.snapshot()
    _settings(site, "https://other.example/blog/")
    site.write("templates/tags.html", "{{ no_such_thing.attribute }}\n")  # rendered after the essays' pages
    assert site.build() == 1
    assert site.snapshot() == before
    assert _staging_folders(site) == []


def test_a_change_cut_short_after_its_journal_is_finished_by_the_next_build(site, few_pages, monkeypatch):
    _write_site(site)
    _build(site)
    before = site.snapshot()
    site.essay("e40.md", title="Essay 40", date="2025-02-13", body="Words 40, and more.", tags="[bees]")

    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(output, "carry_out", killed)
        with pytest.raises(KeyboardInterrupt):
            _build(site)
    assert site.snapshot() == before
    (staging,) = _staging_folders(site)
    assert (site.root / staging / "journal").is_file() and (site.root / staging / "e40/index.html").is_file()
    _build(site)
    assert _staging_folders(site) == []
    assert site.snapshot() == clean_build(site.root)

"""Bad input: every problem at once as path:line:col, exit code 1, output untouched."""
from __future__ import annotations

import os

import pytest


def failing_build(site, capsys) -> str:
    """Build once cleanly, break things, and check the failed build touched nothing."""
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "Build failed" in err
    return err


@pytest.fixture
def built(site, capsys):
    site.essay("fine.md", title="Fine")
    assert site.build() == 0
    capsys.readouterr()
    site.before = site.snapshot()
    return site


def test_invalid_yaml_reports_line_and_column(built, capsys):
    built.write("content/bad.md", "---\ntitle: ok\ndate: 2026-01-01\ntags: [a, b\n---\nBody\n", dedent=False)
    err = failing_build(built, capsys)
    # The mistake is the '[' never closed on line 4, not where PyYAML gave up (5:1).
    assert "content/bad.md:4:7: error: invalid YAML: the list that starts here with '[' is never closed" in err
    assert "(did not find expected ',' or ']' at line 5, column 1)" in err
    assert "\n    4 | tags: [a, b\n      |       ^\n" in err
    assert built.snapshot() == built.before


def test_missing_front_matter_says_how_to_start_the_file(built, capsys):
    built.write("content/bare.md", "Just text.\n")
    err = failing_build(built, capsys)
    assert "content/bare.md:1:1: error: no front matter — start the file with a '---' line" in err


def test_missing_title_and_date_are_both_reported(built, capsys):
    built.write("content/empty.md", "---\nsummary: nothing else\n---\nBody\n", dedent=False)
    err = failing_build(built, capsys)
    assert "content/empty.md:2: error: missing 'title'" in err
    assert "content/empty.md:2: error: missing 'date'" in err


@pytest.mark.parametrize("value", ["next tuesday", "2026-13-01", "'2026/01/02'", "[2026]"])
def test_malformed_date_is_an_error_on_its_line(built, capsys, value):
    built.write("content/when.md", f"---\ntitle: When\ndate: {value}\n---\n", dedent=False)
    err = failing_build(built, capsys)
    assert "content/when.md:3: error: 'date' is not a date" in err
    assert "2026-01-31" in err  # the hint shows the format


def test_title_that_is_not_text_is_an_error(built, capsys):
    built.write("content/t.md", "---\ntitle: {a: 1}\ndate: 2026-01-01\n---\n", dedent=False)
    err = failing_build(built, capsys)
    assert "content/t.md:2: error: 'title' must be text" in err


def test_urls_differing_only_in_case_collide(built, capsys):
    built.essay("Notes.md", title="Upper")
    built.essay("notes.md", title="Lower")
    err = failing_build(built, capsys)
    assert "content/notes.md:1: error: URL /notes/ is already used by content/Notes.md" in err


def test_bundle_and_file_with_the_same_url_collide(built, capsys):
    built.essay("garden.md", title="File")
    built.essay("garden/index.md", title="Bundle")
    err = failing_build(built, capsys)
    assert "URL /garden/ is already used by content/garden.md" in err


def test_slug_that_takes_another_essays_url_collides(built, capsys):
    built.essay("b.md", slug="fine")
    err = failing_build(built, capsys)
    assert "content/b.md:4: error: URL /fine/ is already used by content/fine.md" in err


def test_essay_may_not_replace_a_page_of_the_theme(built, capsys):
    built.essay("tags/index.md", title="Tags essay")
    err = failing_build(built, capsys)
    assert "URL /tags/ is already used by the theme" in err


@pytest.mark.parametrize("relative,url,folder", [
    ("replies/foo.md", "/replies/foo/", "/replies/"),
    ("assets/x.md", "/assets/x/", "/assets/"),
    ("pagefind/deep/note/index.md", "/pagefind/deep/note/", "/pagefind/"),
    ("Tags/Mine.md", "/Tags/Mine/", "/tags/"),
])
def test_essay_inside_a_folder_of_the_theme_is_an_error(built, capsys, relative, url, folder):
    built.essay(relative, title="Misplaced")
    err = failing_build(built, capsys)
    assert f"content/{relative}: error: URL {url} is inside {folder}, which the theme writes" in err
    assert (built.out / "index.html").is_file() and built.snapshot() == built.before


def test_alias_inside_a_folder_of_the_theme_is_an_error(built, capsys):
    built.essay("moved.md", title="Moved", aliases="[/replies/old-name/]")
    err = failing_build(built, capsys)
    assert "content/moved.md:4: error: alias /replies/old-name/ is inside /replies/, which the theme writes" in err


def test_invalid_utf8_reports_the_position_of_the_bad_byte(built, capsys):
    (built.root / "content/latin1.md").write_bytes(b"---\ntitle: Caf\xe9\ndate: 2026-01-01\n---\n")
    err = failing_build(built, capsys)
    assert "content/latin1.md:2:11: error: invalid UTF-8 (byte 0xe9) — save the file as UTF-8" in err


def test_unreadable_file_is_an_error(built, capsys):
    path = built.root / "content/secret.md"
    if os.geteuid() == 0:
        # Root reads anything. A link to a file nobody can read (/proc/self/mem) used to stand
        # in; it lies outside the site, so it is now refused before any read.
        path.symlink_to("/proc/self/mem")
        expected = "content/secret.md: error: symlink points outside the site"
    else:
        path.write_text("---\ntitle: x\ndate: 2026-01-01\n---\n")
        path.chmod(0)
        expected = "content/secret.md: error: cannot read file"
    err = failing_build(built, capsys)
    assert expected in err


def test_symlink_loop_between_folders_is_an_error(built, capsys):
    (built.root / "content/sub").mkdir()
    (built.root / "content/sub/back").symlink_to(built.root / "content")
    err = failing_build(built, capsys)
    assert "content/sub/back: error: symbolic link loop" in err


def test_symlink_loop_between_files_is_an_error(built, capsys):
    (built.root / "content/a.md").symlink_to("b.md")
    (built.root / "content/b.md").symlink_to("a.md")
    err = failing_build(built, capsys)
    assert "content/a.md: error: broken or looping symbolic link" in err
    assert "content/b.md: error: broken or looping symbolic link" in err


def test_every_problem_of_a_build_is_reported_together(built, capsys):
    built.write("content/one.md", "---\ntitle: [\n---\n", dedent=False)
    built.write("content/two.md", "---\ntitle: Two\n---\n", dedent=False)
    (built.root / "content/three.md").write_bytes(b"\xff")
    err = failing_build(built, capsys)
    assert "content/one.md:" in err and "content/two.md:" in err and "content/three.md:" in err
    assert "Build failed: 3 errors" in err
    assert built.snapshot() == built.before


def test_problems_are_printed_in_a_stable_order(built, capsys):
    built.write("content/z.md", "no front matter\n")
    built.write("content/a.md", "no front matter either\n")
    err = failing_build(built, capsys)
    assert err.index("content/a.md") < err.index("content/z.md")

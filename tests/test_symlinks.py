"""Symbolic links: nothing from outside the site's folder is ever published.

Every test makes real links in a temporary folder. A link leaving the site (or leading into
a hidden folder of it, or into the output folder) is a build error naming the link; a link
that stays inside the site is followed, as the file or folder it points at.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from postil.commands.check import check_site
from postil.cli import main
from postil.errors import PostilError
from postil.serve.preview import Preview
from postil.serve.watch import Watcher

from conftest import files_in
from test_serve import free_port

SECRET = "secret-from-outside-the-site"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the site, holding what must never be published."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "passwords.txt").write_text(SECRET)
    (folder / "essay.md").write_text(f"---\ntitle: Stolen\ndate: 2026-01-01\n---\n{SECRET}\n")
    (folder / "deeper").mkdir()
    (folder / "deeper" / "key.pem").write_text(SECRET)
    return folder


@pytest.fixture
def built(site, capsys):
    site.essay("fine.md", title="Fine")
    site.essay("b/index.md", title="Bundle")
    assert site.build() == 0
    capsys.readouterr()
    site.before = site.snapshot()
    return site


def failed(site, capsys) -> str:
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert site.snapshot() == site.before, "a failed build changed the output"
    return err


def published_anywhere(site, text: str) -> bool:
    return any(text.encode() in data for data in files_in(site.out).values()) if site.out.is_dir() else False


def test_bundle_file_linked_to_a_file_outside_is_an_error_and_not_copied(built, capsys, outside):
    (built.root / "content/b/pw.txt").symlink_to(outside / "passwords.txt")
    err = failed(built, capsys)
    assert f"content/b/pw.txt: error: symlink points outside the site (to {outside / 'passwords.txt'}) — " in err
    assert not (built.out / "b/pw.txt").exists() and not published_anywhere(built, SECRET)


def test_link_to_etc_passwd_is_refused(built, capsys):
    (built.root / "content/b/pw.txt").symlink_to("/etc/passwd")
    err = failed(built, capsys)
    assert "content/b/pw.txt: error: symlink points outside the site (to /etc/passwd)" in err


def test_folder_linked_from_outside_publishes_nothing_of_it(built, capsys, outside):
    (built.root / "content/outdir").symlink_to(outside)
    (built.root / "content/b/ssl").symlink_to(outside / "deeper")
    err = failed(built, capsys)
    # Both reported by one build; nothing inside them even looked at.
    assert "content/outdir: error: symlink points outside the site" in err
    assert "content/b/ssl: error: symlink points outside the site" in err
    assert "Stolen" not in err and "essay.md" not in err
    assert not published_anywhere(built, SECRET)


def test_relative_link_climbing_out_of_the_site_is_refused(built, capsys, outside):
    (built.root / "content/up.md").symlink_to("../../outside/essay.md")
    err = failed(built, capsys)
    assert "content/up.md: error: symlink points outside the site" in err


def test_outside_link_errors_come_with_the_builds_other_problems(built, capsys, outside):
    (built.root / "content/b/pw.txt").symlink_to(outside / "passwords.txt")
    built.write("content/broken.md", "---\ntitle: [\n---\n", dedent=False)
    err = failed(built, capsys)
    assert "content/b/pw.txt: error: symlink points outside the site" in err
    assert "content/broken.md:" in err
    assert "Build failed: 2 errors" in err


def test_content_folder_itself_linked_from_outside_is_refused(site, capsys, tmp_path):
    elsewhere = tmp_path / "vault"
    elsewhere.mkdir()
    (elsewhere / "note.md").write_text(f"---\ntitle: Note\ndate: 2026-01-01\n---\n{SECRET}\n")
    (site.root / "content").symlink_to(elsewhere)
    assert site.build() == 1
    assert "content: error: symlink points outside the site" in capsys.readouterr().err
    assert not site.out.exists()


def test_link_into_a_hidden_folder_of_the_site_is_refused(built, capsys):
    git = built.root / ".git"
    git.mkdir()
    (git / "config").write_text(f"[http]\n\textraheader = AUTHORIZATION: basic {SECRET}\n")
    (built.root / "content/repo").symlink_to(git)
    (built.root / "content/b/config.txt").symlink_to(git / "config")
    err = failed(built, capsys)
    assert "content/repo: error: symlink points into a hidden folder of the site (.git)" in err
    assert "content/b/config.txt: error: symlink points into a hidden folder of the site (.git/config)" in err


def test_link_into_the_output_folder_is_refused(built, capsys):
    (built.root / "content/old-site").symlink_to(built.out)
    err = failed(built, capsys)
    assert "content/old-site: error: symlink points into the output folder" in err


def test_links_inside_the_site_are_followed_as_the_files_they_point_at(site):
    site.write("README.md", "---\ntitle: About\ndate: 2026-01-01\n---\nAbout this site.\n", dedent=False)
    site.write("shared/figures/chart.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    site.essay("talk/index.md", title="Talk", body="![Chart](figures/chart.svg)")
    (site.root / "content/about.md").symlink_to("../README.md")
    (site.root / "content/talk/figures").symlink_to("../../shared/figures")
    assert site.build("--strict") == 0
    assert "About this site." in site.html("about/index.html").css_first("main").text()
    assert (site.out / "talk/figures/chart.svg").read_bytes() == (site.root / "shared/figures/chart.svg").read_bytes()
    assert not (site.out / "talk/figures").is_symlink() and not (site.out / "talk/figures/chart.svg").is_symlink()


def test_links_that_loop_end_the_walk_with_an_error(built, capsys):
    (built.root / "content/b/again").symlink_to("..")
    (built.root / "content/self").symlink_to(".")
    err = failed(built, capsys)
    assert "content/b/again: error: symbolic link loop" in err
    assert "content/self: error: symbolic link loop" in err


def test_theme_folder_outside_the_site_is_refused(site, capsys, tmp_path):
    theme = tmp_path / "shared-theme"
    (theme / "theme").mkdir(parents=True)
    (theme / "theme" / "extra.css").write_text(SECRET)
    site.essay("fine.md")
    with open(site.root / "pyproject.toml", "a") as config:
        config.write('theme = "../shared-theme"\n')
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "pyproject.toml: error: theme folder '../shared-theme' is outside the site" in err
    assert "Traceback" not in err and not site.out.exists()


def test_theme_and_template_files_linked_from_outside_are_refused(built, capsys, outside):
    (built.root / "theme").mkdir()
    (built.root / "theme/extra.css").symlink_to(outside / "passwords.txt")
    (built.root / "templates").mkdir()
    (built.root / "templates/leak.html").symlink_to(outside / "passwords.txt")
    err = failed(built, capsys)
    assert "theme/extra.css: error: symlink points outside the site" in err
    assert "templates/leak.html: error: symlink points outside the site" in err


def test_check_command_refuses_the_same_links(built, outside, tmp_path):
    (built.root / "content/b/pw.txt").symlink_to(outside / "passwords.txt")
    with pytest.raises(PostilError) as failure:
        check_site(built.root, tmp_path / "checked")
    assert any(problem.path == "content/b/pw.txt" and "symlink points outside the site" in problem.message for problem in failure.value.problems)
    assert main(["-C", str(built.root), "check"]) == 1


def test_watcher_does_not_walk_into_links_leaving_the_site(tmp_path, outside):
    content = tmp_path / "site/content"
    content.mkdir(parents=True)
    (content / "outdir").symlink_to(outside)
    watcher = Watcher([content], []).start()
    try:
        (outside / "deeper" / "changed.txt").write_text("x")  # would be seen if the link were followed
        (content / "note.md").write_text("y")  # a change that is seen; events arrive in order
        batch = watcher.next_batch(timeout=10)
    finally:
        watcher.close()
    assert batch is not None and not batch.rescan
    assert batch.paths == {(content / "note.md").resolve()}


def test_preview_picks_up_an_edit_made_through_a_link_inside_the_site(site):
    site.write("shared/notes.md", "---\ntitle: Shared\ndate: 2026-01-01\n---\nFirst words.\n", dedent=False)
    site.essay("fine.md")
    (site.root / "content/notes").symlink_to("../shared")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    try:
        assert "First words." in preview.server.state.files["notes/notes/index.html"].decode()
        before = preview.builds
        site.write("shared/notes.md", "---\ntitle: Shared\ndate: 2026-01-01\n---\nSecond words.\n", dedent=False)
        assert preview.wait_for_builds(before + 1)
        assert "Second words." in preview.server.state.files["notes/notes/index.html"].decode()
    finally:
        preview.close()


def test_preview_shows_the_outside_link_error(site, outside):
    site.essay("fine.md")
    (site.root / "content/pw.txt").symlink_to(outside / "passwords.txt")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    try:
        assert "content/pw.txt: error: symlink points outside the site" in (preview.server.state.error or "")
        assert not any(SECRET.encode() in data for data in preview.server.state.files.values())
    finally:
        preview.close()


def test_looping_links_in_the_templates_folder_do_not_stall_the_build(built, capsys):
    templates = built.root / "templates"
    templates.mkdir()
    for name in ("again", "and-again", "once-more"):  # followed blindly: 3^40 folders to scan
        (templates / name).symlink_to(".")
    assert built.build() == 0
    assert built.build() == 0


def test_preview_picks_up_an_edit_of_a_file_linked_into_content(site):
    site.write("README.md", "---\ntitle: About\ndate: 2026-01-01\n---\nFirst words.\n", dedent=False)
    site.essay("fine.md")
    (site.root / "content/about.md").symlink_to("../README.md")
    preview = Preview(site.root, port=free_port(), out=io.StringIO()).start()
    try:
        before = preview.builds
        site.write("README.md", "---\ntitle: About\ndate: 2026-01-01\n---\nSecond words.\n", dedent=False)
        assert preview.wait_for_builds(before + 1)
        assert "Second words." in preview.server.state.files["about/index.html"].decode()
    finally:
        preview.close()


def test_link_to_the_site_folder_itself_is_refused(built, capsys):
    (built.root / "content/everything").symlink_to(built.root)
    err = failed(built, capsys)
    assert "content/everything: error: symlink points at a folder holding the output folder" in err

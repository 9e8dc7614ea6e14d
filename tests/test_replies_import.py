"""`postil import staticman`: Staticman comment files become reply files, never overwriting."""
from __future__ import annotations

from replies_helpers import essay_with_replies

from postil.cli import main


def staticman_folder(tmp_path):
    folder = tmp_path / "comments" / "talk"
    folder.mkdir(parents=True)
    (folder / "comment-1.yml").write_text(
        "_id: 8a1b-11\nname: 'Jo: gardener'\nemail: jo@example.com\nurl: https://jo.example/\n"
        "message: \"Lovely.\\n\\nSecond paragraph.\"\ndate: 1710400000\n", encoding="utf-8")
    (folder / "comment-2.yml").write_text(
        "_id: 8a1b-12\n_parent: 8a1b-11\nname: Sam\nmessage: Agreed.\ndate: '2026-03-15T10:00:00Z'\n", encoding="utf-8")
    return folder


def test_import_writes_one_reply_file_per_comment_that_builds_into_a_thread(site, tmp_path, capsys):
    essay_with_replies(site)
    folder = staticman_folder(tmp_path)
    assert main(["-C", str(site.root), "import", "staticman", str(folder.parent)]) == 0
    assert "Imported 2 replies" in capsys.readouterr().out
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-8a1b-11 .p-author").text() == "Jo: gardener"
    assert page.css_first("#reply-8a1b-11 #reply-8a1b-12") is not None
    assert page.css_first("#reply-8a1b-11 time").attributes["datetime"] == "2024-03-14T07:06:40Z"


def test_import_never_copies_email_addresses(site, tmp_path):
    essay_with_replies(site)
    folder = staticman_folder(tmp_path)
    assert main(["-C", str(site.root), "import", "staticman", str(folder), "--to", str(site.root / "content/talk")]) == 0
    assert "jo@example.com" not in (site.root / "content/talk/replies/8a1b-11.md").read_text(encoding="utf-8")


def test_import_keeps_existing_reply_files(site, tmp_path, capsys):
    essay_with_replies(site)
    existing = site.write("content/talk/replies/8a1b-11.md", "---\nauthor: Mine\ndate: 2026-01-01\n---\nKeep me.\n")
    assert main(["-C", str(site.root), "import", "staticman", str(staticman_folder(tmp_path).parent)]) == 0
    assert existing.read_text(encoding="utf-8").endswith("Keep me.\n")
    captured = capsys.readouterr()
    assert "Imported 1 reply; 1 already existed" in captured.out
    assert "content/talk/replies/8a1b-11.md: kept the existing file" in captured.err


def test_import_without_a_matching_bundle_essay_is_an_error_and_writes_nothing(site, tmp_path, capsys):
    site.essay("talk.md", title="Not a bundle")
    assert main(["-C", str(site.root), "import", "staticman", str(staticman_folder(tmp_path).parent)]) == 1
    assert "no bundle essay" in capsys.readouterr().err
    assert not (site.root / "content/talk/replies").exists()


def test_import_of_a_comment_without_a_message_names_the_file(site, tmp_path, capsys):
    essay_with_replies(site)
    folder = tmp_path / "talk"
    folder.mkdir()
    (folder / "bad.yml").write_text("_id: x1\nname: Jo\ndate: 1710400000\n", encoding="utf-8")
    assert main(["-C", str(site.root), "import", "staticman", str(folder)]) == 1
    assert "bad.yml: error: comment lacks message" in capsys.readouterr().err


def test_import_refuses_a_yaml_alias_bomb_quickly(site, tmp_path):
    import subprocess
    import sys

    essay_with_replies(site)
    folder = tmp_path / "comments" / "talk"
    folder.mkdir(parents=True)
    levels = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
    (folder / "bomb.yml").write_text(f"_id: b1\nname: Eve\nmessage: hi\ndate: 1710400000\n{levels}", encoding="utf-8")
    result = subprocess.run(  # in its own process: the old code never finished
        [sys.executable, "-m", "postil", "-C", str(site.root), "import", "staticman", str(folder.parent)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "YAML anchors and aliases are not allowed in a comment file ('&a0')" in result.stderr

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
    assert "Imported 2 new replies" in capsys.readouterr().out
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
    assert "Imported 1 new reply; 0 refreshed, 0 unchanged, 1 left alone" in captured.out
    assert "content/talk/replies/8a1b-11.md: edited by hand since it was imported; left alone" in captured.err


def test_import_without_a_matching_essay_is_an_error_and_writes_nothing(site, tmp_path, capsys):
    site.essay("other.md", title="Another essay")
    assert main(["-C", str(site.root), "import", "staticman", str(staticman_folder(tmp_path).parent)]) == 1
    assert "no essay for these comments" in capsys.readouterr().err
    assert not (site.root / "content/talk").exists()


def test_single_file_essay_becomes_a_bundle_to_hold_the_replies(site, tmp_path, capsys):
    site.essay("talk.md", title="Talk")
    assert main(["-C", str(site.root), "import", "staticman", str(staticman_folder(tmp_path).parent)]) == 0
    assert "content/talk.md became content/talk/index.md" in capsys.readouterr().out
    assert site.build() == 0 and site.html("talk/index.html").css_first("#reply-8a1b-11") is not None


def test_a_comment_without_a_message_is_listed_and_the_rest_imported(site, tmp_path, capsys):
    essay_with_replies(site)
    folder = staticman_folder(tmp_path)
    (folder / "bad.yml").write_text("_id: x1\nname: Jo\ndate: 1710400000\n", encoding="utf-8")
    assert main(["-C", str(site.root), "import", "staticman", str(folder), "--to", str(site.root / "content/talk")]) == 0
    captured = capsys.readouterr()
    assert "bad.yml: warning: comment lacks message; it was left out" in captured.err
    assert "Imported 2 new replies" in captured.out


def test_comments_without_a_name_are_imported_as_anonymous_or_the_name_given(site, tmp_path, capsys):
    essay_with_replies(site)
    folder = staticman_folder(tmp_path)
    (folder / "comment-3.yml").write_text("_id: n3\nname: ''\nmessage: Quiet.\ndate: 1710500000\n", encoding="utf-8")
    (folder / "comment-4.yml").write_text("_id: n4\nmessage: Also quiet.\ndate: 1710600000\n", encoding="utf-8")
    to = str(site.root / "content/talk")
    assert main(["-C", str(site.root), "import", "staticman", str(folder), "--to", to, "--anonymous", "A passer-by"]) == 0
    assert "Imported 4 new replies" in capsys.readouterr().out
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-n3 .p-author").text() == "A passer-by"
    assert page.css_first("#reply-n4 .p-author").text() == "A passer-by"


def test_unusable_urls_are_dropped_at_import(site, tmp_path):
    essay_with_replies(site)
    folder = tmp_path / "talk"
    folder.mkdir()
    (folder / "c.yml").write_text("_id: u1\nname: Jo\nurl: 'javascript:alert(1)'\nmessage: Hi.\ndate: 1710400000\n", encoding="utf-8")
    assert main(["-C", str(site.root), "import", "staticman", str(folder), "--to", str(site.root / "content/talk")]) == 0
    text = (site.root / "content/talk/replies/u1.md").read_text(encoding="utf-8")
    assert "javascript" not in text and "url:" not in text
    assert site.build("--strict") == 0


UUID = "11111111-aaaa-4bbb-8ccc-222222222222"


def test_uuid_ids_become_short_stable_ids_and_reimport_does_not_duplicate(site, tmp_path, capsys):
    essay_with_replies(site)
    folder = tmp_path / "talk"
    folder.mkdir()
    (folder / "a.yml").write_text(f"_id: {UUID}\nname: Jo\nmessage: First.\ndate: 1710400000\n", encoding="utf-8")
    (folder / "b.yml").write_text(f"_id: 33333333-aaaa-4bbb-8ccc-444444444444\n_parent: {UUID}\nname: Sam\nmessage: Second.\ndate: 1710500000\n", encoding="utf-8")
    to = str(site.root / "content/talk")
    assert main(["-C", str(site.root), "import", "staticman", str(folder), "--to", to]) == 0
    replies = site.root / "content/talk/replies"
    assert sorted(p.name for p in replies.glob("*.md")) == ["11111111.md", "33333333.md"]
    assert "parent: '11111111'" in (replies / "33333333.md").read_text(encoding="utf-8")
    before = {p.name: p.read_bytes() for p in replies.iterdir()}
    assert main(["-C", str(site.root), "import", "staticman", str(folder), "--to", to]) == 0
    assert {p.name: p.read_bytes() for p in replies.iterdir()} == before


def test_files_imported_before_keep_their_full_ids(site, tmp_path, capsys):
    essay_with_replies(site)
    folder = tmp_path / "talk"
    folder.mkdir()
    (folder / "a.yml").write_text(f"_id: {UUID}\nname: Jo\nmessage: First.\ndate: 1710400000\n", encoding="utf-8")
    old = site.write(f"content/talk/replies/{UUID}.md", "---\nauthor: Jo\ndate: '2024-03-14T07:06:40Z'\n---\nFirst.\n")
    assert main(["-C", str(site.root), "import", "staticman", str(folder), "--to", str(site.root / "content/talk")]) == 0
    assert sorted(p.name for p in old.parent.glob("*.md")) == [f"{UUID}.md"]
    assert "Imported 0 new replies" in capsys.readouterr().out


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
    assert result.returncode == 0 and "Traceback" not in result.stderr  # the bad file is listed, the rest imported
    assert "YAML anchors and aliases are not allowed in a comment file ('&a0')" in result.stderr

"""`postil replies` lists the draft replies; `postil replies publish` publishes them."""
from __future__ import annotations

import datetime as dt

from postil.cli import main
from postil.commands.moderation import published_bytes

from replies_helpers import essay_with_replies

NOW = dt.datetime(2026, 12, 3, 17, 5, 9, 123, tzinfo=dt.timezone.utc)


def test_publishing_removes_the_draft_line_and_touches_nothing_else():
    raw = b"---\r\nauthor: 'Ann'   # kept as typed\r\ndate: 2026-03-02T10:00:00+01:00\r\ndraft: true\r\nparent: r01\r\n---\r\n> q\r\n\r\ndraft: true stays in the body\r\n"
    assert published_bytes(raw, NOW) == raw.replace(b"draft: true\r\nparent", b"parent")


def test_publishing_fills_a_missing_or_empty_date_with_the_time_of_publishing():
    assert published_bytes(b"---\nauthor: Ann\ndraft: true\n---\nHi\n", NOW.replace(microsecond=0)) == b"---\nauthor: Ann\ndate: 2026-12-03T17:05:09Z\n---\nHi\n"
    assert published_bytes(b"\xef\xbb\xbf---\ndraft: true\ndate:   # to fill\nauthor: Ann\n---\n", NOW.replace(microsecond=0)) == b"\xef\xbb\xbf---\ndate: 2026-12-03T17:05:09Z\nauthor: Ann\n---\n"


def draft(site, ident, text, bundle="talk"):
    return site.write(f"content/{bundle}/replies/{ident}.md", text, dedent=False)


def test_replies_lists_the_drafts_and_publish_puts_them_on_the_site(site, capsys, monkeypatch):
    monkeypatch.chdir(site.root)  # paths are shown as typed from where postil runs
    essay_with_replies(site)
    essay_with_replies(site, "other")
    draft(site, "r01", "---\nauthor: Ann\ndate: 2026-03-02T10:00:00Z\n---\nPublished already.\n")
    draft(site, "d1", "---\nauthor: Ben\ndraft: true\nparent: r01\n---\n> The margin is where a reader answers the page\n\nBen's draft, with no date yet.\n")
    draft(site, "d2", "---\nauthor: Cy\ndate: 2026-03-04T08:00:00Z\ndraft: true\n---\nCy's draft.\n", bundle="other")
    assert main(["-C", str(site.root), "replies"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "content/other/replies/d2.md", "  d2 · Cy · 2026-03-04 08:00 UTC · on Talk (/other/)", "  Cy’s draft.",
        "content/talk/replies/d1.md", "  d1 · Ben · no date yet · on Talk (/talk/)", "  Ben’s draft, with no date yet.",
        "2 draft replies: preview them with 'postil serve', publish with 'postil replies publish ID...' (or --all)",
    ]
    before = (site.root / "content/talk/replies/d1.md").read_bytes()
    assert main(["-C", str(site.root), "replies", "publish", "d1", "nope", "content/talk/replies/r01.md"]) == 1
    err = capsys.readouterr().err
    assert "nope: error: no draft reply with the id 'nope'" in err and "content/talk/replies/r01.md: error: no draft reply here" in err
    assert (site.root / "content/talk/replies/d1.md").read_bytes() == before  # nothing written when a name is wrong
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    assert main(["-C", str(site.root / "content/talk"), "replies", "publish", "replies/d1.md"]) == 0
    assert "Published content/talk/replies/d1.md (Ben on Talk)" in capsys.readouterr().out
    text = (site.root / "content/talk/replies/d1.md").read_text(encoding="utf-8")
    assert "draft" not in text.split("---")[1]
    date_line = text.splitlines()[2]
    assert date_line.startswith("date: ") and start <= dt.datetime.fromisoformat(date_line[6:].replace("Z", "+00:00")) <= dt.datetime.now(dt.timezone.utc)
    assert text == before.decode().replace("draft: true\n", "").replace("author: Ben\n", f"author: Ben\n{date_line}\n")
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert "Ben’s draft, with no date yet." in page.css_first("#reply-d1").text()
    assert site.html("other/index.html").css_first("#reply-d2") is None
    assert main(["-C", str(site.root), "replies", "publish", "--all"]) == 0
    assert "Published 1 reply" in capsys.readouterr().out
    assert site.build() == 0 and site.html("other/index.html").css_first("#reply-d2") is not None
    capsys.readouterr()
    assert main(["-C", str(site.root), "replies"]) == 0
    assert capsys.readouterr().out == "No draft replies.\n"


def test_a_draft_that_would_not_parse_once_published_is_not_published(site, capsys):
    essay_with_replies(site)
    path = draft(site, "d1", "---\nauthor: \ndraft: true\n---\nNo name.\n")
    assert main(["-C", str(site.root), "replies", "publish", "d1"]) == 1
    assert "content/talk/replies/d1.md:2: error: missing or empty 'author'" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "---\nauthor: \ndraft: true\n---\nNo name.\n"


def test_an_id_two_essays_share_must_be_named_by_its_path(site, capsys):
    essay_with_replies(site)
    essay_with_replies(site, "other")
    draft(site, "d1", "---\nauthor: Ann\ndate: 2026-03-02T10:00:00Z\ndraft: true\n---\nA.\n")
    draft(site, "d1", "---\nauthor: Ben\ndate: 2026-03-02T10:00:00Z\ndraft: true\n---\nB.\n", bundle="other")
    assert main(["-C", str(site.root), "replies", "publish", "d1"]) == 1
    assert "2 draft replies have the id 'd1': content/other/replies/d1.md, content/talk/replies/d1.md" in capsys.readouterr().err
    assert main(["-C", str(site.root), "replies", "publish", "content/other/replies/d1.md"]) == 0
    assert "draft" not in (site.root / "content/other/replies/d1.md").read_text(encoding="utf-8")
    assert "draft: true" in (site.root / "content/talk/replies/d1.md").read_text(encoding="utf-8")


def test_publish_needs_names_or_all(site, capsys):
    essay_with_replies(site)
    assert main(["-C", str(site.root), "replies", "publish"]) == 2
    assert main(["-C", str(site.root), "replies", "publish", "--all", "d1"]) == 2

"""`postil import webmentions`: a webmention.io JF2 feed as replies, and likes and reposts on the essay."""
from __future__ import annotations

import json

from postil.cli import main


def entry(wm_id, kind, target, *, name="Ann", url="https://ann.example/", text=None, html=None, private=False, source=None):
    item = {
        "type": "entry", "author": {"type": "card", "name": name, "url": url, "photo": "https://webmention.io/avatar/ann.jpg"},
        "url": source or f"https://elsewhere.example/{wm_id}", "published": f"2026-03-0{wm_id % 9 + 1}T10:00:00+00:00",
        "wm-received": "2026-03-10T10:00:00Z", "wm-id": wm_id, "wm-source": source or f"https://elsewhere.example/{wm_id}",
        "wm-target": target, "wm-property": kind, "wm-private": private,
    }
    if text is not None or html is not None:
        item["content"] = {"text": text or "", **({"html": html} if html else {})}
    return item


def feed(tmp_path, entries):
    path = tmp_path / "mentions.jf2"
    path.write_text(json.dumps({"type": "feed", "name": "Webmentions", "children": entries}), encoding="utf-8")
    return path


def entries():
    return [
        entry(1, "in-reply-to", "https://example.org/talk/", text="A reply from my own blog.", name="Ann"),
        entry(2, "mention-of", "https://example.org/old-talk/", html="<p>I wrote about <a href='https://example.org/talk/'>this</a>.</p>", name="Ben"),
        entry(3, "like-of", "https://example.org/talk/", name="Cat", url="https://cat.example/"),
        entry(4, "like-of", "https://example.org/talk/", name="Dan", url="javascript:alert(1)"),
        entry(5, "repost-of", "http://www.example.org/talk/index.html", name="Eve"),
        entry(6, "in-reply-to", "https://example.org/talk/", text="Private words.", private=True),
        entry(7, "in-reply-to", "https://example.org/no-such-essay/", text="Lost."),
        entry(8, "bookmark-of", "https://example.org/talk/", name="Fay"),
    ]


def test_replies_mentions_and_reactions_land_on_the_essay(site, tmp_path, capsys):
    site.essay("talk.md", title="Talk", date="2026-02-01", aliases="['/old-talk/']", body="Some text.\n")
    assert main(["-C", str(site.root), "import", "webmentions", str(feed(tmp_path, entries()))]) == 0
    captured = capsys.readouterr()
    assert "content/talk.md became content/talk/index.md" in captured.out
    assert "Imported 2 new replies" in captured.out
    assert "https://example.org/no-such-essay/: no essay of this site" in captured.err
    assert "1 private webmention was left out: they are never published" in captured.err
    assert "Added 4 new likes, reposts or bookmarks" in captured.out
    replies = site.root / "content/talk/replies"
    assert sorted(path.name for path in replies.glob("*.md")) == ["wm-1.md", "wm-2.md"]
    written = "".join(path.read_text(encoding="utf-8") for path in replies.glob("*"))
    assert "Private words" not in written and "avatar" not in written and "javascript:" not in written
    assert site.build("--strict") == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-wm-1 .reply-origin").attributes["href"] == "https://elsewhere.example/1"
    assert page.css_first("#reply-wm-1 .reply-origin").text() == "on elsewhere.example"
    assert page.css_first(".reactions summary").text() == "2 likes · 1 repost · 1 bookmark"
    people = [(" ".join(li.text().split()), li.css_first("a").attributes["href"] if li.css_first("a") else None) for li in page.css(".reactions li")]
    assert people == [("Cat liked", "https://cat.example/"), ("Dan liked", None), ("Eve reposted", "https://ann.example/"), ("Fay bookmarked", "https://ann.example/")]
    assert page.css("img") == []


def test_importing_the_feed_again_is_idempotent_by_wm_id(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-02-01", body="Some text.\n")
    path = feed(tmp_path, entries())
    assert main(["-C", str(site.root), "import", "webmentions", str(path)]) == 0
    folder = site.root / "content/talk/replies"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    capsys.readouterr()
    assert main(["-C", str(site.root), "import", "webmentions", str(path)]) == 0
    assert "Imported 0 new replies" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    reactions = json.loads((folder / "reactions.json").read_text(encoding="utf-8"))["reactions"]
    assert len(reactions) == 4 and all("photo" not in item for item in reactions)


def test_a_new_like_reaches_the_page_of_a_site_built_before(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-02-01", body="Some text.\n")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first(".reactions") is None
    assert main(["-C", str(site.root), "import", "webmentions", str(feed(tmp_path, entries()[2:3]))]) == 0
    assert site.build() == 0
    assert site.html("talk/index.html").css_first(".reactions summary").text() == "1 like"


def test_the_preview_shows_new_reactions_and_passes_the_import_record_by(site, tmp_path):
    from selectolax.lexbor import LexborHTMLParser

    from postil.pipeline import Builder, BuildOptions

    site.essay("talk/index.md", title="Talk", date="2026-02-01", body="Some text.\n")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    assert main(["-C", str(site.root), "import", "webmentions", str(feed(tmp_path, entries()[:1] + entries()[2:4]))]) == 0
    replies = "content/talk/replies"
    result = builder.build(changed={f"{replies}/wm-1.md", f"{replies}/reactions.json", f"{replies}/.imported.json"})
    page = LexborHTMLParser(result.files["talk/index.html"].decode())
    assert page.css_first(".reactions summary").text() == "2 likes" and page.css_first("#reply-wm-1") is not None
    assert main(["-C", str(site.root), "import", "webmentions", str(feed(tmp_path, entries()))]) == 0
    result = builder.build(changed={f"{replies}/reactions.json", f"{replies}/wm-2.md", f"{replies}/.imported.json"})
    page = LexborHTMLParser(result.files["talk/index.html"].decode())
    assert page.css_first(".reactions summary").text() == "2 likes · 1 repost · 1 bookmark"
    assert not any("imported" in name or "reactions.json" in name for name in result.files)


def test_a_webmention_to_a_reply_answers_that_reply(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-02-01", body="Some text.\n")
    site.write("content/talk/replies/r1.md", "---\nauthor: Jo\ndate: 2026-02-02T10:00:00Z\n---\nA first reply.\n")
    answer = entry(21, "in-reply-to", "https://example.org/talk/#reply-r1", text="Answering Jo from my blog.")
    assert main(["-C", str(site.root), "import", "webmentions", str(feed(tmp_path, [answer]))]) == 0
    assert site.build("--strict") == 0
    assert site.html("talk/index.html").css_first("#reply-r1 #reply-wm-21") is not None


def test_an_essay_with_hidden_replies_shows_no_reactions_either(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-02-01", replies="hidden", body="Some text.\n")
    assert main(["-C", str(site.root), "import", "webmentions", str(feed(tmp_path, entries()[2:4]))]) == 0
    assert site.build() == 0
    assert site.html("talk/index.html").css_first(".reactions") is None

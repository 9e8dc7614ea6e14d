"""`postil import lesswrong --takes`: a ForumMagnum quick-takes post, each of its author's
top-level comments a take and the comments under it that take's thread, fetched from a
local server answering like the forum's GraphQL API, or read from a saved export."""
from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from forum_fixtures import comment

from postil.cli import main
from postil.commands.importers.lesswrong_takes import escape_raw_html

SHORTFORM = "https://www.lesswrong.com/posts/QkTk1234567/ada-s-shortform"
POST_ID = "QkTk1234567"


def quick_takes() -> list[dict]:
    """Four takes by Ada (one HTML-only and hostile, one with a footnote), one top-level comment
    by someone else, one deleted take, and threads under them up to four deep."""
    items = [
        comment("t1aaaaaaaaaaaaaaa", markdown="Margins are where a book learns what its reader thought.", user="Ada", day=1, score=20),
        comment("t2aaaaaaaaaaaaaaa", markdown="A note with a footnote.[^a]\n\n[^a]: The footnote of the take.", user="Ada", day=2, score=9),
        comment("t3aaaaaaaaaaaaaaa", html='<p>Reading slowly <script>alert(1)</script>is a <b onclick="x()">choice</b>.</p>', user="Ada", day=3),
        comment("t4aaaaaaaaaaaaaaa", markdown="Inline <img src=x onerror=alert(1)> and a block:\n\n<div>raw</div>\n\n`<kbd>` in code stays.", user="Ada", day=4),
        comment("x1aaaaaaaaaaaaaaa", markdown="Not Ada's.", user="Bo", day=5),
        comment("t5aaaaaaaaaaaaaaa", markdown="Deleted take.", user="Ada", day=6, deleted=True),
    ]
    parent = "t1aaaaaaaaaaaaaaa"
    for depth in range(4):
        ident = f"r{depth}aaaaaaaaaaaaaaa"
        items.append(comment(ident, parent, markdown=f"> Margins are where a book learns\n\nDepth {depth}." if depth == 0 else f"Depth {depth}.",
                             user=f"Reader {depth}", day=10 + depth, score=depth))
        parent = ident
    items.append(comment("s1aaaaaaaaaaaaaaa", "t2aaaaaaaaaaaaaaa", markdown="A reply with its own note.[^n]\n\n[^n]: Its note.", user="Cy", day=12))
    return items


class _Forum(BaseHTTPRequestHandler):
    """Answers the `comments` and `post` queries as ForumMagnum does."""

    comments: list[dict] = []
    shortform: bool | None = True

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        variables = body.get("variables", {})
        if variables.get("postId") != POST_ID:
            answer = {"errors": [{"message": "Unknown post"}], "data": None}
        elif "post(input: {selector: {_id: $postId}})" in body["query"]:
            result = {"_id": POST_ID, "user": {"displayName": "Ada", "slug": "ada"}}
            if self.shortform is not None:
                result["shortform"] = self.shortform
            answer = {"data": {"post": {"result": result}}}
        else:
            ranked = sorted(self.comments, key=lambda c: (-c["baseScore"], c["postedAt"]))
            offset, limit = variables["offset"], variables["limit"]
            answer = {"data": {"comments": {"results": copy.deepcopy(ranked[offset : offset + limit])}}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def forum():
    _Forum.comments, _Forum.shortform = quick_takes(), True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forum)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    server.shutdown()
    server.server_close()
    worker.join()


def run(site, source, *extra):
    return main(["-C", str(site.root), "import", "lesswrong", "--takes", str(source), *extra])


def takes(site) -> list[str]:
    return sorted(path.name for path in (site.root / "content/takes").iterdir())


def test_each_top_level_comment_of_the_author_becomes_a_take_with_its_thread(site, forum, capsys):
    assert run(site, SHORTFORM, "--endpoint", forum) == 0
    out, err = capsys.readouterr()
    assert takes(site) == ["2026-02-01-t1aaaaaaaaaaaaaaa", "2026-02-02-t2aaaaaaaaaaaaaaa", "2026-02-03-t3aaaaaaaaaaaaaaa", "2026-02-04-t4aaaaaaaaaaaaaaa"]
    assert "Added 4 new quick takes" in out and "Imported 5 new replies" in out
    assert "x1aaaaaaaaaaaaaaa is by bo, not the post's author" in err
    assert site.build("--strict") == 0
    stream = site.html("takes/index.html")
    assert len(stream.css("article.take")) == 4
    page = site.html("takes/2026-02-01-t1aaaaaaaaaaaaaaa/index.html")
    assert page.css_first("#reply-r3aaaaaaaaaaaaaaa").attributes["data-depth"] == "3"
    assert page.css_first("#reply-r0aaaaaaaaaaaaaaa").attributes["data-depth"] == "0"
    assert page.css_first(".passage-with-comments .side-comment-author").text() == "Reader 0"  # its quote found in the take
    noted = site.html("takes/2026-02-02-t2aaaaaaaaaaaaaaa/index.html")
    assert noted.css_first(".take-body .footnotes li").text(strip=True).startswith("The footnote of the take.")
    assert noted.css_first("#reply-s1aaaaaaaaaaaaaaa .footnotes li") is not None


def test_raw_html_in_an_imported_take_is_shown_as_text_never_run(site, forum):
    assert run(site, SHORTFORM, "--endpoint", forum) == 0
    assert site.build() == 0
    for name in ("2026-02-03-t3aaaaaaaaaaaaaaa", "2026-02-04-t4aaaaaaaaaaaaaaa"):
        page = site.html(f"takes/{name}/index.html")
        assert page.css(":is(.take-body script, .take-body img, .take-body div:not(.passage-with-comments), .take-body b, [onerror], [onclick])") == [], name
    shown = site.html("takes/2026-02-04-t4aaaaaaaaaaaaaaa/index.html").css_first(".take-body").text()
    assert "<img src=x onerror=alert(1)>" in shown and "<div>raw</div>" in shown and "<kbd>" in shown


def test_importing_again_is_a_sync(site, forum, capsys):
    assert run(site, SHORTFORM, "--endpoint", forum) == 0
    take = site.root / "content/takes/2026-02-01-t1aaaaaaaaaaaaaaa/index.md"
    before = {path: path.read_bytes() for path in (site.root / "content").rglob("*") if path.is_file()}
    capsys.readouterr()
    assert run(site, SHORTFORM, "--endpoint", forum) == 0
    assert {path: path.read_bytes() for path in (site.root / "content").rglob("*") if path.is_file()} == before
    assert "Imported 0 new replies; 0 refreshed" in capsys.readouterr().out
    # Upstream edits refresh what is as imported; a take edited by hand is left alone.
    _Forum.comments[1]["contents"]["markdown"] = "A note, edited on the forum.[^a]\n\n[^a]: The footnote of the take."
    _Forum.comments[6]["baseScore"] = 50
    take.write_text(take.read_text(encoding="utf-8") + "\nMy own addition.\n", encoding="utf-8")
    assert run(site, SHORTFORM, "--endpoint", forum) == 0
    out, err = capsys.readouterr()
    assert "My own addition." in take.read_text(encoding="utf-8") and "2026-02-01-t1aaaaaaaaaaaaaaa/index.md: edited by hand" in err
    assert "edited on the forum" in (site.root / "content/takes/2026-02-02-t2aaaaaaaaaaaaaaa/index.md").read_text(encoding="utf-8")
    assert "score: 50" in (site.root / "content/takes/2026-02-01-t1aaaaaaaaaaaaaaa/replies/r0aaaaaaaaaaaaaaa.md").read_text(encoding="utf-8")
    assert "2 refreshed" in out
    # A take gone from the forum keeps its file, and the import says so.
    del _Forum.comments[2]
    assert run(site, SHORTFORM, "--endpoint", forum) == 0
    assert "2026-02-03-t3aaaaaaaaaaaaaaa/index.md: deleted where it was first published" in capsys.readouterr().err
    assert (site.root / "content/takes/2026-02-03-t3aaaaaaaaaaaaaaa/index.md").exists()


def test_a_post_that_is_not_shortform_is_refused(site, forum, capsys):
    _Forum.shortform = False
    assert run(site, SHORTFORM, "--endpoint", forum) == 1
    assert "not a quick-takes (shortform) post" in capsys.readouterr().err
    assert not (site.root / "content/takes").exists()


def test_without_the_flag_or_the_author_every_top_level_comment_is_a_take(site, tmp_path):
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"data": {"comments": {"results": quick_takes()}}}), encoding="utf-8")
    assert run(site, export) == 0
    assert len(takes(site)) == 5  # Bo's too: nothing says whose post it is
    assert site.build() == 0


def test_takes_and_to_go_one_at_a_time(site, capsys):
    assert main(["-C", str(site.root), "import", "lesswrong", SHORTFORM]) == 2
    assert "--to ESSAY" in capsys.readouterr().err


@pytest.mark.parametrize("markdown,escaped", [
    ("a <b>bold</b> word", "a &lt;b>bold&lt;/b> word"),
    ("<script>\nalert(1)\n</script>\n", "&lt;script>\nalert(1)\n&lt;/script>\n"),
    ("code `<b>` stays", "code `<b>` stays"),
    ("    <b>indented code</b>", "    <b>indented code</b>"),
    ("<https://example.org/>", "<https://example.org/>"),
])
def test_escape_raw_html(markdown, escaped):
    assert escape_raw_html(markdown) == escaped

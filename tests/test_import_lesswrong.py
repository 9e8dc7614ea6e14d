"""`postil import lesswrong`: a ForumMagnum thread, from a saved export or the site's GraphQL API."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from forum_fixtures import (
    BARE_CARET_MARKDOWN, CKEDITOR_FOOTNOTE_HTML, ESSAY_FIRST, ESSAY_SECOND, MARKDOWN_IT_FOOTNOTE_HTML, NATIVE_FOOTNOTE_MARKDOWN, POST,
    TURNDOWN_CKEDITOR_MARKDOWN, TURNDOWN_MARKDOWN_IT_MARKDOWN, comment, response, thread,
)

from postil.cli import main
from postil.commands.importers.fields import no_emails
from postil.commands.importers.footnotes import normalise_footnotes
from postil.commands.importers.html import html_to_markdown


def essay(site, single_file=False):
    body = f"{ESSAY_FIRST}\n\n{ESSAY_SECOND}\n"
    site.essay("talk.md" if single_file else "talk/index.md", title="Talk", date="2026-01-20", body=body)


def export(tmp_path, comments, name="export.json", whole=True):
    path = tmp_path / name
    path.write_text(json.dumps(response(comments) if whole else comments), encoding="utf-8")
    return path


def run_import(site, source, *extra):
    return main(["-C", str(site.root), "import", "lesswrong", str(source), "--to", str(site.root / "content/talk"), *extra])


def replies_dir(site):
    return site.root / "content/talk/replies"


def tree(site):
    return {path.name: path.read_bytes() for path in sorted(replies_dir(site).iterdir())}


def test_a_34_comment_thread_becomes_reply_files_that_build_and_check_cleanly(site, tmp_path, capsys):
    essay(site)
    assert run_import(site, export(tmp_path, thread())) == 0
    out = capsys.readouterr().out
    assert "Imported 33 new replies" in out  # 34 less the deleted comment without replies
    assert site.build("--strict") == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-c01aaaaaaaaaaaaaa .p-author").text() == "Ann Author"
    assert page.css_first("#reply-c01aaaaaaaaaaaaaa .reply-score").text() == "12 points"
    assert page.css_first("#reply-c01aaaaaaaaaaaaaa .reply-agreement").text() == "4 agree"
    # Eight deep under the first comment, the thread keeps its shape.
    chain = page.css_first("#reply-c01aaaaaaaaaaaaaa #reply-d00aaaaaaaaaaaaaa #reply-d01aaaaaaaaaaaaaa #reply-d07aaaaaaaaaaaaaa")
    assert chain is not None
    origin = page.css_first("#reply-c01aaaaaaaaaaaaaa .reply-origin")
    assert origin.text() == "on LessWrong" and origin.attributes["href"] == f"{POST}?commentId=c01aaaaaaaaaaaaaa"
    assert page.css_first("#reply-c01aaaaaaaaaaaaaa .reply-website").attributes["href"] == "https://www.lesswrong.com/users/ann-author"
    assert main(["-C", str(site.root), "check"]) == 0


def test_deleted_comments_keep_the_shape_of_threads_they_still_hold(site, tmp_path):
    essay(site)
    assert run_import(site, export(tmp_path, thread())) == 0
    assert site.build() == 0
    page = site.html("talk/index.html")
    placeholder = page.css_first("#reply-c11aaaaaaaaaaaaaa")
    assert placeholder.css_first(".p-author").text() == "[deleted]"
    assert placeholder.css_first(".reply-body").text(strip=True) == ""
    assert placeholder.css_first("#reply-c12aaaaaaaaaaaaaa") is not None
    assert page.css_first("#reply-c13aaaaaaaaaaaaaa") is None
    assert not (replies_dir(site) / "c13aaaaaaaaaaaaaa.md").exists()
    assert page.css_first("#reply-c14aaaaaaaaaaaaaa .p-author").text() == "[deleted account]"


def test_retracted_comment_is_struck_through(site, tmp_path):
    essay(site)
    assert run_import(site, export(tmp_path, thread())) == 0
    assert site.build() == 0
    struck = site.html("talk/index.html").css_first("#reply-c10aaaaaaaaaaaaaa .reply-body del.reply-retracted")
    assert struck is not None and "I take it back." in struck.text()


def test_hostile_html_comment_is_cleaned_and_no_email_address_is_written(site, tmp_path):
    essay(site)
    assert run_import(site, export(tmp_path, thread())) == 0
    written = (replies_dir(site) / "c09aaaaaaaaaaaaaa.md").read_text(encoding="utf-8")
    for bad in ("<script", "javascript:", "onerror", "iframe", "display:none", "someone@example.com", "document.cookie"):
        assert bad not in written
    assert all("@" not in path.read_text(encoding="utf-8") for path in replies_dir(site).glob("*.md"))
    assert site.build() == 0
    body = site.html("talk/index.html").css_first("#reply-c09aaaaaaaaaaaaaa .reply-body")
    assert body.css("script, iframe, img, style") == []
    assert "click me" in body.text() and "Shouting" in body.css_first("strong").text()
    assert body.css_first("a[href='https://evil.example/pixel.gif']").text() == "pixel"  # a link, never an embedded image


@pytest.mark.parametrize("ident, text", [
    ("c03aaaaaaaaaaaaaa", "Glossed manuscripts are older still."),  # CKEditor's HTML footnote section
    ("c04aaaaaaaaaaaaaa", "Wide outer margins cost paper."),  # markdown-it-footnote's HTML section
    ("c05aaaaaaaaaaaaaa", "Its entry was rewritten in 1931."),  # CKEditor's, through Turndown: ^**[^](#fnref…)**^
    ("c06aaaaaaaaaaaaaa", "The first, copied from the page."),  # bare ^ back-markers
    ("c07aaaaaaaaaaaaaa", "The flyleaf is blank."),  # markdown-it-footnote's, through Turndown: ↩︎ links
    ("c08aaaaaaaaaaaaaa", "Written in the Markdown editor."),  # Markdown [^n]
])
def test_every_footnote_form_becomes_a_postil_footnote(site, tmp_path, ident, text):
    essay(site)
    assert run_import(site, export(tmp_path, thread())) == 0
    assert site.build("--strict") == 0
    body = site.html("talk/index.html").css_first(f"#reply-{ident} .reply-body")
    reference = body.css_first("sup a[href^='#fn-']")
    assert reference is not None
    note = body.css_first(f"li[id='{reference.attributes['href'][1:]}']")
    assert text in note.text()
    assert "^" not in body.text().replace(note.text(), "") and "↩︎ " not in body.text()


def test_footnote_normalisation_of_each_form_gives_the_same_markdown():
    assert normalise_footnotes(TURNDOWN_CKEDITOR_MARKDOWN) == "The catalogue disagrees.[^1]\n\n[^1]: Its entry was rewritten in 1931."
    assert normalise_footnotes(BARE_CARET_MARKDOWN) == (
        "Two notes here.[^1] And here.[^2]\n\n[^1]: The first, copied from the page.\n\n[^2]: The second.")
    assert normalise_footnotes(TURNDOWN_MARKDOWN_IT_MARKDOWN) == "Quoted from the flyleaf[^1].\n\n[^1]: The flyleaf is blank."
    assert normalise_footnotes(NATIVE_FOOTNOTE_MARKDOWN) == NATIVE_FOOTNOTE_MARKDOWN
    assert html_to_markdown(CKEDITOR_FOOTNOTE_HTML) == "Marginalia predate print.[^1]\n\n[^1]: Glossed manuscripts are older still."
    assert html_to_markdown(MARKDOWN_IT_FOOTNOTE_HTML) == "Printers left room on purpose[^1].\n\n[^1]: Wide outer margins cost paper."
    assert normalise_footnotes("A list:\n\n1. one\n2. two\n") == "A list:\n\n1. one\n2. two\n"


def test_opening_quote_matching_nothing_is_marked_elsewhere_and_listed(site, tmp_path, capsys):
    essay(site)
    assert run_import(site, export(tmp_path, thread())) == 0
    err = capsys.readouterr().err
    assert "content/talk/replies/c15aaaaaaaaaaaaaa.md: its opening quote is in neither the essay nor a reply above" in err
    assert (replies_dir(site) / "c15aaaaaaaaaaaaaa.md").read_text(encoding="utf-8").split("---\n", 2)[2].startswith("{.elsewhere}\n>")
    assert "c02aaaaaaaaaaaaaa" not in err  # two consecutive paragraphs of the essay: anchored, not elsewhere


def test_same_export_twice_changes_no_file(site, tmp_path, capsys):
    essay(site)
    source = export(tmp_path, thread())
    assert run_import(site, source) == 0
    before = tree(site)
    stats = {path.name: path.stat().st_mtime_ns for path in replies_dir(site).iterdir()}
    capsys.readouterr()
    assert run_import(site, source) == 0
    assert "Imported 0 new replies; 0 refreshed, 33 unchanged" in capsys.readouterr().out
    assert tree(site) == before
    assert {path.name: path.stat().st_mtime_ns for path in replies_dir(site).iterdir()} == stats


def test_results_list_alone_is_accepted(site, tmp_path):
    essay(site)
    assert run_import(site, export(tmp_path, thread(), whole=False)) == 0
    assert len(list(replies_dir(site).glob("*.md"))) == 33


def test_reimport_adds_new_refreshes_scores_and_leaves_hand_edits_and_upstream_deletions_alone(site, tmp_path, capsys):
    essay(site)
    comments = thread()
    assert run_import(site, export(tmp_path, comments)) == 0
    edited = replies_dir(site) / "c02aaaaaaaaaaaaaa.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Both paragraphs, yes.", "Both paragraphs (tidied)."), encoding="utf-8")
    newer = [dict(c) for c in comments if c["_id"] != "e03aaaaaaaaaaaaaa"]  # deleted upstream since
    for item in newer:
        if item["_id"] in ("c01aaaaaaaaaaaaaa", "c02aaaaaaaaaaaaaa"):
            item["baseScore"], item["extendedScore"] = 40, {"agreement": 9}
        if item["_id"] == "c10aaaaaaaaaaaaaa":
            item["retracted"] = False
    newer.append(comment("f01aaaaaaaaaaaaaa", "c12aaaaaaaaaaaaaa", markdown="A late answer.", user="Late", day=20))
    capsys.readouterr()
    assert run_import(site, export(tmp_path, newer, "newer.json")) == 0
    captured = capsys.readouterr()
    assert "Imported 1 new reply; 2 refreshed" in captured.out
    assert "content/talk/replies/c02aaaaaaaaaaaaaa.md: edited by hand since it was imported; left alone" in captured.err
    assert "content/talk/replies/e03aaaaaaaaaaaaaa.md: deleted where it was first published; the file was kept" in captured.err
    assert "Both paragraphs (tidied)." in edited.read_text(encoding="utf-8")
    assert "score: 3\n" in edited.read_text(encoding="utf-8")  # not refreshed: the author edited it
    first = (replies_dir(site) / "c01aaaaaaaaaaaaaa.md").read_text(encoding="utf-8")
    assert "score: 40" in first and "agreement: 9" in first
    assert "retracted" not in (replies_dir(site) / "c10aaaaaaaaaaaaaa.md").read_text(encoding="utf-8")
    assert (replies_dir(site) / "e03aaaaaaaaaaaaaa.md").exists()
    assert "parent: c12aaaaaaaaaaaaaa" in (replies_dir(site) / "f01aaaaaaaaaaaaaa.md").read_text(encoding="utf-8")
    assert site.build() == 0


def test_import_record_holds_keys_and_digests_only_and_the_build_ignores_it(site, tmp_path):
    essay(site)
    assert run_import(site, export(tmp_path, thread())) == 0
    record = json.loads((replies_dir(site) / ".imported.json").read_text(encoding="utf-8"))
    assert record["format"] == 1
    entry = record["replies"]["lesswrong:c01aaaaaaaaaaaaaa"]
    assert set(entry) == {"reply", "digest"} and entry["reply"] == "c01aaaaaaaaaaaaaa" and entry["digest"].startswith("sha256:")
    text = json.dumps(record)
    assert "Ann" not in text and "lesswrong.com" not in text
    assert site.build("--strict") == 0
    assert not any(".imported" in path.name for path in site.out.rglob("*"))


def test_single_file_essay_becomes_a_bundle_and_the_output_says_so(site, tmp_path, capsys):
    essay(site, single_file=True)
    assert run_import(site, export(tmp_path, thread()[:2])) == 0
    assert "content/talk.md became content/talk/index.md (same URL)" in capsys.readouterr().out
    assert (site.root / "content/talk/index.md").is_file() and not (site.root / "content/talk.md").exists()
    assert site.build() == 0 and site.html("talk/index.html").css_first("#reply-c01aaaaaaaaaaaaaa") is not None


class _GraphQL(BaseHTTPRequestHandler):
    """Answers the `comments` query as ForumMagnum does: the view's results, paged by limit and offset."""

    comments: list[dict] = []
    requests: list[dict] = []
    cap = 1000  # the most results the server gives, whatever the limit asked

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        variables = body.get("variables", {})
        if "comments(input: {terms: {view: \"postCommentsTop\", postId: $postId" not in body["query"] or variables.get("postId") != "AbCdEf12345":
            answer = {"errors": [{"message": "Unknown post"}], "data": {"comments": None}}
        else:
            ranked = sorted(self.comments, key=lambda c: (-c["baseScore"], c["postedAt"]))
            offset, limit = variables["offset"], min(variables["limit"], self.cap)
            answer = {"data": {"comments": {"results": ranked[offset : offset + limit]}}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def graphql():
    _GraphQL.comments, _GraphQL.requests = thread(), []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GraphQL)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    server.shutdown()
    server.server_close()
    worker.join()


def test_post_url_is_fetched_from_the_graphql_endpoint_page_by_page(site, graphql, monkeypatch):
    import postil.commands.importers.lesswrong as lesswrong

    monkeypatch.setattr(lesswrong, "PAGE_SIZE", 10)  # 34 comments: four pages, and an empty one to be sure
    essay(site)
    assert run_import(site, POST, "--endpoint", graphql) == 0
    assert [request["variables"]["offset"] for request in _GraphQL.requests] == [0, 10, 20, 30, 34]
    assert len(list(replies_dir(site).glob("*.md"))) == 33
    assert site.build("--strict") == 0


def test_a_server_that_caps_the_page_size_is_still_read_to_the_end(site, graphql, monkeypatch):
    import postil.commands.importers.lesswrong as lesswrong

    monkeypatch.setattr(lesswrong, "PAGE_SIZE", 50)
    monkeypatch.setattr(_GraphQL, "cap", 8)
    essay(site)
    assert run_import(site, POST, "--endpoint", graphql) == 0
    assert len(list(replies_dir(site).glob("*.md"))) == 33


def test_forum_errors_and_bad_urls_are_clear_messages(site, graphql, capsys):
    essay(site)
    assert run_import(site, "https://www.lesswrong.com/posts/Zz9999999/other", "--endpoint", graphql) == 1
    assert "the forum answered with errors: Unknown post" in capsys.readouterr().err
    assert run_import(site, "https://www.lesswrong.com/about", "--endpoint", graphql) == 1
    assert "not the URL of a post" in capsys.readouterr().err
    assert not replies_dir(site).exists()


def test_email_addresses_in_comment_text_are_removed_in_every_markdown_form():
    text = "Write [to me](mailto:jo@x.example), to jo@x.example, <mailto:a@b.example> or <c@d.example>."
    assert no_emails(text) == ("Write to me, to [e-mail address removed], [e-mail address removed] or [e-mail address removed].")


def test_reply_deleted_by_hand_is_not_written_again_and_one_deleted_upstream_keeps_its_text(site, tmp_path, capsys):
    essay(site)
    comments = thread()
    assert run_import(site, export(tmp_path, comments)) == 0
    (replies_dir(site) / "e04aaaaaaaaaaaaaa.md").unlink()
    for item in comments:
        if item["_id"] == "c01aaaaaaaaaaaaaa":  # deleted upstream, but its thread lives on
            item["deleted"], item["contents"], item["htmlBody"], item["user"] = True, None, None, None
    capsys.readouterr()
    assert run_import(site, export(tmp_path, comments, "newer.json")) == 0
    err = capsys.readouterr().err
    assert "content/talk/replies/e04aaaaaaaaaaaaaa.md: deleted by hand since it was imported; not written again" in err
    assert "content/talk/replies/c01aaaaaaaaaaaaaa.md: deleted where it was first published; the file was kept as it is" in err
    assert not (replies_dir(site) / "e04aaaaaaaaaaaaaa.md").exists()
    assert "This is where I disagree." in (replies_dir(site) / "c01aaaaaaaaaaaaaa.md").read_text(encoding="utf-8")


def test_opening_quote_of_the_reply_above_is_anchored_there(site, tmp_path, capsys):
    """A reply that quotes its parent's words, not the essay's, is not marked elsewhere."""
    essay(site)
    comments = thread()
    comments.append(comment("f02aaaaaaaaaaaaaa", "d00aaaaaaaaaaaaaa", markdown="> a point about marginal gloss number 0\n\nWhich one?", user="Lou", day=10))
    assert run_import(site, export(tmp_path, comments)) == 0
    assert "f02aaaaaaaaaaaaaa" not in capsys.readouterr().err
    assert not (replies_dir(site) / "f02aaaaaaaaaaaaaa.md").read_text(encoding="utf-8").split("---\n", 2)[2].startswith("{.elsewhere}")

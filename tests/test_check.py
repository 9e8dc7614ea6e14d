"""`check`: every problem a reader would meet in the built site, reported at its source."""
from __future__ import annotations

import datetime as dt
import http.server
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from postil.commands.check import check_site, plain_site_path
from postil.cli import main

REPO = Path(__file__).resolve().parent.parent


def check(site, *args: str) -> int:
    return main(["-C", str(site.root), "check", *args])


def test_example_site_passes_check(tmp_path, capsys):
    assert main(["-C", str(REPO), "check", "--out", str(tmp_path / "public")]) == 0, capsys.readouterr().err


def test_example_site_passes_check_under_a_sub_path(tmp_path, capsys):
    out = str(tmp_path / "public")
    assert main(["-C", str(REPO), "check", "--out", out, "--base-url", "https://user.github.io/blog/"]) == 0, capsys.readouterr().err


def test_clean_site_passes(site, capsys):
    site.essay("a.md", title="A", body="See [b](/b/#second) and a note.[^1]\n\n[^1]: The note.")
    site.essay("b.md", title="B", body="## First\n\n## Second\n\nText.")
    assert check(site) == 0
    assert "no problems" in capsys.readouterr().out


def test_broken_link_is_reported_at_its_source_line(site, capsys):
    site.essay("a.md", body="Fine line.\n\nSee [gone](/no-such-essay/).")
    assert check(site) == 1
    err = capsys.readouterr().err
    assert "content/a.md:7: error: link to '/no-such-essay/'" in err


def test_broken_anchor_on_another_page_is_reported_at_its_source_line(site, capsys):
    site.essay("a.md", body="See [that part](/b/#no-such-part).")
    site.essay("b.md", title="B", body="## A real part\n\nText.")
    assert check(site) == 1
    assert "content/a.md:5: error: anchor '#no-such-part' is not on /b/" in capsys.readouterr().err


def test_broken_anchor_on_the_same_page_is_reported(site, capsys):
    site.essay("a.md", body="Text.\n\nJump [down](#nowhere).")
    assert check(site) == 1
    assert "content/a.md:7: error: anchor '#nowhere' is not on this page" in capsys.readouterr().err


def test_an_anchor_link_is_judged_on_its_own_page(site, capsys):
    """The same '#part' is fine where the page has that heading, wrong where it has not."""
    site.essay("a.md", body="## Part\n\nJump [up](#part).")
    site.essay("b.md", title="B", body="Text.\n\nJump [up](#part).")
    assert check(site) == 1
    err = capsys.readouterr().err
    assert "content/b.md:7: error: anchor '#part' is not on this page" in err and "content/a.md" not in err


def test_an_anchor_is_found_only_by_its_whole_name(site, capsys):
    """Anchors are kept joined in one string: a name that is the start, the end or the
    middle of another page's anchor, or of two run together, is not that anchor."""
    site.essay("a.md", body="See [one](/b/#part), [two](/b/#two), [three](/b/#parttwo) and [four](/b/#part-two).")
    site.essay("b.md", title="B", body="{#part-two}\nOne.\n\n{#part-twofold}\nTwo.\n\n{#intro}\nThree.")
    assert check(site) == 1
    err = capsys.readouterr().err
    wrong = sorted(line.split("anchor '")[1].split("'")[0] for line in err.splitlines() if ": error: anchor" in line)
    assert wrong == ["#part", "#parttwo", "#two"]


def test_anchor_link_to_a_page_with_many_anchors_is_judged_right(site, capsys):
    """A page's anchors are found by bisection: the first, the last and one between are
    there, a name sorting between two of them is not."""
    site.essay("b.md", title="B", body="".join(f"{{#n-{number:03}}}\nPart {number}.\n\n" for number in range(1, 201)))
    site.essay("a.md", body="[first](/b/#n-001) [last](/b/#n-200) [mid](/b/#n-117) [between](/b/#n-117a) [after](/b/#zz) [before](/b/#a)")
    assert check(site) == 1
    err = capsys.readouterr().err
    wrong = sorted(line.split("anchor '")[1].split("'")[0] for line in err.splitlines() if ": error: anchor" in line)
    assert wrong == ["#a", "#n-117a", "#zz"]


def test_anchor_named_with_percent_escapes_is_found(site):
    site.essay("a.md", body="See [the part](/b/#%C3%BCber) and [here](#%C3%BCber-uns).\n\n{#über-uns}\nText.")
    site.essay("b.md", title="B", body="{#über}\nText.")
    assert check(site) == 0


def _anchors_site(site) -> None:
    """Broken links and anchors across pages, a repeated id, and a reply's broken anchor."""
    site.essay("a.md", body="See [gone](/no-such/), [b](/b/#part), [b's missing part](/b/#nowhere) and [here](#nope).\n\n{#twice}\nOne.\n\n{#twice}\nTwo.")
    site.essay("b/index.md", title="B", body="## Part\n\nText [back](/a/#twice) and [lost](/a/#lost).")
    site.write("content/b/replies/r1.md", "---\nauthor: Ada\ndate: 2026-02-01\n---\nSee [that](/a/#gone).\n")


def test_pages_read_by_reader_processes_give_the_same_report(site, capsys, monkeypatch):
    """Many pages, or large ones, are read by processes of their own; what they send back
    is judged as the pages read in check's own process are."""
    from postil.commands import page_facts

    _anchors_site(site)
    started = []
    popen = subprocess.Popen
    with monkeypatch.context() as patch:
        patch.setattr(page_facts, "READ_IN_PROCESSES_FROM", 0)
        patch.setattr(subprocess, "Popen", lambda command, *args, **kwargs: started.append(command) or popen(command, *args, **kwargs))
        assert check(site) == 1
    by_readers = capsys.readouterr()
    assert len(started) == page_facts.READERS and all("postil.commands.page_facts" in command for command in started)
    assert "anchor '#nowhere'" in by_readers.err and "anchor '#lost'" in by_readers.err and "id 'twice'" in by_readers.err
    for kept in (site.root / ".postil-cache").glob("page-facts*"):
        kept.unlink()  # or the pages' facts would not be read again at all
    assert check(site) == 1
    assert capsys.readouterr() == by_readers


def _pages(site) -> dict[str, bytes]:
    return {path.relative_to(site.out).as_posix(): path.read_bytes() for path in site.out.rglob("*.html")}


def test_check_reads_again_only_the_pages_whose_bytes_changed(site, capsys, monkeypatch):
    """The facts of a page are kept by its bytes: a page the build left as it was is not
    parsed again, and a changed page's new facts are what is judged."""
    from postil.commands import page_facts

    _anchors_site(site)
    site.essay("c.md", title="C", body="Nothing wrong here.")
    assert check(site) == 1
    first = capsys.readouterr().err
    parsed = []
    parse_page = page_facts.parse_page
    monkeypatch.setattr(page_facts, "parse_page", lambda path: parsed.append(path.relative_to(site.out).as_posix()) or parse_page(path))
    assert check(site) == 1
    assert parsed == [] and capsys.readouterr().err == first
    before = _pages(site)
    site.essay("b/index.md", title="B", body="## Part\n\nText [back](/a/#twice), [lost](/a/#lost) and [c](/c/#nothing-there).")
    assert check(site) == 1
    again = capsys.readouterr().err
    after = _pages(site)
    assert "b/index.html" in parsed and "a/index.html" not in parsed
    assert sorted(parsed) == sorted(page for page, data in after.items() if before.get(page) != data)
    assert "anchor '#nothing-there' is not on /c/" in again and "anchor '#lost'" in again


@pytest.mark.parametrize("damage", [b"not a pickle", b""])
def test_damaged_kept_page_facts_are_read_again(site, capsys, damage):
    _anchors_site(site)
    assert check(site) == 1
    first = capsys.readouterr()
    kept = list((site.root / ".postil-cache").glob("page-facts*"))
    assert kept
    for path in kept:
        path.write_bytes(damage)
    assert check(site) == 1
    assert capsys.readouterr() == first


@pytest.mark.parametrize("url", ["/blog/", "/blog/essay/", "/blog/essay/#part", "/blog/ünï/#über", "/blog/a%20b/#x%20y",
                                 "/blog/a//b/", "/blog/tags/x/#", "/blog/a;b/", "/blog/x.svg", "/blog/a/#b/c"])
def test_a_plain_site_path_is_read_as_urljoin_reads_it(url):
    assert plain_site_path(url, "/blog/")
    parts = urlsplit(urljoin("https://example.org/blog/essay/", url))
    address, _, fragment = url.partition("#")
    assert (parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment) == ("https", "example.org", address, "", fragment)


@pytest.mark.parametrize("url", ["/elsewhere/", "//example.com/blog/", "/blog/a/../b/", "/blog/./a/", "/blog/a/..", "/blog/a?x=1",
                                 "/blog/a/#x?y", "/blog/a\\b", "/blog/a b/", "/blog/a\tb/", "/blog/a\nb/", "/blog/a/\x00", " /blog/",
                                 "/blog/a\u00a0", "essay/", "#part", "https://example.org/blog/"])
def test_a_link_urljoin_may_change_is_not_a_plain_site_path(url):
    assert not plain_site_path(url, "/blog/")


def test_footnote_without_definition_is_reported(site, capsys):
    site.essay("a.md", body="A claim.[^source]\n")
    assert check(site) == 1
    assert "content/a.md:5: error: footnote reference [^source] has no definition" in capsys.readouterr().err


def test_footnote_never_cited_is_reported(site, capsys):
    site.essay("a.md", body="A claim.\n\n[^orphan]: Nobody cites me.\n")
    assert check(site) == 1
    assert "content/a.md:7: error: footnote [^orphan] is defined but never referenced" in capsys.readouterr().err


def test_missing_image_is_reported(site, capsys):
    site.essay("pics/index.md", body="![A diagram](diagram.svg)")
    assert check(site) == 1
    assert "content/pics/index.md:5: error: image to 'diagram.svg'" in capsys.readouterr().err


def test_image_in_the_bundle_passes(site):
    site.essay("pics/index.md", body="![A diagram](diagram.svg)")
    site.write("content/pics/diagram.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert check(site) == 0


def test_a_bundle_page_in_another_encoding_is_checked_like_any_other(site, capsys):
    site.essay("pics/index.md", body="See [the old page](old.html).")
    (site.root / "content/pics/old.html").write_bytes("<p>Caf\xe9 <a href='gone.html'>back</a></p>".encode("latin-1"))
    assert check(site) == 1
    out = capsys.readouterr()
    assert "public/pics/old.html: error: link 'gone.html' points at nothing in the built site" in out.out + out.err
    assert "Traceback" not in out.err


def test_duplicate_ids_are_reported(site, capsys):
    site.essay("a.md", body="{#same}\nFirst.\n\n{#same}\nSecond.\n")
    assert check(site) == 1
    assert "content/a.md:5: error: id 'same' is used 2 times on /a/" in capsys.readouterr().err


def test_root_relative_html_link_that_escapes_the_sub_path_is_reported(site, capsys):
    site.essay("a.md", body='Raw HTML: <a href="/elsewhere/">out</a>.')
    assert check(site, "--base-url", "https://example.org/blog/") == 1
    assert "content/a.md:5: error: link '/elsewhere/' leaves the site's base path /blog/" in capsys.readouterr().err


def test_broken_template_link_is_reported_against_its_page(site, capsys):
    site.essay("a.md")
    site.write("templates/404.html", '{% extends "base.html" %}{% block main %}<a href="{{ url(\'lost/\') }}">x</a>{% endblock %}')
    assert check(site) == 1
    assert "public/404.html: error: link '/lost/' points at nothing in the built site" in capsys.readouterr().err


def test_feed_that_is_not_well_formed_is_reported(site, capsys):
    site.essay("a.md")
    site.write("templates/feed.xml", "<feed><entry></feed>\n")
    assert check(site) == 1
    assert "public/feed.xml:1: error: not well-formed XML" in capsys.readouterr().err


def test_check_of_a_site_with_build_errors_fails_like_build(site, capsys):
    site.write("content/a.md", "no front matter\n")
    assert check(site) == 1
    assert "content/a.md:1:1: error: no front matter" in capsys.readouterr().err


class _Links(http.server.BaseHTTPRequestHandler):
    """/ok answers 200, /gone 404, /no-head 405 to HEAD but 200 to GET; counts requests."""

    requests: list[str] = []

    def do_HEAD(self):
        self.requests.append(f"HEAD {self.path}")
        self.send_response({"/ok": 200, "/no-head": 405}.get(self.path, 404))
        self.end_headers()

    def do_GET(self):
        self.requests.append(f"GET {self.path}")
        self.send_response({"/ok": 200, "/no-head": 200}.get(self.path, 404))
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def link_server():
    _Links.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Links)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_external_links_are_only_checked_with_the_option(site, link_server):
    site.essay("a.md", body=f"[gone]({link_server}/gone)")
    assert check(site) == 0
    assert _Links.requests == []


def test_external_broken_link_is_reported_and_working_ones_pass(site, link_server, capsys):
    site.essay("a.md", body=f"[fine]({link_server}/ok) and [refuses head]({link_server}/no-head)\n\n[gone]({link_server}/gone)")
    assert check(site, "--external") == 1
    err = capsys.readouterr().err
    assert f"content/a.md:7: error: external link '{link_server}/gone': HTTP 404" in err
    assert "/ok'" not in err and "/no-head'" not in err


def test_external_results_are_cached_for_a_day(site, link_server):
    site.essay("a.md", body=f"[gone]({link_server}/gone)")
    now = dt.datetime(2026, 5, 1, 12, tzinfo=dt.timezone.utc)
    out = site.root / "public"
    assert len(check_site(site.root, out, external=True, now=now).problems) == 1
    asked = len(_Links.requests)
    assert len(check_site(site.root, out, external=True, now=now + dt.timedelta(hours=23)).problems) == 1
    assert len(_Links.requests) == asked
    assert len(check_site(site.root, out, external=True, now=now + dt.timedelta(hours=25)).problems) == 1
    assert len(_Links.requests) > asked


def test_external_cache_folder_ignores_itself_in_git(site, link_server):
    site.essay("a.md", body=f"[fine]({link_server}/ok)")
    assert check(site, "--external") == 0
    assert (site.root / ".postil-cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_external_link_that_never_answers_times_out(site):
    listener = __import__("socket").create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow"
        site.essay("a.md", body=f"[slow]({url})")
        started = dt.datetime.now()
        problems = check_site(site.root, site.root / "public", external=True, timeout=0.5).problems
        assert (dt.datetime.now() - started).total_seconds() < 10
        assert [p.message for p in problems] == [f"external link '{url}': no answer (timed out)"]
    finally:
        listener.close()


def test_side_comment_quote_that_no_longer_matches_is_reported_at_the_reply(site, capsys):
    site.essay("talk/index.md", title="Talk", body="The margin is where a reader answers back, slowly.")
    site.write("content/talk/replies/r1.md", """\
        ---
        author: Ada
        date: 2026-02-01
        ---
        > where a reader shouts back, quickly and loudly

        I disagree.
        """)
    assert check(site) == 1
    err = capsys.readouterr().err
    assert "content/talk/replies/r1.md:5: error: the quote" in err and "is not in the essay" in err


def test_side_comment_quote_that_matches_passes(site):
    site.essay("talk/index.md", title="Talk", body="The margin is where a reader answers back, slowly.")
    site.write("content/talk/replies/r1.md", """\
        ---
        author: Ada
        date: 2026-02-01
        ---
        > where a reader answers back

        I agree.
        """)
    assert check(site) == 0


def test_broken_anchor_in_a_reply_is_reported_at_the_reply_file(site, capsys):
    site.essay("talk/index.md", title="Talk", body="## Opening\n\nText.")
    site.write("content/talk/replies/r1.md", """\
        ---
        author: Ada
        date: 2026-02-01
        ---
        Fine.

        See [the start](#no-such-heading).
        """)
    assert check(site) == 1
    err = capsys.readouterr().err
    assert "content/talk/replies/r1.md:7: error: anchor '#no-such-heading' is not on /talk/" in err


def test_broken_link_in_a_reply_is_reported_once_at_the_reply_file(site, capsys):
    site.essay("talk/index.md", title="Talk", body="Text.")
    site.write("content/talk/replies/r1.md", """\
        ---
        author: Ada
        date: 2026-02-01
        ---
        See [this](/no-such-essay/).
        """)
    assert check(site, "--base-url", "https://example.org/blog/") == 1
    talk_problems = [line for line in capsys.readouterr().err.splitlines() if "/no-such-essay/" in line and "talk" in line]
    assert len(talk_problems) == 1 and talk_problems[0].startswith("content/talk/replies/r1.md:5: error:")


def test_relative_link_in_a_reply_passes_on_the_essay_and_the_replies_pages(site):
    site.essay("talk/index.md", title="Talk", body="Text.")
    site.write("content/talk/diagram.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
    site.write("content/talk/replies/r1.md", """\
        ---
        author: Ada
        date: 2026-02-01
        ---
        See [the diagram](diagram.svg).
        """)
    assert check(site) == 0


def test_broken_anchor_in_a_reply_is_reported_at_the_line_that_links_not_the_first_mention(site, capsys):
    site.essay("talk/index.md", title="Talk", body="Text.")
    site.write("content/talk/replies/r1.md", """\
        ---
        author: Ada
        date: 2026-02-01
        ---
        The address `/talk/#gone` is what I mean:

        [this](#gone).
        """)
    assert check(site) == 1
    problems = [line for line in capsys.readouterr().err.splitlines() if "#gone" in line and ": error:" in line]
    assert problems and all(line.startswith("content/talk/replies/r1.md:7: error:") for line in problems)


def _broken_site(site) -> None:
    """Broken links in an essay and in a reply, a working one, and a draft reply; written an
    hour ago, so that a build may trust their stat (see speed/uptodate.py)."""
    site.essay("a.md", body="See [gone](/no-such-essay/), [fine](/talk/) and ![a figure](missing.png).")
    site.essay("talk/index.md", title="Talk", body="Text.")
    site.write("content/talk/replies/r1.md", "---\nauthor: Ada\ndate: 2026-02-01\n---\nSee [this](../nowhere/).\n")
    site.write("content/talk/replies/r2.md", "---\nauthor: Bo\ndate: 2026-02-02\ndraft: true\n---\nNot yet.\n")
    an_hour_ago = time.time() - 3600
    for path in site.root.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))


@pytest.fixture
def parses(monkeypatch):
    """How often each essay and reply file is parsed in this process, counted on the real
    parsers' code (whatever name they are called by), not on a stand-in."""
    from postil.content.essay import parse_essay
    from postil.content.reply import parse_reply

    parsers = {parse_essay.__code__, parse_reply.__code__}
    counted: Counter = Counter()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in parsers:
            source = frame.f_locals.get("source")
            counted[source.path if source is not None else frame.f_locals["path"]] += 1

    sys.setprofile(profile)
    yield counted
    sys.setprofile(None)


def test_check_parses_every_essay_and_reply_once(site, parses):
    _broken_site(site)
    assert check(site) == 1
    assert parses == {"content/a.md": 1, "content/talk/index.md": 1, "content/talk/replies/r1.md": 1, "content/talk/replies/r2.md": 1}


def test_check_reports_each_broken_link_of_the_build_once_at_the_same_line(site, capsys):
    _broken_site(site)
    assert site.build() == 0
    warned = sorted(line.replace(": warning: ", ": ") for line in capsys.readouterr().err.splitlines() if ": warning: " in line)
    assert len(warned) == 3
    assert check(site) == 1
    reported = sorted(line.replace(": error: ", ": ") for line in capsys.readouterr().err.splitlines() if ": error: " in line)
    assert reported == warned


def test_check_after_a_build_finds_the_same_problems_and_leaves_the_build_up_to_date(site, capsys, parses):
    _broken_site(site)
    assert check(site) == 1
    fresh = capsys.readouterr()
    assert site.build() == 0
    capsys.readouterr()
    written = {path: path.stat().st_mtime_ns for path in site.out.rglob("*")}
    parses.clear()
    assert check(site) == 1
    again = capsys.readouterr()
    assert (again.out, again.err) == (fresh.out, fresh.err)
    assert "content/talk/replies/r2.md:4: draft reply, not published" in again.out
    assert not parses  # the build's parse cache had every file
    assert {path: path.stat().st_mtime_ns for path in site.out.rglob("*")} == written
    assert site.build() == 0
    assert "Nothing changed since the last build" in capsys.readouterr().out

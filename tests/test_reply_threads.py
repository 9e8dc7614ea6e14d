"""Threads of any depth, collapsing counts, draft replies and the paged reply lists."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.commands.check import check_site
from postil.cli import main
from postil.serve.preview import Preview
from replies_helpers import essay_with_replies, write_reply
from test_serve import Running, free_port

REPO = Path(__file__).resolve().parent.parent

# Half as many replies again as Python's recursion limit: a thread walked by recursion, one
# frame a reply at the least, fails with a third of the chain still to go, and a Jinja macro
# calling itself (several frames a level) fails within its first few hundred replies. Three
# times the limit proved no more, at twice the cost (a reply costs about a millisecond to build).
DEEPER_THAN_RECURSION = 3 * sys.getrecursionlimit() // 2


def write_chain(site, length: int, body: str = "Reply number {i}.") -> None:
    """`length` replies, each answering the one before."""
    essay_with_replies(site)
    folder = site.root / "content/talk/replies"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(length):
        parent = f"parent: r{i - 1}\n" if i else ""
        text = body.format(i=i)
        (folder / f"r{i}.md").write_text(f"---\nauthor: Reader {i % 7}\ndate: 2026-03-02T10:00:00Z\n{parent}---\n{text}\n", encoding="utf-8")


def dom_depth(tree: HTMLParser) -> int:
    """How deeply the page's elements nest, walked without recursion."""
    deepest, pending = 0, [(tree.root, 0)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        child = node.child
        while child is not None:
            if child.tag != "-text":
                pending.append((child, depth + 1))
            child = child.next
    return deepest


@pytest.mark.slow
def test_a_deep_reply_chain_builds_through_the_cli_with_every_reply_once_and_bounded_nesting(site):
    length = DEEPER_THAN_RECURSION
    write_chain(site, length)
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "-C", str(site.root), "build"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    page = site.html("talk/index.html")
    assert page.css_first("#replies").text().count("Reply number") == length  # and no stray markup as text
    assert "&lt;" not in (site.out / "talk/index.html").read_text()
    assert page.css_first("#replies > .replies-elsewhere") is not None  # the thread closed all it opened, no more
    assert len(page.css("#replies > .reply-list > details.reply")) == 1
    ids = [node.attributes["id"] for node in page.css("details.reply")]
    assert sorted(ids) == sorted(f"reply-r{i}" for i in range(length))
    assert ids[:3] == ["reply-r0", "reply-r1", "reply-r2"]  # reading order
    assert dom_depth(page) < 40
    last = page.css_first(f"#reply-r{length - 1}")
    assert last.attributes["data-depth"] == str(length - 1)
    assert last.css_first(".reply-parent a").attributes["href"] == f"#reply-r{length - 2}"


def test_collapsing_a_reply_says_how_many_replies_it_hides(site):
    essay_with_replies(site)
    write_reply(site, "a", author="Ann", date="2026-03-02T09:00:00Z")
    write_reply(site, "a1", parent="a", date="2026-03-02T10:00:00Z")
    write_reply(site, "a2", parent="a", date="2026-03-02T11:00:00Z")
    write_reply(site, "a11", parent="a1", date="2026-03-02T12:00:00Z")
    write_reply(site, "b", date="2026-03-03T09:00:00Z")
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-a > summary .reply-folded").text() == "3 replies hidden"
    assert page.css_first("#reply-a1 > summary .reply-folded").text() == "1 reply hidden"
    assert page.css_first("#reply-b > summary .reply-folded") is None
    assert [node.attributes["id"] for node in page.css("details.reply")] == ["reply-a", "reply-a1", "reply-a11", "reply-a2", "reply-b"]


@pytest.mark.slow
def test_parents_in_a_long_chain_are_checked_for_circles_in_linear_time(site, capsys):
    write_chain(site, DEEPER_THAN_RECURSION)  # a walk up the parents by recursion would fail first
    write_reply(site, "x", parent="y")
    write_reply(site, "y", parent="x")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "replies answer each other in a circle: content/talk/replies/x.md, content/talk/replies/y.md" in err
    assert err.count("in a circle") == 1


def test_a_quote_is_looked_for_up_to_a_hundred_replies_up_its_thread(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r0", "A remark about pencils and marginal glosses in old books.")
    for i in range(1, 103):
        write_reply(site, f"r{i}", f"Answer {i} about ink.", parent=f"r{i - 1}")
    write_reply(site, "near", "> Answer 100 about ink.\n\nNo.", parent="r102")
    write_reply(site, "reach", "> A remark about pencils and marginal glosses\n\nOld.", parent="r99")
    write_reply(site, "far", "> A remark about pencils and marginal glosses\n\nYes.", parent="r102")
    assert site.build() == 0
    err = capsys.readouterr().err
    assert "near.md" not in err and "reach.md" not in err
    assert "far.md:6: warning: the quote \u201ca remark about pencils and marginal glosses\u201d is not in the essay or in the 100 replies above this one" in err


@pytest.mark.slow
def test_a_long_chain_of_quotes_of_nothing_is_checked_in_bounded_time(site, capsys):
    write_chain(site, 2000, "> Nothing anyone here ever wrote, number {i}\n\nSo.")
    assert site.build() == 0
    assert capsys.readouterr().err.count("is not in the essay or in") == 2000


# Draft replies: one rule for every command.

def drafted(site) -> None:
    essay_with_replies(site)
    write_reply(site, "seen", "Published.", author="Ann")
    write_reply(site, "held", "Write the reply here.", author="Ben", draft=True)


@pytest.mark.parametrize("args", [(), ("--drafts",)])
def test_build_leaves_draft_replies_out_even_with_drafts(site, args):
    drafted(site)
    assert site.build(*args) == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-seen") is not None and page.css_first("#reply-held") is None
    assert page.css_first("#replies-title").text() == "1 reply"
    assert "Write the reply here" not in "".join(path.read_text() for path in site.out.rglob("*.*") if path.suffix in (".html", ".xml", ".json"))
    assert not (site.out / "replies/ben").exists()


@pytest.mark.parametrize("drafts", [True, False])
def test_serve_shows_draft_replies_marked_draft_unless_told_no_drafts(site, drafts):
    drafted(site)
    preview = Preview(site.root, port=free_port(), drafts=drafts, out=io.StringIO()).start()
    try:
        running = Running(preview)
        page = running.html("/talk/")
        if drafts:
            assert page.css_first("#reply-held .draft-badge").text() == "Draft"
            assert page.css_first("#reply-seen .draft-badge") is None
            assert running.html("/replies/").css_first(".reply-entry .draft-badge").text() == "Draft"
        else:
            assert page.css_first("#reply-held") is None
    finally:
        preview.close()


def test_check_lists_draft_replies_and_still_passes(site, capsys):
    drafted(site)
    assert main(["-C", str(site.root), "check"]) == 0
    out = capsys.readouterr().out
    assert "content/talk/replies/held.md:4: draft reply, not published — publish it with `postil replies publish held`" in out
    assert "no problems" in out
    assert check_site(site.root, site.out).draft_replies == [("content/talk/replies/held.md", 4)]


def test_a_draft_that_is_not_true_or_false_is_an_error(site, capsys):
    essay_with_replies(site)
    write_reply(site, "odd", draft="maybe")
    assert site.build() == 1
    assert "content/talk/replies/odd.md:4: error: 'draft' must be true or false, not 'maybe'" in capsys.readouterr().err


# The reply lists.

def many_replies(site, count: int, author=lambda i: f"Reader {i % 3}") -> None:
    essay_with_replies(site)
    essay_with_replies(site, bundle="other")
    for i in range(count):
        write_reply(site, f"r{i:03}", f"Reply {i}.", bundle="talk" if i % 2 else "other", author=author(i),
                    date=f"2026-03-{1 + i // 24:02}T{i % 24:02}:00:00Z")


def test_recent_replies_are_paged_fifty_to_a_page_with_links_both_ways(site):
    many_replies(site, 120)
    assert site.build() == 0
    pages = [site.html("replies/index.html"), site.html("replies/page/2/index.html"), site.html("replies/page/3/index.html")]
    assert not (site.out / "replies/page/4").exists()
    excerpts = [[node.text() for node in page.css(".reply-entry .reply-excerpt")] for page in pages]
    assert [len(items) for items in excerpts] == [50, 50, 20]
    assert sorted(sum(excerpts, [])) == sorted(f"Reply {i}." for i in range(120))
    heads = [{link.attributes["rel"]: link.attributes["href"] for link in page.css("head link[rel=prev], head link[rel=next]")} for page in pages]
    assert heads == [{"next": "/replies/page/2/"}, {"prev": "/replies/", "next": "/replies/page/3/"}, {"prev": "/replies/page/2/"}]
    assert pages[1].css_first(".pager .pager-where").text() == "Page 2 of 3"
    assert pages[1].css_first("link[rel=canonical]").attributes["href"] == "https://example.org/replies/page/2/"


def test_a_page_of_replies_groups_them_under_their_essays_newest_first(site):
    many_replies(site, 6)
    assert site.build() == 0
    page = site.html("replies/index.html")
    groups = page.css(".reply-group")
    assert [group.css_first("h2 a").attributes["href"] for group in groups] == ["/talk/", "/other/"]
    assert [node.text() for node in groups[0].css(".reply-excerpt")] == ["Reply 5.", "Reply 3.", "Reply 1."]
    assert groups[0].css_first(".reply-entry .u-url").attributes["href"] == "/talk/#reply-r005"


def test_the_readers_list_comes_before_the_replies_and_each_header_has_one_link(site):
    many_replies(site, 6)
    assert site.build() == 0
    page = site.html("replies/index.html")
    html = page.html
    assert html.index("Readers who replied") < html.index('class="reply-group"')
    assert [a.text() for a in page.css(".reply-authors a")] == ["Reader 0", "Reader 1", "Reader 2"]
    for meta in page.css(".reply-entry-meta"):
        assert len(meta.css("a")) == 1


def test_an_authors_replies_are_paged_too_and_the_feed_keeps_its_size(site):
    many_replies(site, 60, author=lambda i: "Ann" if i < 55 else "Bo")
    assert site.build() == 0
    first, second = site.html("replies/ann/index.html"), site.html("replies/ann/page/2/index.html")
    assert len(first.css(".reply-entry")) == 50 and len(second.css(".reply-entry")) == 5
    assert first.css_first("head link[rel=next]").attributes["href"] == "/replies/ann/page/2/"
    assert first.css(".reply-entry-meta a") == []  # no link to the page it is on
    feed = (site.out / "replies/feed.xml").read_text()
    assert feed.count("<entry>") == 20


def test_an_entry_shows_the_replys_own_first_words_not_its_quote(site):
    essay_with_replies(site)
    long_answer = " ".join(["word"] * 120)
    write_reply(site, "q", f"> The margin is where a reader answers the page\n\nI *disagree* -- {long_answer}", author="Ann")
    assert site.build() == 0
    excerpt = site.html("replies/index.html").css_first(".reply-excerpt").text()
    assert excerpt.startswith("I disagree \u2013 word word") and excerpt.endswith("word\u2026") and len(excerpt) <= 281

"""Reply links (`replies_via`): the setting's validation, the links a page offers without
JavaScript, and what a link carries: a ready reply that parses as a draft reply file."""
from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.config import Config
from postil.pipeline import BuildOptions, Builder
from postil.content.reply import parse_reply
from postil.site.reply_links import NO_SCRIPT_FILENAME, ReplyForm, ready_reply, reply_href
from replies_helpers import essay_with_replies, write_reply

MAIL = "mailto:replies@example.org"
FORGE = "https://github.com/ada/essays/new/main?filename={path}&value={body}"
CONFIG = '[tool.postil]\ntitle = "Test Site"\nbase_url = "https://example.org/"\nsearch = false\n'


def configure(site, via: str) -> None:
    site.write("pyproject.toml", CONFIG + f"replies_via = {via!r}\n".replace("'", '"'))


def reply_links(page) -> list[str]:
    return [node.attributes["href"] for node in page.css("a.reply-link")]


@pytest.mark.parametrize("value, expected", [
    ("replies@example.org", "must be a mailto: address or an http(s) URL template"),
    ("mailto:", "mailto: and one address"),
    ("mailto:a@b.org?subject=Hi", "mailto: and one address"),
    ("https://forge.example/new?value={bdy}", "unknown placeholder {bdy}"),
    ("https://forge.example/new?filename={path}", "must have a {body} placeholder"),
    ("https://forge.example/new?value={body", "not a usable URL template"),
    ("ftp://forge.example/{body}", "must be a mailto: address or an http(s) URL template"),
])
def test_a_bad_replies_via_is_an_error_at_its_line(site, capsys, value, expected):
    site.write("pyproject.toml", CONFIG + "author = 'Ada'\n" + f"replies_via = {value!r}\n".replace("'", '"'))
    essay_with_replies(site)
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "pyproject.toml:6:" in err and expected in err, err
    assert "Traceback" not in err


def test_a_replies_via_that_is_not_a_string_is_an_error(site, capsys):
    site.write("pyproject.toml", CONFIG + "replies_via = true\n")
    essay_with_replies(site)
    assert site.build() == 1
    assert "pyproject.toml:5:" in capsys.readouterr().err


def test_unset_replies_via_offers_no_links_and_loads_nothing_more(site):
    essay_with_replies(site)
    write_reply(site, "r1")
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert page.css("a.reply-link, .essay-reply") == []
    assert not any("reply-links" in (node.attributes.get("href") or node.attributes.get("src") or "")
                   for node in page.css("link, script"))


def test_mail_links_carry_a_ready_reply_to_the_essay_and_to_each_reply(site):
    configure(site, MAIL)
    essay_with_replies(site)
    write_reply(site, "r1")
    assert site.build() == 0
    page = site.html("talk/index.html")
    to_essay, to_reply = reply_links(page)
    assert page.css_first(".essay-reply .reply-link").text() == "Reply"
    assert page.css_first("#reply-r1 .reply-link").text(deep=True) == "Reply to this: A Reader’s reply"
    for link, parent in ((to_essay, ""), (to_reply, "r1")):
        parts = urlsplit(link)
        assert (parts.scheme, parts.path) == ("mailto", "replies@example.org")
        assert "+" not in parts.query  # RFC 6068: spaces are %20
        query = parse_qs(parts.query)
        assert query["subject"] == ["Re: Talk"]
        body = query["body"][0]
        assert "\r\n" in body  # RFC 6068 line breaks
        lines = body.split("\r\n")
        assert lines[0] == "---" and "author: " in lines and "draft: true" in lines
        assert "# A reply to “Talk” (https://example.org/talk/)." in lines
        assert ("parent: r1" in lines) == bool(parent)
        assert not any(line.startswith("date:") for line in lines)


def test_a_forge_link_fills_every_placeholder_percent_encoded(site):
    configure(site, "https://forge.example/ada/essays/new/main?filename={path}&name={filename}&title={title}&value={body}")
    site.essay("talk/index.md", title="Talk & “Tea”")
    assert site.build() == 0
    (link,) = reply_links(site.html("talk/index.html"))
    raw = dict(part.split("=", 1) for part in urlsplit(link).query.split("&"))
    assert all(c not in raw[key] for key in raw for c in "/ &?#")  # every value fully encoded
    assert unquote(raw["filename"]) == "content/talk/replies/new-reply.md"
    assert unquote(raw["name"]) == "new-reply.md"
    assert unquote(raw["title"]) == "Re: Talk & “Tea”"
    assert unquote(raw["value"]).startswith("---\n# A reply to “Talk & “Tea”” (https://example.org/talk/).\n")


def test_closed_and_hidden_essays_offer_no_reply_links(site):
    configure(site, MAIL)
    essay_with_replies(site, "closed", replies="closed")
    essay_with_replies(site, "hidden", replies="hidden")
    write_reply(site, "r1", bundle="closed")
    assert site.build() == 0
    for page in ("closed/index.html", "hidden/index.html"):
        assert site.html(page).css("a.reply-link, .essay-reply, script[src*=reply-links]") == []


def test_a_single_file_essay_takes_replies_by_mail_but_not_through_a_forge(site):
    configure(site, MAIL)
    site.essay("single.md", title="Single")
    assert site.build() == 0
    (link,) = reply_links(site.html("single/index.html"))
    assert link.startswith(MAIL)
    configure(site, FORGE)
    assert site.build() == 0
    assert reply_links(site.html("single/index.html")) == []


def test_what_a_forge_link_sends_is_a_draft_reply_that_parses_once_signed(site):
    """The body, stored as the file it names with the author filled in, is a valid draft
    reply, without a date (a page without JavaScript has none to give)."""
    configure(site, FORGE)
    essay_with_replies(site)
    write_reply(site, "r1")
    assert site.build() == 0
    link = site.html("talk/index.html").css_first("#reply-r1 .reply-link").attributes["href"]
    query = parse_qs(urlsplit(link).query)
    (path,), (body,) = query["filename"], query["value"]
    signed = body.replace("author: \n", "author: Bea\n")
    parsed = parse_reply(path, "content/talk", "talk/", signed.encode(), Config())
    assert parsed.problems == ()
    reply = parsed.reply
    assert (reply.author, reply.parent, reply.draft, reply.date, parsed.body.html) == ("Bea", "r1", True, None, "")
    unsigned = parse_reply(path, "content/talk", "talk/", body.encode(), Config())
    assert unsigned.reply is None and "missing or empty 'author'" in unsigned.problems[0].message


def test_an_undated_draft_is_shown_by_serve_and_left_out_of_build(site):
    essay_with_replies(site)
    write_reply(site, "r1")
    write_reply(site, "new-reply", "Sent without a date.", date=None, draft=True)
    assert site.build() == 0
    assert site.html("talk/index.html").css_first("#reply-new-reply") is None
    preview = Builder(site.root, BuildOptions(out_dir=None, draft_replies=True, search=False)).build().files  # as serve builds
    page = HTMLParser(preview["talk/index.html"].decode("utf-8"))
    assert page.css_first("#reply-new-reply .reply-undated").text() == "undated"
    assert page.css_first("#reply-new-reply .draft-badge") is not None
    assert [node.attributes["id"] for node in page.css(".reply")][-1] == "reply-new-reply"  # the newest: last
    assert b"Sent without a date" in preview["replies/index.html"]
    assert b"new-reply" not in preview["replies/feed.xml"]


def test_a_published_reply_without_a_date_is_still_an_error(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", date=None)
    assert site.build() == 1
    assert "missing 'date'" in capsys.readouterr().err


@pytest.mark.parametrize("via", [MAIL, FORGE + "&title={title}&name={filename}"])
@pytest.mark.parametrize("parent", ["", "r12"])
def test_a_forms_link_is_its_ready_reply_sent_whole(via, parent):
    """ReplyForm encodes a thread's shared part once; each link must still be exactly the
    ready reply encoded whole."""
    form = ReplyForm(via, "Talk & “Tea”", "https://example.org/talk/", "content/talk/replies/")
    body = ready_reply(form.title, form.url, parent)
    assert form.href(parent) == reply_href(via, title=form.title, folder=form.folder, filename=NO_SCRIPT_FILENAME, body=body)

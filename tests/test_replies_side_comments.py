"""Side comments: replies quoting the essay are pinned beside the passage they quote."""
from __future__ import annotations

from replies_helpers import essay_with_replies, write_reply

FIRST = "The margin is where a reader answers the page"


def side_comments_of(page, passage_text: str):
    for wrapper in page.css(".passage-with-comments"):
        if passage_text in wrapper.css_first("p").text():
            return wrapper.css_first(".side-comments")
    return None


def test_quoting_a_passage_puts_the_replies_words_beside_it_with_count_names_and_links(site):
    essay_with_replies(site)
    write_reply(site, "r1", f"> {FIRST}\n\nAgreed.", author="Ann")
    write_reply(site, "r2", f"> {FIRST}, one pencilled line\n\nNo.", author="Ben", date="2026-03-03T10:00:00Z")
    assert site.build() == 0
    marker = side_comments_of(site.html("talk/index.html"), "The margin is where")
    assert marker.css_first(".side-comments-count").text() == "2 replies"
    assert marker.css_first(".side-comments-names").text() == " \u00b7 Ann, Ben"
    comments = marker.css(".side-comment")
    assert [(c.css_first(".side-comment-author").text(), c.css_first(".side-comment-excerpt").text()) for c in comments] == [
        ("Ann", "Agreed."), ("Ben", "No."),
    ]
    assert [c.css_first("a.side-comment-link").attributes["href"] for c in comments] == ["#reply-r1", "#reply-r2"]


def test_a_long_reply_shows_an_excerpt_that_opens_to_the_whole_reply_without_the_quote(site):
    essay_with_replies(site)
    words = " ".join(f"word{i}" for i in range(60))
    write_reply(site, "r1", f"> {FIRST}\n\nFirst *thought*.[^n]\n\n{words}\n\n[^n]: A footnote.", author="Ann")
    assert site.build() == 0
    page = site.html("talk/index.html")
    comment = side_comments_of(page, "The margin is where").css_first(".side-comment")
    excerpt = comment.css_first("summary .side-comment-excerpt").text()
    assert excerpt.startswith("First thought. word0 word1") and excerpt.endswith("\u2026") and len(excerpt) <= 141
    body = comment.css_first("details.side-comment-reply > .side-comment-body")
    assert body.css_first("blockquote") is None and "word59" in body.text() and body.css_first("em").text() == "thought"
    assert body.css("[id]") == [] and body.css_first(".footnotes, .footnote-ref") is None
    assert page.css_first("#reply-r1 blockquote") is not None  # the thread keeps the whole reply


def test_past_three_replies_to_one_passage_the_rest_fold_under_a_count(site):
    essay_with_replies(site)
    for number in range(5):
        write_reply(site, f"r{number}", f"> {FIRST}\n\nReply {number}.", author=f"Reader {number}", date=f"2026-03-0{number + 2}T10:00:00Z")
    assert site.build() == 0
    marker = side_comments_of(site.html("talk/index.html"), "The margin is where")
    assert len(marker.css(".side-comments-fold > .side-comments-list > .side-comment")) == 3
    rest = marker.css_first(".side-comments-rest")
    assert rest.css_first("summary").text() == "2 more replies"
    assert [node.text() for node in rest.css(".side-comment-excerpt")] == ["Reply 3.", "Reply 4."]


def test_side_comment_text_from_a_stranger_is_escaped(site):
    essay_with_replies(site)
    write_reply(site, "r1", f"> {FIRST}\n\n<script>alert(1)</script> &lt;b&gt; <img src=x onerror=alert(1)>", author="<i>Eve</i>")
    assert site.build() == 0
    marker = side_comments_of(site.html("talk/index.html"), "The margin is where")
    assert marker.css_first("script, img, i") is None
    assert "<i>Eve</i>" in marker.css_first(".side-comment-author").text()


def test_quote_matches_across_case_whitespace_and_typographic_quotes(site):
    site.essay("talk/index.md", title="Talk", body='She called it "a door that closes" and meant it.\n')
    write_reply(site, "r1", "> SHE CALLED IT \u201ca door\n> that  closes\u201d and meant it")
    assert site.build("--strict") == 0
    assert side_comments_of(site.html("talk/index.html"), "She called it") is not None


def test_quote_with_words_left_out_matches_its_fragments_in_order(site):
    essay_with_replies(site)
    write_reply(site, "r1", "> A second paragraph \u2026 that outgrew the text they surrounded.")
    write_reply(site, "r2", "> A second paragraph ... glosses that outgrew")
    assert site.build("--strict") == 0
    marker = side_comments_of(site.html("talk/index.html"), "A second paragraph")
    assert marker.css_first(".side-comments-count").text() == "2 replies"


def test_fragments_out_of_order_do_not_match(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "> glosses that outgrew the text ... A second paragraph talks")
    assert site.build() == 0
    assert "content/talk/replies/r1.md:5: warning: the quote" in capsys.readouterr().err


def test_opening_quote_matching_nothing_in_reach_is_a_warning_with_path_and_line(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "> This sentence appears nowhere in the essay at all.\n\nIntro line.")
    assert site.build() == 0
    err = capsys.readouterr().err
    assert "content/talk/replies/r1.md:5: warning: the quote \u201cthis sentence appears nowhere in the essay at all.\u201d is not in the essay" in err
    assert "{.elsewhere}" in err


def test_a_quote_further_down_the_reply_is_evidence_not_an_anchor(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "Compare a manual I keep:\n\n> The margin belongs to the binder before it belongs to the reader.\n\nQuite.")
    write_reply(site, "r2", f"As I read it:\n\n> {FIRST}\n\nYes.", date="2026-03-03T10:00:00Z")
    assert site.build("--strict") == 0
    assert "warning" not in capsys.readouterr().err
    assert site.html("talk/index.html").css_first(".side-comments") is None


def test_quote_of_two_consecutive_paragraphs_is_pinned_beside_the_first(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "> The margin is where a reader answers the page, one pencilled line at a time.\n>\n"
                "> A second paragraph talks about glosses that outgrew the text they surrounded.\n\nBoth, yes.", author="Ann")
    assert site.build("--strict") == 0
    assert "warning" not in capsys.readouterr().err
    page = site.html("talk/index.html")
    assert side_comments_of(page, "The margin is where").css_first(".side-comment-author").text() == "Ann"
    assert side_comments_of(page, "A second paragraph") is None


def test_unmatched_quote_is_an_error_with_strict(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "> This sentence appears nowhere in the essay at all.")
    assert site.build("--strict") == 1
    assert "content/talk/replies/r1.md:5: error: the quote" in capsys.readouterr().err


def test_quote_of_an_ancestor_reply_is_a_plain_blockquote_without_warning(site):
    essay_with_replies(site)
    write_reply(site, "r1", "Libraries have been living with this for a century.")
    write_reply(site, "r1a", "Middle.", parent="r1", date="2026-03-03T10:00:00Z")
    write_reply(site, "r1a1", "> living with this for a century\n\nIndeed.", parent="r1a", date="2026-03-04T10:00:00Z")
    assert site.build("--strict") == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-r1a1 blockquote") is not None
    assert page.css_first(".side-comments") is None


def test_quote_of_a_sibling_reply_is_not_in_reach(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "Libraries have been living with this for a century.")
    write_reply(site, "r2", "> living with this for a century", date="2026-03-03T10:00:00Z")
    assert site.build() == 0
    assert "content/talk/replies/r2.md:5: warning" in capsys.readouterr().err


def test_quote_marked_elsewhere_is_not_checked_and_is_labelled(site):
    essay_with_replies(site)
    write_reply(site, "r1", "{.elsewhere}\n> The margin belongs to the binder before it belongs to the reader.\n\nFrom a manual.")
    assert site.build("--strict") == 0
    quote = site.html("talk/index.html").css_first("#reply-r1 blockquote")
    assert quote.attributes["class"] == "elsewhere"


def test_attribute_lines_in_replies_set_nothing_but_elsewhere(site):
    essay_with_replies(site)
    write_reply(site, "r1", "{#reply-fake .elsewhere style=\"position:fixed\" data-x=1}\n> A quote from a book nobody here has read.")
    assert site.build("--strict") == 0
    quote = site.html("talk/index.html").css_first("#reply-r1 blockquote")
    assert quote.attributes == {"class": "elsewhere"}


def test_short_quotes_are_neither_checked_nor_pinned(site):
    essay_with_replies(site)
    write_reply(site, "r1", "> Not in the essay\n\nShort.")
    assert site.build("--strict") == 0
    assert site.html("talk/index.html").css_first(".side-comments") is None


def test_every_passage_of_an_essay_has_a_stable_id_that_survives_edits_elsewhere(site):
    site.essay("a.md", body="First paragraph of the essay.\n\nSecond paragraph of the essay.\n")
    assert site.build() == 0
    before = site.html("a/index.html").css(".essay-body p")[1].attributes["id"]
    site.essay("a.md", body="A new opening.\n\nFirst paragraph of the essay.\n\nSecond paragraph of the essay.\n")
    assert site.build() == 0
    after = site.html("a/index.html").css(".essay-body p")[2].attributes["id"]
    assert before == after and before.startswith("passage-")


def test_editing_a_quoted_passage_warns_instead_of_orphaning_the_side_comment(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", f"> {FIRST}")
    assert site.build("--strict") == 0
    site.essay("talk/index.md", title="Talk", body="Entirely rewritten opening about something else.\n")
    assert site.build() == 0
    assert "content/talk/replies/r1.md:5: warning: the quote" in capsys.readouterr().err


def test_quote_of_an_essay_footnote_is_accepted_without_a_marker(site):
    site.essay("talk/index.md", title="Talk", body="A claim.[^1]\n\n[^1]: Exports are files nobody has tried to open.\n")
    write_reply(site, "r1", "> Exports are files nobody has tried to open.")
    assert site.build("--strict") == 0
    assert site.html("talk/index.html").css_first(".side-comments") is None


def test_quote_typed_with_plain_dashes_and_dots_matches_the_typeset_essay(site):
    site.essay("talk/index.md", title="Talk", body="The thread -- through a cataloguer's account... -- is better than mine.\n")
    write_reply(site, "r1", "> The thread -- through a cataloguer's account")
    write_reply(site, "r2", "> The thread \u2014 through a cataloguer\u2019s account\u2026 \u2014 is better")
    assert site.build("--strict") == 0
    marker = side_comments_of(site.html("talk/index.html"), "The thread")
    assert marker.css_first(".side-comments-count").text() == "2 replies"


def test_a_reply_pinned_by_its_opening_quote_keeps_its_later_quotes_in_the_margin(site):
    essay_with_replies(site)
    second = "A second paragraph talks about glosses"
    write_reply(site, "r1", f"> {FIRST}\n\nOn the first.\n\n> {second}\n\nOn the second.", author="Ann")
    assert site.build() == 0
    page = site.html("talk/index.html")
    beside_first = side_comments_of(page, "The margin is where").css_first(".side-comment-body")
    assert [quote.text().strip() for quote in beside_first.css("blockquote")] == [second]
    assert side_comments_of(page, "A second paragraph") is None  # only the opening quote pins a reply

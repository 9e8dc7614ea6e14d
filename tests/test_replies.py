"""Reader replies: files, threads, rendering, modes, reply pages and the Staticman import."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from replies_helpers import essay_with_replies, write_reply

ATOM = "{http://www.w3.org/2005/Atom}"


def thread_site(site) -> None:
    essay_with_replies(site)
    write_reply(site, "a", "First.", author="Ann", date="2026-03-02T09:00:00Z")
    write_reply(site, "b", "Second.", author="Ben", date="2026-03-02T08:00:00Z")
    write_reply(site, "a1", "Answer to Ann.", author="Cy", parent="a", date="2026-03-03T09:00:00Z")
    write_reply(site, "a1x", "Answer to Cy.", author="Di", parent="a1", date="2026-03-04T09:00:00Z")


def test_replies_answering_a_reply_are_rendered_inside_its_element(site):
    thread_site(site)
    assert site.build() == 0
    page = site.html("talk/index.html")
    outer = page.css_first("#reply-a")
    assert outer.tag == "details"
    inside = [node.attributes["id"] for node in outer.css("details.reply") if node is not outer and node.attributes["id"] != "reply-a"]
    assert inside == ["reply-a1", "reply-a1x"]
    assert page.css_first("#reply-a1").css_first("#reply-a1x") is not None


def test_each_level_is_ordered_oldest_first(site):
    thread_site(site)
    assert site.build() == 0
    top = site.html("talk/index.html").css(".reply-list > details.reply")
    assert [node.attributes["id"] for node in top] == ["reply-b", "reply-a"]


def test_reply_shows_author_date_score_agreement_website_and_permalink(site):
    essay_with_replies(site)
    write_reply(site, "r1", "Hello.", author="Ann", url="https://ann.example/", score=-3, agreement=7)
    assert site.build() == 0
    reply = site.html("talk/index.html").css_first("#reply-r1")
    assert reply.css_first("summary .p-author").text() == "Ann"
    website = reply.css_first(".reply-links .reply-website")
    assert website.attributes["href"] == "https://ann.example/" and "nofollow" in website.attributes["rel"]
    assert reply.css_first("time").attributes["datetime"] == "2026-03-02T10:00:00Z"
    assert reply.css_first(".reply-score").text() == "-3 points"
    assert reply.css_first(".reply-agreement").text() == "7 agree"
    assert reply.css_first(".reply-permalink").attributes["href"] == "#reply-r1"


def test_reply_without_url_has_no_website_link(site):
    essay_with_replies(site)
    write_reply(site, "r1", author="Ann")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first("#reply-r1 .reply-website") is None


def test_replies_nest_as_elements_down_to_depth_seven_and_deeper_ones_follow_flat(site):
    essay_with_replies(site)
    parent = None
    for depth in range(11):
        write_reply(site, f"d{depth}", parent=parent, date=f"2026-03-{depth + 2:02}T10:00:00Z")
        parent = f"d{depth}"
    assert site.build() == 0
    page = site.html("talk/index.html")
    for depth in range(1, 8):
        assert page.css_first(f"#reply-d{depth - 1} > .reply-children > #reply-d{depth}") is not None
    seventh = page.css_first("#reply-d7")
    assert [node.attributes["id"] for node in page.css("#reply-d7 > .reply-children > details.reply")] == ["reply-d8", "reply-d9", "reply-d10"]
    for depth in (8, 9, 10):
        reply = page.css_first(f"#reply-d{depth}")
        assert "reply-flat" in reply.attributes["class"] and reply.attributes["data-depth"] == str(depth)
        assert page.css(f"#reply-d{depth} details") == []
        link = reply.css_first(".reply-parent a")
        assert link.attributes["href"] == f"#reply-d{depth - 1}" and link.text() == "A Reader"
    assert "reply-flat" not in seventh.attributes["class"]


def test_reply_count_is_shown_on_the_essay_and_home_pages(site):
    thread_site(site)
    assert site.build() == 0
    assert site.html("talk/index.html").css_first(".essay-meta .reply-count").text() == "4 replies"
    assert site.html("talk/index.html").css_first("#replies-title").text() == "4 replies"
    home_count = site.html("index.html").css_first(".essay-item .reply-count")
    assert home_count.text() == "4 replies" and home_count.attributes["href"] == "/talk/#replies"


def test_footnotes_in_replies_get_ids_distinct_from_the_essay_and_each_other(site):
    site.essay("talk/index.md", title="Talk", body="Essay claim.[^1]\n\n[^1]: Essay note.\n")
    write_reply(site, "r1", "Reply claim.[^1]\n\n[^1]: Reply note.\n")
    write_reply(site, "r2", "Other claim.[^1]\n\n[^1]: Other note.\n")
    assert site.build() == 0
    page = site.html("talk/index.html")
    ids = [node.attributes["id"] for node in page.css("[id]")]
    assert len(ids) == len(set(ids))
    reply_ref = page.css_first("#reply-r1 .footnote-ref a")
    target = page.css_first(f"[id='{reply_ref.attributes['href'][1:]}']")
    assert "Reply note." in target.text()


def test_closed_replies_are_shown_and_marked_closed(site):
    essay_with_replies(site, replies="closed")
    write_reply(site, "r1", "Still here.")
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-r1") is not None
    assert page.css_first(".replies-closed").text() == "Replies to this essay are closed."


def test_hidden_replies_are_not_rendered_anywhere(site):
    essay_with_replies(site, replies="hidden")
    write_reply(site, "r1", "Secret.", author="Ann")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first("#replies") is None
    assert site.html("index.html").css_first(".reply-count") is None
    assert not (site.out / "replies").exists()


def test_open_replies_are_not_marked_closed(site):
    essay_with_replies(site)
    write_reply(site, "r1")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first(".replies-closed") is None


def test_reply_with_missing_parent_is_shown_top_level_with_warning(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "Orphan.", parent="gone")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first(".reply-list > #reply-r1") is not None
    err = capsys.readouterr().err
    assert "content/talk/replies/r1.md:" in err and "parent 'gone' is not a reply to this essay" in err


def test_parent_cycle_is_an_error_naming_every_file(site, capsys):
    essay_with_replies(site)
    write_reply(site, "x", parent="y")
    write_reply(site, "y", parent="z")
    write_reply(site, "z", parent="x")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "content/talk/replies/x.md, content/talk/replies/y.md, content/talk/replies/z.md" in err
    assert not site.out.exists()


def test_reply_naming_itself_as_parent_is_an_error(site, capsys):
    essay_with_replies(site)
    write_reply(site, "me", parent="me")
    assert site.build() == 1
    assert "content/talk/replies/me.md:" in capsys.readouterr().err


def test_reply_over_64_kib_is_an_error(site, capsys):
    essay_with_replies(site)
    write_reply(site, "big", "word " * 14000)
    assert site.build() == 1
    assert "content/talk/replies/big.md: error: reply is 68 KiB; the limit is 64 KiB" in capsys.readouterr().err


def test_reply_without_author_or_date_is_an_error_with_its_line(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", raw_meta="score: 3\n")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "content/talk/replies/r1.md:2: error: missing or empty 'author'" in err
    assert "content/talk/replies/r1.md:2: error: missing 'date'" in err


def test_non_http_author_url_is_dropped_with_a_warning(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", author="Ann", url="ftp://ann.example/")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first("#reply-r1 .reply-website") is None
    assert "content/talk/replies/r1.md:4: warning: 'url' must be an http:// or https:// address" in capsys.readouterr().err


def test_score_that_is_not_a_whole_number_is_left_out_with_a_warning(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", score="lots")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first("#reply-r1 .reply-score") is None
    assert "'score' must be a whole number" in capsys.readouterr().err


def test_unusable_reply_file_name_is_an_error(site, capsys):
    essay_with_replies(site)
    write_reply(site, "two words")
    assert site.build() == 1
    assert "reply file name 'two words' is not a usable id" in capsys.readouterr().err


def test_raw_html_in_a_reply_is_shown_as_text(site):
    essay_with_replies(site)
    write_reply(site, "r1", "I <em>really</em> mean it.")
    assert site.build() == 0
    body = site.html("talk/index.html").css_first("#reply-r1 .reply-body")
    assert body.css_first("em") is None
    assert "I <em>really</em> mean it." in body.text()


def test_replies_get_the_essays_quotes_dashes_and_ellipses_but_not_in_code(site):
    essay_with_replies(site)
    write_reply(site, "r1", 'He said "fine" -- it\'s---twice... Options (a), (b), (c); C++-like `"a" -- b...`')
    assert site.build() == 0
    body = site.html("talk/index.html").css_first("#reply-r1 .reply-body")
    assert body.text().strip() == 'He said \u201cfine\u201d \u2013 it\u2019s\u2014twice\u2026 Options (a), (b), (c); C++-like "a" -- b...'
    assert body.css_first("code").text() == '"a" -- b...'


def test_reply_links_get_rel_nofollow_ugc_noopener(site):
    essay_with_replies(site)
    write_reply(site, "r1", "See [this](https://elsewhere.example/) and [that](/talk/).")
    assert site.build() == 0
    links = site.html("talk/index.html").css("#reply-r1 .reply-body a")
    assert [a.attributes["href"] for a in links] == ["https://elsewhere.example/", "/talk/"]
    assert all(set(a.attributes["rel"].split()) == {"nofollow", "ugc", "noopener"} for a in links)


def test_reply_images_become_plain_links(site):
    essay_with_replies(site)
    write_reply(site, "r1", "![tracker](https://pixel.example/p.gif)")
    assert site.build() == 0
    body = site.html("talk/index.html").css_first("#reply-r1 .reply-body")
    assert body.css_first("img") is None
    assert body.css_first("a").attributes["href"] == "https://pixel.example/p.gif"


def test_replies_carry_h_entry_in_reply_to_their_parent_or_the_essay(site):
    thread_site(site)
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert page.css_first("#reply-a > .u-in-reply-to").attributes["href"] == "https://example.org/talk/"
    assert page.css_first("#reply-a1 > .u-in-reply-to").attributes["href"] == "https://example.org/talk/#reply-a"


def test_essay_answering_an_essay_links_it_with_u_in_reply_to_and_is_listed_as_response(site):
    site.essay("first.md", title="First")
    site.essay("second.md", title="Second", date="2026-02-01", in_reply_to="/first/")
    assert site.build() == 0
    link = site.html("second/index.html").css_first(".in-reply-to a.u-in-reply-to")
    assert link.text() == "First" and link.attributes["href"] == "/first/"
    assert [a.text() for a in site.html("first/index.html").css(".responses a")] == ["Second"]


def test_recent_replies_page_lists_replies_newest_first_linking_into_threads(site):
    thread_site(site)
    assert site.build() == 0
    entries = site.html("replies/index.html").css(".reply-entry")
    assert [e.css_first(".p-author").text() for e in entries] == ["Di", "Cy", "Ann", "Ben"]
    assert entries[0].css_first(".u-url").attributes["href"] == "/talk/#reply-a1x"


def test_replies_feed_is_atom_with_one_entry_per_reply_newest_first(site):
    thread_site(site)
    assert site.build() == 0
    feed = ET.parse(site.out / "replies/feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}author/{ATOM}name").text for e in entries] == ["Di", "Cy", "Ann", "Ben"]
    assert entries[0].find(f"{ATOM}id").text == "https://example.org/talk/#reply-a1x"
    assert feed.find(f"{ATOM}updated").text == "2026-03-04T09:00:00Z"


def test_author_page_gathers_one_persons_replies_across_essays_newest_first(site):
    essay_with_replies(site)
    essay_with_replies(site, bundle="other")
    write_reply(site, "r1", "On talk.", author="Ann Lee", date="2026-03-02T10:00:00Z")
    write_reply(site, "r2", "On other.", author="Ann Lee", bundle="other", date="2026-03-05T10:00:00Z")
    write_reply(site, "r3", "Not Ann.", author="Bo")
    assert site.build() == 0
    entries = site.html("replies/ann-lee/index.html").css(".reply-entry")
    assert [e.css_first(".u-url").attributes["href"] for e in entries] == ["/other/#reply-r2", "/talk/#reply-r1"]


def test_an_essay_may_not_take_the_replies_path(site, capsys):
    site.essay("replies.md", title="Mine")
    assert site.build() == 1
    assert "URL /replies/ is already used by the theme" in capsys.readouterr().err


def test_replies_of_a_draft_essay_are_left_out(site):
    essay_with_replies(site, draft="true")
    write_reply(site, "r1", author="Ann")
    assert site.build() == 0
    assert not (site.out / "replies").exists()


def test_a_second_build_with_one_reply_changed_shows_the_change(site):
    from postil.pipeline import Builder, BuildOptions

    essay_with_replies(site)
    write_reply(site, "r1", "Before.")
    builder = Builder(site.root, BuildOptions(out_dir=site.out))
    builder.build()
    write_reply(site, "r1", "After.")
    builder.build()
    assert "After." in site.html("talk/index.html").css_first("#reply-r1").text()


def test_the_build_is_byte_for_byte_reproducible_with_replies(site):
    thread_site(site)
    assert site.build() == 0
    first = site.snapshot()
    assert site.build() == 0
    assert site.snapshot() == first


def test_parsed_essays_with_passages_and_parsed_replies_survive_the_disk_cache(tmp_path):
    """As the parse cache keeps them: an essay's body packed apart from the essay."""
    from dataclasses import replace

    from postil.speed.disk_cache import DiskCache
    from postil.speed.parse_cache import pack_body, unpack_body
    from postil.config import Config
    from postil.content.discover import EssaySource
    from postil.content.essay import parse_essay
    from postil.content.reply import parse_reply

    essay = parse_essay(EssaySource("content/talk/index.md", "talk/", "content/talk"), b"---\ntitle: T\ndate: 2026-01-01\n---\nA passage.\n", Config())
    reply = parse_reply("content/talk/replies/r1.md", "content/talk", "talk/", b"---\nauthor: A\ndate: 2026-01-02\n---\n> A quote of some length here.\n", Config())
    stored = {"essay": replace(essay, body=None), "body": pack_body(essay.body), "reply": reply}
    DiskCache(tmp_path, "parsed").save(stored)
    loaded = DiskCache(tmp_path, "parsed").load()
    assert loaded == stored
    assert unpack_body(*loaded["body"]) == essay.body
    assert [(passage.id != "", passage.text) for passage in essay.body.passages] == [(True, "a passage.")]


def test_essay_answering_an_external_url_links_it_with_u_in_reply_to(site):
    site.essay("answer.md", title="Answer", in_reply_to="https://elsewhere.example/post/")
    assert site.build() == 0
    link = site.html("answer/index.html").css_first(".in-reply-to a.u-in-reply-to")
    assert link.attributes["href"] == "https://elsewhere.example/post/"


def test_author_that_is_not_text_is_an_error(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", author=["a", "list"])
    assert site.build() == 1
    assert "content/talk/replies/r1.md:2: error: 'author' must be text, not list" in capsys.readouterr().err


def test_reply_link_to_a_missing_page_of_the_site_is_a_warning_with_its_line(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "See [this](/nowhere/) and [that](/talk/).")
    assert site.build() == 0
    err = capsys.readouterr().err
    assert "content/talk/replies/r1.md:5: warning: link to '/nowhere/' points at no page" in err
    assert "'/talk/'" not in err


def test_author_page_shows_same_named_replies_of_two_essays_apart_without_their_footnotes(site):
    essay_with_replies(site)
    essay_with_replies(site, bundle="other")
    write_reply(site, "r1", "Here.[^1]\n\n[^1]: Note on talk.\n", author="Ann")
    write_reply(site, "r1", "There.[^1]\n\n[^1]: Note on other.\n", author="Ann", bundle="other")
    assert site.build() == 0
    page = site.html("replies/ann/index.html")
    ids = [node.attributes["id"] for node in page.css("[id]")]
    assert len(ids) == len(set(ids))
    assert sorted(entry.css_first(".reply-excerpt").text() for entry in page.css(".reply-entry")) == ["Here.", "There."]
    assert sorted(entry.css_first(".u-url").attributes["href"] for entry in page.css(".reply-entry")) == ["/other/#reply-r1", "/talk/#reply-r1"]

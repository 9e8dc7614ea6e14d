"""The reply thread's script in a real browser: sorting, and highlighting what is new."""
from __future__ import annotations


import pytest

from browser_support import static_server
from replies_helpers import essay_with_replies, write_reply


@pytest.fixture
def thread_page(site, new_context):
    """The built thread served over HTTP on a free port; yields a fresh browser page's URL maker."""
    essay_with_replies(site)
    write_reply(site, "old", "Oldest.", author="Ann", date="2026-03-02T10:00:00Z", score=1)
    write_reply(site, "mid", "Middle.", author="Ben", date="2026-03-03T10:00:00Z", score=9)
    write_reply(site, "new", "Newest.", author="Cy", date="2026-03-04T10:00:00Z", score=5)
    write_reply(site, "child", "Answer.", author="Di", parent="old", date="2026-03-05T10:00:00Z")
    assert site.build() == 0
    with static_server(site.out) as server:
        yield new_context().new_page(), f"{server}/talk/"


def top_level_ids(page) -> list[str]:
    return page.eval_on_selector_all(".reply-list > details.reply", "nodes => nodes.map(n => n.id)")


def test_controls_appear_and_sorting_by_top_reorders_the_thread(thread_page):
    page, url = thread_page
    page.goto(url)
    assert page.is_visible(".replies-controls")
    assert top_level_ids(page) == ["reply-old", "reply-mid", "reply-new"]
    page.select_option(".replies-sort", "top")
    assert top_level_ids(page) == ["reply-mid", "reply-new", "reply-old"]
    page.select_option(".replies-sort", "new")
    assert top_level_ids(page) == ["reply-new", "reply-mid", "reply-old"]
    assert page.eval_on_selector("#reply-old", "n => n.querySelector('#reply-child') !== null")


def test_first_visit_marks_nothing_new(thread_page):
    page, url = thread_page
    page.goto(url)
    assert page.locator(".reply-new").count() == 0


def test_replies_newer_than_the_last_visit_are_marked_new(thread_page):
    page, url = thread_page
    page.goto(url)
    # Pretend the previous visit was between the second and third reply.
    page.evaluate("localStorage.setItem('postil:last-visit:' + location.pathname, String(Date.parse('2026-03-03T12:00:00Z')))")
    page.reload()
    new = page.eval_on_selector_all(".reply-new", "nodes => nodes.map(n => n.id)")
    assert sorted(new) == ["reply-child", "reply-new"]
    assert "new" in page.evaluate("getComputedStyle(document.querySelector('#reply-new > summary'), '::after').content")


def test_choosing_never_removes_the_highlight(thread_page):
    page, url = thread_page
    page.goto(url)
    page.evaluate("localStorage.setItem('postil:last-visit:' + location.pathname, '1')")
    page.reload()
    assert page.locator(".reply-new").count() == 4
    page.select_option(".replies-since", "none")
    assert page.locator(".reply-new").count() == 0


def test_without_script_the_controls_stay_hidden_and_collapsing_hides_the_answers(new_context, thread_page):
    page, url = thread_page
    plain = new_context(java_script_enabled=False).new_page()
    plain.goto(url)
    assert plain.is_visible("#reply-child")
    plain.click("#reply-old > summary .reply-score")
    assert not plain.is_visible("#reply-child")
    assert not plain.is_visible(".replies-controls")


@pytest.mark.parametrize("width,in_margin", [(1400, True), (420, False)])
def test_side_comment_sits_in_the_margin_when_wide_and_after_the_paragraph_when_narrow(site, new_context, width, in_margin):
    essay_with_replies(site)
    write_reply(site, "q", "> The margin is where a reader answers the page\n\nYes.", author="Ann")
    assert site.build() == 0
    with static_server(site.out) as server:
        page = new_context(viewport={"width": width, "height": 900}).new_page()
        page.goto(f"{server}/talk/")
        paragraph = page.locator(".passage-with-comments > p").bounding_box()
        marker = page.locator(".side-comments").bounding_box()
        if in_margin:
            assert marker["x"] >= paragraph["x"] + paragraph["width"] and abs(marker["y"] - paragraph["y"]) < 5
        else:
            assert marker["y"] >= paragraph["y"] + paragraph["height"] - 1 and marker["x"] < paragraph["x"] + paragraph["width"]

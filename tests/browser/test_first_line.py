"""The essay's opening line is set in small capitals, with or without side comments beside it."""
from __future__ import annotations

import pytest

FIRST_LINE_CAPS = "getComputedStyle(document.querySelector('.essay-body p'), '::first-line').fontVariantCaps"


def test_fixture_essay_opens_with_a_paragraph_that_replies_quote(open_page):
    page = open_page("/notes-in-the-margin/")
    assert page.evaluate("document.querySelector('.essay-body p').parentElement.matches('.passage-with-comments')")


@pytest.mark.parametrize("path", ["/notes-in-the-margin/", "/companion/"])
def test_first_line_of_the_essay_is_in_small_capitals(open_page, path):
    page = open_page(path)
    assert page.evaluate(FIRST_LINE_CAPS) == "small-caps"


def test_only_the_first_paragraph_gets_small_capitals(open_page):
    page = open_page("/notes-in-the-margin/")
    caps = page.evaluate("[...document.querySelectorAll('.essay-body p')].map(p => getComputedStyle(p, '::first-line').fontVariantCaps)")
    assert caps[0] == "small-caps" and set(caps[1:]) == {"normal"}

"""Quote matching compares text after normalising what copying changes."""
from __future__ import annotations

from postil.site.quotes import found_in, normalise


def test_normalise_collapses_every_kind_of_whitespace_and_folds_typography():
    assert normalise("  One\u00a0two\tthree\n\u2003four\u2028five  ") == "one two three four five"
    assert normalise("“Quoted” — and -- dashed---here") == '"quoted" - and - dashed-here'
    assert normalise("Straße…") == "strasse..."
    assert normalise(" \n\t") == ""


def test_a_quote_with_an_ellipsis_matches_its_fragments_in_order():
    text = normalise("The quick brown fox jumps over the lazy dog.")
    assert found_in(normalise("The quick … lazy dog"), text)
    assert not found_in(normalise("lazy dog … the quick"), text)

"""Quote matching compares text after normalising what copying changes."""
from __future__ import annotations

import sys

from postil.site.quotes import found_in, normalise


def test_normalise_collapses_every_kind_of_whitespace_and_folds_typography():
    assert normalise("  One\u00a0two\tthree\n\u2003four\u2028five  ") == "one two three four five"
    assert normalise("“Quoted” — and -- dashed---here") == '"quoted" - and - dashed-here'
    assert normalise("Straße…") == "strasse..."
    assert normalise(" \n\t") == ""


def test_normalise_plains_every_typographic_quote_and_dash_after_nfkc():
    text = "It‘s ‚b‛ ′ “c” „d‟ ″ «e» x‐y‑z‒w–v—u―t−s Straße… ½ ﬁ"
    assert normalise(text) == "it's 'b' ' \"c\" \"d\" '' \"e\" x-y-z-w-v-u-t-s strasse... 1\u20442 fi"


def test_normalise_splits_at_every_character_str_split_splits_at():
    """Text spaced singly skips the split (see normalise): the spaces it looks for must be all."""
    for code in range(sys.maxunicode + 1):
        if chr(code).isspace():
            assert normalise(f"a{chr(code)}{chr(code)}b") == "a b", hex(code)


def test_normalise_gives_ascii_text_what_it_gives_any_text():
    """ASCII text takes a shorter way (see normalise): it must end where the long one does."""
    for text in ("Plain words, one space each.", " Lead", "trail ", "two  spaces", "tab\there", "line\nbreak",
                 "odd\x1fseparator", "form\x0cfeed", "dash--es---here", "MiXeD CaSe", ""):
        assert normalise(text) == " ".join(text.replace("---", "-").replace("--", "-").split()).casefold()


def test_a_quote_with_an_ellipsis_matches_its_fragments_in_order():
    text = normalise("The quick brown fox jumps over the lazy dog.")
    assert found_in(normalise("The quick … lazy dog"), text)
    assert not found_in(normalise("lazy dog … the quick"), text)

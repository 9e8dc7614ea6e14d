"""What postil refuses, and that it says so on the right line instead of hanging or cutting."""
from __future__ import annotations

import pytest

from hostile_inputs import ESSAYS, build_in_subprocess, make_site
from replies_helpers import essay_with_replies, write_reply


def failed(site, capsys) -> str:
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_yaml_alias_bomb_is_refused_quickly_and_writes_no_cache(tmp_path):
    bomb = next(shape for shape in ESSAYS if shape.name == "yaml_alias_bomb")
    make_site(tmp_path, bomb)
    result = build_in_subprocess(tmp_path, timeout=60)  # the old code never finished
    assert result.returncode == 1
    assert "content/yaml_alias_bomb.md:5:7: error: YAML anchors and aliases are not allowed in front matter ('&a0')" in result.stderr
    cache = tmp_path / ".postil-cache"
    assert sum(path.stat().st_size for path in cache.rglob("*") if path.is_file()) < 1_000_000


def test_alias_in_front_matter_points_at_the_alias(site, capsys):
    site.write("content/a.md", "---\ntitle: A\ndate: 2026-01-01\ntags:\n  - *shared\n---\n", dedent=False)
    err = failed(site, capsys)
    assert "content/a.md:5:5: error: YAML anchors and aliases are not allowed in front matter ('*shared')" in err
    assert "if the '*' is part of the text, put the value in quotes" in err


def test_merge_key_is_refused_at_its_anchor(site, capsys):
    site.write("content/m.md", "---\ntitle: M\ndate: 2026-01-01\nbase: &b {x: 1}\nextra:\n  <<: *b\n---\n", dedent=False)
    err = failed(site, capsys)
    assert "content/m.md:4:7: error: YAML anchors and aliases are not allowed in front matter ('&b')" in err


def test_reply_front_matter_refuses_aliases_too(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", raw_meta="author: &who Eve\ndate: 2026-03-02T10:00:00Z\nurl: *who\n")
    err = failed(site, capsys)
    assert "content/talk/replies/r1.md:2:9: error: YAML anchors and aliases are not allowed in front matter ('&who')" in err


def test_front_matter_with_too_many_values_is_refused(site, capsys):
    values = ", ".join(["1"] * 10_001)
    site.write("content/many.md", f"---\ntitle: Many\ndate: 2026-01-01\nextra:\n  list: [{values}]\n---\n", dedent=False)
    err = failed(site, capsys)
    assert "content/many.md:5:" in err and "error: front matter has more than 10,000 values" in err


def test_front_matter_nested_too_deep_is_refused(site, capsys):
    nested = "".join(" " * depth + f"k{depth}:\n" for depth in range(40))
    site.write("content/deep.md", f"---\ntitle: Deep\ndate: 2026-01-01\n{nested}---\n", dedent=False)
    err = failed(site, capsys)
    assert "content/deep.md:35:32: error: front matter nests more than 32 levels deep" in err


def test_ordinary_front_matter_with_nested_extra_still_loads(site):
    site.essay("fine.md", extra="{cover: c.jpg, series: {name: Notes, part: 2}, list: [a, b]}")
    assert site.build() == 0


def test_file_over_max_file_size_is_an_error_naming_it(site, capsys):
    size = site.essay("huge.md", body="word " * 410_000).stat().st_size
    err = failed(site, capsys)
    assert f"content/huge.md: error: file is {size:,} bytes, over the limit of 2,000,000 (max_file_size)" in err
    assert "raise tool.postil.max_file_size" in err


def test_max_file_size_is_configurable(site, capsys):
    size = site.essay("small.md", body="word " * 300).stat().st_size
    config = site.root / "pyproject.toml"
    config.write_text(config.read_text() + "max_file_size = 1_000\n")
    err = failed(site, capsys)
    assert f"content/small.md: error: file is {size:,} bytes, over the limit of 1,000 (max_file_size)" in err
    config.write_text(config.read_text().replace("max_file_size = 1_000", "max_file_size = 10_000"))
    assert site.build() == 0


@pytest.mark.parametrize("value,message", [("0", "'max_file_size' must be at least 1, not 0"), ('"2MB"', "'max_file_size' must be a whole number")])
def test_max_file_size_is_validated(site, capsys, value, message):
    site.essay("a.md")
    config = site.root / "pyproject.toml"
    config.write_text(config.read_text() + f"max_file_size = {value}\n")
    err = failed(site, capsys)
    assert f"pyproject.toml:6: error: {message}" in err


def test_nested_inline_footnotes_past_the_limit_are_an_error_on_their_line(site, capsys):
    site.essay("notes.md", body="Intro.\n\n" + "^[" * 6 + "x" + "]" * 6 + "\n")
    err = failed(site, capsys)
    assert "content/notes.md:7: error: inline footnotes nest more than 5 deep — write the inner notes as ordinary footnotes" in err


@pytest.mark.parametrize("body", ["^[" * 50_000 + "x" + "]" * 50_000, "[" * 50_000, "[a" * 30_000])
def test_paragraph_of_nested_or_unclosed_brackets_is_refused_on_its_line(site, capsys, body):
    site.essay("brackets.md", body="Intro.\n\n" + body + "\n")
    err = failed(site, capsys)
    assert "content/brackets.md:7: error: this paragraph has too many nested or unclosed brackets to parse in reasonable time" in err


def test_brackets_that_close_cost_little_and_still_render(site):
    site.essay("arrays.md", body="Index a[i][j] and [[x]] and " + "[ok] " * 3_000 + "[a link](/arrays/).\n")
    assert site.build() == 0
    assert site.html("arrays/index.html").css_first('main a[href="/arrays/"]').text() == "a link"


def test_inline_footnotes_five_deep_still_render(site):
    site.essay("notes.md", body="Text^[one ^[two ^[three ^[four ^[five]]]]].\n")
    assert site.build() == 0
    items = site.html("notes/index.html").css("li.footnote-item")
    assert [item.text().split()[0] for item in items] == ["one", "two", "three", "four", "five"]


def test_blockquotes_nested_past_the_limit_are_an_error_not_dropped(site, capsys):
    site.essay("quotes.md", body="Intro.\n\n" + "> " * 25 + "deep words\n")
    err = failed(site, capsys)
    assert "content/quotes.md:7: error: blockquotes and lists nest more than 20 levels deep" in err


def test_blocks_just_under_the_limit_keep_all_their_text(site):
    lists = "".join("  " * depth + f"- item{depth}\n" for depth in range(9))
    site.essay("deep.md", body="> " * 19 + "deep words\n\n" + lists)
    assert site.build() == 0
    text = site.html("deep/index.html").css_first("main").text()
    assert "deep words" in text and "item8" in text


def test_lists_nested_past_the_limit_are_an_error_on_the_deep_line(site, capsys):
    site.essay("lists.md", body="".join("  " * depth + f"- item{depth}\n" for depth in range(12)))
    err = failed(site, capsys)
    assert "content/lists.md:14: error: blockquotes and lists nest more than 20 levels deep (a list counts two)" in err


def test_reply_nested_too_deep_is_an_error_on_its_line(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "Fine line.\n\n" + "^[" * 20 + "x" + "]" * 20)
    err = failed(site, capsys)
    assert "content/talk/replies/r1.md:7: error: inline footnotes nest more than 5 deep" in err


@pytest.mark.slow
def test_file_of_more_than_50000_blocks_is_refused_at_the_first_one_over(site, capsys):
    site.essay("flood.md", body="## h\n" * 50_001)
    err = failed(site, capsys)
    assert "content/flood.md:50005: error: more than 50,000 blocks (paragraphs, headings, list items…) in one file — split it" in err


def test_repeated_headings_are_numbered_in_order(site):
    site.essay("same.md", body="## Same\n\n## Same\n\n## Same-2\n\n## Same\n")
    assert site.build() == 0
    ids = [heading.attributes["id"] for heading in site.html("same/index.html").css("h2")]
    assert ids == ["same", "same-1", "same-2", "same-3"]  # as GitHub numbers them

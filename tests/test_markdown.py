"""The Markdown pipeline, checked in the built essay page."""
from __future__ import annotations

import textwrap


def body_of(site, text: str, *args: str):
    site.essay("e.md", body=textwrap.dedent(text))
    assert site.build(*args) == 0
    return site.html("e/index.html").css_first(".essay-body")


def test_tables_strikethrough_task_lists_and_definition_lists(site):
    body = body_of(site, """
        | a | b |
        |---|---|
        | 1 | 2 |

        ~~gone~~

        - [x] done
        - [ ] open

        Term
        : Its definition
    """)
    assert [td.text() for td in body.css("table td")] == ["1", "2"]
    assert body.css_first("s").text() == "gone"
    boxes = body.css("li.task-list-item input[type=checkbox]")
    assert [("checked" in box.attributes) for box in boxes] == [True, False]
    assert body.css_first("dl dt").text() == "Term" and body.css_first("dl dd").text() == "Its definition"


def test_wide_tables_scroll_in_their_own_box(site):
    body = body_of(site, "| a |\n|---|\n| 1 |\n")
    assert body.css_first(".table-wrap > table") is not None


def test_footnotes_reference_inline_and_multi_paragraph(site):
    body = body_of(site, """
        Claim.[^long] Aside.^[An inline note.]

        [^long]: First paragraph.

            Second paragraph of the same note.
    """)
    refs = body.css("a[role=doc-noteref]")
    assert [ref.attributes["href"] for ref in refs] == ["#fn-1", "#fn-2"]
    first = body.css_first("li#fn-1")
    assert [p.text(deep=True).strip(" ↩︎\ufe0e") for p in first.css("p")] == ["First paragraph.", "Second paragraph of the same note."]
    assert body.css_first("li#fn-2").text().startswith("An inline note.")
    back = first.css_first("a[role=doc-backlink]").attributes["href"]
    assert back == "#fnref-1" and body.css_first("#fnref-1") is not None


def test_footnote_reference_without_definition_warns_with_its_line(site, capsys):
    site.essay("e.md", body="Line one.\n\nCites [^ghost] here.\n")
    assert site.build() == 0
    assert "content/e.md:7: warning: footnote reference [^ghost] has no definition" in capsys.readouterr().err


def test_footnote_definition_never_cited_warns_with_its_line(site, capsys):
    site.essay("e.md", body="Text.\n\n[^lonely]: Never cited.\n")
    assert site.build() == 0
    assert "content/e.md:7: warning: footnote [^lonely] is defined but never referenced" in capsys.readouterr().err


def test_strict_turns_footnote_warnings_into_errors(site, capsys):
    site.essay("e.md", body="Cites [^ghost].\n")
    site.build()
    before = site.snapshot()
    assert site.build("--strict") == 1
    assert "content/e.md:5: error: footnote reference [^ghost]" in capsys.readouterr().err
    assert site.snapshot() == before


def test_heading_ids_are_githubs_unique_and_carry_a_permalink(site):
    body = body_of(site, "## Notes\n\n## Notes\n\n### Café au lait!\n")
    ids = [h.attributes["id"] for h in body.css("h2, h3")]
    assert ids == ["notes", "notes-1", "café-au-lait"]
    assert [a.attributes["href"] for a in body.css(".heading-anchor")] == ["#notes", "#notes-1", "#café-au-lait"]
    # The id the second heading had before GitHub's rule still leads to it.
    assert body.css_first("h2#notes-1 #notes-2") is not None


def test_heading_ids_never_take_footnote_ids(site):
    body = body_of(site, "## fn 1\n\nText.[^a]\n\n[^a]: Note.\n")
    assert body.css_first("h2").attributes["id"] != "fn-1"
    assert len(body.css("#fn-1")) == 1


def test_code_is_highlighted_with_classes_not_inline_styles(site):
    body = body_of(site, '```python\ndef f():\n    return "x"\n```\n')
    pre = body.css_first("pre.highlight")
    assert pre.attributes["data-lang"] == "python"
    assert pre.css_first("span.k").text() == "def"
    assert not body.css("[style]")


def test_unknown_language_falls_back_to_plain_text(site):
    body = body_of(site, "```zzlang\nif <x> then\n```\n")
    pre = body.css_first("pre.highlight")
    assert pre.css_first("code").text() == "if <x> then\n"
    assert pre.css_first("span") is None


def test_highlight_stylesheet_has_light_and_dark_palettes(site):
    site.essay("e.md")
    assert site.build() == 0
    href = site.html("e/index.html").css_first('link[href*="highlight"]').attributes["href"]
    css = (site.out / href.lstrip("/")).read_text()
    assert ".highlight .k " in css
    assert ":root[data-theme=dark] .highlight .k " in css
    assert "prefers-color-scheme: dark" in css


def test_math_is_rendered_to_mathml_at_build_time(site):
    body = body_of(site, "Euler: $e^{i\\pi}+1=0$.\n\n$$\n\\int_0^1 x\\,dx\n$$\n")
    inline, display = body.css("math")
    assert inline.attributes["display"] == "inline" and inline.css_first("msup") is not None
    assert display.attributes["display"] == "block" and display.css_first("msubsup") is not None


def test_smart_typography_in_prose_but_never_in_code(site):
    body = body_of(site, 'She said "yes" -- twice... `"raw" -- ...`\n\n```\n"raw" -- ...\n```\n')
    paragraph = body.css_first("p")
    assert "She said “yes” – twice…" in paragraph.text()
    assert paragraph.css_first("code").text() == '"raw" -- ...'
    assert body.css_first("pre code").text() == '"raw" -- ...\n'


def test_authors_raw_html_is_kept_in_essays(site):
    body = body_of(site, '<figure class="wide"><figcaption>Kept</figcaption></figure>\n')
    assert body.css_first("figure.wide figcaption").text() == "Kept"


def test_containers_become_labelled_asides(site):
    body = body_of(site, "::: note A caution\nInside.\n:::\n\n::: aside\nBeside.\n:::\n")
    note, aside = body.css("aside.callout")
    assert "callout-note" in note.attributes["class"] and note.css_first(".callout-title").text() == "A caution"
    assert "callout-aside" in aside.attributes["class"] and aside.css_first("p").text() == "Beside."


def test_attributes_on_images(site):
    site.write("content/e/diagram.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    site.essay("e/index.md", body="![A diagram](diagram.svg){.invert-dark}\n")
    assert site.build() == 0
    image = site.html("e/index.html").css_first(".essay-body img")
    assert image.attributes["class"] == "invert-dark"


def test_site_paths_in_links_follow_a_sub_path_base_url(site):
    site.essay("target.md", title="Target")
    body = body_of(site, "See [the target](/target/).\n", "--base-url", "https://example.org/blog/")
    assert body.css_first("a").attributes["href"] == "/blog/target/"


def test_bom_and_crlf_give_the_same_html_as_the_plain_file(site, tmp_path):
    text = "---\ntitle: Same\ndate: 2026-01-01\n---\nA \"quote\".[^1]\n\n[^1]: Note.\n"
    site.write("content/plain.md", text, dedent=False)
    (site.root / "content/windows.md").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert site.build() == 0
    plain = site.html("plain/index.html").css_first(".essay-body").html
    windows = site.html("windows/index.html").css_first(".essay-body").html
    assert plain == windows


def test_documents_sharing_a_page_never_share_an_id():
    from selectolax.lexbor import LexborHTMLParser

    from postil.markdown import essay_markdown, render_markdown

    text = "## Notes\n\nA claim.[^1]\n\n[^1]: Support.\n"
    parts = [
        render_markdown(essay_markdown(), text, first_line=1, base_path="/", doc_id=doc_id).html
        for doc_id in ("", "reply-r1", "reply-r2")
    ]
    page = LexborHTMLParser("".join(parts))
    ids = [node.attributes["id"] for node in page.css("[id]")]
    assert len(ids) == 12 and len(set(ids)) == len(ids)  # per document: heading, paragraph, note and its reference
    for node in page.css("a[href^='#']"):
        assert page.css_first(f"[id='{node.attributes['href'][1:]}']") is not None


def test_every_callout_kind_renders_and_other_names_stay_text():
    from postil.markdown import essay_markdown, render_markdown

    text = ":::: warning Careful\n::: note\nInside.\n:::\n::::\n\n::: aside\nBeside.\n:::\n\n::: tip\nNot a callout.\n:::\n"
    html = render_markdown(essay_markdown(), text, first_line=1, base_path="/").html
    assert '<aside class="callout callout-warning" role="note">\n<p class="callout-title">Careful</p>\n<aside class="callout callout-note" role="note">' in html
    assert '<aside class="callout callout-aside" role="note">' in html
    assert html.count("<aside") == html.count("</aside>") == 3
    assert "::: tip" in html


def test_rendering_block_by_block_gives_the_html_of_rendering_at_once():
    from postil.markdown import essay_markdown, render_markdown

    text = "# T\n\nOne.[^1]\n\n- a\n  - b\n\n> q\n\n```python\nx = 1\n```\n\n---\n\n::: note\nN.\n:::\n\n[^1]: Note.\n"
    md = essay_markdown()
    rendered = render_markdown(md, text, first_line=1, base_path="/")
    env: dict = {"base_path": "/"}
    assert rendered.html == md.renderer.render(md.parse(text, env), md.options, env)
    assert [passage.text for passage in rendered.passages if passage.text] == ["t", "one.", "a b", "q", "n.", "note."]


def test_highlighting_ignores_case_and_attributes_and_falls_back_for_unknown_languages():
    from postil.markdown.highlight import highlight_code

    first = highlight_code("x = 1\n", "python")
    assert highlight_code("x = 1\n", "Python {.wide}") == first
    assert '<span class="n">x</span>' in first
    assert highlight_code("<b>\n", "no-such-language") == '<pre class="highlight" data-lang="no-such-language" tabindex="0"><code>&lt;b&gt;\n</code></pre>\n'

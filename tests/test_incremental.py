"""Incremental builds give the same bytes as a clean build, and redo only what changed."""
from __future__ import annotations

import shutil

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from clean_build import clean_build
from conftest import SITE_SETTINGS, files_in

from postil.errors import PostilError
from postil.pipeline import Builder, BuildOptions


def small_site(site) -> None:
    site.essay("first.md", title="First", date="2026-01-01", tags="[reading]", body="Links to [the second](/second/).")
    site.essay("second.md", title="Second", date="2026-01-02", tags="[reading, writing]", body="Plain text.")
    site.essay("third.md", title="Third", date="2026-01-03", body="More text.\n\n## A heading\n\nEnd.")
    site.essay("bundle/index.md", title="Bundle", date="2026-01-04", body="![A picture](picture.txt)")
    site.write("content/bundle/picture.txt", "not really a picture\n")
    site.write("templates/partials/tags.html", '{% macro tag_list(tags) %}<ul class="tags">{% for tag in tags %}<li>{{ tag }}</li>{% endfor %}</ul>{% endmacro %}\n')
    site.write("theme/extra.css", "p { margin: 0 }\n")


CHANGES = {
    "essay body": lambda site: site.essay("second.md", title="Second", date="2026-01-02", tags="[reading, writing]", body="New text."),
    "essay title (neighbours, lists, backlinks)": lambda site: site.essay("second.md", title="Renamed", date="2026-01-02", tags="[reading, writing]", body="Plain text."),
    "essay date (order)": lambda site: site.essay("first.md", title="First", date="2026-02-01", tags="[reading]", body="Links to [the second](/second/)."),
    "new tag": lambda site: site.essay("third.md", title="Third", date="2026-01-03", tags="[fresh]", body="More text."),
    "new essay": lambda site: site.essay("fourth.md", title="Fourth", date="2026-01-05", body="Hello."),
    "deleted essay": lambda site: (site.root / "content/third.md").unlink(),
    "draft": lambda site: site.essay("third.md", title="Third", date="2026-01-03", draft="true", body="More text."),
    "included template": lambda site: site.write("templates/partials/tags.html", '{% macro tag_list(tags) %}<ol class="tags">{% for tag in tags %}<li>{{ tag }}</li>{% endfor %}</ol>{% endmacro %}\n'),
    "cached partial": lambda site: site.write("templates/partials/essay_item.html", "<li>{{ essay.title }} ({{ essay.date|date }})</li>\n"),
    "base template": lambda site: site.write("templates/base.html", "<html><body>{% block main %}{% endblock %}</body></html>\n"),
    "stylesheet": lambda site: site.write("theme/extra.css", "p { margin: 1em }\n"),
    "bundle file": lambda site: site.write("content/bundle/picture.txt", "another picture\n"),
    "new reply": lambda site: site.write("content/bundle/replies/r01.md", '---\nauthor: "Reader"\ndate: 2026-01-05\n---\nA reply to the bundle.\n'),
    "config": lambda site: site.write("pyproject.toml", '[tool.postil]\ntitle = "Renamed Site"\nbase_url = "https://example.org/"\n'),
}


# Plain (unhashed) asset names, as the preview uses them, matter only where assets change.
CASES = [(change, True) for change in CHANGES] + [("stylesheet", False), ("base template", False)]


@pytest.mark.slow  # a clean build in another process for each of many changes
@pytest.mark.parametrize(("change", "hashed"), CASES, ids=[f"{change}, {'hashed' if hashed else 'plain'} assets" for change, hashed in CASES])
def test_incremental_build_after_change_equals_clean_build(site, tmp_path, change, hashed):
    small_site(site)
    incremental = Builder(site.root, BuildOptions(out_dir=tmp_path / "incremental", drafts=False, hashed_assets=hashed))
    incremental.build()
    CHANGES[change](site)
    incremental.build()
    assert files_in(tmp_path / "incremental") == clean_build(site.root, hashed_assets=hashed)


TOLD = {
    "edited essay": ("content/second.md", lambda site: site.essay("second.md", title="Second", date="2026-01-02", body="Told about it.")),
    "new essay": ("content/fifth.md", lambda site: site.essay("fifth.md", title="Fifth", date="2026-01-09", body="New.")),
    "deleted essay": ("content/third.md", lambda site: (site.root / "content/third.md").unlink()),
    "new bundle file": ("content/bundle/other.txt", lambda site: site.write("content/bundle/other.txt", "another file\n")),
    "edited template": ("templates/partials/tags.html", CHANGES["included template"]),
    "edited stylesheet": ("theme/extra.css", CHANGES["stylesheet"]),
    "new stylesheet": ("theme/more.css", lambda site: site.write("theme/more.css", "h1 { margin: 0 }\n")),
}


@pytest.mark.slow  # a clean build in another process for each of many changes
@pytest.mark.parametrize("change", list(TOLD))
def test_incremental_build_told_what_changed_equals_clean_build(site, tmp_path, change):
    small_site(site)
    incremental = Builder(site.root, BuildOptions(out_dir=tmp_path / "incremental"))
    incremental.build()
    path, action = TOLD[change]
    action(site)
    incremental.build(changed={path})
    assert files_in(tmp_path / "incremental") == clean_build(site.root)


def many_essays(site, count: int) -> None:
    for number in range(count):
        site.essay(f"essay-{number:02}.md", title=f"Essay {number}", date=f"2025-01-{number + 1:02}", body=f"Text {number}.")


def test_body_edit_reparses_one_file_and_renders_only_dependent_pages(site):
    many_essays(site, 20)
    builder = Builder(site.root, BuildOptions(out_dir=None))
    first = builder.build()
    site.essay("essay-10.md", title="Essay 10", date="2025-01-11", body="Edited.")
    second = builder.build()
    assert (first.parsed, second.parsed) == (20, 1)
    # its page, its two neighbours (prev/next) and the lists of all essays (home, archive, feed, ...)
    assert second.rendered < first.rendered / 2
    changed_essay_pages = [name for name in second.changed if name.startswith("essay-")]
    assert changed_essay_pages == ["essay-10/index.html"]


def test_unchanged_rebuild_renders_nothing_and_changes_nothing(site):
    many_essays(site, 5)
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    again = builder.build()
    assert (again.parsed, again.rendered, again.changed) == (0, 0, [])


def test_template_edit_renders_only_pages_using_that_template(site):
    many_essays(site, 5)
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    site.write("templates/tags.html", "<p>All tags</p>\n")
    result = builder.build()
    assert result.rendered == 1
    assert result.changed == ["tags/index.html"]


def test_plain_asset_stylesheet_edit_changes_only_the_stylesheet(site):
    many_essays(site, 5)
    site.write("theme/style.css", "body { color: black }\n")
    builder = Builder(site.root, BuildOptions(out_dir=None, hashed_assets=False))
    builder.build()
    site.write("theme/style.css", "body { color: navy }\n")
    result = builder.build()
    assert (result.rendered, result.changed) == (0, ["assets/style.css"])


@pytest.mark.parametrize("use", [
    '{% set part = "partials/" ~ "lost.html" %}{% include part %}\n',
    '{% set part = "partials/" ~ "lost.html" %}{{ cached_partial(part) }}\n',
], ids=["include", "cached_partial"])
def test_a_template_named_by_a_variable_is_followed_too(site, tmp_path, use):
    """A reference postil cannot read (here a computed name) makes its pages render every time."""
    many_essays(site, 3)
    site.write("templates/404.html", use)
    site.write("templates/partials/lost.html", "<p>Lost</p>\n")
    out = tmp_path / "public"
    builder = Builder(site.root, BuildOptions(out_dir=out))
    builder.build()
    site.write("templates/partials/lost.html", "<p>Found nothing</p>\n")
    builder.build()
    assert (out / "404.html").read_text().strip() == "<p>Found nothing</p>"
    site.write("templates/partials/lost.html", "<p>Gone</p>\n")
    Builder(site.root, BuildOptions(out_dir=out)).build()  # a new run, with the digests on disk
    assert (out / "404.html").read_text().strip() == "<p>Gone</p>"


def test_cached_partial_gives_each_value_its_own_output(site, tmp_path):
    """Values made in the template (a new dict each turn of the loop) never share an output."""
    many_essays(site, 3)
    site.write("templates/404.html", '{% for n in range(40) %}{{ cached_partial("partials/n.html", item={"n": n}) }}{% endfor %}\n')
    site.write("templates/partials/n.html", "<i>{{ item.n }}</i>")
    builder = Builder(site.root, BuildOptions(out_dir=tmp_path / "public"))
    builder.build()
    assert (tmp_path / "public/404.html").read_text() == "".join(f"<i>{n}</i>" for n in range(40))


def test_cached_partial_each_renders_every_item_in_order_and_follows_edits(site):
    """The home page renders its list with one call; a warm build keeps every item but the edited one."""
    many_essays(site, 4)
    site.write("templates/404.html", '{{ cached_partial_each("partials/n.html", item=[{"n": 1}, {"n": 2}, {"n": 1}]) }}\n')
    site.write("templates/partials/n.html", "<i>{{ item.n }}</i>")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    assert builder.build().files["404.html"] == b"<i>1</i><i>2</i><i>1</i>\n"
    site.essay("essay-01.md", title="Retitled", date="2025-01-02", body="Text 1.")
    home = HTMLParser(builder.build().files["index.html"].decode())
    assert [link.text() for link in home.css("h2.essay-item-title a")] == ["Essay 3", "Essay 2", "Retitled", "Essay 0"]
    site.write("templates/partials/essay_item.html", "<li class=item>{{ essay.title }}</li>\n")
    home = HTMLParser(builder.build().files["index.html"].decode())
    assert [item.text() for item in home.css("li.item")] == ["Essay 3", "Essay 2", "Retitled", "Essay 0"]


def test_cached_partial_each_with_two_names_is_a_clear_error(site):
    many_essays(site, 1)
    site.write("templates/404.html", '{{ cached_partial_each("partials/n.html", a=[1], b=[2]) }}\n')
    site.write("templates/partials/n.html", "{{ a }}")
    with pytest.raises(PostilError) as failure:
        Builder(site.root, BuildOptions(out_dir=None)).build()
    assert "cached_partial_each takes one keyword argument" in str(failure.value)


def test_cached_partial_items_follow_an_edit_in_a_warm_builder(site):
    """The home page's items are cached partials: an edited title shows, the others stay."""
    many_essays(site, 5)
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    builder.build()  # nothing changed: every item comes from the cache
    site.essay("essay-02.md", title="Retitled", date="2025-01-03", body="Text 2.")
    home = HTMLParser(builder.build().files["index.html"].decode())
    titles = [link.text() for link in home.css("h2.essay-item-title a")]
    assert titles == ["Essay 4", "Essay 3", "Retitled", "Essay 1", "Essay 0"]


def test_a_warm_build_sees_a_change_deep_inside_new_containers(site):
    """Pages whose context holds the same objects as last time are not digested again; a
    change anywhere inside (here one essay's tags, seen through new Tag objects) still shows."""
    many_essays(site, 4)
    site.essay("essay-01.md", title="Essay 1", date="2025-01-02", tags="[old]", body="Text 1.")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    site.essay("essay-01.md", title="Essay 1", date="2025-01-02", tags="[new]", body="Text 1.")
    result = builder.build()
    assert "tags/new/index.html" in result.files and "tags/old/index.html" not in result.files
    assert "Essay 1" in result.files["tags/new/index.html"].decode()
    untouched = builder.build()
    assert (untouched.rendered, untouched.changed) == (0, [])


def reply(site, bundle: str, name: str, author: str, text: str) -> None:
    site.write(f"content/{bundle}/replies/{name}.md", f'---\nauthor: "{author}"\ndate: 2026-01-05\n---\n{text}\n')


@pytest.mark.slow  # builds in another process
def test_a_new_reply_renders_only_the_pages_that_show_it(site):
    """Pages depend on the discussions they read, not on every discussion of the site."""
    many_essays(site, 6)
    for bundle in ("a", "b"):
        site.essay(f"{bundle}/index.md", title=f"Bundle {bundle}", date="2026-01-04", body="Text.")
        reply(site, bundle, "r1", "First Reader", "A first reply.")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    first = builder.build()
    reply(site, "a", "r2", "Second Reader", "A second reply.")
    second = builder.build()
    assert second.rendered < first.rendered / 2
    assert "a/index.html" in second.changed and "b/index.html" not in second.changed
    assert second.files == clean_build(site.root)


def test_a_page_that_reads_every_discussion_follows_a_new_reply(site):
    many_essays(site, 2)
    site.essay("a/index.md", title="Bundle a", date="2026-01-04", body="Text.")
    reply(site, "a", "r1", "First Reader", "A first reply.")
    site.write("templates/404.html", "{% for path in discussions %}{{ path }}={{ discussions[path].count }};{% endfor %}\n")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    reply(site, "a", "r2", "Second Reader", "A second reply.")
    assert builder.build().files["404.html"] == b"a/=2;"


@pytest.mark.slow  # builds in another process
def test_the_first_reply_brings_the_replies_link_to_every_page(site, tmp_path):
    many_essays(site, 3)
    site.essay("a/index.md", title="Bundle a", date="2026-01-04", body="Text.")
    out = tmp_path / "public"
    Builder(site.root, BuildOptions(out_dir=out)).build()
    assert 'href="/replies/"' not in (out / "essay-01/index.html").read_text()
    reply(site, "a", "r1", "First Reader", "A first reply.")
    Builder(site.root, BuildOptions(out_dir=out)).build()  # a new run, with what each page read on disk
    assert 'href="/replies/"' in (out / "essay-01/index.html").read_text()
    assert files_in(out) == clean_build(site.root)


@pytest.mark.slow  # builds in another process
def test_told_slug_change_moves_the_links_of_the_essays_replies(site):
    """An edit told by the watcher re-reads only that file, unless it moves the essay:
    its replies' relative links then resolve against the new URL."""
    many_essays(site, 3)
    site.essay("a/index.md", title="Bundle a", date="2026-01-04", body="Text.")
    site.write("content/a/picture.txt", "a picture\n")
    reply(site, "a", "r1", "First Reader", "See [the picture](picture.txt).")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    site.essay("a/index.md", title="Bundle a", date="2026-01-04", body="Text.", slug="moved")
    moved = builder.build(changed={"content/a/index.md"})
    assert moved.files == clean_build(site.root)
    link = HTMLParser(moved.files["moved/index.html"].decode()).css_first(".reply a[href$='picture.txt']")
    assert link is not None and link.attributes["href"] == "/moved/picture.txt"


def built_with_a_reply(site, essays: int) -> Builder:
    """A dev-server builder after its first build of `essays` essays and a bundle with a reply."""
    many_essays(site, essays)
    site.essay("a/index.md", title="Bundle a", date="2026-01-04", body="Text.")
    reply(site, "a", "r1", "First Reader", "A first reply.")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    return builder


@pytest.mark.slow  # builds in another process
def test_told_edit_of_a_reply_equals_a_clean_build(site):
    builder = built_with_a_reply(site, 3)
    reply(site, "a", "r1", "First Reader", "A reply, reworded.")
    result = builder.build(changed={"content/a/replies/r1.md"})
    assert (result.parsed, result.files) == (1, clean_build(site.root))
    assert "A reply, reworded." in HTMLParser(result.files["a/index.html"].decode()).css_first(".reply").text()


@pytest.mark.slow  # builds in another process
def test_retitled_essay_with_replies_shows_its_new_title_beside_them(site):
    """The list of replies, newest first, is kept between builds of the same replies; the
    essay each one answers is still the edited one."""
    builder = built_with_a_reply(site, 3)
    reply(site, "a", "r2", "Second Reader", "A second reply.")
    site.essay("b/index.md", title="Bundle b", date="2026-01-05", body="Text.")
    reply(site, "b", "r1", "Third Reader", "A reply to b.")
    builder.build()
    site.essay("a/index.md", title="Bundle a, retitled", date="2026-01-04", body="Text.")
    result = builder.build(changed={"content/a/index.md"})
    assert result.files == clean_build(site.root)
    listed = HTMLParser(result.files["replies/index.html"].decode()).text()
    assert "Bundle a, retitled" in listed and "Bundle b" in listed
    reply(site, "a", "r2", "Second Reader", "A second reply, reworded.")
    listed = HTMLParser(builder.build(changed={"content/a/replies/r2.md"}).files["replies/index.html"].decode()).text()
    assert "A second reply, reworded." in listed
    shutil.rmtree(site.root / "content/b")  # an essay gone with its replies
    assert "A reply to b." not in builder.build(changed={"content/b/index.md", "content/b/replies/r1.md"}).files["replies/index.html"].decode()


@pytest.mark.slow  # builds in another process
def test_early_pages_are_the_edited_essays_final_pages(site):
    """The preview shows an edited essay's page before the rest of the site is looked at."""
    builder = built_with_a_reply(site, 6)
    shown: list[dict[str, bytes]] = []
    site.essay("essay-02.md", title="Essay 2, retitled", date="2025-01-03", body="Edited early.", tags="[early]")
    result = builder.build(changed={"content/essay-02.md"}, early=shown.append)
    # The essay's page alone, then the lists it is in, at once: the home page and its tag's page.
    assert [sorted(files) for files in shown] == [["essay-02/index.html"], ["index.html", "tags/early/index.html"]]
    assert all(data == result.files[name] for files in shown for name, data in files.items())
    assert "Edited early." in HTMLParser(shown[0]["essay-02/index.html"].decode()).css_first("main").text()
    assert result.files == clean_build(site.root)

    reply(site, "a", "r2", "Second Reader", "A second reply.")  # a new reply: its essay's page comes first
    shown.clear()
    builder.build(changed={"content/a/replies/r2.md"}, early=shown.append)
    assert list(shown[0]) == ["a/index.html"]
    assert "A second reply." in HTMLParser(shown[0]["a/index.html"].decode()).css_first("main").text()


def test_no_early_pages_from_a_build_that_has_already_failed(site):
    many_essays(site, 3)
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    shown: list[dict[str, bytes]] = []
    site.essay("essay-01.md", title="Essay 1", date="2025-01-02", body="Fine.")
    site.write("content/essay-02.md", "---\ntitle: [unclosed\n---\nBroken front matter.\n")
    with pytest.raises(PostilError):
        builder.build(changed={"content/essay-01.md", "content/essay-02.md"}, early=shown.append)
    assert shown == []


@pytest.mark.slow  # builds in another process
def test_a_one_essay_edit_renders_one_item_of_each_list(site):
    """The default theme's lists are plain includes in loops; the renderer reuses every
    item but the edited essay's (home page, its tag's page, its archive year)."""
    many_essays(site, 30)
    site.essay("essay-07.md", title="Essay 7", date="2025-01-08", tags="[seven]", body="Text 7.")
    site.write("pyproject.toml", SITE_SETTINGS + "home_essays = 30\n")  # every essay on the home page
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    fragments = builder._kept.renders.fragments
    assert fragments.rendered_last >= 30  # every item of the home page, at least
    site.essay("essay-07.md", title="Retitled", date="2025-01-08", tags="[seven]", body="Text 7.")
    result = builder.build()
    # Its item (once: the home page's and its tag page's are the same output) and its archive year.
    assert fragments.rendered_last == 2
    assert result.files == clean_build(site.root)
    titles = [link.text() for link in HTMLParser(result.files["index.html"].decode()).css("h2.essay-item-title a")]
    assert titles[30 - 1 - 7] == "Retitled" and len(titles) == 30


@pytest.mark.slow  # builds in another process
def test_a_list_item_reading_the_loop_or_the_page_is_right_on_every_page(site):
    """An item reads `loop` (never reused), a name the loop set and `page_path` (key parts):
    each page shows its own."""
    many_essays(site, 3)
    site.essay("essay-01.md", title="Essay 1", date="2025-01-02", tags="[one]", body="Text 1.")
    site.write("templates/partials/essay_list.html", '<ol class="essay-list">{% for essay in essays %}{% set left = loop.revindex0 %}{% include "partials/essay_item.html" %}{% endfor %}</ol>\n')
    site.write("templates/partials/essay_item.html", "<li>{{ loop.index }}/{{ left }} {{ essay.title }} on /{{ page_path }}</li>")
    builder = Builder(site.root, BuildOptions(out_dir=None))
    builder.build()
    site.essay("essay-02.md", title="Essay 2, retitled", date="2025-01-03", body="Text 2.")
    files = builder.build().files
    items = lambda output: [item.text() for item in HTMLParser(files[output].decode()).css("ol.essay-list li")]
    assert items("index.html") == ["1/2 Essay 2, retitled on /", "2/1 Essay 1 on /", "3/0 Essay 0 on /"]
    assert items("tags/one/index.html") == ["1/0 Essay 1 on /tags/one/"]
    assert files == clean_build(site.root)


CACHED_PARTIAL_THEME = {
    "templates/partials/essay_list.html": '<ol class="essay-list" reversed>\n{{ cached_partial_each("partials/essay_item.html", essay=essays) -}}\n</ol>\n',
    "templates/archive.html": (
        '{% extends "base.html" %}\n{% block main %}\n<h1 class="page-title">Archive</h1>\n'
        '{% for year, essays in years %}\n{{ cached_partial("partials/archive_year.html", year=year, essays=essays) -}}\n{% endfor %}\n{% endblock %}\n'
    ),
}


@pytest.mark.slow  # builds in another process
def test_a_theme_calling_cached_partial_and_cached_partial_each_gives_the_same_pages_and_reuses_items(site, tmp_path):
    many_essays(site, 12)
    plain = Builder(site.root, BuildOptions(out_dir=None)).build().files
    for path, text in CACHED_PARTIAL_THEME.items():
        site.write(path, text)
    builder = Builder(site.root, BuildOptions(out_dir=None))
    themed = builder.build().files
    assert themed["index.html"] == plain["index.html"]
    assert HTMLParser(themed["archive/index.html"].decode()).css_first("section.archive-year").html == \
        HTMLParser(plain["archive/index.html"].decode()).css_first("section.archive-year").html
    site.essay("essay-03.md", title="Retitled", date="2025-01-04", body="Text 3.")
    result = builder.build()
    assert builder._kept.renders.fragments.rendered_last == 2  # home, archive's 2025
    assert result.files == clean_build(site.root)
    assert "Retitled" in HTMLParser(result.files["archive/index.html"].decode()).css_first("section.archive-year").text()

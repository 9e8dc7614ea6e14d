"""A reply's relative links point where they point on its essay's page, on every page that shows it."""
from __future__ import annotations

from replies_helpers import essay_with_replies, write_reply

RELATIVE = "See [the diagram](diagram.svg), [the other essay](../other/) and [my reply](#reply-r1)."


def hrefs(tree, selector: str) -> list[str]:
    return [node.attributes["href"] for node in tree.css(f"{selector} .reply-body a")]


def test_relative_links_in_a_reply_resolve_against_the_essay_on_the_replies_pages(site):
    essay_with_replies(site)
    write_reply(site, "r1", RELATIVE, author="Ann")
    assert site.build() == 0
    expected = ["/talk/diagram.svg", "/other/", "/talk/#reply-r1"]
    assert hrefs(site.html("replies/index.html"), ".reply-entry") == expected
    assert hrefs(site.html("replies/ann/index.html"), ".reply-entry") == expected
    assert hrefs(site.html("talk/index.html"), "#reply-r1") == expected


def test_relative_links_in_a_reply_include_the_base_path_of_a_site_under_a_sub_path(site):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "T"\nbase_url = "https://example.org/blog/"\nsearch = false\n')
    essay_with_replies(site)
    write_reply(site, "r1", "[d](diagram.svg) [up](../../../../outside/)", author="Ann")
    assert site.build() == 0
    assert hrefs(site.html("replies/index.html"), ".reply-entry") == ["/blog/talk/diagram.svg", "/outside/"]


def test_a_reply_link_that_climbs_out_with_double_slashes_stays_on_the_site(site):
    essay_with_replies(site)
    write_reply(site, "r1", r"[x](..//evil.example/) [y](../..//evil.example/) [z](../\\evil.example/)", author="Ann")
    assert site.build() == 0
    assert hrefs(site.html("replies/index.html"), ".reply-entry") == ["/evil.example/", "/evil.example/", "/%5Cevil.example/"]


def test_a_broken_relative_link_in_a_reply_is_still_reported_with_its_line(site, capsys):
    essay_with_replies(site)
    write_reply(site, "r1", "First line.\n\n[gone](missing.svg)", author="Ann")
    assert site.build() == 0
    assert "content/talk/replies/r1.md:7:" in capsys.readouterr().err



def test_relative_link_in_a_reply_follows_its_essay_moved_by_a_slug(site, capsys):
    essay_with_replies(site, slug="renamed")
    site.write("content/talk/diagram.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
    write_reply(site, "r1", "[d](diagram.svg)", author="Ann")
    assert site.build() == 0
    assert "warning" not in capsys.readouterr().err
    for page in ("renamed/index.html", "replies/index.html"):
        link = site.html(page).css_first("a[href$='diagram.svg']")
        assert link.attributes["href"] == "/renamed/diagram.svg"
    assert (site.out / "renamed/diagram.svg").is_file()


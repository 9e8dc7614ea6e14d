"""Odd file names: every URL postil writes is valid, and names become URLs as Quartz and
Obsidian users expect (spaces and URL-unsafe characters become '-', letters of any script
are kept and percent-encoded)."""
from __future__ import annotations

import http.client
import io
import json
import os
import re
import unicodedata
import xml.etree.ElementTree as ElementTree
from urllib.parse import unquote, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.commands.check import check_site
from postil.cli import main
from postil.serve.preview import Preview

from test_serve import free_port

# What RFC 3986 lets a URL hold as it is; anything else must be percent-encoded.
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")

ODD_NAMES = {  # file under content/ → the site path it must get
    "a#b.md": "a-b/",
    "q?x.md": "q-x/",
    "100%.md": "100/",
    "two words.md": "two-words/",
    "ünï.md": "ünï/",
    "authoring content.md": "authoring-content/",
    "my notes/note one.md": "my-notes/note-one/",
}


@pytest.fixture
def odd_site(site):
    for index, (name, _) in enumerate(ODD_NAMES.items()):
        site.essay(name, title=f"Essay {index}", date=f"2026-01-{index + 1:02}", tags="[ünï tag, two words]",
                   body="Links: [a](/two-words/), [b](/%C3%BCn%C3%AF/), [c](</ünï/>).")
    site.essay("my talk/index.md", title="Talk", aliases="['/old name/', '/ancien ünï/']",
               body="![A photo](<photo 1.jpg>), [the essay](/authoring-content/), [a sibling](../a-b/).")
    (site.root / "content/my talk/photo 1.jpg").write_bytes(b"\xff\xd8jpeg")
    return site


def url_problem(url: str) -> str | None:
    if not _URL_CHARACTERS.fullmatch(url):
        return "characters a URL may not hold"
    if _BAD_PERCENT.search(url):
        return "a '%' that starts no escape"
    if url.count("#") > 1:
        return "more than one '#'"
    return None


def written_urls(out) -> list[tuple[str, str]]:
    """(file, URL) for every URL in every page, feed, sitemap and previews.json."""
    urls = []
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if name.startswith(("assets/", "pagefind/")) or not path.is_file():
            continue
        if path.suffix == ".html":
            tree = HTMLParser(path.read_text(encoding="utf-8"))
            for node in tree.css("[href], [src]"):
                urls += [(name, node.attributes[key]) for key in ("href", "src") if node.attributes.get(key) is not None]
            for node in tree.css("meta[property='og:url']"):
                urls.append((name, node.attributes["content"]))
            for node in tree.css("meta[http-equiv='refresh']"):
                urls.append((name, node.attributes["content"].partition("url=")[2]))
            for node in tree.css("script[type='application/ld+json']"):
                data = json.loads(node.text())
                urls += [(name, data[key]) for key in ("url", "mainEntityOfPage") if key in data]
        elif path.suffix == ".xml":
            for element in ElementTree.parse(path).iter():
                if element.tag.endswith(("loc", "id")):
                    urls.append((name, element.text or ""))
                for key in ("href", "ref"):
                    if key in element.attrib:
                        urls.append((name, element.attrib[key]))
        elif path.suffix == ".json":
            urls += [(name, key) for key in json.loads(path.read_text(encoding="utf-8"))]
    return urls


def test_odd_names_get_the_slugged_urls_and_their_files_on_disk(odd_site):
    assert odd_site.build("--strict") == 0
    for site_path in ODD_NAMES.values():
        assert (odd_site.out / site_path / "index.html").is_file(), site_path
    assert (odd_site.out / "my-talk/index.html").is_file()
    assert (odd_site.out / "my-talk/photo 1.jpg").read_bytes() == b"\xff\xd8jpeg"  # other files keep their names
    assert (odd_site.out / "old name/index.html").is_file() and (odd_site.out / "ancien ünï/index.html").is_file()


def test_every_url_postil_writes_is_valid_and_internal_ones_resolve(odd_site):
    assert odd_site.build("--strict") == 0
    urls = written_urls(odd_site.out)
    assert len(urls) > 100
    bad = [(name, url, problem) for name, url in urls if (problem := url_problem(url))]
    assert bad == []
    for name, url in urls:
        parts = urlsplit(url)
        if parts.netloc in ("", "example.org") and parts.scheme in ("", "https") and parts.path.startswith("/"):
            path = unquote(parts.path).lstrip("/")
            target = odd_site.out / path / "index.html" if path == "" or path.endswith("/") else odd_site.out / path
            assert target.is_file(), (name, url)


def test_home_page_links_the_odd_names_percent_encoded(odd_site):
    assert odd_site.build() == 0
    hrefs = {node.attributes["href"] for node in odd_site.html("index.html").css("a.u-url")}
    assert {"/a-b/", "/q-x/", "/100/", "/two-words/", "/%C3%BCn%C3%AF/", "/my-notes/note-one/", "/my-talk/"} <= hrefs
    locs = [element.text for element in ElementTree.parse(odd_site.out / "sitemap.xml").iter() if element.tag.endswith("loc")]
    assert "https://example.org/%C3%BCn%C3%AF/" in locs and "https://example.org/tags/%C3%BCn%C3%AF-tag/" in locs
    previews = json.loads((odd_site.out / "previews.json").read_text())
    assert "/%C3%BCn%C3%AF/" in previews


def test_links_to_slugs_and_percent_encoded_links_pass_the_link_checker(odd_site, tmp_path):
    assert check_site(odd_site.root, tmp_path / "checked").problems == []


def test_link_written_with_the_files_own_name_is_warned_with_the_slug_to_use(site, capsys):
    site.essay("two words.md", title="Two")
    site.essay("other.md", title="Other", body="See [two](</two words/>).")
    assert site.build() == 0
    err = capsys.readouterr().err
    assert "content/other.md:5: warning: link to '/two%20words/' points at no page or file of the site — did you mean '/two-words/'?" in err


def test_names_typed_decomposed_and_composed_give_one_url(site, capsys):
    site.essay(unicodedata.normalize("NFD", "café.md"), title="Decomposed")
    assert site.build() == 0
    assert (site.out / "café/index.html").is_file()  # composed, as a Linux-made name would be
    site.essay(unicodedata.normalize("NFC", "café.md"), title="Composed")
    assert site.build() == 1
    assert "URL /café/ is already used by" in capsys.readouterr().err


def test_two_files_with_one_slug_collide_naming_both(site, capsys):
    site.essay("two words.md", title="Spaced")
    site.essay("two-words.md", title="Hyphenated")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "content/two-words.md:1: error: URL /two-words/ is already used by content/two words.md" in err


def test_two_files_copied_to_one_path_collide(site, capsys):
    site.essay("fine.md")
    site.write("content/my notes/a.txt", "one")
    site.write("content/my-notes/a.txt", "two")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "content/my-notes/a.txt: error: this file would be published at /my-notes/a.txt, which is already used by content/my notes/a.txt" in err


@pytest.mark.parametrize("name,shown", [("bad\nname.md", "content/bad\\nname.md"), ("tab\there.md", "content/tab\\there.md")])
def test_name_with_a_control_character_is_refused_with_a_clear_error(site, capsys, name, shown):
    site.essay("fine.md")
    site.essay(name)
    assert site.build() == 1
    err = capsys.readouterr().err
    assert f"{shown}: error: its name holds a control character" in err and "Traceback" not in err


def test_name_that_is_not_utf8_is_refused(site, capsys):
    site.essay("fine.md")
    (site.root / "content").joinpath(os.fsdecode(b"caf\xe9.md")).write_text("---\ntitle: x\ndate: 2026-01-01\n---\n")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "content/caf\\udce9.md: error: its name is not valid UTF-8" in err and "Traceback" not in err


def test_name_with_nothing_a_url_can_use_is_refused(site, capsys):
    site.essay("fine.md")
    site.essay("??.md")
    assert site.build() == 1
    assert "content/??.md: error: this file's name leaves nothing a URL can use" in capsys.readouterr().err


def test_plain_names_keep_their_urls(site):
    site.essay("Notes.md", title="Upper")
    site.essay("2026/what's-new_v2.md", title="Punctuated")
    assert site.build() == 0
    assert (site.out / "Notes/index.html").is_file() and (site.out / "2026/what's-new_v2/index.html").is_file()


def test_dev_server_serves_percent_encoded_paths(odd_site):
    preview = Preview(odd_site.root, port=free_port(), out=io.StringIO()).start()

    def get(path: str) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", preview.server.port, timeout=5)
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{preview.server.port}"})
        response = connection.getresponse()
        result = response.status, dict(response.getheaders()), response.read()
        connection.close()
        return result

    try:
        status, _, body = get("/%C3%BCn%C3%AF/")
        assert status == 200 and b"Essay 4" in body
        status, _, body = get("/my-talk/photo%201.jpg")
        assert status == 200 and body == b"\xff\xd8jpeg"
        status, headers, _ = get("/%C3%BCn%C3%AF")
        assert status == 301 and headers["Location"] == "/%C3%BCn%C3%AF/"
        status, _, body = get("/two-words/")
        assert status == 200 and b"Essay 3" in body
    finally:
        preview.close()


def test_check_blames_a_reply_in_a_bundle_with_an_odd_name_once_at_its_file(site, capsys):
    site.essay("ünï talk/index.md", title="Talk", body="Text.")
    site.write("content/ünï talk/replies/r1.md", "---\nauthor: Ada\ndate: 2026-02-01\n---\nSee [this](/no-such-essay/).\n", dedent=False)
    assert main(["-C", str(site.root), "check"]) == 1
    problems = [line for line in capsys.readouterr().err.splitlines() if "/no-such-essay/" in line and " | " not in line]
    assert len(problems) == 1 and problems[0].startswith("content/ünï talk/replies/r1.md:5: error:"), problems


def test_slug_or_alias_with_a_control_character_is_refused(site, capsys):
    site.essay("one.md", title="One", slug='"a\\nb"')
    site.essay("two.md", title="Two", aliases='["/old\\tname/"]')
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "content/one.md:4: error: URL 'a\\nb/' holds a control character" in err
    assert "content/two.md:4: error: alias 'old\\tname/' holds a control character" in err


def test_dev_server_tells_tabs_of_a_changed_page_by_its_encoded_path():
    from postil.serve.server import DevServer

    server = DevServer(port=free_port())
    try:
        last, _ = server.hello()
        server.publish({"ünï/index.html": b"<p>new</p>"}, ["ünï/index.html"])
        (_, message), = server.wait_for_messages(last, timeout=5)
        # What a tab compares with its location.pathname, which the browser percent-encodes.
        assert message["changed"] == ["/%C3%BCn%C3%AF/", "/%C3%BCn%C3%AF/index.html"]
    finally:
        server.close()

"""Publishing: absolute URLs under any base_url, link-preview meta, themes, and an installed postil."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

from postil.cli import main

REPO = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"
SUB_PATH_BASE = "https://user.github.io/blog/"


def every_url(out: Path) -> list[tuple[str, str]]:
    """(page, absolute URL) for every href and src in every built page."""
    found = []
    for page in sorted(out.rglob("*.html")):
        relative = page.relative_to(out).as_posix()
        page_url = SUB_PATH_BASE + relative.removesuffix("index.html")
        for node in LexborHTMLParser(page.read_text(encoding="utf-8")).css("[href], [src]"):
            for attribute in ("href", "src"):
                if node.attributes.get(attribute) is not None:
                    found.append((relative, urljoin(page_url, node.attributes[attribute])))
    return found


@pytest.fixture(scope="module")
def sub_path_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sub-path") / "public"
    assert main(["-C", str(REPO), "build", "--out", str(out), "--base-url", SUB_PATH_BASE]) == 0
    return out


def test_sub_path_build_has_no_link_that_escapes_the_sub_path(sub_path_build):
    urls = every_url(sub_path_build)
    assert len(urls) > 100
    same_host = [(page, url) for page, url in urls if urlsplit(url).netloc == "user.github.io"]
    escaping = [(page, url) for page, url in same_host if not url.startswith(SUB_PATH_BASE)]
    assert same_host and escaping == []


def test_sub_path_build_links_only_to_files_that_exist(sub_path_build):
    missing = []
    for page, url in every_url(sub_path_build):
        if url.startswith(SUB_PATH_BASE):
            path = unquote(urlsplit(url).path[len("/blog/"):])  # URLs are percent-encoded, files are not
            target = sub_path_build / (path + "index.html" if path == "" or path.endswith("/") else path)
            if not target.is_file():
                missing.append((page, url))
    assert missing == []


def test_feed_links_are_absolute_under_the_sub_path(sub_path_build):
    feed = ElementTree.parse(sub_path_build / "feed.xml").getroot()
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    ids = [element.text for element in feed.iter(f"{ATOM}id")]
    assert len(links) > 3 and all(url.startswith(SUB_PATH_BASE) for url in links + ids)


def test_essay_page_has_canonical_opengraph_and_twitter_meta(site):
    site.essay("margins.md", title="On Margins", summary="Why we write beside the text.", tags="[reading]")
    assert site.build("--base-url", "https://example.org/notes/") == 0
    page = site.html("margins/index.html")
    meta = {node.attributes.get("property") or node.attributes.get("name"): node.attributes["content"]
            for node in page.css("meta[content]")}
    assert page.css_first("link[rel=canonical]").attributes["href"] == "https://example.org/notes/margins/"
    assert meta["og:url"] == "https://example.org/notes/margins/"
    assert meta["og:title"] == meta["twitter:title"] == "On Margins"
    assert meta["og:description"] == meta["twitter:description"] == "Why we write beside the text."
    assert meta["og:type"] == "article" and meta["twitter:card"] == "summary"
    assert meta["article:published_time"] == "2026-01-15T00:00:00Z"


def test_essay_page_has_json_ld_article_with_absolute_urls(site):
    site.essay("margins.md", title="On Margins </script>", summary="Beside the text.")
    assert site.build("--base-url", "https://example.org/notes/") == 0
    scripts = site.html("margins/index.html").css('script[type="application/ld+json"]')
    assert len(scripts) == 1
    data = json.loads(scripts[0].text())
    assert data["@type"] == "Article" and data["headline"] == "On Margins </script>"
    assert data["url"] == data["mainEntityOfPage"] == "https://example.org/notes/margins/"
    assert data["author"] == {"@type": "Person", "name": "Ada"}
    assert data["datePublished"] == "2026-01-15T00:00:00Z"


def test_other_pages_are_websites_with_their_own_url(site):
    site.essay("a.md", tags="[reading]")
    assert site.build() == 0
    meta = {node.attributes["property"]: node.attributes["content"] for node in site.html("tags/reading/index.html").css("meta[property]")}
    assert meta["og:type"] == "website"
    assert meta["og:url"] == "https://example.org/tags/reading/"
    assert site.html("tags/reading/index.html").css('script[type="application/ld+json"]') == []


def test_site_template_overrides_the_default_of_the_same_name(site):
    site.essay("a.md", title="Kept")
    site.write("templates/partials/essay_list.html", '<p class="mine">{{ essays|length }} essays</p>\n')
    assert site.build() == 0
    home = site.html("index.html")
    assert home.css_first("p.mine").text() == "1 essays"
    assert home.css_first("header.site-header") is not None  # base.html still from the default theme


def test_site_theme_file_overrides_the_default_asset(site):
    site.essay("a.md")
    site.write("theme/style.css", "body { color: rebeccapurple; }\n")
    assert site.build() == 0
    href = site.html("index.html").css_first('link[rel=stylesheet][href*="style."]').attributes["href"]
    assert (site.out / href.lstrip("/")).read_text() == "body { color: rebeccapurple; }\n"


def test_theme_setting_selects_a_theme_folder_with_default_fallback(site):
    site.essay("a.md", title="Themed")
    (site.root / "pyproject.toml").write_text(
        '[tool.postil]\ntitle = "T"\nbase_url = "https://example.org/"\ntheme = "themes/plain"\n', encoding="utf-8"
    )
    site.write("themes/plain/templates/essay.html", '{% extends "base.html" %}{% block main %}<h1 class="plain">{{ essay.title }}</h1>{% endblock %}\n')
    site.write("themes/plain/theme/extra.css", "p { margin: 0; }\n")
    assert site.build() == 0
    assert site.html("a/index.html").css_first("h1.plain").text() == "Themed"
    assert site.html("archive/index.html").css_first("h1.page-title").text() == "Archive"  # from the default theme
    assert any(p.name.startswith("extra.") for p in (site.out / "assets").iterdir())


def test_site_templates_win_over_the_chosen_theme(site):
    site.essay("a.md", title="Themed")
    (site.root / "pyproject.toml").write_text('[tool.postil]\ntheme = "themes/plain"\n', encoding="utf-8")
    site.write("themes/plain/templates/essay.html", '{% extends "base.html" %}{% block main %}<h1 class="theme">x</h1>{% endblock %}\n')
    site.write("templates/essay.html", '{% extends "base.html" %}{% block main %}<h1 class="site">x</h1>{% endblock %}\n')
    assert site.build() == 0
    assert site.html("a/index.html").css_first("h1.site") is not None


def test_theme_setting_naming_a_missing_folder_is_an_error(site, capsys):
    site.essay("a.md")
    (site.root / "pyproject.toml").write_text('[tool.postil]\ntheme = "themes/nope"\n', encoding="utf-8")
    assert site.build() == 1
    assert "pyproject.toml: error: theme folder 'themes/nope' does not exist" in capsys.readouterr().err


def _copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("postil", "templates", "theme"):
        shutil.copytree(REPO / name, target / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)


@pytest.mark.slow
def test_installed_package_builds_an_init_site_with_its_own_default_theme(tmp_path):
    """A real, non-editable `pip install .` into a fresh venv: the theme must ship inside it."""
    source, environment, work = tmp_path / "source", tmp_path / "venv", tmp_path / "work"
    _copy_project(source)
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies come from the test's own environment; postil itself is installed.
    dependencies = [path for path in sys.path if path.endswith("site-packages")]
    (Path(purelib) / "test-dependencies.pth").write_text("\n".join(dependencies) + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(source)],
        capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stderr
    shutil.rmtree(source)  # nothing may come from the copy it was installed from
    work.mkdir()
    environment_variables = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    located = subprocess.run([str(python), "-c", "import postil; print(postil.__file__)"], cwd=work, capture_output=True, text=True, env=environment_variables)
    assert located.stdout.startswith(purelib), located.stdout + located.stderr
    postil = str(environment / "bin" / "postil")
    for command in ([postil, "init", "blog"], [postil, "-C", "blog", "build"]):
        result = subprocess.run(command, cwd=work, capture_output=True, text=True, env=environment_variables)
        assert result.returncode == 0, result.stderr
    page = LexborHTMLParser((work / "blog" / "public" / "hello" / "index.html").read_text(encoding="utf-8"))
    assert page.css_first("h1").text() == "Hello"
    assert page.css_first("header.site-header") is not None
    assert list((work / "blog" / "public" / "assets").glob("style.*.css"))


def test_every_subpackage_of_postil_is_listed_for_installation():
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(path.parent.relative_to(REPO).parts) for path in (REPO / "postil").rglob("__init__.py")}
    assert on_disk <= listed

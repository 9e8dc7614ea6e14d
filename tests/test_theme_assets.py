"""The default theme's built assets: code colour contrast, weight, fonts, the first-paint script."""
from __future__ import annotations

import gzip
import json
import re

import pytest

from postil.render.theme import DARK_CODE_STYLE, LIGHT_CODE_STYLE
from replies_helpers import essay_with_replies, write_reply

RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
BUDGET = 30 * 1024


def relative_luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted([relative_luminance(foreground), relative_luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def declarations(body: str) -> dict[str, str]:
    pairs = (part.split(":", 1) for part in body.split(";") if ":" in part)
    return {name.strip(): value.strip() for name, value in pairs}


def palettes(css: str) -> dict[str, tuple[dict[str, str], dict[str, dict[str, str]]]]:
    """scope → (the block's own declarations, {token selector: declarations})."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{", "", css)
    found: dict[str, tuple[dict, dict]] = {}
    for selector, body in RULE.findall(css):
        selector = selector.strip()
        if selector.endswith(".highlight"):
            found.setdefault(selector, ({}, {}))[0].update(declarations(body))
        else:
            block = selector[: selector.rindex(".highlight") + len(".highlight")]
            found.setdefault(block, ({}, {}))[1][selector] = declarations(body)
    return found


@pytest.fixture
def built(site):
    site.essay("notes.md", title="Notes", body="Text.[^1]\n\n```python\nx = 1  # one\n```\n\n[^1]: A note.\n")
    site.essay("other.md", title="Other", date="2026-01-10", summary="The other one.")
    assert site.build() == 0
    return site


def linked_assets(site, page: str) -> list[str]:
    html = site.html(page)
    hrefs = [node.attributes["href"] for node in html.css("link[rel=stylesheet]")]
    hrefs += [node.attributes["src"] for node in html.css("script[src]")]
    return [href.lstrip("/") for href in hrefs]


def highlight_stylesheet(site) -> str:
    (path,) = [href for href in linked_assets(site, "notes/index.html") if "highlight" in href]
    return (site.out / path).read_text(encoding="utf-8")


def test_code_palettes_are_scoped_light_dark_and_auto_dark(built):
    assert sorted(palettes(highlight_stylesheet(built))) == [
        ".highlight", ":root:not([data-theme=light]) .highlight", ":root[data-theme=dark] .highlight",
    ]


def test_every_code_token_colour_meets_aa_contrast_in_both_palettes(built):
    failures = []
    for scope, (block, tokens) in palettes(highlight_stylesheet(built)).items():
        background, text = block["background"], block["color"]
        failures += [(scope, "text", round(contrast(text, background), 2))] if contrast(text, background) < 4.5 else []
        for selector, rule in tokens.items():
            colour = rule.get("color")
            against = rule.get("background-color", background)
            if colour and contrast(colour, against) < 4.5:
                failures.append((selector, colour, against, round(contrast(colour, against), 2)))
    assert failures == []


def test_light_and_dark_code_palettes_have_light_and_dark_backgrounds(built):
    found = palettes(highlight_stylesheet(built))
    assert relative_luminance(found[".highlight"][0]["background"]) > 0.8
    assert relative_luminance(found[":root[data-theme=dark] .highlight"][0]["background"]) < 0.05
    assert LIGHT_CODE_STYLE != DARK_CODE_STYLE


def test_css_and_js_of_an_essay_page_stay_under_30_kb_compressed(built):
    assets = linked_assets(built, "notes/index.html")
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    total = sum(len(gzip.compress((built.out / asset).read_bytes(), compresslevel=9)) for asset in assets)
    assert total < BUDGET, f"{total} bytes gzipped for {assets}"


def test_fonts_are_served_from_the_site_itself(built):
    (style,) = [href for href in linked_assets(built, "notes/index.html") if "/style." in href]
    css = (built.out / style).read_text(encoding="utf-8")
    fonts = re.findall(r"url\(([^)]+\.woff2)\)", css)
    assert len(fonts) == 5  # Source Serif 4 for reading (3), Source Sans 3 for the interface (2)
    assert all((built.out / "assets" / font).is_file() for font in fonts)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)


def test_font_licence_ships_with_the_fonts(built):
    licences = list((built.out / "assets" / "fonts").glob("OFL.*.txt"))
    assert len(licences) == 1 and "SIL OPEN FONT LICENSE" in licences[0].read_text(encoding="utf-8")


def test_theme_script_runs_first_and_is_identical_on_every_page(built):
    scripts = set()
    for page in sorted(built.out.rglob("*.html")):
        head = built.html(str(page.relative_to(built.out)))
        if head.css_first('meta[http-equiv="refresh"]'):
            continue  # alias redirects have no styles to flash
        first = head.css_first("head script")
        assert first is not None and "src" not in first.attributes, page
        assert head.css_first("head").html.index("<script>") < head.css_first("head").html.index('rel="stylesheet"')
        scripts.add(first.text())
    assert len(scripts) == 1 and "localStorage" in scripts.pop()


def test_theme_toggle_is_hidden_until_the_script_shows_it(built):
    button = built.html("index.html").css_first("button.theme-toggle")
    assert "hidden" in button.attributes
    assert button.text().strip() == "Theme: auto"


def test_preview_index_has_each_essays_title_and_summary_by_path(built):
    index = json.loads((built.out / "previews.json").read_text(encoding="utf-8"))
    assert sorted(index) == ["/notes/", "/other/"]
    assert index["/other/"] == {"title": "Other", "summary": "The other one."}


def test_only_the_essays_own_footnotes_are_a_named_landmark(site):
    site.essay("talk/index.md", title="Talk", body="Text.[^1]\n\n[^1]: The essay's note.\n")
    site.write("content/talk/replies/r1.md", "---\nauthor: Ann\ndate: 2026-02-01\n---\nA reply.[^1]\n\n[^1]: The reply's note.\n")
    assert site.build() == 0
    page = site.html("talk/index.html")
    assert [node.attributes.get("aria-label") for node in page.css("section.footnotes")] == ["Footnotes", None]
    assert page.css_first("#reply-r1 section.footnotes").attributes.get("role") is None


def test_css_and_js_of_an_essay_with_side_comments_stay_under_30_kb_compressed(site):
    essay_with_replies(site)
    write_reply(site, "r1", "> The margin is where a reader answers the page\n\nYes.")
    assert site.build() == 0
    assert site.html("talk/index.html").css_first(".side-comments") is not None
    assets = linked_assets(site, "talk/index.html")
    assert any("replies." in asset for asset in assets)
    total = sum(len(gzip.compress((site.out / asset).read_bytes(), compresslevel=9)) for asset in assets)
    assert total < BUDGET, f"{total} bytes gzipped for {assets}"


def test_css_and_js_of_an_essay_taking_replies_stay_under_30_kb_compressed(site):
    site.write("pyproject.toml", site.root.joinpath("pyproject.toml").read_text(encoding="utf-8") + 'replies_via = "mailto:ada@example.org"\n')
    essay_with_replies(site)
    write_reply(site, "r1", "> The margin is where a reader answers the page\n\nYes.")
    assert site.build() == 0
    assets = linked_assets(site, "talk/index.html")
    assert any("reply-links." in asset for asset in assets)
    total = sum(len(gzip.compress((site.out / asset).read_bytes(), compresslevel=9)) for asset in assets)
    assert total < BUDGET, f"{total} bytes gzipped for {assets}"

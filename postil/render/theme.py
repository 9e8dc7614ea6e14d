"""Where templates and theme assets come from, and assets with content-hashed names.

Lookup order, first match wins: the site's own `templates/` and `theme/`, then the theme
named by `[tool.postil] theme`, then postil's default theme. A site can so override one
template without copying the rest.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import CONFIG_FILE, Config
from ..content.discover import LinkBounds, is_editor_leftover
from ..errors import PostilError, Problem, Report

_PACKAGE = Path(__file__).resolve().parent.parent
# An installed postil carries its theme inside the package (see pyproject.toml); a source
# checkout has it at the top of the repository.
DEFAULT_THEME = _PACKAGE / "default_theme" if (_PACKAGE / "default_theme").is_dir() else _PACKAGE.parent
# Both palettes keep every token colour at WCAG AA (4.5:1) or better against their own
# background; tests/test_theme_assets.py checks the generated CSS (every token, both palettes).
LIGHT_CODE_STYLE = "xcode"
DARK_CODE_STYLE = "github-dark"
ASSETS_DIR = "assets"

_CSS_URL = re.compile(r"""url\(\s*(['"]?)(?!data:|https?:|/|#)([^'")]+)\1\s*\)""")


def theme_roots(site_root: Path, config: Config) -> list[Path]:
    """Folders holding `templates/` and `theme/`, first match wins: site, chosen theme, default."""
    roots = [site_root]
    if config.theme:
        chosen = (site_root / config.theme).resolve()
        if not chosen.is_dir():
            raise PostilError([Problem(CONFIG_FILE, None, None, f"theme folder {config.theme!r} does not exist",
                                       "set [tool.postil] theme to a folder (relative to the site) that holds templates/ and theme/")])
        if not chosen.is_relative_to(site_root.resolve()):
            raise PostilError([Problem(CONFIG_FILE, None, None, f"theme folder {config.theme!r} is outside the site ({chosen})",
                                       "copy the theme into the site's folder (or add it as a git submodule): nothing from outside the site is published")])
        roots.append(chosen)
    roots.append(DEFAULT_THEME)
    return list(dict.fromkeys(roots))


def template_dirs(site_root: Path, config: Config) -> list[Path]:
    return [root / "templates" for root in theme_roots(site_root, config) if (root / "templates").is_dir()]


def theme_dirs(site_root: Path, config: Config) -> list[Path]:
    return [root / "theme" for root in theme_roots(site_root, config) if (root / "theme").is_dir()]


def theme_link_problems(site_root: Path, config: Config) -> list[Problem]:
    """Symbolic links in the site's templates and theme folders that lead outside the site
    (or into its hidden folders), whose files a build would otherwise publish."""
    report = Report()
    bounds = LinkBounds(os.path.realpath(site_root), None)
    for folder in [*template_dirs(site_root, config), *theme_dirs(site_root, config)]:
        if folder.parent == DEFAULT_THEME:  # postil's own
            continue
        for directory, folders, files in os.walk(folder):  # links to folders are listed, not entered
            for name in sorted(folders + files):
                path = os.path.join(directory, name)
                if os.path.islink(path):
                    bounds.allows(path, _shown(Path(path), site_root), report)
    return report.problems


def _shown(path: Path, site_root: Path) -> str:
    try:
        return path.relative_to(site_root).as_posix()
    except ValueError:
        return str(path)


def highlight_css() -> str:
    """Light palette by default, dark under the dark theme and under the OS preference.

    Only the block's background and the token rules are emitted: Pygments' unscoped `pre`
    and line-number rules would leak into the rest of the page.
    """
    light = _code_palette(LIGHT_CODE_STYLE, ".highlight")
    dark = _code_palette(DARK_CODE_STYLE, ":root[data-theme=dark] .highlight")
    dark_auto = _code_palette(DARK_CODE_STYLE, ":root:not([data-theme=light]) .highlight")
    return f"{light}\n{dark}\n@media (prefers-color-scheme: dark) {{\n{dark_auto}\n}}\n"


def _code_palette(style_name: str, scope: str) -> str:
    # Imported here: a build with nothing to do must not pay for loading Pygments.
    from pygments.formatters import HtmlFormatter
    from pygments.styles import get_style_by_name
    from pygments.token import Token

    formatter = HtmlFormatter(style=style_name)
    style = get_style_by_name(style_name)
    text_colour = style.style_for_token(Token.Text)["color"] or ("000000" if _is_light(style.background_color) else "ffffff")
    base = f"{scope} {{ background: {style.background_color}; color: #{text_colour} }}"
    # Whitespace has no glyphs to read; some styles give it a faint colour that would
    # only ever show as a failed contrast check.
    tokens = [rule for rule in formatter.get_token_style_defs(scope) if not rule.endswith("/* Text.Whitespace */")]
    return "\n".join([base, *tokens])


def _is_light(colour: str) -> bool:
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return red + green + blue > 3 * 128


@dataclass(frozen=True)
class Assets:
    """Theme files under their hashed output names."""

    files: dict[str, bytes]  # output path → bytes
    names: dict[str, str]  # theme-relative name ('style.css') → output path

    def href(self, name: str, base_path: str) -> str:
        if name not in self.names:
            raise LookupError(f"no theme file '{name}'; theme files are: {', '.join(sorted(self.names))}")
        return base_path + self.names[name]


def _hashed(name: str, data: bytes) -> str:
    stem, ext = posixpath.splitext(name)
    return f"{ASSETS_DIR}/{stem}.{hashlib.sha256(data).hexdigest()[:10]}{ext}"


def collect_assets(site_root: Path, config: Config, hashed: bool = True) -> Assets:
    """Read every theme file once, hash it, and point CSS `url()`s at the hashed names.

    `hashed=False` keeps plain names (the dev server): a stylesheet edit then changes that
    one file and no page, so the browser can swap the stylesheet without a reload.
    """
    sources: dict[str, bytes] = {}
    for folder in theme_dirs(site_root, config):
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and not is_editor_leftover(path.name) and name not in sources:
                sources[name] = path.read_bytes()
    sources.setdefault("highlight.css", highlight_css().encode())

    names: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for name in sorted(sources, key=lambda n: (n.endswith(".css"), n)):  # CSS last: it refers to the rest
        data = sources[name]
        if name.endswith(".css"):
            data = _rewrite_css_urls(name, data, names)
        names[name] = _hashed(name, data) if hashed else f"{ASSETS_DIR}/{name}"
        files[names[name]] = data
    return Assets(files, names)


def _rewrite_css_urls(name: str, data: bytes, names: dict[str, str]) -> bytes:
    folder = posixpath.dirname(name)

    def replace(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(folder, match[2].split("?")[0].split("#")[0]))
        if target not in names:
            return match[0]
        return f"url({posixpath.relpath(names[target], ASSETS_DIR)})"

    return _CSS_URL.sub(replace, data.decode("utf-8")).encode("utf-8")

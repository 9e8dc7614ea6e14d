"""[tool.postil] settings: validated in one pass, every problem reported with its key."""
from __future__ import annotations


def test_unknown_key_is_an_error_with_a_did_you_mean(site, capsys):
    site.write("pyproject.toml", '[tool.postil]\ntitel = "Oops"\n')
    site.essay("a.md")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "pyproject.toml:2: error: unknown key 'tool.postil.titel'" in err
    assert "did you mean 'title'?" in err


def test_every_config_problem_is_reported_at_once(site, capsys):
    site.write("pyproject.toml", '[tool.postil]\nbase_url = "example.org"\nwords_per_minute = "fast"\nauthr = "x"\nhome_essays = 0\n')
    site.essay("a.md")
    assert site.build() == 1
    err = capsys.readouterr().err
    assert "pyproject.toml:2:" in err and "base_url" in err
    assert "pyproject.toml:3:" in err and "words_per_minute" in err
    assert "pyproject.toml:4:" in err and "did you mean 'author'?" in err
    assert "pyproject.toml:5:" in err and "'home_essays' must be at least 1, not 0" in err
    assert "Traceback" not in err


def test_invalid_toml_points_at_its_line(site, capsys):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "unclosed\n')
    site.essay("a.md")
    assert site.build() == 1
    assert "pyproject.toml:2:" in capsys.readouterr().err


def test_settings_reach_the_pages(site):
    site.write("pyproject.toml", '[tool.postil]\ntitle = "Notes in Margins"\nlanguage = "de"\nbase_url = "https://example.org"\n')
    site.essay("a.md")
    assert site.build() == 0
    page = site.html("index.html")
    assert page.css_first("html").attributes["lang"] == "de"
    assert page.css_first("title").text() == "Notes in Margins"

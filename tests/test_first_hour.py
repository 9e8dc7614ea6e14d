"""What a new user meets in the first hour, through the real `postil` command in fresh folders:
commands outside a site, `init`, `new`, YAML mistakes, warnings, `--version`."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.errors import Problem, describe, source_excerpt
from postil.commands.scaffold import install_requirement

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # the real `postil` command, in a process of its own for each step

REPO = Path(__file__).resolve().parent.parent
POSTIL = Path(sys.executable).with_name("postil")  # the console script pip installed


def postil(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [str(POSTIL)] if POSTIL.exists() else [sys.executable, "-m", "postil"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def files_under(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def new_site(tmp_path: Path) -> Path:
    """A site made by `postil init`, without search (Pagefind adds ~0.4 s to each build)."""
    result = postil("init", "blog", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = tmp_path / "blog"
    config = root / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8") + "search = false\n", encoding="utf-8")
    return root


# --- outside a site -------------------------------------------------------------------

OUTSIDE = {
    "build (the default)": [],
    "build": ["build"],
    "check": ["check"],
    "serve": ["serve", "--port", "0"],
    "new": ["new", "An essay"],
    "new --reply": ["new", "--reply", "content/x.md", "--author", "Ada"],
    "import": ["import", "staticman", "comments"],
}


@pytest.mark.parametrize("args", OUTSIDE.values(), ids=OUTSIDE.keys())
def test_outside_a_site_every_command_but_init_stops_writes_nothing_and_says_how_to_start_one(tmp_path, args):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = postil(*args, cwd=empty, timeout=30)
    assert result.returncode == 1
    assert f"not inside a postil site: no pyproject.toml with [tool.postil] in {empty} or any folder above it" in result.stderr
    assert "`postil init .`" in result.stderr
    assert "Traceback" not in result.stderr and "previous output" not in result.stderr
    assert list(empty.iterdir()) == []


def test_a_python_projects_pyproject_is_not_a_site_and_the_message_says_what_to_add(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'tool'\n", encoding="utf-8")
    result = postil("new", "An essay", cwd=tmp_path)
    assert result.returncode == 1
    assert "this pyproject.toml has no [tool.postil] table: add one" in result.stderr
    assert files_under(tmp_path) == ["pyproject.toml"]


def test_a_command_in_a_subfolder_acts_on_the_site_above_with_paths_relative_to_where_it_runs(new_site):
    notes = new_site / "notes"
    notes.mkdir()
    made = postil("new", "From Below", cwd=notes)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "../content/from-below.md"
    assert (new_site / "content" / "from-below.md").is_file()

    built = postil("build", "--out", "here", cwd=notes)
    assert built.returncode == 0, built.stderr
    assert (notes / "here" / "hello" / "index.html").is_file()
    assert not (new_site / "public").exists()

    replied = postil("new", "--reply", "../content/from-below.md", "--author", "Ada", cwd=notes)
    assert replied.returncode == 0, replied.stderr
    assert (new_site / "content" / "from-below" / "replies").is_dir()


def test_dash_c_runs_as_if_started_in_that_folder(new_site):
    outside = new_site.parent
    result = postil("-C", "blog", "build", "--out", "site-out", cwd=outside)
    assert result.returncode == 0, result.stderr
    assert (new_site / "site-out" / "hello" / "index.html").is_file()
    assert "into blog/site-out " in result.stdout
    replied = postil("-C", "blog", "new", "--reply", "content/hello", "--author", "Ada", cwd=outside)
    assert replied.returncode == 0, replied.stderr
    assert replied.stdout.strip().startswith("blog/content/hello/replies/")


def test_dash_c_to_a_folder_that_does_not_exist_is_a_usage_error(tmp_path):
    result = postil("-C", "nowhere", "build", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot run in 'nowhere': no such folder" in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- init -----------------------------------------------------------------------------

INIT_FILES = [".github/workflows/pages.yml", ".gitignore", "content/hello/index.md",
              "content/hello/replies/first-reader.md", "content/hello/replies/the-author.md", "pyproject.toml"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_init_makes_a_site_whose_build_output_git_leaves_out(new_site):
    assert files_under(new_site) == INIT_FILES
    assert postil("build", cwd=new_site).returncode == 0
    assert (new_site / "public").is_dir() and (new_site / ".postil-cache").is_dir()
    subprocess.run(["git", "init", "-q"], cwd=new_site, check=True)
    subprocess.run(["git", "add", "-A"], cwd=new_site, check=True)
    staged = subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=new_site, capture_output=True, text=True, check=True)
    assert sorted(staged.stdout.split()) == INIT_FILES


def test_init_sample_essay_checks_clean_and_shows_a_footnote_a_thread_and_a_side_comment(new_site):
    checked = postil("check", cwd=new_site)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "Checked public: no problems."
    page = HTMLParser((new_site / "public" / "hello" / "index.html").read_text(encoding="utf-8"))
    assert len(page.css(".footnote-ref")) == 1 and len(page.css(".footnotes .footnote-item")) == 1
    first = page.css_first("#reply-first-reader")
    assert first is not None and first.css_first(".reply-author").text() == "A first reader"
    assert first.css_first(".reply-children #reply-the-author") is not None  # the answer is threaded under it
    marker = page.css_first(".side-comments")
    assert marker is not None and marker.css_first("a").attributes["href"] == "#reply-first-reader"
    assert "opens by quoting a sentence of the essay" in marker.parent.text()


def test_init_without_workflow_leaves_out_only_the_workflow(tmp_path):
    result = postil("init", "--no-workflow", "blog", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path / "blog") == [path for path in INIT_FILES if not path.startswith(".github/")]


def test_init_into_a_folder_holding_one_of_its_files_writes_nothing(tmp_path):
    (tmp_path / ".gitignore").write_text("mine\n", encoding="utf-8")
    result = postil("init", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert ".gitignore: error: already exists; init never overwrites" in result.stderr
    assert files_under(tmp_path) == [".gitignore"] and (tmp_path / ".gitignore").read_text() == "mine\n"


def test_init_workflow_installs_this_postil_restores_the_cache_and_publishes_only_a_checked_site(new_site):
    workflow = yaml.safe_load((new_site / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    requirement, _ = install_requirement()
    assert runs[0] == f"python -m pip install '{requirement}'"
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].split() == [".postil-cache", "public"]
    assert runs[1] == 'postil check --base-url "${{ steps.pages.outputs.base_url }}/"'
    names = [step.get("uses", step.get("run")) for step in steps]
    assert names.index(cache["uses"]) < names.index(runs[1]) < names.index("actions/upload-pages-artifact@v3")


def _distribution(tmp_path: Path, direct_url: dict | None) -> metadata.Distribution:
    info = tmp_path / "postil-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: postil\nVersion: 1.2.3\n", encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
    return metadata.PathDistribution(info)


@pytest.mark.parametrize(
    ("direct_url", "requirement"),
    [
        (None, "postil==1.2.3"),
        ({"url": "https://github.com/owner/postil", "vcs_info": {"vcs": "git", "commit_id": "0123abc", "requested_revision": "main"}},
         "postil @ git+https://github.com/owner/postil@0123abc"),
        ({"url": "https://example.org/postil-1.2.3.tar.gz", "archive_info": {"hashes": {"sha256": "00"}}},
         "postil @ https://example.org/postil-1.2.3.tar.gz"),
    ],
    ids=["from an index", "from git, pinned to its commit", "from an archive"],
)
def test_the_workflow_installs_postil_from_where_this_one_came(tmp_path, direct_url, requirement):
    assert install_requirement(_distribution(tmp_path, direct_url)) == (requirement, "")


@pytest.mark.parametrize("editable", [True, False])
def test_a_postil_from_a_local_folder_is_pinned_to_its_version_with_a_comment_naming_the_folder(tmp_path, editable):
    requirement, comment = install_requirement(_distribution(tmp_path, {"url": "file:///home/me/postil", "dir_info": {"editable": editable}}))
    assert requirement == "postil==1.2.3"
    assert "file:///home/me/postil" in comment and "cannot reach" in comment


# --- new --reply ----------------------------------------------------------------------

def test_new_reply_says_when_it_moves_a_single_file_essay_into_a_bundle(new_site):
    assert postil("new", "Margins", cwd=new_site).returncode == 0
    first = postil("new", "--reply", "content/margins.md", "--author", "Ada", cwd=new_site)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "Moved content/margins.md to content/margins/index.md so that the essay can hold replies (its URL is the same)"
    assert lines[1].startswith("content/margins/replies/") and len(lines) == 2
    second = postil("new", "--reply", "/margins/", "--author", "Ada", cwd=new_site)
    assert [line for line in second.stdout.splitlines() if line.startswith("Moved")] == []


# --- YAML mistakes --------------------------------------------------------------------

YAML_MISTAKES = {
    "an unclosed quote": ('title: "Unclosed\ndate: 2026-01-01\nsummary: fine\n', "2:8",
                          "the quoted value that starts here is never closed", 'title: "Unclosed', 7),
    "an unclosed list": ("title: Fine\ntags: [a, b\ndate: 2026-01-01\n", "3:7",
                         "the list that starts here with '[' is never closed", "tags: [a, b", 6),
    "a colon in a value": ("title: Margins: a defence\ndate: 2026-01-01\n", "2:15",
                           "mapping values are not allowed", "title: Margins: a defence", 14),
}


@pytest.mark.parametrize(("front", "where", "message", "line", "caret"), YAML_MISTAKES.values(), ids=YAML_MISTAKES.keys())
def test_a_yaml_mistake_is_reported_where_it_is_with_the_line_and_a_caret_under_it(new_site, front, where, message, line, caret):
    (new_site / "content" / "bad.md").write_text(f"---\n{front}---\nBody.\n", encoding="utf-8")
    result = postil("build", cwd=new_site)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    number = where.split(":")[0]
    assert lines[0].startswith(f"content/bad.md:{where}: error: invalid YAML: {message}")
    assert lines[1] == f"    {number} | {line}"
    assert lines[2] == " " * (4 + len(number)) + " | " + " " * caret + "^"
    assert not (new_site / "public").exists()
    assert lines[-1] == "Build failed: 1 error; no output was written."


def test_source_excerpt_puts_the_caret_under_the_column_past_tabs_and_wide_characters():
    # column 11 is the comma: a tab (four columns), "tags: [" (seven) and two wide characters (four) before it
    assert source_excerpt("\ttags: [東京, x", 7, 11).splitlines() == ["    7 |     tags: [東京, x", "      | " + " " * 15 + "^"]


def test_source_excerpt_cuts_a_long_line_around_the_column_and_hides_control_characters():
    line = "a" * 150 + "\x1b[2J" + "b" * 150
    shown, caret = source_excerpt(line, 3, 152).splitlines()
    assert "\x1b" not in shown and "\ufffd[2J" in shown
    assert shown.startswith("    3 | …") and shown.endswith("…") and len(shown) < 120
    assert shown[caret.index("^")] == "["


def test_describe_shows_the_line_for_every_problem_that_has_one_and_only_those(tmp_path):
    (tmp_path / "a.md").write_text("one\ntwo\n", encoding="utf-8")
    problems = [Problem("a.md", 2, None, "x"), Problem("a.md", None, None, "y"), Problem("gone.md", 1, 1, "z"), Problem("a.md", 9, 1, "w")]
    assert describe(problems, tmp_path).splitlines() == [
        "a.md:2: error: x", "    2 | two", "a.md: error: y", "gone.md:1:1: error: z", "a.md:9:1: error: w",
    ]


# --- build with warnings, --version, --help -------------------------------------------

def test_a_build_with_warnings_ends_by_saying_to_run_check(new_site):
    clean = postil("build", cwd=new_site)
    assert "postil check" not in clean.stdout
    (new_site / "content" / "dangling.md").write_text(
        "---\ntitle: Dangling\ndate: 2026-01-01\n---\nA [link](/nowhere/) and another [one](/none/).\n", encoding="utf-8")
    warned = postil("build", cwd=new_site)
    assert warned.returncode == 0
    assert warned.stdout.splitlines()[-1] == "2 warnings — run `postil check` before you publish"
    assert "    5 | A [link](/nowhere/)" in warned.stderr


def test_version_names_postil_and_the_libraries_it_builds_with(tmp_path):
    result = postil("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"postil {metadata.version('postil')} (Python {sys.version.split()[0]}, ")
    assert lines[1:] == [f"markdown-it-py {metadata.version('markdown-it-py')}", f"Jinja {metadata.version('jinja2')}",
                         f"Pygments {metadata.version('pygments')}", f"Pagefind {metadata.version('pagefind')}"]


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_load_no_markdown_template_or_highlighting_library(option):
    probe = (
        "import sys\nfrom postil.cli import main\n"
        f"try:\n    main([{option!r}])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('markdown_it', 'jinja2', 'pygments', 'yaml', 'postil.pipeline') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert result.stdout.splitlines()[-1] == "[]"


# --- the README and CI ----------------------------------------------------------------

def test_readme_test_command_is_the_one_ci_runs_and_needs_no_npm():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
    assert command in readme and ci.rstrip().splitlines()[-1] == command
    assert "npm" not in readme and "npm" not in ci


def test_readme_names_site_commands_postil_and_build_py_only_for_the_example_site():
    paragraphs = [part for part in (REPO / "README.md").read_text(encoding="utf-8").split("\n\n") if "build.py" in part]
    prose = [part for part in paragraphs if not part.startswith("```sh\npython3 -m venv .venv")]
    assert len(prose) == 1 and "example site" in prose[0], prose


def test_a_skipped_test_fails_under_ci(pytester, monkeypatch):
    pytester.makeconftest((REPO / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile("import pytest\n\ndef test_needs_a_browser():\n    pytest.skip('no browser here')\n")
    monkeypatch.delenv("CI", raising=False)
    pytester.runpytest_subprocess().assert_outcomes(skipped=1)
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*skipped under CI*no browser here*"])


def test_this_repositorys_pages_workflow_restores_the_build_cache_before_its_check():
    steps = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
    names = [step.get("uses", step.get("run", "")) for step in steps]
    cache = next(index for index, name in enumerate(names) if name.startswith("actions/cache@"))
    assert steps[cache]["with"]["path"].split() == [".postil-cache", "public"]
    assert cache < next(index for index, name in enumerate(names) if " check " in name)

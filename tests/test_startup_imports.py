"""What a new process imports before it has work to do: reading the settings, or finding
that nothing changed, must not pay for Markdown, Jinja or YAML (~0.2 s at every start)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("markdown_it", "mdit_py_plugins", "jinja2", "yaml", "pygments")


def heavy_modules_after(code: str, cwd: Path) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running `code`."""
    probe = f"import sys\n{code}\nprint('imported:', *(name for name in {HEAVY!r} if name in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, env={"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()[1:]


def test_reading_the_settings_imports_no_markdown(site):
    code = f"from pathlib import Path\nfrom postil.config import load_config\nload_config(Path({str(site.root)!r}))"
    assert heavy_modules_after(code, site.root) == []


def test_a_build_with_nothing_to_do_imports_no_markdown_templates_or_yaml(site):
    site.essay("a.md", body="Some *text*.\n\n```python\nprint(1)\n```\n")
    an_hour_ago = time.time() - 3600  # past the window in which a source's stat cannot be trusted
    for source in (site.root / "pyproject.toml", site.root / "content" / "a.md"):
        os.utime(source, (an_hour_ago, an_hour_ago))
    assert site.build() == 0
    code = "from postil.cli import main\nassert main(['build']) == 0, 'not up to date'"
    assert heavy_modules_after(code, site.root) == []


def test_a_cold_build_forks_its_parse_workers_before_importing_jinja(site):
    """The parse workers have no use for Jinja: this process imports it while they parse,
    not before they start (~70 ms a cold build's second core would sit idle)."""
    for number in range(60):  # enough for worker processes (MIN_ITEMS_FOR_PROCESSES)
        site.essay(f"essay-{number:02}.md", title=f"Essay {number}")
    code = (
        "import os, sys\n"
        "import postil.speed.parse_cache as parse_cache, postil.speed.workers as workers\n"
        "workers.usable_cores = lambda: 2\n"
        "parse = parse_cache.parse_essay\n"
        "def noting(*args, **kwargs):\n"
        "    if os.getpid() != PARENT:\n"
        "        print('worker has jinja2:', 'jinja2' in sys.modules, flush=True)\n"
        "    return parse(*args, **kwargs)\n"
        "PARENT = os.getpid()\n"
        "parse_cache.parse_essay = noting\n"
        "from postil.cli import main\n"
        "assert main(['build']) == 0\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=site.root, capture_output=True, text=True, env={"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    seen = {line for line in result.stdout.splitlines() if line.startswith("worker has jinja2:")}
    assert seen == {"worker has jinja2: False"}
    assert (site.out / "essay-00/index.html").is_file()


def test_a_build_with_search_off_imports_no_indexer(site):
    """The test site sets `search = false`: the indexing stage's module (and the thread
    pool it brings in) is not even imported."""
    site.essay("a.md", body="Some *text*.\n")
    code = "from postil.cli import main\nassert main(['build']) == 0\nimport sys\nprint('indexer imported:', 'postil.search.index' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=site.root, capture_output=True, text=True, env={"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "indexer imported: False"
    assert (site.out / "a/index.html").is_file()

"""Plain front matter is read without PyYAML, to the very values PyYAML reads."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from postil.content.frontmatter import FrontMatterError, plain_front_matter
from postil.content.yaml_front_matter import load_front_matter

REPO = Path(__file__).resolve().parent.parent

PLAIN = [
    'title: "On River Concern"\ndate: 2015-01-08\ntags:\n  - craft\n  - language\nsummary: "A summary, with: colons # and hashes."',
    "title: A plain title, with commas and (brackets)\ndate: 2024-03-01T10:30:00+01:00\ndraft: true",
    "title: 'Single quotes \"inside\"'\ntags: [essays, notes, long-form]\ntoc: false",
    "title: Don't panic!\ndate: 2024-03-01 10:30\nin_reply_to: \"https://example.org/a#b\"",
    "tags:\n- a\n- b\n\ntitle: \"Café · ünïcode\"",
    "title: \"\"\nsummary: ''\ntags: []",
    "author: Jane Doe\nreplies: closed\ntags:\n    - four spaces\n    - 'quoted item'\n    - true",
    "",
]

REFUSED = [
    "title: yes", "title: No", "title: null", "On: x", "title: 10:30", "title: 42", "title: 3.5", "title: .inf",
    "title: a # comment", "title: a: b", "title: 'a' b", 'title: "a\\tb"', "title: &anchor x", "title: *alias",
    "title:\n  nested: mapping", "title:", "tags:\n  - a\n - b", "title: a\n  continued", "title: x\ntitle: y",
    "tags: [a, [b]]", "tags: [a,]", 'tags: ["a", b]', "title: !tag x", "\ttitle: x", "title: a\u2028b", "  title: x",
    "# a comment\ntitle: x", "title: [true]", "- a", "title: ~", "date: 2024-13-45x",
]


def _yaml(text: str) -> object:
    try:
        value = load_front_matter(text, "a.md")
    except FrontMatterError:
        return FrontMatterError
    return {} if value is None else value


@pytest.mark.parametrize("text", PLAIN)
def test_plain_front_matter_is_read_as_yaml_reads_it(text):
    assert plain_front_matter(text.split("\n")) == _yaml(text)


@pytest.mark.parametrize("text", REFUSED)
def test_anything_else_is_left_to_yaml(text):
    assert plain_front_matter(text.split("\n")) is None


def test_random_front_matter_read_plainly_is_what_yaml_reads():
    """Lines made of pieces that are plain, nearly plain, or YAML's special words and marks."""
    keys = ["title", "date", "tags", "draft", "yes", "Null", "in-reply-to", "a_b", "x"]
    values = [
        "word", "two words", "Don't", "a, b", "a:b", "a: b", "a #b", "a#b", "true", "false", "True", "off", "null", "~",
        "0", "12", "1_000", "0x1f", "1:30", "1.5", ".nan", "2024-01-02", "2024-01-02 03:04:05", "2024-01-02T03:04Z",
        "'q'", "''", "'it''s'", '"d"', '"a\\"b"', '"#:"', "[a, b]", "[]", "[a, 'b']", "[a b, c]", "{a: b}", "&x y", "*x",
        "!x y", "|", ">", "- a", "?", "a ?", "é", "@x", "`x`", "%x", "a!", "(a)", "a/b", "a & b", "a+b", "-a", "a -",
    ]
    chooser = random.Random(17)
    read = 0
    for _ in range(3000):
        lines = []
        for _ in range(chooser.randint(1, 4)):
            key = chooser.choice(keys)
            if chooser.random() < 0.2:
                indent = chooser.choice(["", "  ", "    "])
                lines += [f"{key}:"] + [f"{indent}- {chooser.choice(values)}" for _ in range(chooser.randint(0, 3))]
            else:
                lines.append(f"{key}: {chooser.choice(values)}")
        text = "\n".join(lines)
        plain = plain_front_matter(lines)
        if plain is not None:
            read += 1
            assert plain == _yaml(text), text
    assert read > 200  # the comparison saw plenty of plain front matter


def test_the_front_matter_of_every_sample_essay_is_read_plainly_or_left_to_yaml_alike():
    texts = [path.read_text(encoding="utf-8") for path in (REPO / "content").rglob("*.md")]
    texts += [path.read_text(encoding="utf-8") for path in (REPO / "tests").rglob("*.md")]
    assert texts
    for text in texts:
        lines = text.split("\n")
        if lines[0].rstrip() != "---":
            continue
        end = next((number for number in range(1, len(lines)) if lines[number].rstrip() in ("---", "...")), None)
        if end is None:
            continue
        plain = plain_front_matter(lines[1:end])
        if plain is not None:
            assert plain == _yaml("\n".join(lines[1:end]))


def test_an_edited_essay_with_plain_front_matter_is_built_without_importing_yaml(site):
    import subprocess
    import sys

    site.essay("a.md", body="Some *text*.\n")
    site.essay("b.md", title="B", tags="[one, two]", body="Other text.\n")
    assert site.build() == 0
    site.essay("b.md", title="B", tags="[one, two]", body="Other text, edited.\n")
    code = "import sys\nfrom postil.cli import main\nassert main(['build']) == 0\nprint('yaml imported:', 'yaml' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=site.root, capture_output=True, text=True, env={"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "yaml imported: False"
    assert "Other text, edited." in (site.out / "b/index.html").read_text(encoding="utf-8")

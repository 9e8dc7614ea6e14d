"""Highlighting with each lexer state's rules joined gives exactly Pygments' own tokens."""
from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Keyword, Name, Punctuation, String, Text

from postil.speed import lexers as joined_rules
from postil.speed.lexers import joins, tokens

REPO = Path(__file__).resolve().parent.parent

# What essayists quote most, and lexers whose rules use flags, verbose patterns,
# callbacks and nested states.
LANGUAGES = (
    "python", "javascript", "typescript", "tsx", "rust", "go", "java", "kotlin", "csharp", "dart",
    "haskell", "scala", "clojure", "racket", "julia", "erlang", "ocaml", "perl", "r", "matlab",
    "bash", "zsh", "powershell", "sql", "toml", "ini", "html", "xml", "css", "scss",
    "latex", "markdown", "rst", "diff", "docker", "nginx", "jinja", "fortran", "zig", "nasm",
)

MIXED = textwrap.dedent('''\
    #include <stdio.h>
    int main(void) { printf("%d\\n", 42); return 0; }  /* block */ // line
    <?php echo "$name {$a['b']}"; ?>  <div class="x" data-y='1'>&amp;</div>
    {"a": [1, 2.5e3, -0x1F, null, true], "b": {"c": "d\\u00e9"}}
    SELECT a, COUNT(*) FROM t WHERE b = 'x''y' GROUP BY a;  -- done
    $ ls -la | grep "x" && echo ${HOME:-/} `date` $((1 + 2))
    def f(x, *args, **kw) -> int:  # comment
        """Doc."""
        return f"{x!r:>10}" + r'\\d' + b"\\x00"
    @decorator
    class A(B, metaclass=M): pass
    let s = `template ${a + `nested ${b}`}` /re[g]ex/gi; x => x ** 2;
    fn main() { let v: Vec<&str> = vec!["a"]; 'lifetime; }
    ---
    key: [value, "quoted: yes"]  # yaml
    [section]
    name = "toml" # note
    \\begin{document} $x^2$ \\end{document}
    - [ ] task **bold** _em_ [link](http://x.org)
    ''')
PUNCTUATION = "{}()[]<>\"'`#/*\\\n\t;:=+-$@!?%&|^~.,0123456789abcXYZ _"
SCRAMBLED = "".join(PUNCTUATION[(i * 7919) % len(PUNCTUATION)] for i in range(2000))


@functools.cache
def _samples() -> tuple[str, ...]:
    own = [REPO / "postil" / "write" / "output.py", REPO / "theme" / "postil.js", REPO / "theme" / "style.css", REPO / "templates" / "base.html"]
    return (MIXED, SCRAMBLED, *(path.read_text(encoding="utf-8")[:5000] for path in own))


@functools.cache
def _pygments_tokens(language: str, sample: str) -> list:
    """Pygments' own tokens, the expected answer: the same for both ways of joining, so
    worked out once (they are half the cost of comparing)."""
    return list(get_lexer_by_name(language, stripnl=False, ensurenl=False).get_tokens_unprocessed(sample))


@pytest.fixture(autouse=True, params=[0, 0.05], ids=["joined-at-once", "joined-midway"])
def join_after(request, monkeypatch):
    """States joined after their first token, or after some, so that both loops and the
    switch from one to the other are checked (a build joins only states that are hot)."""
    monkeypatch.setattr(joined_rules, "FAILURES_PER_PATTERN_CHARACTER", request.param)
    monkeypatch.setattr(joined_rules, "_states", {})


@pytest.mark.parametrize("language", LANGUAGES)
def test_joined_rules_give_pygments_tokens(language):
    lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    assert joins(lexer)
    for sample in _samples():
        assert list(tokens(lexer, sample)) == _pygments_tokens(language, sample)


class Tricky(RegexLexer):
    """Rules that joining must not change: a case-insensitive rule, a verbose one ending in
    a comment, callbacks with groups, nested states, and a back-reference (its state, where
    group numbers would shift, keeps Pygments' loop)."""

    tokens = {
        "root": [
            (r"(\w+)(=)", bygroups(Name, Punctuation)),
            (r"(?i)select\b", Keyword),
            (r"""(?x) \d+ \s* [kmg]b  # a size, then a comment""", Name.Constant),
            (r"(?=['\"])", Text, "string"),
            (r"\{", Punctuation, "block"),
            (r"\s+", Text),
            (r"\w+", Name),
        ],
        "string": [
            (r"(x)y", Name),
            (r"(['\"]).*?\1", String, "#pop"),
        ],
        "block": [
            include("comments"),
            (r"\}", Punctuation, "#pop"),
            (r"\{", Punctuation, "#push"),
            (r"[^{}/]+", Text),
            default("#pop"),
        ],
        "comments": [
            (r"//[^\n]*", Comment),
        ],
    }


def test_rules_joined_or_not_keep_their_meaning():
    lexer = Tricky(stripnl=False, ensurenl=False)
    text = "a=1 'it''s' \"q\" SeLeCt 10 kb { x // c\n { y } } z / ? \n}"
    expected = list(lexer.get_tokens_unprocessed(text))
    assert {(0, Name, "a"), (4, String, "'it'"), (16, Keyword, "SeLeCt"), (23, Name.Constant, "10 kb")} <= set(expected)
    assert list(tokens(lexer, text)) == expected


def test_essay_code_block_is_pygments_own_highlighting(site):
    code = 'import re\n\n\nclass A:\n    """Doc."""\n\n    def f(self, x=re.compile(r"\\d+")):\n        return f"{x!r}"  # note\n'
    site.essay("e.md", body=f"```python\n{code}```\n")
    assert site.build() == 0
    pre = site.html("e/index.html").css_first(".essay-body pre.highlight code")
    plain = get_lexer_by_name("python", stripnl=False, ensurenl=False)
    expected = highlight(code, plain, HtmlFormatter(nowrap=True))
    assert pre.html == f"<code>{expected}</code>"


class Letters(RegexLexer):
    tokens = {"root": [(r"a", Name), (r"b", Keyword), (r"c", String), (r"\s", Text)]}


def _joined(lexer: RegexLexer) -> bool:
    return joined_rules._state(lexer, "root").joined is not None


def test_a_state_is_joined_once_its_failed_rules_have_cost_what_joining_does(monkeypatch):
    monkeypatch.setattr(joined_rules, "FAILURES_PER_PATTERN_CHARACTER", 2)  # 5 characters: joined after 10 failures
    lexer = Letters(stripnl=False, ensurenl=False)
    # Two rules fail before each "c", and all four at the end of the text: 8 failures.
    assert list(tokens(lexer, "cc")) == [(0, String, "c"), (1, String, "c")]
    assert not _joined(lexer)
    assert list(tokens(lexer, "cb")) == [(0, String, "c"), (1, Keyword, "b")]
    assert _joined(lexer)


def test_a_state_whose_first_rule_matches_is_never_joined(monkeypatch):
    monkeypatch.setattr(joined_rules, "FAILURES_PER_PATTERN_CHARACTER", 1)
    lexer = Letters(stripnl=False, ensurenl=False)
    assert len(list(tokens(lexer, "a" * 1000))) == 1000
    assert not _joined(lexer)

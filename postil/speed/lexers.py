"""Pygments' regex lexers with each state's rules tried in one regular expression.

A RegexLexer tries the rules of its current state one by one at each position, a
`re.match` call per rule: on our essays' Python and JavaScript, ~25 calls per token and
most of the time spent highlighting. Joined into one alternation, `(r1)|(r2)|…`, which
the regex engine tries in the same order and settles on the first that matches, a state
costs one call per token; the winning rule's own pattern runs again only when its action
needs the match's groups. Rules, actions and state changes stay Pygments' own, and so do
the tokens. A state whose rules cannot be joined without changing what they mean
(numbered back-references, clashing group names, other flags) keeps Pygments' loop.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from functools import lru_cache, partial

from pygments.lexer import Lexer, RegexLexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from pygments.token import Error, Whitespace, _TokenType

Rule = tuple[Callable, object, object]  # (bound `match` of a compiled pattern, action, new state)
Joined = tuple[Callable, list[Rule | None]]  # (the alternation's `match`, rule by outer group)

_SCOPED_FLAGS = (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL), ("x", re.VERBOSE))
_SCOPABLE = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE
_LEADING_FLAGS = re.compile(r"^(?:\(\?[aiLmsux]+\))+")
# Group numbers shift in an alternation; rules that might refer to one are not joined.
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")

# Joining a state is paid for by the rule-by-rule attempts it spares: a `re.match` that
# fails costs ~0.1 µs more than the joined pattern's trying that rule, and compiling the
# alternation ~2 µs per character of the state's patterns (in each process). So a state is
# joined once its rules have failed to match this many times per character of its patterns:
# then it has spent on failures what joining costs, and at worst a state is joined just
# before its last token, for twice the least it could have cost. A site with a few code
# blocks, or a new process re-highlighting one edited block, never pays for joining; a state
# whose first rule nearly always matches (a class name after `class`) never joins, as
# joining would buy it nothing; a small state joins after a few hundred tokens, and a
# language's large root state after several thousand (Python's after ~6,000, each of
# whose tokens tried 37 rules on the corpus's code).
FAILURES_PER_PATTERN_CHARACTER = 20


class _State:
    __slots__ = ("rules", "joined", "failures_left")

    def __init__(self, rules: list[Rule]):
        self.rules = rules
        self.joined: Joined | None = None
        # Counted down by every rule that fails to match; at zero the rules are joined.
        self.failures_left = FAILURES_PER_PATTERN_CHARACTER * sum(len(_pattern_text(rule_match)) for rule_match, _, _ in rules)


_states: dict[tuple[type, str], _State] = {}


@lru_cache(maxsize=256)  # bounded: reply authors choose the names
def joined_lexer(name: str) -> Lexer | None:
    """The lexer for a language name, as markdown/highlight.py's `pygments_lexer` gives it,
    but finding its tokens with its rules joined: the rest of Pygments, from preprocessing
    and filters to the formatter, is untouched. (Its own instance: the other stays plain.)"""
    try:
        lexer = get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    if joins(lexer):
        lexer.get_tokens_unprocessed = partial(tokens, lexer)  # type: ignore[method-assign]
    return lexer


def joins(lexer: Lexer) -> bool:
    """Whether `lexer` tokenises with Pygments' plain RegexLexer loop, which `tokens` stands in for."""
    return isinstance(lexer, RegexLexer) and type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed


def tokens(lexer: RegexLexer, text: str, stack: tuple[str, ...] = ("root",)) -> Iterator[tuple[int, object, str]]:
    """What `lexer.get_tokens_unprocessed(text, stack)` yields, found with joined rules."""
    states = list(stack)
    state = _state(lexer, states[-1])
    position = 0
    while True:
        match = None
        if state.joined is not None:
            match = state.joined[0](text, position)
            if match:
                group = match.lastindex
                rule_match, action, new_state = state.joined[1][group]  # type: ignore[misc]
                if action is not None:
                    if type(action) is _TokenType:
                        yield position, action, match.group(group)
                    else:
                        yield from action(lexer, rule_match(text, position))
                position = match.end(group)
        else:
            for failed, (rule_match, action, new_state) in enumerate(state.rules):
                match = rule_match(text, position)
                if match:
                    if action is not None:
                        if type(action) is _TokenType:
                            yield position, action, match.group()
                        else:
                            yield from action(lexer, match)
                    position = match.end()
                    break
            else:
                failed = len(state.rules)
            state.failures_left -= failed
            if state.failures_left <= 0:
                state.joined = _join(state.rules)
                state.failures_left = math.inf  # joined, or cannot be: never again
        if match:
            if new_state is not None:
                _change_state(states, new_state)
                state = _state(lexer, states[-1])
            continue
        # No rule matched: as Pygments does, a newline goes back to the root state, and
        # anything else is one character of error.
        if position >= len(text):
            break
        if text[position] == "\n":
            states = ["root"]
            state = _state(lexer, "root")
            yield position, Whitespace, "\n"
        else:
            yield position, Error, text[position]
        position += 1


def _change_state(states: list[str], new_state: object) -> None:
    """Pygments' state transitions: '#pop', '#push', a state's name, a tuple of them, or -n."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(states) > 1:
                    states.pop()
            elif state == "#push":
                states.append(states[-1])
            else:
                states.append(state)
    elif isinstance(new_state, int):
        # Pop, but keep at least one state: unexpected pops must not raise.
        if abs(new_state) >= len(states):
            del states[1:]
        else:
            del states[new_state:]
    elif new_state == "#push":
        states.append(states[-1])
    else:
        raise ValueError(f"wrong state definition: {new_state!r}")


def _state(lexer: RegexLexer, name: str) -> _State:
    key = (type(lexer), name)
    state = _states.get(key)
    if state is None:
        state = _states[key] = _State(lexer._tokens[name])
    return state


def _pattern_text(rule_match: Callable) -> str:
    """The pattern of a rule's bound `match` ("" for any other callable)."""
    pattern = getattr(rule_match, "__self__", None)
    return pattern.pattern if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str) else ""


def _join(rules: list[Rule]) -> Joined | None:
    """One pattern for a state's rules, with each rule's outer group; None if they do not join."""
    patterns = []
    for rule_match, _action, _new_state in rules:
        pattern = getattr(rule_match, "__self__", None)
        if not isinstance(pattern, re.Pattern) or rule_match.__name__ != "match" or _GROUP_REFERENCE.search(pattern.pattern):
            return None
        patterns.append(pattern)
    if not patterns:
        return None
    base = patterns[0].flags
    alternatives = []
    for pattern in patterns:
        if (pattern.flags ^ base) & ~_SCOPABLE:
            return None
        # A pattern's own leading flags are in its .flags: they become a scoped group here.
        text = _LEADING_FLAGS.sub("", pattern.pattern)
        if pattern.flags & re.VERBOSE:
            text = f"\n{text}\n"  # a comment on its last line must not swallow the ")"
        added = "".join(letter for letter, flag in _SCOPED_FLAGS if pattern.flags & flag and not base & flag)
        removed = "".join(letter for letter, flag in _SCOPED_FLAGS if base & flag and not pattern.flags & flag)
        if added or removed:
            text = f"(?{added}{'-' + removed if removed else ''}:{text})"
        alternatives.append(f"({text})")
    try:
        joined = re.compile("|".join(alternatives), base)
    except (re.error, RecursionError, OverflowError):
        return None
    by_group: list[Rule | None] = [None] * (joined.groups + 1)
    group = 1
    for pattern, rule in zip(patterns, rules):
        by_group[group] = rule
        group += 1 + pattern.groups
    return joined.match, by_group

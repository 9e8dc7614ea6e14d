"""Shaping what strangers wrote elsewhere into reply fields that a build accepts.

Every importer goes through these, so an imported reply never carries an e-mail address,
an unusable homepage, an over-long name or a body over the reply size limit.
"""
from __future__ import annotations

import re

from ...content.reply import MAX_AUTHOR_LENGTH, MAX_BYTES, MAX_URL_LENGTH, is_author_url

_MAILTO_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?mailto:[^)\s]*>?\s*\)", re.IGNORECASE)
_EMAIL_AUTOLINK = re.compile(r"<(?:mailto:)?[^<>\s@]+@[^<>\s]+>", re.IGNORECASE)
EMAIL = re.compile(r"(?:mailto:)?[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
EMAIL_REMOVED = "[e-mail address removed]"
# Room left under the reply size limit for the front matter and the note about the cut.
BODY_LIMIT = MAX_BYTES - 4 * 1024


def no_emails(text: str) -> str:
    """The text with every e-mail address (and mailto: link target) replaced by a note."""
    return EMAIL.sub(EMAIL_REMOVED, _EMAIL_AUTOLINK.sub(EMAIL_REMOVED, _MAILTO_LINK.sub(r"\1", text)))


def author_name(value: object, anonymous: str) -> str:
    """One line of at most the allowed length; `anonymous` when nothing usable is left."""
    name = " ".join(no_emails(str(value or "")).split())
    if not name or name == EMAIL_REMOVED:
        return anonymous
    return name if len(name) <= MAX_AUTHOR_LENGTH else name[: MAX_AUTHOR_LENGTH - 1].rstrip() + "…"


def homepage(value: object) -> str:
    """An http(s) address fit for a reply's `url`, or "" (javascript:, mailto:, junk)."""
    url = str(value or "").strip()
    return url if len(url) <= MAX_URL_LENGTH and is_author_url(url) else ""


def fitted_body(body: str, where: str) -> str:
    """The body, cut at a paragraph when it would pass the reply size limit, saying so."""
    body = no_emails(body).strip()
    if len(body.encode("utf-8")) <= BODY_LIMIT:
        return body
    kept = body.encode("utf-8")[:BODY_LIMIT].decode("utf-8", "ignore")
    cut = kept.rfind("\n\n")
    kept = kept[:cut] if cut > 0 else kept
    return f"{kept.rstrip()}\n\n*(Shortened on import; the whole comment is {where}.)*"

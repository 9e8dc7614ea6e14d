"""The name of the site a reply was first published on, from its `origin` address."""
from __future__ import annotations

from urllib.parse import urlsplit

SITE_NAMES = {
    "lesswrong.com": "LessWrong",
    "greaterwrong.com": "LessWrong",
    "alignmentforum.org": "the Alignment Forum",
    "forum.effectivealtruism.org": "the EA Forum",
    "ea.greaterwrong.com": "the EA Forum",
}


def origin_name(url: str) -> str:
    """'LessWrong' for a LessWrong comment's page; another site's host name otherwise."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return SITE_NAMES.get(host, host)

"""Writing reply files into a test site."""
from __future__ import annotations

import yaml

ESSAY_TEXT = (
    "The margin is where a reader answers the page, one pencilled line at a time.\n\n"
    "A second paragraph talks about glosses that outgrew the text they surrounded.\n"
)


def essay_with_replies(site, bundle: str = "talk", **meta: str) -> None:
    site.essay(f"{bundle}/index.md", title="Talk", date="2026-03-01", body=ESSAY_TEXT, **meta)


def write_reply(site, ident: str, body: str = "A reply.", bundle: str = "talk", *, raw_meta: str | None = None, **meta) -> None:
    """A reply file; `meta` values go through YAML so any text survives as written."""
    fields = {"author": "A Reader", "date": "2026-03-02T10:00:00Z", **meta}
    fields = {key: value for key, value in fields.items() if value is not None}
    front = raw_meta if raw_meta is not None else yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)
    site.write(f"content/{bundle}/replies/{ident}.md", f"---\n{front}---\n{body}\n", dedent=False)

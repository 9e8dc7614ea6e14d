"""Reading an export a user saved from another service, with the same messages for every importer."""
from __future__ import annotations

import json
from pathlib import Path

from ...errors import PostilError, Problem


def read_json_export(path: Path, what: str, how_to_save: str) -> object:
    """The JSON in `path`; a missing or unreadable file is a PostilError saying how to get
    a good one (`what` it should be, `how_to_save` it)."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise PostilError([Problem(str(path), None, None, "no such file", f"give {what}")]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PostilError([Problem(str(path), getattr(exc, "lineno", None), getattr(exc, "colno", None), f"not a JSON file: {exc}",
                                   how_to_save)]) from None

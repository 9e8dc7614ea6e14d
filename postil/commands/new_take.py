"""`postil new --take`: start a quick take in the takes folder. Never overwrites a file."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..config import load_config
from ..content.discover import CONTENT_DIR
from .scaffold import _create, _front_matter, _refuse, slug_from_title


def new_take(site_root: Path, title: str = "", *, tags: list[str] | None = None, bundle: bool = False,
             now: dt.datetime | None = None) -> Path:
    """Create a draft take; return its path. Named by its title when it has one (refused
    when that name is taken, as an essay's is), else by its date, numbered past any take
    already written that day: takes are often untitled, and several a day."""
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    folder = site_root / CONTENT_DIR / load_config(site_root).takes
    meta: dict = {"date": now, "draft": True}
    if title.strip():
        meta = {"title": title.strip(), **meta}
    if tags:
        meta["tags"] = tags
    text = _front_matter(meta) + "\nWrite here.\n"
    slug = slug_from_title(title) if title.strip() else ""
    if slug:
        names = [slug]
    else:
        day = now.date().isoformat()
        names = [day] + [f"{day}-{number}" for number in range(2, 1000)]
    for name in names:
        if (folder / f"{name}.md").exists() or (folder / name).exists():
            continue
        path = folder / name / "index.md" if bundle else folder / f"{name}.md"
        _create(path, text, site_root)
        return path
    raise _refuse(folder / f"{names[0]}.md", site_root, "a take of that name already exists",
                  "nothing was written; choose another title or edit that file")

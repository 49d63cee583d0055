"""Source sets: every source belongs to one named set (default `public`); a caller may be limited
to some sets, and search then sees nothing else (retrieval/index/search.py).

Which set a file goes to at ingest: `briefbot ingest --set NAME` for everything given, else the
outermost folder named `set-NAME` on the file's path, from the ingest root itself down (so
`sources/set-cables/2025/note.txt` is in `cables`, and nothing inside a restricted folder can
name itself into a wider set), else `public`. Chunks stored before sets existed carry no set
and count as `public`; any ingest labels them so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

DEFAULT_SET = "public"
FOLDER_PREFIX = "set-"

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class BadSetName(ValueError):
    pass


def set_name(text: str) -> str:
    """A set's name as stored: lower case, letters, digits, `_`, `.`, `-` (at most 64). Raises BadSetName."""
    name = (text or "").strip().lower()
    if not _NAME.fullmatch(name):
        raise BadSetName(f"'{text}' is not a set name: use letters, digits, '_', '.' or '-' (e.g. public, cables)")
    return name


def set_names(items: Iterable[str]) -> frozenset[str]:
    """Names from items that may each be comma-separated ("public,cables"). Raises BadSetName."""
    return frozenset(set_name(part) for item in items for part in str(item).split(",") if part.strip())


def folder_set(path: Path, root: Path) -> str | None:
    """The set a file's folders name (`set-NAME`), outermost first from the ingest root; None when
    none does. A `set-` folder with a bad name raises BadSetName (its files are not ingested rather
    than filed as public)."""
    try:
        inside = Path(path).relative_to(root).parent.parts
    except ValueError:
        inside = ()
    for folder in (Path(root).name, *inside):
        if folder.lower().startswith(FOLDER_PREFIX):
            return set_name(folder[len(FOLDER_PREFIX) :])
    return None

"""TEMPORARY minimal loader (to be replaced by the full loaders/cleaning)."""
from __future__ import annotations
import re
from dataclasses import dataclass, field
from pathlib import Path
from briefbot.errors import BriefbotError
from retrieval.types import DocumentMeta

SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm"}


class BadSourceFile(BriefbotError):
    pass


@dataclass
class LoadedDocument:
    meta: DocumentMeta
    text: str
    warnings: list[str] = field(default_factory=list)


def iter_source_files(paths):
    for p in paths:
        p = Path(p)
        if p.is_file():
            yield (p, p.parent)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith("."):
                    yield (f, p)
        else:
            yield BadSourceFile(f"{p}: no such file or folder; skipped.")


BOILER = re.compile(r"Leave a Comment|Your email address will not be published\.?|Required fields are marked \*|Scroll to Top|\(With application input\)")


def load_document(path: Path, root: Path, max_bytes: int = 20_000_000) -> LoadedDocument:
    data = path.read_bytes()
    if not data.strip():
        raise BadSourceFile(f"{path}: empty file; skipped.")
    if b"\x00" in data:
        raise BadSourceFile(f"{path}: binary file; skipped.")
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        raw = data.decode("latin-1")
    raw = BOILER.sub("", raw)
    meta = {"source_id": path.relative_to(root).as_posix()}
    m = re.search(r"date (\d{4}-\d\d-\d\d)", raw)
    if m:
        meta["published"] = m.group(1)
        raw = raw.replace(m.group(0), "")
    lines = [l.strip() for l in raw.split("\n")]
    if lines and lines[0] and len(lines[0]) < 90 and not lines[0].endswith("."):
        meta["title"] = lines[0]
        lines = lines[1:]
    body = "\n\n".join(l for l in lines if l and (l.endswith((".", "”", '"')) or len(l) > 90))
    body = re.sub(r"^\s*ISLAMABAD:\s*", "", body, flags=re.I)
    return LoadedDocument(DocumentMeta(**meta), body.strip())

"""PDF and Word documents -> text, with well-kept readers: pypdf (the text layer, page by page)
and python-docx (paragraphs and tables in document order).

A PDF without a text layer (a scan) is refused with what to do, never stored as an empty source;
`page_starts` finds where each PDF page begins in the cleaned text, so a citation names its page.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

from retrieval.errors import BadSourceFile
from retrieval.types import PageStarts

log = logging.getLogger(__name__)

MAX_PDF_PAGES = 2_000
MIN_TEXT_CHARS = 20  # less text than this on every page: a scan (or only page numbers)
# metadata titles that name the file or the tool, not the document
_JUNK_TITLE = re.compile(r"^(?:untitled|microsoft word\b|document\d*|.*\.(?:docx?|pdf|rtf|odt))", re.I)
_HYPHENATED = re.compile(r"(\w)-\n(?=[a-z])")


def _bad(label, problem: str, hint: str = "", *, empty: bool = False):
    return BadSourceFile(label, problem, hint, kind=BadSourceFile.EMPTY if empty else BadSourceFile.FAILED)


# ---------------------------------------------------------------- PDF
def pdf_pages(data: bytes, label: Path | str) -> tuple[list[str], dict]:
    """The text of each page (words hyphenated across a line break joined again) and the
    document's own title and author. Raises BadSourceFile for an unreadable, encrypted or
    text-less (scanned) PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every quirk of a file
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _bad(label, "is a password-protected PDF", "save a copy without the password and ingest that")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise _bad(label, f"has {len(pages):,} pages, over the {MAX_PDF_PAGES:,} page limit", "split it")
        texts = [_HYPHENATED.sub(r"\1", page.extract_text() or "") for page in pages]
        info: Any = reader.metadata or {}
        title, author = _text(info.get("/Title")), _text(info.get("/Author"))
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise _bad(label, f"is not a readable PDF ({type(exc).__name__}: {_short(str(exc))})",
                   "open it and save it as PDF again") from None  # fmt: skip
    if not texts:
        raise _bad(label, "is a PDF with no pages", "check the file", empty=True)
    if all(len(t.strip()) < MIN_TEXT_CHARS for t in texts):
        raise _bad(
            label,
            f"is a PDF with no text layer ({len(texts)} page{'s' if len(texts) != 1 else ''} of images: a scan?)",
            "run OCR on it first (e.g. ocrmypdf) and ingest the result",
        )
    meta = {"title": title if title and not _JUNK_TITLE.match(title) else "", "author": author}
    return texts, {k: v for k, v in meta.items() if v}


def page_starts(body: str, pages: list[str]) -> PageStarts:
    """Where each page starts in `body`, the cleaned text of the pages (paragraphs joined by blank
    lines, page furniture dropped): every body paragraph is found in the pages' text from where
    the previous one ended; a page break inside a paragraph (a sentence running over the page)
    is placed at the same distance from the paragraph's start as in the pages' text."""
    joined, starts = "", []
    for number, text in enumerate(pages, start=1):
        starts.append((len(joined), number))
        joined += " ".join(text.split()) + " "
    out: list[tuple[int, int]] = []
    cursor = offset = 0
    for paragraph in body.split("\n\n"):
        found = -1
        for probe in (paragraph[:60], paragraph[:20]):
            found = joined.find(probe, cursor) if probe else -1
            if found >= 0:
                break
        at = found if found >= 0 else cursor
        _add(out, offset, _page(starts, at))
        for start, number in starts:
            if at < start < at + len(paragraph):
                inside = offset + start - at
                space = body.rfind(" ", offset, inside + 1)  # a page starts with a whole word
                _add(out, max(space + 1, offset) if space >= 0 else inside, number)
        if found >= 0:
            cursor = found + len(paragraph)
        offset += len(paragraph) + 2
    return tuple(out)


def _page(starts: list[tuple[int, int]], at: int) -> int:
    page = 1
    for start, number in starts:
        if start > at:
            break
        page = number
    return page


def _add(out: list[tuple[int, int]], offset: int, page: int) -> None:
    if out and out[-1][1] == page:
        return
    if out and offset <= out[-1][0]:
        out[-1] = (out[-1][0], page)
        return
    out.append((offset, page))


# ---------------------------------------------------------------- Word
def docx_text(data: bytes, label: Path | str) -> tuple[str, dict]:
    """Paragraphs and table rows in document order, one per block, and the document's title and
    author. Raises BadSourceFile for a file that is not a Word document or holds no text."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                    if cells:
                        blocks.append(" | ".join(cells))
            else:
                blocks.append(item.text.strip())
        props = document.core_properties
        title, author = _text(props.title), _text(props.author)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _bad(label, f"is not a readable Word document (.docx) ({_short(str(exc))})",
                   "open it in Word and save it as .docx again") from None  # fmt: skip
    except Exception as exc:  # python-docx raises its own kinds for damaged parts
        if type(exc).__module__.startswith("docx"):
            raise _bad(label, f"is not a readable Word document ({type(exc).__name__})",
                       "open it in Word and save it as .docx again") from None  # fmt: skip
        raise
    text = "\n\n".join(b for b in blocks if b)
    if not text.strip():
        raise _bad(label, "is a Word document with no text", "check it holds the article", empty=True)
    meta = {"title": title if title and not _JUNK_TITLE.match(title) else "", "author": author}
    return text, {k: v for k, v in meta.items() if v}


def _text(value) -> str:
    return " ".join(str(value).split()) if value else ""


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

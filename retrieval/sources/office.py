"""PDF and Word documents -> text, with well-kept readers: pypdf (the text layer, page by page)
and python-docx (paragraphs and tables in document order).

A PDF without a text layer (a scan) is refused with what to do, never stored as an empty source;
`page_starts` finds where each PDF page begins in the cleaned text, so a citation names its page.

Every document is read in a worker process under a wall-clock limit (PARSE_SECONDS) and a memory
cap (WORKER_MEMORY): text extraction from a hostile PDF can take minutes. A Word file is a zip
whose members are checked by their uncompressed size and ratio before any is read, so a 3 MB file
holding 3 GB of XML is refused unopened.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from retrieval.errors import BadSourceFile
from retrieval.types import PageStarts

log = logging.getLogger(__name__)

MAX_PDF_PAGES = 2_000
PARSE_SECONDS = 60.0  # reading one PDF or Word file, in its worker process
WORKER_MEMORY = 1 << 30  # the worker's address space (RLIMIT_AS)
# a Word file's zip: each member's and all members' uncompressed size, and the ratio a member may inflate by
MAX_MEMBER_BYTES = 64_000_000
MAX_UNZIPPED_BYTES = 160_000_000
MAX_RATIO = 200
META_MAX_CHARS = 300  # a title or author from a document's properties
T = TypeVar("T")
MIN_TEXT_CHARS = 20  # less text than this on every page: a scan (or only page numbers)
# metadata titles that name the file or the tool, not the document
_JUNK_TITLE = re.compile(r"^(?:untitled|microsoft word\b|document\d*|.*\.(?:docx?|pdf|rtf|odt))", re.I)
_HYPHENATED = re.compile(r"(\w)-\n(?=[a-z])")


def _bad(label, problem: str, hint: str = "", *, empty: bool = False):
    return BadSourceFile(label, problem, hint, kind=BadSourceFile.EMPTY if empty else BadSourceFile.FAILED)


# ---------------------------------------------------------------- the worker
def in_worker(read: Callable[[bytes, Any], T], data: bytes, label: Path | str, what: str,
              seconds: float = PARSE_SECONDS) -> T:  # fmt: skip
    """`read(data, label)` in a fresh worker process, stopped after `seconds`; its BadSourceFile
    comes back as raised there. A worker that runs out of time or memory is a BadSourceFile."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(send, read, data, label), daemon=True)
    worker.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise _bad(label, f"took over {seconds:g} s to read as {what} (stopped)",
                       "save it again (or print it to PDF) and ingest that")  # fmt: skip
        try:
            ok, value = receive.recv()
        except EOFError:  # the worker died (killed, out of memory below the Python level)
            raise _bad(label, f"could not be read as {what} (the reader stopped: exit {worker.exitcode})",
                       "save it again and ingest that") from None  # fmt: skip
    finally:
        worker.kill()
        worker.join(5)
        receive.close()
    if not ok:
        raise value
    return value


def _work(send, read, data: bytes, label) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    try:
        result = (True, read(data, label))
    except BadSourceFile as exc:
        result = (False, exc)
    except MemoryError:
        result = (False, _bad(label, f"needs over {WORKER_MEMORY >> 20} MB to read", "split it or save it again"))
    except Exception as exc:  # a reader's surprise: named, never a traceback
        result = (False, _bad(label, f"could not be read ({type(exc).__name__}: {_short(str(exc))})",
                              "save it again and ingest that"))  # fmt: skip
    send.send(result)
    send.close()


# ---------------------------------------------------------------- PDF
def pdf_pages(data: bytes, label: Path | str, *, seconds: float | None = None) -> tuple[list[str], dict]:
    """The text of each page (words hyphenated across a line break joined again) and the
    document's own title and author, read in a worker within `seconds`. Raises BadSourceFile for
    an unreadable, encrypted, text-less (scanned) or too slow PDF."""
    return in_worker(_pdf_pages, data, label, "a PDF", PARSE_SECONDS if seconds is None else seconds)


def _pdf_pages(data: bytes, label: Path | str) -> tuple[list[str], dict]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every quirk of a file
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opened(reader):
            raise _bad(label, "is an encrypted (password-protected) PDF",
                       "save a copy without the password or encryption and ingest that")  # fmt: skip
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise _bad(label, f"has {len(pages):,} pages, over the {MAX_PDF_PAGES:,} page limit", "split it")
        texts = [_HYPHENATED.sub(r"\1", page.extract_text() or "") for page in pages]
        info: Any = reader.metadata or {}
        title, author = _text(info.get("/Title")), _text(info.get("/Author"))
    except DependencyError:  # AES encryption, met while opening it: pypdf needs `cryptography` to even try
        raise _bad(label, "is an encrypted (password-protected) PDF",
                   "save a copy without the password or encryption and ingest that") from None  # fmt: skip
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


def _opened(reader) -> bool:
    """Whether an encrypted PDF opens without a password (AES needs the `cryptography` package:
    without it, the PDF is said to be encrypted, not a missing dependency)."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except (DependencyError, NotImplementedError):
        return False


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
def docx_text(data: bytes, label: Path | str, *, seconds: float | None = None) -> tuple[str, dict]:
    """Paragraphs and table rows in document order, one per block, and the document's title and
    author, read in a worker within `seconds`. Raises BadSourceFile for a file that is not a Word
    document, holds no text, or whose zip would inflate past the limits."""
    check_zip(data, label)  # here, before a worker is started for it
    return in_worker(_docx_text, data, label, "a Word document", PARSE_SECONDS if seconds is None else seconds)


def check_zip(data: bytes, label: Path | str) -> None:
    """A Word file's zip members, by the sizes its directory declares (Python's zip reader never
    inflates a member past its declared size): each under MAX_MEMBER_BYTES and MAX_RATIO times
    its compressed size, all under MAX_UNZIPPED_BYTES. Raises BadSourceFile."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _bad(label, f"is not a readable Word document (.docx) ({_short(str(exc))})",
                   "open it in Word and save it as .docx again") from None  # fmt: skip
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        bomb = ratio > MAX_RATIO and member.file_size > 1_000_000
        if member.file_size > MAX_MEMBER_BYTES or total > MAX_UNZIPPED_BYTES or bomb:
            raise _bad(label, f"would unzip to {member.file_size:,} bytes of {member.filename} ({ratio:,.0f} times "
                       "its size): over the limits for a Word document (a zip bomb?)", "save it again in Word")  # fmt: skip


def _docx_text(data: bytes, label: Path | str) -> tuple[str, dict]:
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
    """A property's text on one line, at most META_MAX_CHARS (a 5 MB title is not stored on every chunk)."""
    return " ".join(str(value)[: META_MAX_CHARS * 4].split())[:META_MAX_CHARS] if value else ""


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

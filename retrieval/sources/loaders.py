"""Source files -> LoadedDocument (metadata + clean text), one file at a time.

Reads .txt, .md/.markdown (optional YAML front matter), .html/.htm (main text by trafilatura),
.pdf (text layer, page by page: retrieval.sources.office) and .docx. The same readers turn bytes fetched
from a link or downloaded from Slack into a document (`document_from_bytes`). A source that cannot
be used raises BadSourceFile with a one-line message naming it; the caller warns and goes on.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retrieval.errors import BadSourceFile, one_line
from retrieval.text.cleaning import FRONT_MATTER_KEYS, clean_article, front_matter_fields
from retrieval.types import DocumentMeta, PageStarts

# the format each file suffix is read as
SUFFIX_FORMATS = {
    ".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
    ".pdf": "pdf", ".docx": "docx",
}  # fmt: skip
SUPPORTED_SUFFIXES = frozenset(SUFFIX_FORMATS)
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
DEFAULT_MAX_BYTES = 20_000_000


@dataclass
class LoadedDocument:
    meta: DocumentMeta
    text: str  # clean body: paragraphs separated by "\n\n"
    warnings: list[str] = field(default_factory=list)  # one line each, naming the file
    pages: PageStarts = ()  # a PDF's pages: where each starts in `text`


SourceItem = tuple[Path, Path] | BadSourceFile

_REMOTE_ID = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def is_remote_source(source_id: str) -> bool:
    """A source that is not a file under the ingested folders: a link ("https://..."), a feed
    item, a file shared in Slack ("slack://file/F0123")."""
    return bool(_REMOTE_ID.match(source_id))


@dataclass(frozen=True)
class SourceDocument:
    """A source to ingest: its id in the store, how messages name it, and how to load it (a call
    that returns the LoadedDocument or raises BadSourceFile)."""

    source_id: str
    label: str
    load: Callable[[], LoadedDocument]
    origin: str = ""  # a file's folder as ingested (absolute): with source_id, the source's identity

    @classmethod
    def loaded(cls, doc: LoadedDocument, label: str | None = None) -> SourceDocument:
        """A document already read (e.g. fetched before the write lock was taken)."""
        return cls(doc.meta.source_id, label or doc.meta.source_id, lambda: doc)


# ---------------------------------------------------------------- finding files
def iter_source_files(
    paths: Iterable[Path | str], on_error: Callable[[BadSourceFile], None] | None = None
) -> Iterator[SourceItem]:
    """(file, root) for every supported file under `paths` (files or folders), each folder's files
    sorted by relative path, hidden files and folders skipped, each file once. A single file
    given directly has its parent as root; source_id is the file relative to root (posix).

    A path that cannot be used (missing, broken link, unreadable folder, unsupported type given by
    name) is passed to `on_error` when given, else yielded as a BadSourceFile instance in place of
    the tuple, so the caller can warn and go on.
    """
    seen: set[str] = set()
    for given in paths:
        for item in _items_under(Path(given)):
            if isinstance(item, BadSourceFile):
                if on_error is None:
                    yield item
                else:
                    on_error(item)
                continue
            key = os.path.abspath(item[0])
            if key not in seen:
                seen.add(key)
                yield item


def origin_of(root: Path | str) -> str:
    """The folder a file was ingested from, as stored with it (absolute, links resolved): with its
    path under that folder, the file's identity (the same name in two folders is two sources)."""
    return os.path.realpath(root)


def source_id_of(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _items_under(given: Path) -> Iterator[SourceItem]:
    try:
        st = given.stat()
    except OSError as exc:
        yield _path_error(given, exc)
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _walk(given)
    elif not stat.S_ISREG(st.st_mode):
        yield BadSourceFile(given, "is not a regular file or folder", "give a text, Markdown, HTML, PDF or Word file")
    elif given.suffix.lower() not in SUPPORTED_SUFFIXES:
        yield BadSourceFile(
            given, f"unsupported file type '{given.suffix or '(none)'}'",
            f"use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}",
        )  # fmt: skip
    else:
        yield (given, given.parent)


def _walk(root: Path) -> Iterator[SourceItem]:
    errors: list[OSError] = []
    found: list[tuple[str, Path]] = []
    for folder, dirnames, filenames in os.walk(root, onerror=errors.append):  # symlinked folders not followed
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES:
                path = Path(folder, name)
                found.append((source_id_of(path, root), path))
    for exc in errors:
        yield _path_error(Path(exc.filename or root), exc)
    for _, path in sorted(found):
        yield (path, root)


def _path_error(path: Path, exc: OSError) -> BadSourceFile:
    if isinstance(exc, FileNotFoundError):
        if path.is_symlink():
            return BadSourceFile(path, f"is a broken symbolic link (to {os.readlink(path)})", "fix or remove the link")
        return BadSourceFile(path, "no such file or folder", "check the path")
    if isinstance(exc, PermissionError):
        return BadSourceFile(path, "cannot be read: permission denied", "check its permissions (chmod +r)")
    if isinstance(exc, IsADirectoryError):
        return BadSourceFile(path, "is a folder, not a file", "pass the folder itself to read the files in it")
    return BadSourceFile(path, f"cannot be read: {exc.strerror or exc}", "check the path and the disk")


# ---------------------------------------------------------------- loading one file
def load_document(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    """Read, decode, parse and clean one source file. Raises BadSourceFile."""
    path, root = Path(path), Path(root)
    _check_link_stays_inside(path, root)
    data = _read_bytes(path, max_bytes)
    fmt = SUFFIX_FORMATS.get(path.suffix.lower(), "text")
    doc = document_from_bytes(data, fmt, source_id=source_id_of(path, root), label=path)
    doc.meta = dataclasses.replace(doc.meta, origin=origin_of(root))
    return doc


def document_from_bytes(
    data: bytes,
    fmt: str,
    *,
    source_id: str,
    label: Path | str,
    kind: str = "file",
    url: str = "",
    known: dict | None = None,
) -> LoadedDocument:
    """One source's bytes read as `fmt` ("text", "markdown", "html", "pdf", "docx"), cleaned.
    `label` names the source in messages (its path or URL); `known` is metadata from outside the
    document (a feed item's title and date, a Slack file's title) used where the document itself
    says nothing; `url` is where it was fetched from, kept for citations. A PDF or Word document
    is of kind "pdf"/"docx" wherever it came from. Raises BadSourceFile."""
    from retrieval.sources import office

    warnings: list[str] = []
    page_texts: list[str] = []
    if fmt == "pdf":
        page_texts, front_matter = office.pdf_pages(data, label)
        text, kind = "\n\n".join(page_texts), "pdf"
    elif fmt == "docx":
        text, front_matter = office.docx_text(data, label)
        kind = "docx"
    else:
        text, warnings = decode_text(data, label)
        front_matter = {}
        if fmt == "html":
            text, front_matter = html_article(text, label)
        else:
            front_matter, text, fm_warnings = split_front_matter(text, label, strict=fmt == "markdown")
            warnings += fm_warnings
            if fmt == "markdown":
                text = markdown_to_text(text)
        warnings += _front_matter_warnings(front_matter, label)
    known = dict(known or {})
    author = " ".join(str(front_matter.pop("author", "") or known.pop("author", "") or "").split())
    known.pop("author", None)
    own = front_matter_fields(front_matter)
    for key, value in known.items():  # what the document says about itself wins
        if value and not own.get(key):
            front_matter[key] = value
    if url:
        front_matter["url"] = url
    meta, body = clean_article(text, source_id, front_matter)
    if not body:
        raise BadSourceFile(label, "no article text left after removing page boilerplate", "check it holds an article",
                            kind=BadSourceFile.EMPTY)  # fmt: skip
    meta = dataclasses.replace(
        meta, kind=kind, author=_capped(author), title=_capped(meta.title), outlet=_capped(meta.outlet)
    )
    pages = office.page_starts(body, page_texts) if page_texts else ()
    return LoadedDocument(meta=meta, text=body, warnings=warnings, pages=pages)


META_MAX_CHARS = 300  # a title, outlet or author: stored on every chunk and printed in every citation


def _capped(text: str) -> str:
    return text if len(text) <= META_MAX_CHARS else text[: META_MAX_CHARS - 1].rstrip() + "…"


def _check_link_stays_inside(path: Path, root: Path) -> None:
    """A symbolic link is followed only to a file inside the folder being ingested: a link in
    sources/ to /etc/passwd or ~/.ssh/... must not put that file in the store."""
    if not path.is_symlink():
        return
    target = os.path.realpath(path)
    inside = os.path.realpath(root)
    if os.path.commonpath([target, inside]) != inside:
        raise BadSourceFile(
            path, f"is a symbolic link to {target}, outside {root}; not followed",
            "copy the file into the folder if it belongs there", kind=BadSourceFile.SKIPPED,
        )  # fmt: skip


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise BadSourceFile(path, "is not a regular file (a device, pipe or socket)", "give a text file")
        _check_size(path, st.st_size, max_bytes)
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _path_error(path, exc) from None
    _check_size(path, len(data), max_bytes)  # it may have grown since stat()
    if not data.strip():
        raise BadSourceFile(path, "is empty" if not data else "holds only whitespace", "add text to it or remove it",
                            kind=BadSourceFile.EMPTY)  # fmt: skip
    return data


def _check_size(path: Path, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise BadSourceFile(
            path, f"is {_size(size)}, over the {_size(max_bytes)} limit",
            "split it, or raise the limit (BRIEFBOT_MAX_FILE_BYTES)",
        )  # fmt: skip


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


# ---------------------------------------------------------------- decoding
_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
)
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_NOT_TEXT_MAX_RATIO = 0.05
_TEXT_SAMPLE = 100_000


def decode_text(data: bytes, path: Path | str) -> tuple[str, list[str]]:
    """Text of `data` and a warning when it was not UTF-8. UTF-8 (with or without a byte-order mark),
    UTF-16/32 with a mark, then the likeliest legacy encoding (charset-normalizer when installed,
    cp1252 for Western text, latin-1 as the last resort). Raises BadSourceFile for binary data."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            hint = {"a PDF document": "name it .pdf to read it as a PDF"}.get(
                kind, "convert it to .txt, .md or .html first"
            )
            raise BadSourceFile(path, f"is {kind}, not text", hint)
    text, encoding = _decode(data, path)
    _check_is_text(text, path)
    warnings = []
    if encoding is not None:
        warnings.append(f"{one_line(str(path))}: not UTF-8, decoded as {encoding}; check its accents and quotes, "
                        "or save it as UTF-8")  # fmt: skip
    nuls = text.count("\x00")
    if nuls:  # cleaning drops them
        warnings.append(f"{one_line(str(path))}: holds {nuls} NUL byte(s) in its text; left them out")
    return text, warnings


def _decode(data: bytes, path: Path | str) -> tuple[str, str | None]:
    """(text, the encoding to warn about, or None for UTF-8)."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), None if name == "UTF-8" else f"{name} (byte-order mark)"
            except UnicodeDecodeError:
                raise BadSourceFile(path, f"starts with a {name} byte-order mark but is not {name}",
                                    "save it again as UTF-8") from None  # fmt: skip
    nuls = data.count(0)
    if nuls:
        text = _bomless_utf16(data)
        if text is not None:
            return text, "UTF-16 (no byte-order mark)"
        if nuls > _NOT_TEXT_MAX_RATIO * len(data):
            raise BadSourceFile(path, "is binary (it holds NUL bytes), not text", "convert it to .txt, .md or .html")
        # else a few stray NULs in text (a bad copy, an editor crash): read it as text
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        encoding = _legacy_encoding(data)
        return data.decode(encoding, errors="replace"), encoding


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 text saved without a byte-order mark has a NUL in every other byte (for Latin text)."""
    if len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    for zeros, others, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.7 * len(zeros) and others.count(0) <= 0.05 * len(others):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    return None


def _legacy_encoding(data: bytes) -> str:
    """cp1252 when it reads as clean text (charset-normalizer often names a look-alike code page
    for short Western text), else charset-normalizer's best guess, else latin-1."""
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    best = _charset_normalizer_best(data)
    if western is not None and (best is None or _mess(western) <= best[1] + 0.05):
        return "cp1252"
    if best is not None:
        return best[0]
    return "latin-1"


def _charset_normalizer_best(data: bytes) -> tuple[str, float] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    match = from_bytes(data).best()
    return (match.encoding, match.chaos) if match is not None else None


def _mess(text: str) -> float:
    try:
        from charset_normalizer.md import mess_ratio
    except ImportError:
        return 0.0
    return mess_ratio(text[:_TEXT_SAMPLE])


def _check_is_text(text: str, path: Path | str) -> None:
    sample = text[:_TEXT_SAMPLE]
    if not sample.strip():
        raise BadSourceFile(path, "holds only whitespace", "add text to it or remove it", kind=BadSourceFile.EMPTY)
    bad = len(_NOT_TEXT.findall(sample))
    if bad > _NOT_TEXT_MAX_RATIO * len(sample):
        raise BadSourceFile(path, "is mostly not text (binary data?)", "convert it to .txt, .md or .html")


# ---------------------------------------------------------------- front matter and markdown
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


_FRONT_MATTER_MAX_CHARS = 16_000  # a title, a date, a source and a link need a few hundred
_FRONT_MATTER_MAX_DEPTH = 20  # nesting; 5,000 "[" would exhaust the recursion limit


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML for front matter: safe types only, no anchors or aliases (a 500-byte alias "bomb"
    expands to gigabytes when its value is turned into text), a nesting limit, and dates kept
    as text (a timestamp like 2025-02-30 would raise; the text is read by parse_date instead)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name, *name) are not allowed", event.start_mark
            )
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > _FRONT_MATTER_MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {_FRONT_MATTER_MAX_DEPTH} levels deep", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_front_matter(block: str) -> object:
    """The YAML front matter block parsed safely (see _FrontMatterLoader). Raises yaml.YAMLError,
    or ValueError for what the YAML library itself lets through (an integer of 5,000 digits)."""
    if len(block) > _FRONT_MATTER_MAX_CHARS:
        raise ValueError(f"it is over {_FRONT_MATTER_MAX_CHARS:,} characters")
    loader = _FrontMatterLoader(block)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def split_front_matter(text: str, path: Path | str, *, strict: bool = True) -> tuple[dict, str, list[str]]:
    """(front matter mapping, text after it, warnings). With strict=False (plain text files) a
    block that is not a YAML mapping is left in the text untouched."""
    m = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not m:
        return {}, text, []
    rest = text.lstrip("\ufeff")[m.end() :]
    try:
        data = parse_front_matter(m.group("yaml"))
    except yaml.YAMLError as exc:
        if not strict:
            return {}, text, []
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 2})" if where is not None else ""
        problem = getattr(exc, "problem", None)
        why = f": {one_line(problem)}" if problem else ""
        return {}, rest, [f"{one_line(str(path))}: front matter is not valid YAML{line}{why}; ignored it"]
    except (ValueError, RecursionError, MemoryError) as exc:
        if not strict:
            return {}, text, []
        return {}, rest, [f"{one_line(str(path))}: front matter cannot be read ({_short(str(exc))}); ignored it"]
    if not isinstance(data, dict):
        if not strict:
            return {}, text, []
        return {}, rest, [f"{one_line(str(path))}: front matter is not a 'key: value' mapping; ignored it"]
    return data, rest, []


def _front_matter_warnings(front_matter: dict, path: Path | str) -> list[str]:
    lowered = {str(k).strip().lower(): v for k, v in front_matter.items()}
    given = next((lowered[k] for k in FRONT_MATTER_KEYS["published"] if lowered.get(k) not in (None, "")), None)
    if given is not None and not front_matter_fields(front_matter).get("published"):
        return [f"{one_line(str(path))}: front matter date {one_line(repr(given))} is not a date I can read "
                "(use YYYY-MM-DD); ignored it"]  # fmt: skip
    return []


# Every rule runs in time linear in the text: no quantifier can cross a line or the next
# delimiter, so an unclosed "**", "[" or "<http://" is scanned once, not once per opening.
_LINK_TARGET = r"[^()\n]*(?:\([^()\n]*\)[^()\n]*)*"  # one level of parentheses: wiki/Foo_(bar)
_MD_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^[ \t]*(?:```|~~~).*$", re.M), ""),  # code fences (their content stays)
    (re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^[ \t]*\[[^\[\]\n]+\]:[ \t]*\S.*$", re.M), ""),  # reference link definitions
    (re.compile(r"^#{1,6}[ \t]+(.*)$", re.M), lambda m: m.group(1).rstrip(" \t#")),  # headings
    (re.compile(r"^[ \t]*>[ \t]?", re.M), ""),  # block quotes
    (re.compile(rf"!\[[^\[\]\n]*\]\({_LINK_TARGET}\)"), ""),  # images
    (re.compile(rf"\[([^\[\]\n]+)\]\({_LINK_TARGET}\)"), r"\1"),  # links
    (re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]"), r"\1"),  # reference links
    (re.compile(r"<(https?://[^<>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # italics with *
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"\1"),  # italics with _
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
]


def markdown_to_text(text: str) -> str:
    """Markdown markup -> plain text with the same lines (headings, links, emphasis unwrapped)."""
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return text


# ---------------------------------------------------------------- HTML
def html_article(html: str, path: Path | str) -> tuple[str, dict]:
    """The page's main text (one paragraph per block, navigation, comments and footers left out)
    and its own metadata (title, site name, canonical URL, publication date) as front matter."""
    try:
        import trafilatura
    except ImportError as exc:
        raise BadSourceFile(path, f"cannot read HTML here ({exc})",
                            "install trafilatura with lxml_html_clean, or save the page as text") from None  # fmt: skip
    doc: Any = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = (doc.text or "") if doc is not None else ""
    if not text.strip():
        raise BadSourceFile(path, "no article text found in the HTML page", "check it is an article page")
    meta = {} if doc is None else {
        "title": doc.title, "outlet": doc.sitename, "url": doc.url, "published": doc.date, "author": doc.author,
    }  # fmt: skip
    return "\n\n".join(line for line in text.split("\n")), {k: v for k, v in meta.items() if v}


def _short(text: str, limit: int = 120) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"

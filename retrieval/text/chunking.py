"""Split a cleaned document into overlapping windows of whole sentences, with content-derived ids."""

from __future__ import annotations

import hashlib

from retrieval.text.sentences import split_sentences
from retrieval.types import Chunk, DocumentMeta, PageStarts, page_at


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(source_id: str, position: int, text: str, origin: str = "") -> str:
    """Same file, same place, same words -> same id; so a re-ingest of unchanged files changes nothing.
    A file's folder (`origin`) is part of its identity: the same name in two folders is two sources."""
    key = f"{origin}\n{source_id}" if origin else source_id
    return hashlib.sha256(f"{key}\n{position}\n{text}".encode()).hexdigest()[:32]


SENTENCES_PER_CHUNK = 4  # the defaults: briefbot.settings reads them from here (BRIEFBOT_CHUNK_*)
OVERLAP_SENTENCES = 1
MAX_CHUNK_CHARS = 1200


def chunk_document(
    meta: DocumentMeta,
    text: str,
    *,
    sentences_per_chunk: int = SENTENCES_PER_CHUNK,
    overlap: int = OVERLAP_SENTENCES,
    max_chars: int = MAX_CHUNK_CHARS,
    pages: PageStarts = (),
) -> list[Chunk]:
    """`pages`: where each page of a paged document (PDF) starts in `text`; each chunk keeps the
    pages it covers, so a citation can name its page."""
    if sentences_per_chunk < 1 or not 0 <= overlap < sentences_per_chunk:
        raise ValueError("need sentences_per_chunk >= 1 and 0 <= overlap < sentences_per_chunk")
    spans = _bounded(split_sentences(text), text, max_chars)
    doc_hash = content_hash(text)
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j = i + 1  # window is spans[i:j]
        while j < len(spans) and j - i < sentences_per_chunk and spans[j][1] - spans[i][0] <= max_chars:
            j += 1
        start, end = spans[i][0], spans[j - 1][1]
        body = text[start:end]
        position = len(chunks)
        chunks.append(
            Chunk(
                chunk_id=chunk_id(meta.source_id, position, body, meta.origin),
                text=body,
                meta=meta,
                position=position,
                start=start,
                end=end,
                content_hash=doc_hash,
                sentences=tuple(spans[i:j]),
                pages=_pages_in(pages, start, end),
            )
        )
        if j >= len(spans):
            break
        i = max(i + 1, j - overlap)
    return chunks


def _bounded(spans: list[tuple[int, int]], text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentences longer than max_chars (tables, run-ons) are cut at whitespace so a chunk stays bounded."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > max_chars:
            cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
            cut = cut if cut > start else start + max_chars
            out.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            out.append((start, end))
    return out


def _pages_in(pages: PageStarts, start: int, end: int) -> tuple[tuple[int, int], ...]:
    if not pages:
        return ()
    first = page_at(pages, start)
    inside = tuple((offset, number) for offset, number in pages if start < offset < end)
    return ((start, first),) + inside if first is not None else inside

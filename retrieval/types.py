"""Plain data passed between ingest, store, search and the answer composers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class DocumentMeta:
    """What an article says about itself; fields it does not carry stay empty."""

    source_id: str  # path relative to the ingest root, e.g. "000_x.txt"
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: str = ""  # ISO date YYYY-MM-DD
    dateline: str = ""  # e.g. "ISLAMABAD"
    source_set: str = "public"  # the named set the source belongs to (retrieval/index/sets.py)
    kind: str = ""  # where it came from: "file", "web", "feed", "pdf", "docx" ("" in stores built before)
    author: str = ""  # byline, when the page or document names one
    origin: str = ""  # a file's folder as ingested (absolute); "" for links, feed items, Slack files


SOURCE_KINDS = ("file", "web", "feed", "pdf", "docx")

PageStarts = tuple[tuple[int, int], ...]  # ((document offset, page number), ...) in offset order


def page_at(pages: PageStarts | list, offset: int) -> int | None:
    """The page on which document offset `offset` lies, or None for a text without pages."""
    page = None
    for start, number in pages:
        if start > offset:
            break
        page = number
    return page


@dataclass(frozen=True)
class Chunk:
    """A few consecutive sentences of one document, with offsets into its cleaned text."""

    chunk_id: str
    text: str
    meta: DocumentMeta
    position: int  # 0-based index of the chunk in its document
    start: int
    end: int
    content_hash: str  # sha256 of the whole cleaned document
    sentences: tuple[tuple[int, int], ...] = ()  # sentence spans (document offsets) in the chunk
    pages: PageStarts = ()  # a PDF's pages in the chunk: ((chunk start, its page), (offset, next page)...)


@dataclass
class Passage:
    """A chunk returned by search, with its scores."""

    chunk_id: str
    text: str
    meta: DocumentMeta
    position: int
    start: int
    end: int
    score: float = 0.0  # fused score (higher is better)
    dense: float | None = None  # cosine similarity to the query, when dense search found it
    lexical: float | None = None  # BM25 score, when lexical search found it
    sentences: list[tuple[int, int]] = field(default_factory=list)  # spans, document offsets
    sentence_vectors: np.ndarray | None = None  # one embedding per sentence, stored at ingest
    pages: list[tuple[int, int]] = field(default_factory=list)  # as Chunk.pages

    def page_at(self, offset: int) -> int | None:
        """The PDF page of a document offset inside this passage (None: not a paged document)."""
        return page_at(self.pages, offset)


@dataclass(frozen=True)
class SearchFilters:
    source: str | None = None  # source_id (or a substring of it)
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    sets: frozenset[str] | None = None  # only these source sets (None: every set)
    source_ids: frozenset[str] | None = None  # only these exact source ids (None: any), e.g. the ones ingested since


@dataclass(frozen=True)
class IngestedSource:
    """One source an ingest read: what it says about itself and how many chunks it has now."""

    meta: DocumentMeta
    chunks: int
    changed: bool  # False: it was already in the store as it is


@dataclass
class IngestReport:
    files_seen: int = 0
    files_indexed: int = 0  # files whose chunks were (re)written
    files_unchanged: int = 0
    files_skipped: int = 0  # not indexed: empty, binary, unreadable, failed
    files_failed: int = 0  # of those, files that could not be read or processed (not merely empty)
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_relabelled: int = 0  # kept chunks moved to another source set (or labelled for the first time)
    chunks_total: int = 0
    sentences_embedded: int = 0  # sentences run through the embedding model
    sentences_reused: int = 0  # sentences of edited files whose stored vectors were kept (same text)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sources: list[IngestedSource] = field(default_factory=list)  # each source read and indexed (or unchanged)
    failures: list[str] = field(default_factory=list)  # one line per source that could not be ingested

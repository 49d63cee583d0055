"""Hybrid search: dense (Chroma) + lexical BM25 (bm25s), fused by a weighted sum of both scores."""

from __future__ import annotations

import logging
import threading

import numpy as np

from retrieval.embedder import Embedder, chunk_vector
from retrieval.lexical import LexicalIndex, LexicalIndexFiles, index_for
from retrieval.store import ChunkStore, _date_ordinal
from retrieval.types import Passage, SearchFilters

log = logging.getLogger(__name__)


class HybridRetriever:
    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        *,
        candidates: int = 30,
        dense_weight: float = 0.5,
        lexical_files: LexicalIndexFiles | None = None,
    ) -> None:
        self.store = store
        self.lexical_files = lexical_files  # the index on disk, per store generation (None: memory only)
        self.lexical_origin = ""  # "loaded" or "built": how the current lexical index was obtained
        self.embedder = embedder
        self.candidates = candidates
        self.dense_weight = dense_weight  # score = w * cosine + (1 - w) * BM25 / the query's best BM25
        self._lexical: LexicalIndex | None = None
        self._generation: str | None = None
        self._lock = threading.Lock()

    def lexical(self) -> LexicalIndex:
        """The BM25 index of the store's current generation, loaded from disk (written by ingest) or
        rebuilt whenever any process has changed the collection (checked on every call: a search
        makes one check)."""
        generation = self.store.generation()
        with self._lock:
            if self._lexical is None or generation != self._generation:
                self._lexical, self.lexical_origin = index_for(self.store, generation, self.lexical_files)
                self._generation = generation
                log.debug("lexical index %s: %d chunks", self.lexical_origin, self._lexical.n_docs)
            return self._lexical

    def current(self) -> LexicalIndex:
        """The index the last search used, without asking the store again (the answer composer
        reads it several times per question, right after the search checked it)."""
        return self._lexical if self._lexical is not None else self.lexical()

    def search(self, query: str, k: int = 8, filters: SearchFilters | None = None) -> list[Passage]:
        lexical = self.lexical()
        if lexical.n_docs == 0:
            return []
        allowed_sources = _matching_sources(lexical.passages, filters)
        mask = None
        where = None
        if filters and (filters.source or filters.since or filters.until):
            mask = np.array([_passes(p, filters, allowed_sources) for p in lexical.passages])
            if not mask.any():
                return []
            where = _where(filters, allowed_sources)

        vector = self.embedder.embed([query])[0]
        dense = self.store.query(vector, self.candidates, where)
        bm25 = lexical.scores(query, mask)

        # Candidates: the dense top and the BM25 top. Each is then scored on both signals (a BM25
        # score for every chunk is at hand; a lexical hit's cosine comes from its stored sentence
        # vectors), so a chunk found by one search only is not ranked as if the other scored it 0.
        fused: dict[str, Passage] = {p.chunk_id: p for p in dense}
        for index, _ in lexical.top(bm25, self.candidates):
            base = lexical.passages[index]
            if base.chunk_id not in fused:
                p = Passage(**{**base.__dict__, "sentence_vectors": lexical.sentence_vectors(index)})
                if p.sentence_vectors is not None and len(p.sentence_vectors):
                    p.dense = float(chunk_vector(p.sentence_vectors) @ vector)
                fused[p.chunk_id] = p
        best_bm25 = float(bm25.max()) if len(bm25) else 0.0
        floor = min((p.dense for p in fused.values() if p.dense is not None), default=0.0)
        for p in fused.values():
            index = lexical.position.get(p.chunk_id)
            p.lexical = float(bm25[index]) if index is not None else 0.0
            lexical_part = p.lexical / best_bm25 if best_bm25 > 0 else 0.0
            dense_part = p.dense if p.dense is not None else floor
            p.score = self.dense_weight * dense_part + (1 - self.dense_weight) * lexical_part
        ranked = sorted(fused.values(), key=lambda p: p.score, reverse=True)
        return ranked[:k]


def _matching_sources(passages: list[Passage], filters: SearchFilters | None) -> set[str] | None:
    """Sources a filter names: an exact source id, else any whose id, outlet or title contains it."""
    if not filters or not filters.source:
        return None
    wanted = filters.source.lower()
    labels: dict[str, str] = {}
    for p in passages:
        labels.setdefault(p.meta.source_id, f"{p.meta.source_id} {p.meta.outlet} {p.meta.title}".lower())
    exact = {s for s in labels if s.lower() == wanted}
    return exact or {s for s, label in labels.items() if wanted in label}


def _passes(p: Passage, f: SearchFilters, sources: set[str] | None) -> bool:
    if sources is not None and p.meta.source_id not in sources:
        return False
    day = _date_ordinal(p.meta.published)
    if f.since and not (day and day >= _date_ordinal(f.since)):
        return False
    if f.until and not (day and day <= _date_ordinal(f.until)):
        return False
    return True


def _where(f: SearchFilters, sources: set[str] | None) -> dict | None:
    clauses: list[dict] = []
    if sources is not None:
        clauses.append({"source_id": {"$in": sorted(sources) or ["\x00none"]}})
    if f.since:
        clauses.append({"published_ord": {"$gte": _date_ordinal(f.since)}})
    if f.until:
        clauses.append({"published_ord": {"$lte": _date_ordinal(f.until)}})
        clauses.append({"published_ord": {"$gt": 0}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}

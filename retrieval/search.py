"""Hybrid search: dense (Chroma) + lexical BM25 (bm25s), fused by reciprocal rank fusion."""

from __future__ import annotations

import logging
import bisect
import math
import threading
from collections import Counter

import bm25s
import numpy as np

from retrieval.embedder import Embedder
from retrieval.store import ChunkStore, _date_ordinal
from retrieval.terms import terms
from retrieval.types import Passage, SearchFilters

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import


class LexicalIndex:
    """BM25 over every stored chunk, plus the document frequencies the answer composer weighs terms by."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages
        corpus = [terms(p.text) for p in passages]
        self._df: Counter[str] = Counter()
        for doc in corpus:
            self._df.update(set(doc))
        self.n_docs = len(passages)
        self._bm25 = bm25s.BM25()
        if passages:
            self._bm25.index(corpus, show_progress=False)
        self._vocab = set(self._df)
        self._sorted_vocab = sorted(self._vocab)

    def idf(self, term: str) -> float:
        """Rarity of a term, or of its commonest longer form; a term the corpus lacks is rarest."""
        df = self._df.get(term) or max((self._df[t] for t in self._completions(term)), default=0)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def known(self, term: str) -> bool:
        """The corpus has the term, or a longer form of it ("agre" -> "agreement")."""
        return term in self._vocab or bool(self._completions(term, limit=1))

    def _completions(self, term: str, limit: int = 50) -> list[str]:
        if len(term) < 4:
            return []
        out = []
        i = bisect.bisect_left(self._sorted_vocab, term)
        while i < len(self._sorted_vocab) and len(out) < limit and self._sorted_vocab[i].startswith(term):
            out.append(self._sorted_vocab[i])
            i += 1
        return out

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        q = [t for t in dict.fromkeys(terms(query)) if t in self._vocab]
        if not q or not self.passages:
            return []
        scores = np.asarray(self._bm25.get_scores(q), dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


class HybridRetriever:
    def __init__(
        self, store: ChunkStore, embedder: Embedder, *, candidates: int = 30, rrf_k: int = 60
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self._lexical: LexicalIndex | None = None
        self._generation: str | None = None
        self._lock = threading.Lock()

    def lexical(self) -> LexicalIndex:
        """The BM25 index, rebuilt whenever any process has changed the collection."""
        generation = self.store.generation()
        with self._lock:
            if self._lexical is None or generation != self._generation:
                self._lexical = LexicalIndex(self.store.all_passages())
                self._generation = generation
                log.debug("lexical index rebuilt: %d chunks", self._lexical.n_docs)
            return self._lexical

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
        lexical_hits = lexical.search(query, self.candidates, mask)

        fused: dict[str, Passage] = {}
        scores: dict[str, float] = {}
        for rank, p in enumerate(dense):
            fused[p.chunk_id] = p
            scores[p.chunk_id] = 1.0 / (self.rrf_k + rank + 1)
        for rank, (index, bm25) in enumerate(lexical_hits):
            base = lexical.passages[index]
            p = fused.get(base.chunk_id)
            if p is None:
                p = Passage(**{**base.__dict__})
                fused[p.chunk_id] = p
            p.lexical = bm25
            scores[p.chunk_id] = scores.get(p.chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        for cid, p in fused.items():
            p.score = scores[cid]
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

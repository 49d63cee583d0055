"""Hybrid search: dense (Chroma) + lexical BM25 (bm25s), fused by a weighted sum of both scores.

Source sets (retrieval/index/sets.py) are enforced inside both searches, before ranking: the Chroma
query carries a `source_set` filter, and BM25 runs over an index built from the allowed sets'
chunks only, so its term statistics, vocabulary and outlets (which the answer composer reads
through `current()`) know nothing of the other sets. A caller's sets are given for the length of
a call with `with retriever.scope(sets): ...` (a context variable: each worker thread, each
question, its own), or for one search in `SearchFilters.sets`; both narrow, never widen.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator

import numpy as np

from retrieval.index.embedder import Embedder, chunk_vector
from retrieval.index.lexical import LexicalIndex, LexicalIndexFiles, index_for
from retrieval.index.sets import DEFAULT_SET
from retrieval.index.store import ChunkStore, _date_ordinal
from retrieval.types import DocumentMeta, Passage, SearchFilters

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import

# The source sets the running call may read (None: every set). Per thread and per task: the bot
# answers several channels at once, each with its own sets.
_SCOPE: contextvars.ContextVar[frozenset[str] | None] = contextvars.ContextVar("briefbot_source_sets", default=None)


def narrowed(outer: frozenset[str] | None, inner: Iterable[str] | None) -> frozenset[str] | None:
    """The sets both allow (None allows every set)."""
    if inner is None:
        return outer
    inner = frozenset(inner)
    return inner if outer is None else outer & inner


class HybridRetriever:
    MAX_SCOPED_INDEXES = 8  # lexical indexes kept for restricted scopes (one per combination of sets)

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
        self._lexical: LexicalIndex | None = None  # every chunk
        self._generation: str | None = None
        self._present: frozenset[str] = frozenset()  # the sets the store's chunks are in
        self._unlabelled = False  # some chunks were stored before sets existed (they count as public)
        self._scoped: OrderedDict[frozenset[str], LexicalIndex] = OrderedDict()  # for this generation
        self._lock = threading.Lock()

    # ----- which sets a call may read
    @contextlib.contextmanager
    def scope(self, sets: Iterable[str] | None) -> Iterator[None]:
        """Every search and `current()` in this block (this thread or task only) sees only `sets`
        (None: no further limit). Nested scopes narrow the outer one."""
        token = _SCOPE.set(narrowed(_SCOPE.get(), sets))
        try:
            yield
        finally:
            _SCOPE.reset(token)

    @staticmethod
    def allowed(filters: SearchFilters | None = None) -> frozenset[str] | None:
        """The sets a search may read: the scope's, narrowed by the filters' (None: every set)."""
        return narrowed(_SCOPE.get(), filters.sets if filters else None)

    # ----- the lexical indexes
    def lexical(self, sets: Iterable[str] | None = None) -> LexicalIndex:
        """The BM25 index over the chunks of `sets` (None: every chunk), rebuilt whenever any process
        has changed the collection (checked on every call: a search makes one check)."""
        return self._view(None if sets is None else frozenset(sets))[0]

    def _view(self, sets: frozenset[str] | None) -> tuple[LexicalIndex, frozenset[str], bool]:
        """(index over `sets`, the sets present, whether unlabelled chunks exist), one generation's."""
        generation = self.store.generation()
        with self._lock:
            if self._lexical is None or generation != self._generation:
                # loaded from disk (written by ingest) when it is there, else built from the store
                full, self.lexical_origin = index_for(self.store, generation, self.lexical_files)
                present = frozenset(m.source_set for m in full.metas)  # no passage made for this
                self._unlabelled = full.n_docs > 0 and self.store.has_unlabelled(present)
                self._lexical, self._present, self._generation = full, present, generation
                self._scoped.clear()
                log.debug("lexical index %s: %d chunks, sets %s", self.lexical_origin, full.n_docs, sorted(present))
            return self._index_for(sets), self._present, self._unlabelled

    def _index_for(self, sets: frozenset[str] | None) -> LexicalIndex:
        """(lock held) The full index when `sets` covers every set present, else one built from the
        allowed sets' chunks alone, kept for the generation (least recently used dropped)."""
        full = self._lexical
        assert full is not None  # set by _view() before
        if sets is None or self._present <= sets:
            return full
        key = sets & self._present
        index = self._scoped.get(key)
        if index is None:
            index = LexicalIndex([full.passages[i] for i, m in enumerate(full.metas) if m.source_set in key])
            self._scoped[key] = index
            while len(self._scoped) > self.MAX_SCOPED_INDEXES:
                self._scoped.popitem(last=False)
            log.debug("lexical index for sets %s built: %d chunks", sorted(key), index.n_docs)
        else:
            self._scoped.move_to_end(key)
        return index

    def current(self) -> LexicalIndex:
        """The index of the running call's scope, as the last search saw the store (no new check:
        the answer composer reads it several times per question, right after the search checked it)."""
        sets = _SCOPE.get()
        with self._lock:
            if self._lexical is not None:
                return self._index_for(sets)
        return self.lexical(sets)

    def search(self, query: str, k: int = 8, filters: SearchFilters | None = None) -> list[Passage]:
        sets = self.allowed(filters)
        lexical, present, unlabelled = self._view(sets)
        if lexical.n_docs == 0:
            return []
        allowed_sources = _matching_sources(lexical.metas, filters)
        mask = None
        clauses: list[dict] = []
        if filters and (filters.source or filters.since or filters.until or filters.source_ids is not None):
            mask = np.array([_passes(m, filters, allowed_sources) for m in lexical.metas])
            if not mask.any():
                return []
            clauses += _filter_clauses(filters, allowed_sources)
        if sets is not None and not present <= sets:
            # (when the sets cover every set present the filter excludes nothing, and Chroma's
            # filtered query costs ~40 ms per 10k matching chunks: left out; the check below
            # still drops a chunk of a set added since the index was built)
            clauses.append(_set_clause(sets, present, unlabelled))

        vector = self.embedder.embed([query])[0]
        dense = self.store.query(vector, self.candidates, _all_of(clauses))
        if sets is not None:  # the filter did this; a set added since the index was built is caught here
            dense = [p for p in dense if p.meta.source_set in sets]
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
            row = lexical.position.get(p.chunk_id)
            p.lexical = float(bm25[row]) if row is not None else 0.0
            lexical_part = p.lexical / best_bm25 if best_bm25 > 0 else 0.0
            dense_part = p.dense if p.dense is not None else floor
            p.score = self.dense_weight * dense_part + (1 - self.dense_weight) * lexical_part
        ranked = sorted(fused.values(), key=lambda p: p.score, reverse=True)
        return ranked[:k]


def _matching_sources(metas: list[DocumentMeta], filters: SearchFilters | None) -> set[str] | None:
    """Sources a filter names: an exact source id, else any whose id, outlet or title contains it;
    `source_ids` narrows that to those exact ids."""
    if not filters or not (filters.source or filters.source_ids is not None):
        return None
    if not filters.source:
        return set(filters.source_ids or ())
    wanted = filters.source.lower()
    labels: dict[str, str] = {}
    for m in metas:
        labels.setdefault(m.source_id, f"{m.source_id} {m.outlet} {m.title}".lower())
    exact = {s for s in labels if s.lower() == wanted}
    named = exact or {s for s, label in labels.items() if wanted in label}
    return named if filters.source_ids is None else named & filters.source_ids


def _passes(meta: DocumentMeta, f: SearchFilters, sources: set[str] | None) -> bool:
    if sources is not None and meta.source_id not in sources:
        return False
    day = _date_ordinal(meta.published)
    if f.since and not (day and day >= _date_ordinal(f.since)):
        return False
    if f.until and not (day and day <= _date_ordinal(f.until)):
        return False
    return True


def _set_clause(sets: frozenset[str], present: frozenset[str], unlabelled: bool) -> dict:
    """Chroma's filter for chunks in `sets`. Chunks stored before sets existed carry no label and
    count as public: while the store has any, a scope that includes public also matches chunks
    whose label is none of the labels known (Chroma's $nin matches a missing key)."""
    allowed = {"source_set": {"$in": sorted(sets) or ["\x00none"]}}
    if unlabelled and DEFAULT_SET in sets:
        return {"$or": [allowed, {"source_set": {"$nin": sorted(present | sets)}}]}
    return allowed


def _all_of(clauses: list[dict]) -> dict | None:
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _filter_clauses(f: SearchFilters, sources: set[str] | None) -> list[dict]:
    clauses: list[dict] = []
    if sources is not None:
        clauses.append({"source_id": {"$in": sorted(sources) or ["\x00none"]}})
    if f.since:
        clauses.append({"published_ord": {"$gte": _date_ordinal(f.since)}})
    if f.until:
        clauses.append({"published_ord": {"$lte": _date_ordinal(f.until)}})
        clauses.append({"published_ord": {"$gt": 0}})
    return clauses

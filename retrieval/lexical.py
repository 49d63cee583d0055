"""The lexical side of search: BM25 over stored chunks (bm25s, Snowball-stemmed terms) and the
document frequencies the answer composer weighs question terms by. Built from a list of passages
(every chunk of the store, or any subset of them)."""

from __future__ import annotations

import bisect
import logging
import math
from collections import Counter

import bm25s
import numpy as np

from retrieval.terms import terms
from retrieval.types import Passage

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
        self.position = {p.chunk_id: i for i, p in enumerate(passages)}
        self._sorted_vocab = sorted(self._vocab)
        # the outlets the sources come from (as stored), for "the sources include no report from X"
        self.outlets = sorted({p.meta.outlet for p in passages if p.meta.outlet})

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

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 of every chunk for the query (0 where the mask excludes it)."""
        q = [t for t in dict.fromkeys(terms(query)) if t in self._vocab]
        if not q or not self.passages:
            return np.zeros(len(self.passages), dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(q), dtype=np.float32)
        return np.where(mask, scores, 0.0) if mask is not None else scores

    @staticmethod
    def top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k best (index, score) pairs with a score above 0, best first."""
        if not len(scores):
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

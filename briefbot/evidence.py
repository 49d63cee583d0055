"""Evidence sentences: retrieved chunks split into scored, de-duplicated source sentences.

Shared by the offline answer and the brief. A sentence keeps its place in the cleaned document
(start/end), so a citation can point at the exact text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from retrieval.embedder import Embedder
from retrieval.sentences import split_sentences
from retrieval.terms import query_terms, terms
from retrieval.types import Passage

_SPACE = re.compile(r"\s+")


@dataclass
class EvidenceSentence:
    text: str
    passage: Passage  # the chunk it was read from
    start: int  # offsets in the cleaned document
    end: int
    terms: frozenset[str] = frozenset()
    vector: np.ndarray | None = None
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    also: list["EvidenceSentence"] = field(default_factory=list)  # near-duplicates from other sources

    @property
    def source_id(self) -> str:
        return self.passage.meta.source_id


def sentences_of(passages: list[Passage], min_chars: int = 25) -> list[EvidenceSentence]:
    """Each distinct sentence of the passages once (chunks overlap), in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out: list[EvidenceSentence] = []
    for p in passages:
        for s, e in split_sentences(p.text):
            text = _SPACE.sub(" ", p.text[s:e]).strip()
            key = (p.meta.source_id, p.start + s)
            if key in seen or len(text) < min_chars:
                continue
            seen.add(key)
            out.append(EvidenceSentence(text, p, p.start + s, p.start + e, frozenset(terms(text))))
    return out


class SentenceScorer:
    """Relevance of sentences to a question: embedding similarity plus IDF-weighted term overlap."""

    DENSE_WEIGHT = 0.6

    def __init__(self, embedder: Embedder, idf: Callable[[str], float]) -> None:
        self.embedder = embedder
        self.idf = idf

    def weights(self, question: str) -> dict[str, float]:
        return {t: self.idf(t) for t in dict.fromkeys(query_terms(question))}

    def score(
        self, question: str, sentences: list[EvidenceSentence], context: str | None = None
    ) -> np.ndarray:
        """Sets .dense/.lexical/.score on each sentence (and its vector); returns the question vector."""
        queries = [question] + ([context] if context else [])
        vectors = self.embedder.embed(queries + [s.text for s in sentences])
        qvec, svecs = vectors[: len(queries)], vectors[len(queries) :]
        weights = self.weights(question)
        ctx_weights = {t: w * 0.5 for t, w in self.weights(context).items()} if context else {}
        for t, w in ctx_weights.items():
            weights.setdefault(t, w)
        total = sum(weights.values()) or 1.0
        for s, vec in zip(sentences, svecs):
            s.vector = vec
            dense = float(vec @ qvec[0])
            if context:
                dense = 0.7 * dense + 0.3 * float(vec @ qvec[1])
            s.dense = dense
            s.lexical = sum(w for t, w in weights.items() if t in s.terms) / total
            s.score = self.DENSE_WEIGHT * dense + (1 - self.DENSE_WEIGHT) * s.lexical
        return qvec[0]


def near_duplicate(a: EvidenceSentence, b: EvidenceSentence, cosine: float = 0.82) -> bool:
    """The same fact in other words (two outlets reporting one statement), or one inside the other."""
    if a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= cosine:
        return True
    if not a.terms or not b.terms:
        return False
    shared = len(a.terms & b.terms)
    return shared / len(a.terms | b.terms) >= 0.6 or shared / min(len(a.terms), len(b.terms)) >= 0.85


def term_coverage(weights: dict[str, float], known: Callable[[str], bool]) -> float:
    """The share of a question's term weight that the corpus contains at all."""
    total = sum(weights.values())
    if total <= 0:
        return 1.0
    return sum(w for t, w in weights.items() if known(t)) / total


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))

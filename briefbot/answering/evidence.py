"""Evidence sentences: retrieved chunks split into scored, de-duplicated source sentences.

Shared by the offline answer and the brief. A sentence keeps its place in the cleaned document
(start/end), so a citation can point at the exact text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import numpy as np

from retrieval.index.embedder import Embedder
from retrieval.text.sentences import split_sentences
from retrieval.text.terms import query_terms, terms
from retrieval.types import Passage

_SPACE = re.compile(r"\s+")
# A statement about what comes next: open items in a brief, the answer to "what happens next?".
FORWARD_LOOKING = re.compile(
    r"finali[sz]|to be signed|expected to|will be|would be|forthcoming|ahead of|prelude|next visit|"
    r"preparations|directed their|asked their|roadmap for|\bupcoming\b|\bplan(?:s|ned)? to\b",
    re.I,
)


@dataclass
class EvidenceSentence:
    text: str
    passage: Passage  # the chunk it was read from
    start: int  # offsets in the cleaned document
    end: int
    terms: frozenset[str] = frozenset()
    context_terms: frozenset[str] = frozenset()  # of the sentence before it, for "he", "the plan"...
    vector: np.ndarray | None = None
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    also: list[EvidenceSentence] = field(default_factory=list)  # near-duplicates from other sources

    @property
    def source_id(self) -> str:
        return self.passage.meta.source_id


def sentences_of(passages: list[Passage], min_chars: int = 25) -> list[EvidenceSentence]:
    """Each distinct sentence of the passages once (chunks overlap), in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out: list[EvidenceSentence] = []
    for p in passages:
        previous: frozenset[str] = frozenset()
        spans = p.sentences or [(p.start + s, p.start + e) for s, e in split_sentences(p.text)]
        stored = p.sentence_vectors if p.sentences else None
        for i, (start, end) in enumerate(spans):
            text = _SPACE.sub(" ", p.text[start - p.start : end - p.start]).strip()
            own = frozenset(terms(text))
            key = (p.meta.source_id, start)
            if key not in seen and len(text) >= min_chars and not junk(text):
                seen.add(key)
                vector = stored[i] if stored is not None and i < len(stored) else None
                out.append(EvidenceSentence(text, p, start, end, own, previous, vector))
            previous = own
    return out


_QUOTES = "\"“”‘’'"
_MONEY = re.compile(r"[$€£¥₹%]|\b(?:USD|BTC|ETH)\b")
_SEPARATORS = re.compile(r"\s[|»›•/]\s")  # "Home | News | World", "Sport › Football"


def junk(text: str) -> bool:
    """Not evidence, judged by its shape rather than by a list of phrases: a question line (it asks,
    it does not report); a price or ticker widget (mostly figures, with currency or percent signs); a
    reader appeal (addressed to "you", outside any quotation); navigation, breadcrumbs and share bars
    (separators, bullets, links, or a few capitalised words with no sentence in them)."""
    words = text.split()
    if not words:
        return True
    if text.rstrip(' )"”’').endswith("?"):
        return True
    figures = sum(1 for w in words if any(c.isdigit() for c in w))
    if len(words) >= 3 and figures / len(words) >= 0.5 and _MONEY.search(text):
        return True
    if words[0].lower().strip(_QUOTES) in ("you", "your", "you're", "you'll") and not any(q in text for q in _QUOTES):
        return True
    if len(_SEPARATORS.findall(text)) >= 2 or text.rstrip().endswith("*"):
        return True  # a breadcrumb or menu; a form's "required fields are marked *"
    capitalised = [w for w in words if w[:1].isupper()]
    if len(words) <= 8 and len(capitalised) > len(set(capitalised)) and not text.rstrip().endswith("."):
        return True  # "Share on Facebook Share on X": a bar of repeated buttons
    return len(words) <= 6 and len(capitalised) == len(words) and not text.rstrip().endswith(".")


@lru_cache(maxsize=200_000)
def term_match(term: str, bag: frozenset[str]) -> float:
    """1 for the same stem, 0.7 for a longer or shorter form of it ("agre"/"agreement"), else 0."""
    if term in bag:
        return 1.0
    if len(term) >= 4:
        for other in bag:
            if len(other) >= 4 and (other.startswith(term) or term.startswith(other)):
                return 0.7
    return 0.0


class SentenceScorer:
    """Relevance of sentences to a question: embedding similarity plus IDF-weighted term overlap."""

    DENSE_WEIGHT = 0.6

    def __init__(self, embedder: Embedder, vocabulary: Callable[[], Vocabulary]) -> None:
        self.embedder = embedder
        self.vocabulary = vocabulary  # the current lexical index (rebuilt when the store changes)

    def weights(self, question: str) -> dict[str, float]:
        """Each question term weighted by its rarity in the corpus (absent terms weigh most)."""
        vocab = self.vocabulary()
        return {t: vocab.idf(t) for t in dict.fromkeys(query_terms(question))}

    def coverage(self, question: str) -> float:
        """The share of the question's term weight that the corpus contains at all."""
        weights = self.weights(question)
        total = sum(weights.values())
        if total <= 0:
            return 1.0
        vocab = self.vocabulary()
        return sum(w for t, w in weights.items() if vocab.known(t)) / total

    def score(self, question: str, sentences: list[EvidenceSentence]) -> np.ndarray:
        """Sets .dense/.lexical/.score on each sentence (and its vector); returns the question vector."""
        fill_vectors(self.embedder, sentences)
        qvec = self.embedder.embed([question])[0]
        # terms the corpus lacks cannot tell sentences apart: they count in coverage(), not here
        vocab = self.vocabulary()
        weights = {t: w for t, w in self.weights(question).items() if vocab.known(t)}
        total = sum(weights.values()) or 1.0
        for s in sentences:
            s.dense = float(s.vector @ qvec)
            s.lexical = sum(w * match(t, s) for t, w in weights.items()) / total
            s.score = self.DENSE_WEIGHT * s.dense + (1 - self.DENSE_WEIGHT) * s.lexical
        return qvec


def fill_vectors(embedder: Embedder, sentences: list[EvidenceSentence]) -> None:
    """Embed the sentences that have no vector yet (they are stored at ingest, normally)."""
    missing = [s for s in sentences if s.vector is None]
    if missing:
        for s, vec in zip(missing, embedder.embed([s.text for s in missing])):
            s.vector = vec


def match(term: str, s: EvidenceSentence) -> float:
    """A term in the sentence counts fully; one only in the sentence before it counts half."""
    return max(term_match(term, s.terms), 0.5 * term_match(term, s.context_terms))


def near_duplicate(a: EvidenceSentence, b: EvidenceSentence, cosine: float = 0.82) -> bool:
    """The same fact in other words (two outlets reporting one statement), or one inside the other."""
    if a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= cosine:
        return True
    if not a.terms or not b.terms:
        return False
    shared = len(a.terms & b.terms)
    return shared / len(a.terms | b.terms) >= 0.6 or shared / min(len(a.terms), len(b.terms)) >= 0.85


class Vocabulary(Protocol):
    outlets: list[str]  # the outlets the sources come from

    def idf(self, term: str) -> float: ...

    def known(self, term: str) -> bool: ...

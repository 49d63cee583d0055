"""The grounding guard: every sentence a language model writes must be supported by what it cites.

A model's output is split into sentences. Citation markers `[n]` that point at no source given
to the model are dropped. A sentence survives only if it holds no chat mention, link or
instruction, still cites something, and the cited chunks support it: its embedding is close to
one of their sentences, most of its key terms (stems, names, figures) occur in them, and every
figure it states appears in them. The checks are recorded on each sentence, so an answer shows
how it was verified.

What a model sends is bounded before any of this: only its first MAX_OUTPUT_CHARS characters
are read and only its first `max_sentences` sentences judged (the prompt asks for no more), so
a runaway reply costs what a normal one does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from briefbot.answering.evidence import EvidenceSentence, fill_vectors, sentences_of, term_match
from retrieval.index.embedder import Embedder
from retrieval.text.sentences import split_sentences
from retrieval.text.terms import terms
from retrieval.types import Passage

MAX_OUTPUT_CHARS = 4000  # a 5-sentence cited answer is ~1,500; anything past this is not read

_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
# "...happened. [1][2]" -> the markers belong to the sentence before the period
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+)")
_BULLET = re.compile(r"^[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]+", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*+|__|`)")  # markdown emphasis, double or single: never part of a claim
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_SPACE = re.compile(r"\s+")
# Never the content of an answer: chat mentions and links, or text addressing the model itself.
_CONTROL = re.compile(
    r"<[!@#]|<https?:|\bhttps?://|\b(?:ignore|disregard|forget)\b[^.]{0,40}\binstructions\b|\bsystem prompt\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GroundingThresholds:
    """Calibrated on the dev set's articles (tests/core/test_grounding.py -s prints the scores).

    Paraphrases of what the cited chunk says scored support 0.76-0.98; claims it does not make
    (invented figures, places, commitments) 0.23-0.51, and true claims cited to the wrong chunk
    0.19-0.57. The support bar sits between the two; the term-share bar alone rejects most of
    the unsupported claims (0.00-0.50 against 0.83-1.00), and a figure absent from the cited
    chunk rejects the rest ("in 1998" against "in 2003": support 0.83)."""

    min_support: float = 0.62  # combined score a sentence needs
    min_term_share: float = 0.6  # share of its key terms the cited chunks contain
    dense_weight: float = 0.5  # support = w * embedding similarity + (1 - w) * term share
    min_kept_share: float = 0.5  # fewer surviving sentences than this share: answer offline


@dataclass
class CheckedSentence:
    """One sentence of a model's output and the verdict on it."""

    text: str  # without citation markers
    cited: list[int]  # 1-based numbers of the passages it cites, that were given to the model
    invalid: list[int] = field(default_factory=list)  # numbers it cited that were never given
    dense: float = 0.0
    term_share: float = 0.0
    missing_figures: list[str] = field(default_factory=list)
    support: float = 0.0
    passed: bool = False
    reason: str = ""
    evidence: dict[int, EvidenceSentence] = field(default_factory=dict)  # passage no. -> best sentence

    @property
    def detail(self) -> str:
        parts = [f"cites {self.cited or 'nothing'}", f"similarity {self.dense:.2f}", f"terms {self.term_share:.2f}"]
        if self.invalid:
            parts.append(f"dropped unknown {self.invalid}")
        if self.missing_figures:
            parts.append(f"figures not in source: {', '.join(self.missing_figures)}")
        if self.reason:
            parts.append(self.reason)
        return "; ".join(parts)


class GroundingGuard:
    METHOD = "embedding+terms"

    def __init__(self, embedder: Embedder, thresholds: GroundingThresholds | None = None) -> None:
        self.embedder = embedder
        self.t = thresholds or GroundingThresholds()

    def check(self, output: str, passages: list[Passage], max_sentences: int | None = None) -> list[CheckedSentence]:
        """The sentences of `output` (its first `max_sentences`, within its first MAX_OUTPUT_CHARS
        characters), each checked against the passages it cites (numbered from 1)."""
        sentences = [s for s in parse(output[:MAX_OUTPUT_CHARS], len(passages)) if s.text]
        first: dict[str, CheckedSentence] = {}  # a sentence repeated word for word is said once
        for s in sentences:
            first.setdefault(_said(s.text), s)
        sentences = list(first.values())
        if max_sentences is not None:
            sentences = sentences[: max(max_sentences, 1)]
        if not sentences:
            return []
        evidence = {n: sentences_of([p], min_chars=1) for n, p in enumerate(passages, start=1)}
        fill_vectors(self.embedder, [e for group in evidence.values() for e in group])
        claim_vectors = self.embedder.embed([s.text for s in sentences])
        for s, vec in zip(sentences, claim_vectors):
            self._judge(s, vec, evidence)
        return sentences

    def support(self, claims: list[tuple[str, list[Passage]]]) -> list[CheckedSentence]:
        """How well each claim's passages support it (a sentence citing all of them): the same
        similarity, term and figure checks as for a model's sentence, without the screen for
        mentions and instructions (the claims are the sources' own words, shown verbatim and
        escaped). One embedding call for all the claims."""
        checked = [CheckedSentence(text=text, cited=list(range(1, len(ps) + 1))) for text, ps in claims]
        evidence = [{n: sentences_of([p], min_chars=1) for n, p in enumerate(ps, start=1)} for _, ps in claims]
        fill_vectors(self.embedder, [e for ev in evidence for group in ev.values() for e in group])
        # a claim that is one of its sources' sentences word for word has that sentence's vector
        known = {e.text: e.vector for ev in evidence for group in ev.values() for e in group if e.vector is not None}
        missing = [text for text, _ in claims if text not in known]
        if missing:
            known.update(zip(missing, self.embedder.embed(missing)))
        vectors = [known[text] for text, _ in claims]
        for s, ev, vec in zip(checked, evidence, vectors):
            if not ev:
                s.reason = "no valid citation"
            else:
                self._judge(s, vec, ev, screen=False)
        return checked

    def enough(self, checked: list[CheckedSentence]) -> bool:
        """Whether enough of the output survived to be worth posting."""
        kept = sum(s.passed for s in checked)
        return kept > 0 and kept >= self.t.min_kept_share * len(checked)

    def _judge(self, s: CheckedSentence, vec: np.ndarray, evidence: dict[int, list[EvidenceSentence]],
               screen: bool = True) -> None:  # fmt: skip
        if screen and _CONTROL.search(s.text):
            s.reason = "holds a mention, a link or an instruction"
            return
        if not s.cited:
            s.reason = "no valid citation"
            return
        cited_evidence = [e for n in s.cited for e in evidence[n]]
        if not cited_evidence:
            s.reason = "the cited source has no text"
            return
        for n in s.cited:
            if evidence[n]:
                s.evidence[n] = max(evidence[n], key=lambda e: float(e.vector @ vec))
        s.dense = max(float(e.vector @ vec) for e in cited_evidence)
        source_terms = frozenset().union(*(e.terms for e in cited_evidence))
        claim_terms = list(dict.fromkeys(terms(s.text)))
        if claim_terms:
            s.term_share = sum(term_match(t, source_terms) for t in claim_terms) / len(claim_terms)
        source_text = " ".join(e.text for e in cited_evidence)
        source_figures = {_norm_figure(f) for f in _FIGURE.findall(source_text)}
        s.missing_figures = [f for f in _FIGURE.findall(s.text) if _norm_figure(f) not in source_figures]
        w = self.t.dense_weight
        s.support = w * max(s.dense, 0.0) + (1 - w) * s.term_share
        if s.missing_figures:
            s.reason = "states a figure the cited source does not"
        elif s.term_share < self.t.min_term_share:
            s.reason = "most of its terms are not in the cited source"
        elif s.support < self.t.min_support:
            s.reason = "the cited source does not support it"
        else:
            s.passed = True


def parse(output: str, provided: int) -> list[CheckedSentence]:
    """The output's sentences with their citation numbers (valid ones in `cited`, others in `invalid`)."""
    text = _EMPHASIS.sub("", _BULLET.sub("", output or ""))
    text = _MARKERS_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    out: list[CheckedSentence] = []
    for start, end in split_sentences(text):
        raw = text[start:end]
        numbers = [int(n) for group in _MARKER.findall(raw) for n in re.split(r"[,;]", group)]
        cited = list(dict.fromkeys(n for n in numbers if 1 <= n <= provided))
        invalid = list(dict.fromkeys(n for n in numbers if not 1 <= n <= provided))
        clean = _SPACE.sub(" ", _MARKER.sub("", raw)).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        out.append(CheckedSentence(text=clean, cited=cited, invalid=invalid))
    return out


def _norm_figure(figure: str) -> str:
    figure = figure.replace(",", "")
    return figure.lstrip("0") or "0" if figure.isdigit() else figure


def _said(text: str) -> str:
    """A sentence as compared for repeats: case and spacing aside."""
    return " ".join(text.lower().split())

"""The offline answer: a short summary made of the source sentences themselves, each cited.

No model writes anything here: sentences are picked by relevance, near-identical reports from
several outlets are merged (keeping every citation), and the result is ordered by source and
position. When nothing relevant enough is found, the answer says so and cites nothing."""

from __future__ import annotations

from dataclasses import dataclass

from briefbot.answer import Answer, AnswerSentence, Citation, SourceRef
from briefbot.evidence import (
    EvidenceSentence,
    SentenceScorer,
    near_duplicate,
    sentences_of,
)
from retrieval.types import DocumentMeta, Passage

_WH = ("what", "who", "whom", "whose", "when", "where", "why", "how", "which", "whether")


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on tests/data/seed_questions.jsonl (run tests/core/test_dev_set.py).

    On that set the best evidence sentence of answerable questions scored 0.38-0.90 (dense
    0.51-0.83); the unanswerable ones 0.12-0.39 (dense 0.18-0.55). The one unanswerable question
    with related evidence ("annual trade volume in dollars", dense 0.55) is told apart by term
    coverage: 0.14 of its term weight exists in the corpus at all, against >= 0.56 for the
    answerable questions except one paraphrase ("stay in touch", coverage 0.18, dense 0.69)."""

    min_best_score: float = 0.30  # best sentence's combined score below this: the sources don't say
    min_dense: float = 0.40  # ...or its embedding similarity below this
    min_coverage: float = 0.45  # share of the question's term weight the corpus knows at all
    weak_coverage_dense: float = 0.62  # low coverage is forgiven only above this similarity
    keep_ratio: float = 0.6  # a sentence joins the answer if it scores >= ratio * best...
    keep_floor: float = 0.30  # ...and at least this


class OfflineComposer:
    def __init__(self, scorer: SentenceScorer, *, max_sentences: int = 5,
                 thresholds: Thresholds | None = None) -> None:  # fmt: skip
        self.scorer = scorer
        self.max_sentences = max_sentences
        self.t = thresholds or Thresholds()

    def compose(self, question: str, passages: list[Passage]) -> Answer:
        candidates = sentences_of(passages)
        if not candidates:
            return refusal(question, passages)
        self.scorer.score(question, candidates)
        ranked = sorted(candidates, key=lambda s: s.score, reverse=True)
        if not self.answerable(question, ranked[0]):
            return refusal(question, passages)
        chosen = select(ranked, self.max_sentences, max(self.t.keep_floor, ranked[0].score * self.t.keep_ratio))
        return answer_from(question, order_readably(chosen))

    def answerable(self, question: str, best: EvidenceSentence) -> bool:
        coverage = self.scorer.coverage(question)
        if best.score < self.t.min_best_score or best.dense < self.t.min_dense:
            return False
        return coverage >= self.t.min_coverage or best.dense >= self.t.weak_coverage_dense


def select(ranked: list[EvidenceSentence], limit: int, floor: float) -> list[EvidenceSentence]:
    """Best sentences first; a near-duplicate from another source adds its citation, not a sentence."""
    chosen: list[EvidenceSentence] = []
    for s in ranked:
        if s.score < floor:
            break
        twin = next((c for c in chosen if near_duplicate(s, c)), None)
        if twin is not None:
            if s.source_id != twin.source_id and all(a.source_id != s.source_id for a in twin.also):
                twin.also.append(s)
            continue
        if len(chosen) < limit:
            chosen.append(s)
    return chosen


def order_readably(chosen: list[EvidenceSentence]) -> list[EvidenceSentence]:
    """Keep each source's sentences together and in the order the article tells them."""
    first_seen = {}
    for s in chosen:
        first_seen.setdefault(s.source_id, len(first_seen))
    return sorted(chosen, key=lambda s: (first_seen[s.source_id], s.start))


def answer_from(question: str, chosen: list[EvidenceSentence]) -> Answer:
    numbers = SourceNumbers()
    sentences = [
        AnswerSentence(text=s.text, citations=[citation(numbers.number(ev.passage.meta), ev) for ev in [s, *s.also]])
        for s in chosen
    ]
    return Answer(question=question, sentences=sentences, sources=numbers.sources)


class SourceNumbers:
    """Numbers articles [1], [2]... in the order they are first cited, and lists them."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.sources: list[SourceRef] = []

    def number(self, meta: DocumentMeta) -> int:
        if meta.source_id not in self._numbers:
            self._numbers[meta.source_id] = len(self._numbers) + 1
            self.sources.append(source_ref(self._numbers[meta.source_id], meta))
        return self._numbers[meta.source_id]


def source_ref(number: int, meta: DocumentMeta) -> SourceRef:
    return SourceRef(
        number=number,
        source_id=meta.source_id,
        title=meta.title,
        outlet=meta.outlet,
        url=meta.url,
        published=meta.published,
    )


def citation(number: int, ev: EvidenceSentence) -> Citation:
    return Citation(
        number=number,
        chunk_id=ev.passage.chunk_id,
        source_id=ev.source_id,
        start=ev.start,
        end=ev.end,
        quote=ev.text,
    )


def refusal(question: str, passages: list[Passage]) -> Answer:
    asked = question.strip().rstrip("?.! ").strip()
    if asked.split(" ", 1)[0].lower() in _WH:
        text = f"The sources don't say {asked[0].lower()}{asked[1:]}."
    else:
        text = f'The sources don\'t answer "{asked}".'
    first_of_source = {}
    for p in passages:
        first_of_source.setdefault(p.meta.source_id, p)
    topics = list(dict.fromkeys(_topic_of(p) for p in first_of_source.values()))[:3]
    return Answer(question=question, refused=True, refusal=text, related_topics=topics)


def _topic_of(p: Passage, limit: int = 80) -> str:
    """A passage's article by its title, or by the opening of the passage when it has none."""
    if p.meta.title:
        return p.meta.title
    opening = " ".join(p.text.split())
    if len(opening) <= limit:
        return opening
    return opening[: opening.rfind(" ", 0, limit)].rstrip(",;:") + "…"

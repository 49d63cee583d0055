"""The core facade: ask (and later brief) over the store. Knows nothing about Slack or the CLI."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from briefbot.answer import Answer, AnswerSentence, CitedText
from briefbot.answering.brief import Brief, BriefBuilder
from briefbot.answering.compose import OfflineComposer, refusal
from briefbot.answering.digest import Digest, digest
from briefbot.answering.followup import resolve_follow_up
from briefbot.answering.freshness import freshness_of
from briefbot.answering.nlp import english
from briefbot.answering.question import names_nothing_to_compare, read_question
from briefbot.errors import InvalidQuestion
from retrieval.index.search import HybridRetriever, narrowed
from retrieval.index.store import ChunkStore, SourceSummary
from retrieval.ingest import Ingestor
from retrieval.sources.loaders import SourceDocument
from retrieval.types import IngestReport, Passage, SearchFilters

log = logging.getLogger(__name__)


class Generator(Protocol):
    """Writes an answer from retrieved passages (the optional language model)."""

    def answer(self, question: str, passages: list[Passage], fallback: Answer, context: str | None = None) -> Answer:
        """An answer grounded in `passages`; on any failure, `fallback` with a one-line note."""

    def brief(self, topic: str, passages: list[Passage], offline: Brief) -> Brief:
        """`offline` with prose written from `passages` (the chunks it cites); on failure, with a note."""


def clean_question(question: str | None, max_chars: int) -> str:
    """Whitespace-normalised question; empty -> InvalidQuestion; very long -> its first max_chars."""
    text = " ".join((question or "").split())
    if not text:
        raise InvalidQuestion('The question is empty: ask something, e.g. "What was agreed on connectivity?"')
    if len(text) > max_chars:
        log.info("question of %d characters cut to %d", len(text), max_chars)
        text = text[:max_chars]
    return text


def clean_topic(topic: str | None, max_chars: int) -> str:
    if not (topic or "").strip():
        raise InvalidQuestion('The brief needs a topic, e.g. "President Tokayev\'s visit to Pakistan".')
    return clean_question(topic, max_chars)


class BriefingService:
    def __init__(
        self,
        *,
        store: ChunkStore,
        retriever: HybridRetriever,
        composer: OfflineComposer,
        ingestor: Ingestor,
        briefs: BriefBuilder,
        generator: Generator | None = None,
        top_k: int = 8,
        max_question_chars: int = 8000,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.store = store
        self.retriever = retriever
        self.composer = composer
        self.ingestor = ingestor
        self.briefs = briefs
        self.generator = generator
        self.top_k = top_k
        self.max_question_chars = max_question_chars
        self.today = today

    def warm_up(self) -> BriefingService:
        """Load what a first question would otherwise wait for (a server calls this before it takes
        questions): the question side of the embedding model, the store's vector index and the
        lexical index of its current generation (from disk, as ingest wrote it), and the English
        pipeline that reads questions."""
        self.retriever.embedder.embed(["warm-up"])
        self.retriever.lexical()
        english().warm_up()
        return self

    def ask(
        self,
        question: str,
        *,
        context: str | None = None,
        filters: SearchFilters | None = None,
        sets: Iterable[str] | None = None,
    ) -> Answer:
        """A cited answer from the sources in `sets` (None: every set; `filters.sets` narrows it).
        Everything the answer is made of (search, the composer's term statistics, names and
        outlets, the closest topics of a refusal, the model's prompt) sees those sets only."""
        with self.retriever.scope(narrowed(_frozen(sets), filters.sets if filters else None)):
            return self._ask(question, context, filters)

    def _ask(self, question: str, context: str | None, filters: SearchFilters | None) -> Answer:
        question = clean_question(question, self.max_question_chars)
        context = " ".join((context or "").split())[: self.max_question_chars] or None
        standalone = resolve_follow_up(question, context)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        passages = self.retriever.search(standalone, k=self.top_k, filters=filters)
        t1 = time.perf_counter()
        timings["retrieve"] = (t1 - t0) * 1000
        answer = self.composer.compose(standalone, passages)
        if answer.refused and names_nothing_to_compare(read_question(standalone)):
            answer = self._differences(question, context) or answer
        elif answer.refused and context and standalone == question:
            # a full question in a thread ("what are the open items?" under a brief) that the
            # sources do not answer on its own: asked again on the thread's topic
            on_topic = f"{question} (on: {context})"
            topic_passages = self.retriever.search(on_topic, k=self.top_k, filters=filters)
            retried = self.composer.compose(on_topic, topic_passages)
            if not retried.refused:
                standalone, passages, answer = on_topic, topic_passages, retried
        answer.question = question
        t2 = time.perf_counter()
        timings["compose"] = (t2 - t1) * 1000
        if self.generator is not None and not answer.refused:
            answer = self.generator.answer(standalone, passages, answer, context)
            answer.question = question
            timings["generate"] = (time.perf_counter() - t2) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        answer.timings_ms = {k: round(v, 1) for k, v in timings.items()}
        answer.freshness = _joined(self._left_out(filters), self._freshness(answer))
        return answer

    def _differences(self, question: str, context: str | None) -> Answer | None:
        """ "How do the two reports differ?" names no topic: the differences the brief finds on the
        thread's topic; without one, a refusal saying what to ask."""
        if not context:
            return refusal(question, [], reason=(
                'The question names nothing to compare: ask about a topic, e.g. "Do the two sources agree '
                'on who signed the plan?"'))  # fmt: skip
        brief, _ = self.briefs.build_with_evidence(context)
        items = [] if brief.empty else brief.section("differences").items
        items = sorted(items, key=lambda i: len({c.source_id for c in i.citations}) < 2)  # two sources first
        if not items:
            return refusal(
                question, [], reason=f"The sources on {context} do not differ in anything briefbot can find."
            )
        sentences = [AnswerSentence(text=i.text, citations=i.citations) for i in items[: self.composer.max_sentences]]
        used = {c.number for s in sentences for c in s.citations}
        return Answer(question=question, sentences=sentences, sources=[s for s in brief.sources if s.number in used])

    def _freshness(self, answer: Answer) -> str:
        if answer.refused:
            return ""
        return freshness_of(answer.sources, answer.sentences, self.today())

    def _left_out(self, filters: SearchFilters | None) -> str:
        """A date filter cannot place undated articles: say how many it left out, never drop them silently."""
        if not filters or not (filters.since or filters.until):
            return ""
        undated = {p.meta.source_id for p in self.retriever.current().passages if not p.meta.published}
        if not undated:
            return ""
        n = len(undated)
        return f"{n} undated source{'s' if n != 1 else ''} left out by the date filter."

    def brief(self, topic: str, *, sets: Iterable[str] | None = None) -> Brief:
        """A structured, cited pre-visit brief on a visit, country or topic, from the sources in
        `sets` (None: every set)."""
        with self.retriever.scope(_frozen(sets)):
            return self._brief(topic)

    def _brief(self, topic: str) -> Brief:
        started = time.perf_counter()
        topic = clean_topic(topic, self.max_question_chars)
        brief, passages = self.briefs.build_with_evidence(topic)
        timings = {"build": (time.perf_counter() - started) * 1000}
        if self.generator is not None and not brief.empty:
            brief = self.generator.brief(topic, passages, brief)
            timings["generate"] = (time.perf_counter() - started) * 1000 - timings["build"]
        timings["total"] = (time.perf_counter() - started) * 1000
        brief.timings_ms = {k: round(v, 1) for k, v in timings.items()}
        if not brief.empty:
            items = [item for section in brief.sections for item in section.items]
            brief.freshness = freshness_of(brief.sources, items, self.today())
        return brief

    def whats_new(
        self,
        topic: str,
        *,
        since: float,
        sets: Iterable[str] | None = None,
        earlier: list[CitedText] | None = None,
    ) -> Digest:
        """The key points, each cited, of the sources in `sets` ingested after `since` (Unix
        time) on `topic`, and what they change against `earlier` points (a previous digest's)."""
        topic = clean_topic(topic, self.max_question_chars)
        frozen = _frozen(sets)
        with self.retriever.scope(frozen):
            return digest(self.briefs, lambda: self.store.sources(sets=frozen), topic, since=since, earlier=earlier)

    def ingested_until(self, *, sets: Iterable[str] | None = None) -> float:
        """The newest ingest time (Unix) of a source in `sets`: where a new watch starts counting."""
        return max((s.added for s in self.store.sources(sets=_frozen(sets))), default=0.0)

    def sources(self, *, sets: Iterable[str] | None = None) -> list[SourceSummary]:
        """What is indexed, in `sets` (None: every set)."""
        return self.store.sources(sets=_frozen(sets))

    def is_empty(self) -> bool:
        return self.count() == 0

    def count(self) -> int:
        """Chunks in the store, in every set."""
        return self.store.count()

    # -- indexing and searching, for the CLI, the evaluation and other tools

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        prune: bool = False,
        rebuild: bool = False,
        warn: Callable[[str], None] | None = None,
        progress: bool | None = None,
        source_set: str | None = None,
    ) -> IngestReport:
        """Index the files under `paths` (see retrieval.ingest.Ingestor.ingest)."""
        return self.ingestor.ingest(
            paths, prune=prune, rebuild=rebuild, warn=warn, progress=progress, source_set=source_set
        )

    def ingest_documents(
        self,
        documents: Iterable[SourceDocument],
        *,
        warn: Callable[[str], None] | None = None,
        progress: bool | None = False,
        source_set: str | None = None,
    ) -> IngestReport:
        """Index sources that are not files under a folder: links, feed items, files handed over."""
        return self.ingestor.ingest_documents(documents, warn=warn, progress=progress, source_set=source_set)

    def search(self, query: str, k: int | None = None, *, filters: SearchFilters | None = None) -> list[Passage]:
        """The passages a question would be answered from, best first (hybrid search)."""
        return self.retriever.search(query, k=k or self.top_k, filters=filters)

    def passages(self) -> list[Passage]:
        """Every stored passage (for scoring citations against the store)."""
        return self.store.all_passages()


def _frozen(sets: Iterable[str] | None) -> frozenset[str] | None:
    if sets is None:
        return None
    return frozenset([sets] if isinstance(sets, str) else sets)


def _joined(*notes: str) -> str:
    return " ".join(n.strip() for n in notes if n and n.strip())

"""Running an evaluation: every question through a pipeline (briefbot's service, or a baseline
with the same three calls), scored; and the `briefbot eval` command."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from briefbot.answer import Answer
from briefbot.evaluation.questions import (
    EvalDataError,
    EvalQuestion,
    load_dev_questions,
)
from briefbot.evaluation.report import (
    EvalReport,
)
from briefbot.evaluation.scoring import score, summarize
from retrieval.types import Passage

SEARCH_DEPTH = 60  # passages retrieved for scoring; enough to find 10 distinct documents


class EvalTarget(Protocol):
    """What the scorer needs from a pipeline: briefbot's service (BriefingService has these three) or a baseline."""

    def ask(self, question: str) -> Answer: ...

    def search(self, question: str, k: int) -> list[Passage]: ...

    def passages(self) -> list[Passage]: ...


def evaluate(
    target: EvalTarget,
    questions: list[EvalQuestion],
    *,
    label: str = "briefbot",
    retrieval_unit: str = "passage",
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Ask every question through `target` (briefbot's service, or a baseline) and score it."""
    chunks = {p.chunk_id: p for p in target.passages()}
    results = []
    for n, q in enumerate(questions, 1):
        retrieved = target.search(q.question, SEARCH_DEPTH)  # also warms the caches before timing
        started = time.perf_counter()
        answer = target.ask(q.question)
        latency = (time.perf_counter() - started) * 1000
        results.append(score(q, answer, retrieved, chunks, latency))
        if progress:
            progress(n, len(questions))
    return EvalReport(label, retrieval_unit, summarize(results, retrieval_unit), results)


def run(
    settings,
    *,
    questions: Path | None = None,
    corpus: Path | None = None,
    queries: Path | None = None,
    limit: int | None = None,
    embedder=None,
    progress: bool | None = None,
) -> EvalReport:
    """The dev set through the configured store, or a MultiHop-RAG corpus through its own collection."""
    from briefbot.factory import build_service

    if bool(corpus) != bool(queries):
        raise EvalDataError("MultiHop-RAG needs both --corpus CORPUS.json and --queries QUERIES.json.")
    if bool(questions) == bool(corpus):
        raise EvalDataError("Give a question file (briefbot eval QUESTIONS.jsonl) or --corpus and --queries, not both.")
    meta: dict = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "command": _command_line()}
    if corpus and queries:
        from briefbot.evaluation import multihop

        prepared = multihop.prepare(settings, corpus, queries, embedder=embedder, limit=limit)
        service, items, unit = prepared.service, prepared.questions, "document"
        meta.update(
            format="multihop-rag",
            corpus=str(corpus),
            queries=str(queries),
            collection=prepared.collection,
            articles=prepared.articles,
            chunks=prepared.chunks_total,
            chunks_added=prepared.chunks_added,
            warnings=prepared.warnings[:50],
            title=f"briefbot eval {Path(queries).name} over {Path(corpus).name}",
        )
        for w in prepared.warnings[:5]:
            print(f"warning: {w}", file=sys.stderr)
        if len(prepared.warnings) > 5:
            print(f"warning: ... and {len(prepared.warnings) - 5} more (in the JSON report)", file=sys.stderr)
    else:
        assert questions is not None  # checked above: a question file or a corpus
        items = load_dev_questions(questions)[:limit] if limit else load_dev_questions(questions)
        service, unit = build_service(settings, embedder=embedder), "passage"
        meta.update(
            format="dev",
            questions_file=str(questions),
            collection=settings.collection,
            title=f"briefbot eval {Path(questions).name}",
        )
    meta.update(mode="llm" if service.generator is not None else "offline", top_k=service.top_k)
    report = evaluate(service, items, label="briefbot", retrieval_unit=unit, progress=_progress(progress, len(items)))
    report.meta.update(meta)
    return report


def run_open(
    settings,
    questions: Path,
    *,
    corpus: Path | None = None,
    limit: int | None = None,
    embedder=None,
) -> tuple[dict, list]:
    """An open-question set (nuggets; see nuggets.py) through the configured store, or through a
    MultiHop-RAG corpus's own collection (the same one `prepare` makes for its queries). Items of
    kind `brief` build the brief on their topic and score its body. Returns (summary, results)."""
    from briefbot.evaluation import nuggets

    items = nuggets.load_open_questions(questions)
    items = items[:limit] if limit else items
    if corpus:
        from briefbot.evaluation import multihop

        service = multihop.prepare(settings, corpus, None, embedder=embedder).service
    else:
        from briefbot.factory import build_service

        service = build_service(settings, embedder=embedder)
    results = []
    for q in items:
        started = time.perf_counter()
        if q.kind == nuggets.BRIEF:
            markdown = service.brief(q.question).to_markdown()
            results.append(nuggets.score_brief(q, markdown, (time.perf_counter() - started) * 1000))
        else:
            answer = service.ask(q.question)
            results.append(nuggets.score_answer(q, answer, (time.perf_counter() - started) * 1000))
    return nuggets.summarize_open(results), results


def _progress(enabled: bool | None, total: int):
    if enabled is None:
        enabled = sys.stderr.isatty() and total > 20
    if not enabled:
        return None

    def show(n: int, total: int) -> None:
        print(f"\r{n}/{total} questions", end="\n" if n == total else "", file=sys.stderr, flush=True)

    return show


def _command_line() -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in ["briefbot", *sys.argv[1:]]) if sys.argv else "briefbot"

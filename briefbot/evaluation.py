"""`briefbot eval`: run questions through the real pipeline and score what comes back.

Per question: where the expected sources rank in retrieval (hit@k, MRR@10, by passage and by
document), whether the answer mentions what it must, whether every citation resolves to a stored
chunk that holds its quote and supports its sentence, and whether it refused. Over the set:
those rates, refusal precision and recall on unanswerable questions, and latency p50/p95.

Question formats: the dev format (JSON Lines: id, question, kind, must_mention_any, expect_sources)
read here, and MultiHop-RAG (corpus + queries) read by briefbot.multihop into the same EvalQuestion."""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

from briefbot.answer import Answer
from briefbot.errors import BriefbotError
from retrieval.terms import terms
from retrieval.types import Passage

KINDS = ("factoid", "list", "summary", "unanswerable")
SEARCH_DEPTH = 60  # passages retrieved for scoring; enough to find 10 distinct documents
CUTOFFS = (1, 4, 10)
QUOTE_IN_CHUNK = 0.8  # share of a quote's terms that must be in the cited chunk
SENTENCE_IN_QUOTES = 0.5  # share of a sentence's terms that must be in its quotes


class EvalDataError(BriefbotError):
    """A question or corpus file cannot be read or is not in a known format."""


@dataclass
class EvalQuestion:
    id: str
    question: str
    kind: str = "factoid"  # factoid | list | summary | unanswerable (MultiHop: its question_type)
    must_mention_any: list[list[str]] = field(default_factory=list)
    expect_sources: list[str] = field(default_factory=list)  # source ids (file names)
    gold_answer: str = ""

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


class EvalTarget(Protocol):
    """What the scorer needs from a pipeline: briefbot's service (via ServiceTarget) or a baseline."""

    def ask(self, question: str) -> Answer: ...

    def search(self, question: str, k: int) -> list[Passage]: ...

    def passages(self) -> list[Passage]: ...


class ServiceTarget:
    def __init__(self, service) -> None:
        self.service = service

    def ask(self, question: str) -> Answer:
        return self.service.ask(question)

    def search(self, question: str, k: int) -> list[Passage]:
        return self.service.retriever.search(question, k=k)

    def passages(self) -> list[Passage]:
        return self.service.store.all_passages()


# ---------------------------------------------------------------------------- reading questions


def load_dev_questions(path: Path) -> list[EvalQuestion]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalDataError(f"Cannot read the question file {path}: {exc.strerror or exc}") from exc
    if "".join(lines).lstrip().startswith("["):
        raise EvalDataError(
            f"{path} is a JSON array, not JSON Lines; MultiHop-RAG queries go with "
            f"`briefbot eval --corpus CORPUS --queries {path}`."
        )
    questions: list[EvalQuestion] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{path}:{n}: not a JSON object ({exc.msg}).") from exc
        if not isinstance(rec, dict) or not str(rec.get("question") or "").strip():
            if isinstance(rec, dict) and "query" in rec:
                raise EvalDataError(
                    f"{path} looks like MultiHop-RAG queries: use `briefbot eval --corpus CORPUS --queries {path}`."
                )
            raise EvalDataError(f"{path}:{n}: each line needs a 'question'.")
        kind = str(rec.get("kind") or "factoid")
        if kind not in KINDS:
            raise EvalDataError(f"{path}:{n}: kind '{kind}' is not one of {', '.join(KINDS)}.")
        groups = rec.get("must_mention_any") or []
        if not all(isinstance(g, list) for g in groups):
            raise EvalDataError(f"{path}:{n}: must_mention_any is a list of lists of terms.")
        questions.append(
            EvalQuestion(
                id=str(rec.get("id") or f"line{n}"),
                question=str(rec["question"]),
                kind=kind,
                must_mention_any=[[str(t) for t in g] for g in groups],
                expect_sources=[str(s) for s in rec.get("expect_sources") or []],
            )
        )
    if not questions:
        raise EvalDataError(f"{path} holds no questions.")
    return questions


# ---------------------------------------------------------------------------- scoring one answer


@dataclass
class CitationCheck:
    total: int = 0
    valid: int = 0
    sentences: int = 0
    sentences_supported: int = 0
    problems: list[str] = field(default_factory=list)


def check_citations(answer: Answer, chunks: dict[str, Passage]) -> CitationCheck:
    """Every citation resolves (listed source, stored chunk of that source, span inside the chunk,
    quote's terms >= 80% in the chunk) and every sentence's terms overlap its quotes >= 50%."""
    out = CitationCheck()
    listed = {s.number: s.source_id for s in answer.sources}
    if answer.refused and any(s.citations for s in answer.sentences):
        out.problems.append("a refusal carries citations")
    for i, sentence in enumerate(answer.sentences, 1):
        out.sentences += 1
        quote_terms: set[str] = set()
        sentence_ok = bool(sentence.citations)
        if not sentence.citations:
            out.problems.append(f"sentence {i} has no citation")
        for c in sentence.citations:
            out.total += 1
            problem, quote = _citation_problem(c, listed, chunks)
            if problem:
                out.problems.append(f"sentence {i} [{c.number}]: {problem}")
                sentence_ok = False
            else:
                out.valid += 1
            quote_terms |= set(terms(quote))
        own = set(terms(sentence.text))
        if own and sentence.citations:
            overlap = len(own & quote_terms) / len(own)
            if overlap < SENTENCE_IN_QUOTES:
                out.problems.append(f"sentence {i}: only {overlap:.0%} of its terms are in its quotes")
                sentence_ok = False
        out.sentences_supported += int(sentence_ok)
    return out


def _citation_problem(c, listed: dict[int, str], chunks: dict[str, Passage]) -> tuple[str, str]:
    """(problem or "", the quote checked)."""
    if listed.get(c.number) != c.source_id:
        return f"[{c.number}] is not {c.source_id} in the source list", c.quote
    chunk = chunks.get(c.chunk_id)
    if chunk is None:
        return f"chunk {c.chunk_id} is not in the store", c.quote
    if chunk.meta.source_id != c.source_id:
        return f"chunk {c.chunk_id} belongs to {chunk.meta.source_id}, not {c.source_id}", c.quote
    if not (chunk.start <= c.start < c.end <= chunk.end):
        return f"span {c.start}-{c.end} is outside the chunk's {chunk.start}-{chunk.end}", c.quote
    quote = c.quote or chunk.text[c.start - chunk.start : c.end - chunk.start]
    q = set(terms(quote))
    if q:
        share = len(q & set(terms(chunk.text))) / len(q)
        if share < QUOTE_IN_CHUNK:
            return f"only {share:.0%} of the quote's terms are in the chunk", quote
    return "", quote


def mention_hits(groups: list[list[str]], text: str) -> list[bool]:
    low = text.lower()
    return [any(term.lower() in low for term in group) for group in groups]


def lead_correct(gold: str, lead: str) -> bool | None:
    """Whether the first sentence states the gold answer: Yes/No golds as the sentence's first word,
    any other gold as a case-insensitive phrase in it. None when there is no gold to check."""
    gold = " ".join(gold.split()).strip().rstrip(".")
    if not gold or gold.lower() in _NO_GOLD:
        return None
    low = " ".join(lead.lower().split())
    if gold.lower() in ("yes", "no"):
        said = _YES_NO.match(low)
        return said is not None and said.group(1) == gold.lower()
    return gold.lower() in low


_NO_GOLD = {"insufficient information"}
_YES_NO = re.compile(r"\W*(yes|no)\b")


def ranks(retrieved: list[Passage], expected: set[str]) -> tuple[int | None, list[int], list[str]]:
    """(1-based rank of the first passage from an expected source, 1-based document ranks of the
    expected sources among distinct documents in rank order, those documents' ids)."""
    passage_rank = next((i for i, p in enumerate(retrieved, 1) if p.meta.source_id in expected), None)
    docs = list(dict.fromkeys(p.meta.source_id for p in retrieved))
    doc_ranks = [i for i, sid in enumerate(docs, 1) if sid in expected]
    return passage_rank, doc_ranks, docs


# ---------------------------------------------------------------------------- running a set


@dataclass
class QuestionResult:
    id: str
    question: str
    kind: str
    answerable: bool
    refused: bool
    answer: str
    expect_sources: list[str]
    passage_rank: int | None  # first passage from an expected source (None: not in the top SEARCH_DEPTH)
    document_ranks: list[int]  # ranks of the expected documents among distinct retrieved documents
    top_documents: list[str]
    cited_sources: list[str]
    cited_expected: bool | None  # None when there is nothing to expect
    mentions: list[bool]
    citations: int
    citations_valid: int
    sentences: int
    sentences_supported: int
    problems: list[str]
    latency_ms: float
    timings_ms: dict[str, float]
    gold_answer: str = ""
    lead: str = ""  # the answer's first sentence ("" when refused)
    lead_correct: bool | None = None  # None when the question has no gold answer
    words: int = 0  # words in the answer's sentences
    lead_mentions: list[bool] = field(default_factory=list)  # must-mention groups the first sentence covers


@dataclass
class EvalReport:
    label: str
    retrieval_unit: str  # "passage" (dev set) or "document" (MultiHop-RAG)
    summary: dict
    questions: list[QuestionResult]
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "retrieval_unit": self.retrieval_unit,
            "meta": self.meta,
            "summary": self.summary,
            "questions": [asdict(q) for q in self.questions],
        }


def evaluate(
    target,
    questions: list[EvalQuestion],
    *,
    label: str = "briefbot",
    retrieval_unit: str = "passage",
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Ask every question through `target` (a BriefingService or an EvalTarget) and score it."""
    if not hasattr(target, "passages"):
        target = ServiceTarget(target)
    chunks = {p.chunk_id: p for p in target.passages()}
    results = []
    for n, q in enumerate(questions, 1):
        retrieved = target.search(q.question, SEARCH_DEPTH)  # also warms the caches before timing
        started = time.perf_counter()
        answer = target.ask(q.question)
        latency = (time.perf_counter() - started) * 1000
        results.append(_score(q, answer, retrieved, chunks, latency))
        if progress:
            progress(n, len(questions))
    return EvalReport(label, retrieval_unit, summarize(results, retrieval_unit), results)


def _score(q: EvalQuestion, answer: Answer, retrieved, chunks, latency: float) -> QuestionResult:
    expected = set(q.expect_sources)
    passage_rank, doc_ranks, docs = ranks(retrieved, expected) if expected else (None, [], [])
    cited = sorted({c.source_id for s in answer.sentences for c in s.citations})
    answered_text = "" if answer.refused else " ".join(s.text for s in answer.sentences)
    check = check_citations(answer, chunks)
    lead = "" if answer.refused or not answer.sentences else answer.sentences[0].text
    return QuestionResult(
        id=q.id,
        question=q.question,
        kind=q.kind,
        answerable=q.answerable,
        refused=answer.refused,
        answer=answer.text,
        expect_sources=q.expect_sources,
        passage_rank=passage_rank,
        document_ranks=doc_ranks[:10],
        top_documents=docs[:10],
        cited_sources=cited,
        cited_expected=bool(expected & set(cited)) if expected and q.answerable else None,
        mentions=mention_hits(q.must_mention_any, answered_text),
        citations=check.total,
        citations_valid=check.valid,
        sentences=check.sentences,
        sentences_supported=check.sentences_supported,
        problems=check.problems,
        latency_ms=round(latency, 1),
        timings_ms=dict(answer.timings_ms),
        gold_answer=q.gold_answer,
        lead=lead,
        lead_correct=lead_correct(q.gold_answer, lead) if q.answerable else None,
        words=len(answered_text.split()),
        lead_mentions=mention_hits(q.must_mention_any, lead),
    )


def summarize(results: list[QuestionResult], retrieval_unit: str = "passage") -> dict:
    answerable = [r for r in results if r.answerable]
    scored = [r for r in answerable if r.expect_sources]
    refused = [r for r in results if r.refused]
    unanswerable = [r for r in results if not r.answerable]
    true_refusals = [r for r in refused if not r.answerable]
    with_groups = [r for r in answerable if r.mentions]
    groups = [hit for r in with_groups for hit in r.mentions]
    cited = [r for r in scored if r.cited_expected is not None]
    latencies = [r.latency_ms for r in results]
    with_gold = [r for r in answerable if r.lead_correct is not None]
    answered = [r for r in results if not r.refused]
    return {
        "lead_correct": _mean([float(bool(r.lead_correct)) for r in with_gold]),
        "lead_questions": len(with_gold),
        "lead_correct_by_kind": {
            kind: _mean([float(bool(r.lead_correct)) for r in with_gold if r.kind == kind])
            for kind in sorted({r.kind for r in with_gold})
        },
        "lead_mention_groups": _mean([float(h) for r in with_groups for h in r.lead_mentions]),
        "answer_sentences_mean": _mean([float(r.sentences) for r in answered]),
        "answer_words_mean": _mean([float(r.words) for r in answered]),
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "retrieval_passage": _retrieval([r.passage_rank for r in scored]),
        "retrieval_document": {
            **_retrieval([r.document_ranks[0] if r.document_ranks else None for r in scored]),
            "map@10": _mean([_average_precision(r) for r in scored]),
        },
        "retrieval_unit": retrieval_unit,
        "cited_expected_source": _mean([float(bool(r.cited_expected)) for r in cited]),
        "must_mention_groups": _mean([float(h) for h in groups]),
        "must_mention_all": _mean([float(all(r.mentions)) for r in with_groups]),
        "must_mention_questions": len(with_groups),
        "citations": sum(r.citations for r in results),
        "citation_validity": _ratio(sum(r.citations_valid for r in results), sum(r.citations for r in results)),
        "sentences": sum(r.sentences for r in results),
        "sentences_supported": _ratio(
            sum(r.sentences_supported for r in results), sum(r.sentences for r in results)
        ),
        "answers_fully_valid": _mean(
            [float(r.sentences_supported == r.sentences and not r.problems) for r in results if not r.refused]
        ),
        "refusals": len(refused),
        "refusal_precision": _ratio(len(true_refusals), len(refused)),
        "refusal_recall": _ratio(len(true_refusals), len(unanswerable)),
        "false_refusals": len(refused) - len(true_refusals),
        "latency_ms": {
            "p50": _round(percentile(latencies, 0.50)),
            "p95": _round(percentile(latencies, 0.95)),
            "mean": _round(statistics.fmean(latencies)) if latencies else None,
            "max": _round(max(latencies)) if latencies else None,
        },
    }


def _retrieval(first_ranks: list[int | None]) -> dict:
    out = {"n": len(first_ranks)}
    for k in CUTOFFS:
        out[f"hits@{k}"] = _mean([float(r is not None and r <= k) for r in first_ranks])
    out["mrr@10"] = _mean([1.0 / r if r is not None and r <= 10 else 0.0 for r in first_ranks])
    return out


def _average_precision(r: QuestionResult) -> float:
    """Average precision over the evidence documents in the top 10, normalised by min(evidence, 10)
    as in the MultiHop-RAG scorer (which, unlike this, counts precision at a rank as 1/rank)."""
    hits = sorted(rank for rank in r.document_ranks if rank <= 10)
    return sum(n / rank for n, rank in enumerate(hits, 1)) / min(len(set(r.expect_sources)), 10)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ---------------------------------------------------------------------------- output


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def summary_rows(s: dict) -> list[tuple[str, object, str]]:
    """(metric, value, over what) for the table; the retrieval unit picks passage or document ranks."""
    unit = s["retrieval_unit"]
    r = s[f"retrieval_{unit}"]
    rows: list[tuple[str, object, str]] = [
        (f"retrieval hit@{k} ({unit})", r[f"hits@{k}"], f"{r['n']} answerable") for k in CUTOFFS
    ]
    rows.append((f"retrieval MRR@10 ({unit})", r["mrr@10"], f"{r['n']} answerable"))
    if unit == "document":
        rows.append(("retrieval MAP@10 (document)", r["map@10"], f"{r['n']} answerable"))
    rows += [
        ("answer cites an expected source", s["cited_expected_source"], f"{r['n']} answerable"),
        ("must-mention groups covered", s["must_mention_groups"], f"{s['must_mention_questions']} questions"),
        ("must-mention all groups", s["must_mention_all"], f"{s['must_mention_questions']} questions"),
        ("lead correct (gold in 1st sentence)", s.get("lead_correct"), f"{s.get('lead_questions', 0)} with a gold answer"),
        *[
            (f"  lead correct: {kind}", value, "")
            for kind, value in (s.get("lead_correct_by_kind") or {}).items()
        ],
        ("must-mention groups in 1st sentence", s.get("lead_mention_groups"), f"{s['must_mention_questions']} questions"),
        ("answer sentences (mean)", s.get("answer_sentences_mean"), f"{s['questions'] - s['refusals']} answers"),
        ("answer words (mean)", s.get("answer_words_mean"), f"{s['questions'] - s['refusals']} answers"),
        ("citation validity", s["citation_validity"], f"{s['citations']} citations"),
        ("sentences supported", s["sentences_supported"], f"{s['sentences']} answer sentences"),
        ("refusal precision", s["refusal_precision"], f"{s['refusals']} refusals"),
        ("refusal recall", s["refusal_recall"], f"{s['unanswerable']} unanswerable"),
        ("false refusals", s["false_refusals"], f"{s['answerable']} answerable"),
        ("latency p50 ms", _ms(s["latency_ms"]["p50"]), f"{s['questions']} questions"),
        ("latency p95 ms", _ms(s["latency_ms"]["p95"]), f"{s['questions']} questions"),
    ]
    return rows


def format_table(report: EvalReport, *, per_question: bool | None = None) -> str:
    """Plain aligned text: one line per question (for small sets), then the summary."""
    lines: list[str] = []
    title = report.meta.get("title") or report.label
    s = report.summary
    lines.append(f"{title}: {s['questions']} questions ({s['answerable']} answerable, {s['unanswerable']} unanswerable)")
    if per_question is None:
        per_question = len(report.questions) <= 40
    if per_question:
        lines.append("")
        header = ("id", "kind", "rank", "mention", "cites", "refused", "ms", "question")
        rows = [header]
        for q in report.questions:
            rank = q.passage_rank if report.retrieval_unit == "passage" else (q.document_ranks or [None])[0]
            rows.append(
                (
                    q.id,
                    q.kind,
                    "-" if not q.expect_sources else (str(rank) if rank else ">"),
                    f"{sum(q.mentions)}/{len(q.mentions)}" if q.mentions else "-",
                    f"{q.citations_valid}/{q.citations}" if q.citations else "-",
                    "yes" if q.refused else "no",
                    f"{q.latency_ms:.0f}",
                    q.question if len(q.question) <= 60 else q.question[:57] + "...",
                )
            )
        lines += _aligned(rows)
    lines.append("")
    lines += _aligned([("metric", "value", "over")] + [(m, _fmt(v), over) for m, v, over in summary_rows(s)])
    return "\n".join(lines)


def _aligned(rows: list[tuple]) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = [str(c).ljust(w) for c, w in zip(row, widths)]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def default_out(data_dir: Path) -> Path:
    return Path(data_dir) / f"eval-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"


def write_report(report: EvalReport, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- the `eval` command


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
    meta: dict = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": _command_line()}
    if corpus:
        from briefbot import multihop

        prepared = multihop.prepare(settings, corpus, queries, embedder=embedder, limit=limit)
        service, items, unit = prepared.service, prepared.questions, "document"
        meta.update(
            format="multihop-rag", corpus=str(corpus), queries=str(queries), collection=prepared.collection,
            articles=prepared.articles, chunks=prepared.chunks_total, chunks_added=prepared.chunks_added,
            warnings=prepared.warnings[:50], title=f"briefbot eval {Path(queries).name} over {Path(corpus).name}",
        )
        for w in prepared.warnings[:5]:
            print(f"warning: {w}", file=sys.stderr)
        if len(prepared.warnings) > 5:
            print(f"warning: ... and {len(prepared.warnings) - 5} more (in the JSON report)", file=sys.stderr)
    else:
        items = load_dev_questions(questions)[:limit] if limit else load_dev_questions(questions)
        service, unit = build_service(settings, embedder=embedder), "passage"
        meta.update(format="dev", questions_file=str(questions), collection=settings.collection,
                    title=f"briefbot eval {Path(questions).name}")
    meta.update(mode="llm" if service.generator is not None else "offline", top_k=service.top_k)
    report = evaluate(service, items, label="briefbot", retrieval_unit=unit, progress=_progress(progress, len(items)))
    report.meta.update(meta)
    return report


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

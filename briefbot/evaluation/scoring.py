"""Scoring: one answer against its question (retrieval ranks, must-mention, citations that resolve
and support their sentence, the lead), and a set of results into its summary rates."""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

from briefbot.answer import Answer
from briefbot.evaluation.questions import EvalQuestion
from retrieval.text.terms import terms
from retrieval.types import Passage

QUOTE_IN_CHUNK = 0.8  # share of a quote's terms that must be in the cited chunk
SENTENCE_IN_QUOTES = 0.5  # share of a sentence's terms that must be in its quotes
CUTOFFS = (1, 4, 10)


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
    verdict: str = ""  # yes/no golds: "yes", "no" or "unsettled" as the answer opens ("" refused)
    name_early: bool | None = None  # name golds: the name within the answer's first 12 words
    claims_supported: bool | None = None  # verdicts: every claim has a cited sentence that carries it


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
NAME_WINDOW = 12  # words
CLAIM_TERMS_CARRIED = 0.5  # share of a claim's key terms a cited sentence must hold


def is_yes_no(gold: str) -> bool:
    return gold.strip().rstrip(".").lower() in ("yes", "no")


def is_name(gold: str) -> bool:
    """A gold answer that is a name ("Sam Bankman-Fried", "OpenAI", "The Federal Reserve"): a proper
    noun by the parser's reading, not "Consistent", "Both" or "Sportsbooks"."""
    from briefbot.answering.nlp import english

    gold = gold.strip().rstrip(".")
    if not gold or is_yes_no(gold) or gold.lower() in _NO_GOLD or not gold[0].isupper():
        return False
    parse = english().parse(gold)
    return bool(parse.entities) or any(t.pos == "PROPN" for t in parse.tokens)


def said_verdict(lead: str) -> str:
    m = _YES_NO.match(" ".join(lead.lower().split()))
    return m.group(1) if m else "unsettled"


def name_early(gold: str, answer: Answer) -> bool:
    words = " ".join(s.text for s in answer.sentences).split()[:NAME_WINDOW]
    return not answer.refused and gold.strip().rstrip(".").lower() in " ".join(words).lower()


def claims_carried(question: str, answer: Answer) -> bool:
    """Whether the verdict's cited evidence supports every claim the question makes: for each claim
    (framed as the answer machinery frames it), some cited quote holds at least half of the claim's
    key terms and, when the claim names an outlet, comes from that outlet."""
    from briefbot.answering.frame import claim_words, frame_question
    from briefbot.answering.question import outlet_known

    if answer.refused or not answer.sentences:
        return False
    outlet_of = {s.number: s.outlet for s in answer.sources}
    quotes = [(set(terms(c.quote)), outlet_of.get(c.number, "")) for s in answer.sentences for c in s.citations]
    for claim in frame_question(question).claims:
        wanted = {t for t in terms(claim_words(claim)) if len(t) > 2}
        if not wanted:
            continue
        if not any(
            len(wanted & held) / len(wanted) >= CLAIM_TERMS_CARRIED
            and (not claim.outlet or outlet_known(claim.outlet, [outlet]))
            for held, outlet in quotes
        ):
            return False
    return True


_YES_NO = re.compile(r"\W*(yes|no)\b")


def ranks(retrieved: list[Passage], expected: set[str]) -> tuple[int | None, list[int], list[str]]:
    """(1-based rank of the first passage from an expected source, 1-based document ranks of the
    expected sources among distinct documents in rank order, those documents' ids)."""
    passage_rank = next((i for i, p in enumerate(retrieved, 1) if p.meta.source_id in expected), None)
    docs = list(dict.fromkeys(p.meta.source_id for p in retrieved))
    doc_ranks = [i for i, sid in enumerate(docs, 1) if sid in expected]
    return passage_rank, doc_ranks, docs


def score(q: EvalQuestion, answer: Answer, retrieved, chunks, latency: float) -> QuestionResult:
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
        verdict=("" if answer.refused else said_verdict(lead)) if q.answerable and is_yes_no(q.gold_answer) else "",
        name_early=name_early(q.gold_answer, answer) if q.answerable and is_name(q.gold_answer) else None,
        claims_supported=claims_carried(q.question, answer)
        if q.answerable and is_yes_no(q.gold_answer) and not answer.refused
        else None,
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
        **yes_no_rates(answerable),
        "name_early": _mean([float(bool(r.name_early)) for r in answerable if r.name_early is not None]),
        "name_questions": sum(1 for r in answerable if r.name_early is not None),
        "verdict_claims_supported": _mean(
            [float(bool(r.claims_supported)) for r in answerable if r.claims_supported is not None]
        ),
        "verdicts": sum(1 for r in answerable if r.claims_supported is not None),
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
        "sentences_supported": _ratio(sum(r.sentences_supported for r in results), sum(r.sentences for r in results)),
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


def yes_no_rates(results: list[QuestionResult]) -> dict:
    """Balanced accuracy of the verdicts on yes/no golds (the mean of the Yes and No recalls; a
    refusal or "not settled" counts wrong), with the always-"Yes" baseline's beside it."""
    golds = {"yes": [r for r in results if is_yes_no(r.gold_answer) and r.gold_answer.lower().startswith("y")],
             "no": [r for r in results if is_yes_no(r.gold_answer) and r.gold_answer.lower().startswith("n")]}  # fmt: skip
    present = [k for k in golds if golds[k]]
    if not present:
        return {"yes_no_balanced_accuracy": None, "yes_no_always_yes": None, "yes_no_questions": 0}
    recall = {k: statistics.fmean([float(r.verdict == k) for r in golds[k]]) for k in present}
    baseline = statistics.fmean([1.0 if k == "yes" else 0.0 for k in present])
    return {
        "yes_no_balanced_accuracy": round(statistics.fmean(recall.values()), 4),
        "yes_no_always_yes": round(baseline, 4),
        "yes_no_recall": {k: round(v, 4) for k, v in recall.items()},
        "yes_no_unsettled": sum(1 for k in present for r in golds[k] if r.verdict in ("unsettled", "")),
        "yes_no_questions": sum(len(golds[k]) for k in present),
    }


def _retrieval(first_ranks: list[int | None]) -> dict:
    out: dict[str, float | None] = {"n": len(first_ranks)}
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

"""An evaluation's report: the results with their summary, as a table for people and JSON for
the record."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from briefbot.evaluation.scoring import CUTOFFS, QuestionResult


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


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _recalls(recall: dict | None) -> str:
    return " ".join(f"{k} {v:.3f}" for k, v in (recall or {}).items()) or "-"


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
        (
            "lead correct (gold in 1st sentence)",
            s.get("lead_correct"),
            f"{s.get('lead_questions', 0)} with a gold answer",
        ),
        *[(f"  lead correct: {kind}", value, "") for kind, value in (s.get("lead_correct_by_kind") or {}).items()],
        (
            "yes/no balanced accuracy",
            s.get("yes_no_balanced_accuracy"),
            f"{s.get('yes_no_questions', 0)} yes/no golds; always-Yes {_fmt(s.get('yes_no_always_yes'))}"
            f"; recall {_recalls(s.get('yes_no_recall'))}; not settled/refused {s.get('yes_no_unsettled', 0)}",
        ),
        ("name answers: gold in first 12 words", s.get("name_early"), f"{s.get('name_questions', 0)} name golds"),
        (
            "verdicts: cited evidence carries every claim",
            s.get("verdict_claims_supported"),
            f"{s.get('verdicts', 0)} verdicts",
        ),
        (
            "must-mention groups in 1st sentence",
            s.get("lead_mention_groups"),
            f"{s['must_mention_questions']} questions",
        ),
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
    lines.append(
        f"{title}: {s['questions']} questions ({s['answerable']} answerable, {s['unanswerable']} unanswerable)"
    )
    if per_question is None:
        per_question = len(report.questions) <= 40
    if per_question:
        lines.append("")
        header = ("id", "kind", "rank", "mention", "cites", "refused", "ms", "question")
        rows: list[tuple] = [header]
        for q in report.questions:
            rank = q.passage_rank if report.retrieval_unit == "passage" else next(iter(q.document_ranks), None)
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

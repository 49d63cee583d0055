"""`briefbot eval`: run questions through the real pipeline and score what comes back.

Per question: where the expected sources rank in retrieval (hit@k, MRR@10, by passage and by
document), whether the answer mentions what it must, whether every citation resolves to a stored
chunk that holds its quote and supports its sentence, and whether it refused. Over the set:
those rates, refusal precision and recall on unanswerable questions, and latency p50/p95.

Question formats: the dev format (JSON Lines: id, question, kind, must_mention_any, expect_sources)
read here, and MultiHop-RAG (corpus + queries) read by briefbot.evaluation.multihop into the same EvalQuestion.

    questions.py  the questions (dev format) and their data errors
    scoring.py    one answer against its question; a set of results into summary rates
    report.py     the report: a table for people, JSON for the record
    runner.py     every question through a pipeline, and the `briefbot eval` command
"""

from briefbot.evaluation.questions import (
    KINDS,
    EvalDataError,
    EvalQuestion,
    load_dev_questions,
)
from briefbot.evaluation.report import (
    EvalReport,
    default_out,
    format_table,
    summary_rows,
    write_report,
)
from briefbot.evaluation.runner import (
    SEARCH_DEPTH,
    EvalTarget,
    evaluate,
    run,
    run_open,
)
from briefbot.evaluation.scoring import (
    CitationCheck,
    QuestionResult,
    check_citations,
    lead_correct,
    mention_hits,
    percentile,
    ranks,
    score,
    summarize,
)

__all__ = [
    "KINDS", "SEARCH_DEPTH", "CitationCheck", "EvalDataError", "EvalQuestion", "EvalReport", "EvalTarget",
    "QuestionResult", "check_citations", "default_out", "evaluate", "format_table",
    "lead_correct", "load_dev_questions", "mention_hits", "percentile", "ranks", "run", "run_open", "score", "summarize",
    "summary_rows", "write_report",
]  # fmt: skip

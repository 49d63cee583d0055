"""briefbot against a naive RAG baseline (bench/baseline.py) on the same questions, in one run.

    .venv/bin/python bench/bench_baseline.py                       # the dev set over sources/
    .venv/bin/python bench/bench_baseline.py --questions Q.jsonl --sources DIR
    .venv/bin/python bench/bench_baseline.py --distractors 500   # plus 500 synthetic look-alike articles
    .venv/bin/python bench/bench_baseline.py --corpus corpus.json --queries MultiHopRAG.json [--limit 200]

Both pipelines index the same documents into a fresh temporary store with the same MiniLM embedder;
each question is scored by briefbot.evaluation (retrieval ranks, must-mention coverage, citation
validity, refusals). Prints the quality metrics side by side and the latency ratios briefbot/baseline.
Figures are not asserted anywhere."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import NaiveBaseline  # noqa: E402
from bench.bench_core import warm_up  # noqa: E402
from briefbot import evaluation  # noqa: E402
from briefbot.evaluation import EvalReport, evaluate, load_dev_questions  # noqa: E402
from briefbot.factory import build_service  # noqa: E402
from briefbot.settings import PROJECT_ROOT, Settings  # noqa: E402
from retrieval.index.embedder import MiniLMEmbedder  # noqa: E402

DEV_SET = PROJECT_ROOT / "tests" / "data" / "seed_questions.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=Path, default=DEV_SET, help="dev-format questions (JSON Lines)")
    ap.add_argument("--sources", type=Path, default=PROJECT_ROOT / "sources", help="folder the questions are about")
    ap.add_argument("--corpus", type=Path, help="MultiHop-RAG corpus JSON (instead of --questions/--sources)")
    ap.add_argument("--queries", type=Path, help="MultiHop-RAG queries JSON")
    ap.add_argument("--limit", type=int, help="only the first N questions")
    ap.add_argument("--distractors", type=int, default=0, help="add N synthetic articles (bench/corpus.py)")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the questions for the latency figures")
    ap.add_argument("--out", type=Path, help="also write both JSON reports here")
    args = ap.parse_args()
    if bool(args.corpus) != bool(args.queries):
        ap.error("--corpus and --queries go together")

    embedder = MiniLMEmbedder()
    warm_up(embedder)  # model load is nobody's latency
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.corpus:
            from briefbot.evaluation import multihop

            articles = multihop.load_corpus(args.corpus)
            questions, warnings = multihop.load_queries(args.queries, articles)
            sources = tmp / "corpus"
            multihop.write_documents(articles, sources)
            unit, label = "document", f"{args.queries.name} over {args.corpus.name} ({len(articles)} articles)"
            for w in warnings[:5]:
                print(f"warning: {w}", file=sys.stderr)
        else:
            questions = load_dev_questions(args.questions)
            sources, unit = args.sources, "passage"
            label = f"{args.questions.name} over {sources}"
        if args.limit:
            questions = questions[: args.limit]
        if args.distractors:
            import shutil

            from bench.corpus import write_corpus

            shutil.copytree(sources, tmp / "mixed")
            sources = tmp / "mixed"
            write_corpus(sources / "distractors", args.distractors)
            label += f" + {args.distractors} synthetic distractors"

        settings = Settings(_env_file=None, data_dir=tmp / "data", sources_dir=sources)
        service = build_service(settings, embedder=embedder, ingest_if_empty=False)
        t = time.perf_counter()
        report = service.ingest([sources], progress=False)
        ingest_bot = time.perf_counter() - t
        baseline = NaiveBaseline(service.store.client, embedder)
        t = time.perf_counter()
        baseline_chunks = baseline.ingest([sources])
        ingest_base = time.perf_counter() - t

        runs = {"baseline": [], "briefbot": []}
        targets = {"baseline": baseline, "briefbot": service}
        for target in targets.values():  # un-timed: caches, lexical index, the store settling after writes
            for q in questions[:20]:
                target.ask(q.question)
        for n in range(max(1, args.repeat)):
            # alternate the order so neither pipeline always runs on a warmer machine
            for name in ("baseline", "briefbot") if n % 2 == 0 else ("briefbot", "baseline"):
                runs[name].append(evaluate(targets[name], questions, label=name, retrieval_unit=unit))
        base, bot = (_pooled(runs[name]) for name in ("baseline", "briefbot"))

    print(f"command: {' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}")
    print(f"questions: {len(questions)} ({label}); latency over {max(1, args.repeat)} passes")
    print(
        f"index: baseline {baseline_chunks} fixed 1000-char chunks in {ingest_base:.1f}s; "
        f"briefbot {report.chunks_total} sentence chunks in {ingest_bot:.1f}s"
    )
    print()
    print(side_by_side(base, bot))
    if args.out:
        import json

        args.out.write_text(json.dumps({"baseline": base.to_dict(), "briefbot": bot.to_dict()}, indent=2))
        print(f"\nreports written to {args.out}")
    return 0


def _pooled(reports: list[EvalReport]) -> EvalReport:
    """Quality from the first pass (answers are deterministic), latency over all passes."""
    first = reports[0]
    results = [q for r in reports for q in r.questions]
    latency = evaluation.summarize(results, first.retrieval_unit)["latency_ms"]
    summary = {**first.summary, "latency_ms": latency}
    return EvalReport(first.label, first.retrieval_unit, summary, first.questions, {"passes": len(reports)})


def side_by_side(base: EvalReport, bot: EvalReport) -> str:
    rows = [("metric", "baseline", "briefbot", "briefbot vs baseline")]
    base_rows = evaluation.summary_rows(base.summary)
    bot_rows = evaluation.summary_rows(bot.summary)
    for (metric, b, _over), (_, v, _) in zip(base_rows, bot_rows):
        if metric.startswith("latency"):
            continue
        rows.append((metric, _fmt(b), _fmt(v), _diff(b, v)))
    for key in ("p50", "p95"):
        b, v = base.summary["latency_ms"][key], bot.summary["latency_ms"][key]
        ratio = f"x{v / b:.2f}" if b and v is not None else "-"
        rows.append((f"latency {key} ms", f"{b:.1f}", f"{v:.1f}", ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v) -> str:
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _diff(b, v) -> str:
    if b is None or v is None:
        return ""
    if isinstance(b, int) and isinstance(v, int):
        return f"{v - b:+d}"
    return f"{float(v) - float(b):+.3f}"


if __name__ == "__main__":
    sys.exit(main())

"""Offline `ask` latency on the public MultiHop-RAG corpus (609 articles, ~17k chunks).

    BRIEFBOT_DATA_DIR=/path/kept/between/runs .venv/bin/python bench/bench_multihop_ask.py \\
        --corpus ../shared/eval/multihop/corpus.json --queries ../shared/eval/multihop/queries_dev.json

The corpus goes into its own collection (as `briefbot eval --corpus` does; a second run re-embeds
nothing), then a fixed-seed sample of questions is asked once each, cold: every question is new to
the process, so its embedding, search, scoring, lead and support check are all timed. Prints p50
and p95 of the whole `ask` per run and their medians over the runs."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_core import percentile, warm_up  # noqa: E402
from briefbot.evaluation import multihop  # noqa: E402
from briefbot.settings import Settings  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--queries", type=Path, required=True)
    p.add_argument("--questions", type=int, default=200, help="questions per run (a fixed-seed sample)")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    settings = Settings(data_dir=Path(os.environ.get("BRIEFBOT_DATA_DIR", ".briefbot-multihop")))
    started = time.perf_counter()
    prepared = multihop.prepare(settings, args.corpus, args.queries)
    service = prepared.service
    print(f"{prepared.articles} articles, {prepared.chunks_total} chunks "
          f"(+{prepared.chunks_added} this run, {time.perf_counter() - started:.0f} s)")  # fmt: skip
    embedder = service.retriever.embedder
    warm_up(embedder)
    service.ask("warm up: what was agreed?")
    questions = [q.question for q in prepared.questions]
    p50s, p95s = [], []
    for run in range(args.runs):
        sample = random.Random(run).sample(questions, min(args.questions, len(questions)))
        times = []
        for question in sample:
            t0 = time.perf_counter()
            service.ask(question)
            times.append((time.perf_counter() - t0) * 1000)
        p50s.append(percentile(times, 0.50))
        p95s.append(percentile(times, 0.95))
        print(f"run {run + 1}: ask p50 {p50s[-1]:.0f} ms, p95 {p95s[-1]:.0f} ms ({len(sample)} questions, "
              f"embedding: {getattr(embedder, 'runtime', '?')})")  # fmt: skip
    print(f"median of {args.runs} runs: ask p50 {statistics.median(p50s):.0f} ms, p95 {statistics.median(p95s):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

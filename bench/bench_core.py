"""Ingest throughput and offline `ask` latency on a ~10k-chunk synthetic corpus.

    .venv/bin/python bench/bench_core.py [--articles 1700] [--questions 100]

Prints chunks/s for the ingest and p50/p95 of warm `ask` (offline answer) in milliseconds."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import COUNTRIES, SECTORS, write_corpus  # noqa: E402
from briefbot.factory import build_service  # noqa: E402
from briefbot.settings import Settings  # noqa: E402

QUESTION_FORMS = [
    "What did {a} and {b} agree on {s}?",
    "Who met to discuss {s}?",
    "When was the last visit between {a} and {b}?",
    "Which agreements on {s} are to be finalised?",
    "What is planned for {s} corridors?",
]


def warm_up(embedder) -> None:
    """Load the model and make both of auto's paths (one text; a batch) build their kernels."""
    from retrieval.index.embedder import TORCH_MIN_TEXTS

    embedder.embed(["warm up"])
    embedder.embed([f"warm up sentence {i}" for i in range(TORCH_MIN_TEXTS)])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1700, help="~6 chunks each")
    ap.add_argument("--questions", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", args.articles)
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data", sources_dir=corpus)
        service = build_service(settings, ingest_if_empty=False)
        warm_up(service.retriever.embedder)  # model load is not ingest time
        report = service.ingest([corpus], progress=False)
        rate = report.chunks_added / report.seconds
        rng = random.Random(3)
        questions = [
            rng.choice(QUESTION_FORMS).format(a=rng.choice(COUNTRIES), b=rng.choice(COUNTRIES), s=rng.choice(SECTORS))
            for _ in range(args.questions)
        ]
        service.ask(questions[0])  # warm: lexical index built, caches hot
        latencies = []
        parts: dict[str, list[float]] = {}
        for q in questions:
            t = time.perf_counter()
            answer = service.ask(q)
            latencies.append((time.perf_counter() - t) * 1000)
            for name, ms in answer.timings_ms.items():
                parts.setdefault(name, []).append(ms)
    print(f"command: {' '.join(['python', *sys.argv])}")
    print(f"embedding: {service.retriever.embedder.runtime}")
    print(
        f"ingest: {report.chunks_added} chunks from {report.files_indexed} files in {report.seconds:.1f}s "
        f"= {rate:.0f} chunks/s (target >= 100)"
    )
    print(
        f"ask (offline, warm, {len(latencies)} questions): p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {percentile(latencies, 0.95):.0f} ms (target p95 < 300 ms)"
    )
    print(
        "  by stage: "
        + ", ".join(
            f"{name} p50 {statistics.median(v):.0f} / p95 {percentile(v, 0.95):.0f} ms" for name, v in parts.items()
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

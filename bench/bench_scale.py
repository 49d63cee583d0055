"""Ingest throughput and query latency at several store sizes, embedded vs Chroma server,
with the bare Chroma query (a precomputed vector, no embedding, no fusion) as the floor.

    .venv/bin/python bench/bench_scale.py [--sizes 1000 10000 100000] [--modes embedded server]
        [--keep DIR] [--random-vectors]

Sizes are in chunks (a synthetic article gives ~6). Prints one table row per size and mode.
--keep DIR keeps the corpora and stores there, and a second run reuses them (an unchanged corpus
re-ingests nothing). --random-vectors stores random unit vectors instead of running the model (a
100k store in minutes instead of ~15 min of embedding): what an ask costs in search, fusion and
scoring does not depend on what the vectors mean, but its answers do; no ingest rate then."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_core import QUESTION_FORMS, percentile, warm_up  # noqa: E402
from bench.corpus import COUNTRIES, SECTORS, write_corpus  # noqa: E402
from briefbot.factory import build_service  # noqa: E402
from briefbot.settings import Settings  # noqa: E402
from retrieval.index.embedder import MiniLMEmbedder  # noqa: E402
from tests.chroma_server import running_chroma  # noqa: E402

CHUNKS_PER_ARTICLE = 6


class RandomVectors:
    """Stands in for the model at ingest only (--random-vectors): unit vectors from a fixed seed."""

    def __init__(self, embedder) -> None:
        self.name, self.dimension = embedder.name, embedder.dimension
        self._rng = np.random.default_rng(0)

    def embed(self, texts):
        v = self._rng.normal(size=(len(texts), self.dimension)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def measure(settings: Settings, corpus: Path, embedder, questions: list[str], random_vectors: bool = False) -> dict:
    service = build_service(settings, embedder=embedder, ingest_if_empty=False)
    if random_vectors:
        service.ingestor.embedder = RandomVectors(embedder)
    report = service.ingest([corpus], progress=True)
    service = build_service(settings, embedder=embedder, ingest_if_empty=False)  # a fresh reader
    service.ask(questions[0])  # warm
    ask_ms, bare_ms = [], []
    vectors = embedder.embed(questions)
    for q, v in zip(questions, vectors):
        t = time.perf_counter()
        service.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        service.store.query(v, 30)
        bare_ms.append((time.perf_counter() - t) * 1000)
    return {
        "chunks": report.chunks_total,
        "ingest_cps": report.chunks_added / report.seconds
        if report.chunks_added and not random_vectors
        else float("nan"),
        "ask_p50": statistics.median(ask_ms),
        "ask_p95": percentile(ask_ms, 0.95),
        "bare_p50": statistics.median(bare_ms),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--modes", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    ap.add_argument("--questions", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="keep corpora and stores here; reused by the next run")
    ap.add_argument("--random-vectors", action="store_true", help="store random vectors instead of embedding")
    args = ap.parse_args()
    embedder = MiniLMEmbedder()
    warm_up(embedder)
    rng = random.Random(5)
    questions = [
        rng.choice(QUESTION_FORMS).format(a=rng.choice(COUNTRIES), b=rng.choice(COUNTRIES), s=rng.choice(SECTORS))
        for _ in range(args.questions)
    ]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        kind = "-random" if args.random_vectors else ""
        for size in args.sizes:
            corpus = Path(tmp) / f"corpus-{size}"
            if not corpus.exists():
                write_corpus(corpus, max(1, size // CHUNKS_PER_ARTICLE))
            for mode in args.modes:
                data = Path(tmp) / f"data-{size}-{mode}{kind}"
                data.mkdir(parents=True, exist_ok=True)
                if mode == "embedded":
                    settings = Settings(_env_file=None, data_dir=data)
                    rows.append((size, mode, measure(settings, corpus, embedder, questions, args.random_vectors)))
                else:
                    with running_chroma(data / "server-db") as (host, port):
                        settings = Settings(_env_file=None, data_dir=data, chroma_host=host, chroma_port=port)
                        rows.append((size, mode, measure(settings, corpus, embedder, questions, args.random_vectors)))
                print(_row(*rows[-1]), flush=True)
    print(f"\ncommand: python {' '.join(sys.argv)}")
    print(f"embedding: {embedder.runtime}")
    print(
        f"{'target':>8} {'mode':>9} {'chunks':>7} {'ingest/s':>9} {'ask p50':>8} {'ask p95':>8} {'bare p50':>9} {'ask/bare':>9}"
    )
    for row in rows:
        print(_row(*row))
    return 0


def _row(size: int, mode: str, m: dict) -> str:
    ratio = m["ask_p50"] / m["bare_p50"] if m["bare_p50"] else float("nan")
    return (
        f"{size:>8} {mode:>9} {m['chunks']:>7} {m['ingest_cps']:>9.0f} {m['ask_p50']:>7.0f}ms "
        f"{m['ask_p95']:>7.0f}ms {m['bare_p50']:>8.1f}ms {ratio:>8.1f}x"
    )


if __name__ == "__main__":
    sys.exit(main())

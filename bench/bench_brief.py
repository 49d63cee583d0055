"""Brief generation time on the seed articles, and on a ~10k-chunk store (seeds + synthetic corpus).

.venv/bin/python bench/bench_brief.py [--articles 1700] [--runs 10]"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_core import percentile  # noqa: E402
from bench.corpus import write_corpus  # noqa: E402
from briefbot.factory import build_service  # noqa: E402
from briefbot.settings import PROJECT_ROOT, Settings  # noqa: E402
from retrieval.index.embedder import MiniLMEmbedder  # noqa: E402

TOPICS = ["President Tokayev's visit to Pakistan", "Pakistan Kazakhstan action plan", "Kazakhstan connectivity"]


def time_briefs(service, runs: int) -> list[float]:
    service.brief(TOPICS[0])  # warm
    out = []
    for i in range(runs):
        t = time.perf_counter()
        service.brief(TOPICS[i % len(TOPICS)])
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1700, help="synthetic articles (~6 chunks each)")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    embedder = MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        seeds = build_service(Settings(_env_file=None, data_dir=Path(tmp) / "seeds"), embedder=embedder)
        small = time_briefs(seeds, args.runs)
        corpus = write_corpus(Path(tmp) / "corpus", args.articles)
        for f in (PROJECT_ROOT / "sources").glob("*.txt"):
            shutil.copy(f, corpus / f.name)
        big = build_service(Settings(_env_file=None, data_dir=Path(tmp) / "big", sources_dir=corpus), embedder=embedder)
        large = time_briefs(big, args.runs)
        chunks = big.store.count()
    print(f"command: python {' '.join(sys.argv)}")
    print(
        f"brief on the seeds (16 chunks): p50 {statistics.median(small):.0f} ms, p95 {percentile(small, 0.95):.0f} ms"
    )
    print(f"brief on {chunks} chunks: p50 {statistics.median(large):.0f} ms, p95 {percentile(large, 0.95):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

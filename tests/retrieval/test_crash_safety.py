"""kill -9 in the middle of an ingest, then a re-run: exactly the chunks of a clean ingest."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from bench.corpus import write_corpus
from briefbot.factory import build_service
from retrieval.chunking import chunk_document
from retrieval.loaders import iter_source_files, load_document
from tests.conftest import make_settings


def expected_ids(folder) -> set[str]:
    ids = set()
    for path, root in iter_source_files([folder]):
        doc = load_document(path, root)
        ids |= {c.chunk_id for c in chunk_document(doc.meta, doc.text)}
    return ids


def _ingest_and_kill(env: dict, corpus, delay: float) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefbot.cli", "ingest", str(corpus), "--no-progress"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    first_write = threading.Event()

    def watch():
        for line in proc.stderr:
            if "stored" in line:
                first_write.set()

    threading.Thread(target=watch, daemon=True).start()
    assert first_write.wait(120), "the ingest never wrote a batch"
    time.sleep(delay)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)


@pytest.mark.slow
def test_kill_minus_nine_mid_ingest_then_rerun_gives_clean_counts(tmp_path, embedder):
    corpus = write_corpus(tmp_path / "corpus", 200)
    want = expected_ids(corpus)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(BRIEFBOT_DATA_DIR=str(data), BRIEFBOT_LOG_LEVEL="DEBUG", BRIEFBOT_SOURCES_DIR=str(corpus))
    rng = random.Random(int(os.environ.get("KILL_SEED", "0")) or None)
    _ingest_and_kill(env, corpus, rng.uniform(0.0, 1.5))

    # the store reopens, and a re-run repairs whatever the kill left half-done
    service = build_service(make_settings(data, corpus), embedder=embedder, ingest_if_empty=False)
    partial = service.store.count()
    assert 0 < partial < len(want)
    report = service.ingestor.ingest([corpus])
    got = {cid for ids in service.store.ids_by_source().values() for cid in ids}
    assert got == want
    assert report.chunks_total == len(want) == service.store.count()
    assert service.ask("Which agreements on trade are to be finalised?").sources


def _store_count_in_subprocess(env: dict) -> int:
    """Open the store in a child process, so a store that a crash broke cannot take the tests down."""
    code = (
        "from briefbot.settings import Settings; from briefbot.factory import chroma_client; "
        "s = Settings(); c = chroma_client(s); "
        "print(c.get_or_create_collection(s.collection).count())"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the store did not reopen: {result.stderr[-2000:]}"
    return int(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_twenty_random_kills_then_a_rerun_gives_exactly_the_clean_chunk_set(tmp_path, embedder):
    corpus = write_corpus(tmp_path / "corpus", 300, seed=11)
    want = expected_ids(corpus)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(BRIEFBOT_DATA_DIR=str(data), BRIEFBOT_SOURCES_DIR=str(corpus))
    rng = random.Random(int(os.environ.get("KILL_SEED", "0")) or None)
    counts = []
    for _ in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-m", "briefbot.cli", "ingest", str(corpus), "--no-progress"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(2.0, 7.0))  # model load, store open, mid-batch, between batches...
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        counts.append(_store_count_in_subprocess(env))
        assert counts[-1] <= len(want) + 256  # at most one batch of stale ids awaiting deletion
    service = build_service(make_settings(data, corpus), embedder=embedder, ingest_if_empty=False)
    service.ingestor.ingest([corpus])
    got = {cid for ids in service.store.ids_by_source().values() for cid in ids}
    assert got == want, f"missing {len(want - got)}, extra {len(got - want)} after kills at counts {counts}"
    assert service.store.count() == len(want)

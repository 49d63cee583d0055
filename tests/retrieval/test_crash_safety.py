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
from retrieval.sources.loaders import iter_source_files, load_document
from retrieval.text.chunking import chunk_document
from tests.conftest import make_settings


def expected_ids(folder) -> set[str]:
    ids = set()
    for path, root in iter_source_files([folder]):
        doc = load_document(path, root)
        ids |= {c.chunk_id for c in chunk_document(doc.meta, doc.text)}
    return ids


# Fixed by default, so every run kills at the same points; KILL_SEED=N explores others.
KILL_SEED = int(os.environ.get("KILL_SEED") or 20251127)


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
def test_kill_minus_nine_mid_ingest_then_rerun_gives_clean_counts(tmp_path, embedder, model_cache_dir):
    corpus = write_corpus(tmp_path / "corpus", 200)
    want = expected_ids(corpus)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(
        BRIEFBOT_DATA_DIR=str(data), BRIEFBOT_LOG_LEVEL="DEBUG", BRIEFBOT_SOURCES_DIR=str(corpus),
        BRIEFBOT_MODEL_CACHE_DIR=str(model_cache_dir),
    )  # fmt: skip
    rng = random.Random(KILL_SEED)
    _ingest_and_kill(env, corpus, rng.uniform(0.0, 1.5))

    # the store reopens, and a re-run repairs whatever the kill left half-done
    service = build_service(make_settings(data, corpus), embedder=embedder, ingest_if_empty=False)
    partial = service.count()
    assert 0 < partial < len(want)
    report = service.ingest([corpus])
    got = {cid for ids in service.store.ids_by_source().values() for cid in ids}
    assert got == want
    assert report.chunks_total == len(want) == service.count()
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


class _WatchedIngest:
    """`briefbot ingest` in a subprocess, with the moments its DEBUG log says the model is loaded
    and a batch is stored, so a kill can be aimed at a stage instead of at a wall-clock time."""

    def __init__(self, env: dict, corpus) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "briefbot.cli", "ingest", str(corpus), "--no-progress"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.loaded: float | None = None  # seconds after the start
        self.stored: list[float] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        for line in self.proc.stderr:
            with self._changed:
                if "retrieval.index.embedder: loaded" in line:
                    self.loaded = time.monotonic() - self.started
                elif "retrieval.ingest: stored" in line:
                    self.stored.append(time.monotonic() - self.started)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait(self, ready, timeout: float = 180) -> float:
        """Seconds after the start when ready() first held; fails if the ingest ended first."""
        with self._changed:
            assert self._changed.wait_for(lambda: ready() or self.proc.poll() is not None, timeout), "no progress"
            assert ready(), "the ingest finished before it could be killed"
            return time.monotonic() - self.started

    def kill_at(self, seconds_after_start: float) -> str:
        """kill -9 at that moment; returns the stage the ingest was in."""
        time.sleep(max(0.0, seconds_after_start - (time.monotonic() - self.started)))
        with self._changed:
            stage = "start-up" if self.loaded is None else "first batch" if not self.stored else "after a write"
            assert self.proc.poll() is None, "the ingest finished before it could be killed"
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        return stage


# Where each kill is aimed; the first also times the stages (start-up: process start to model
# loaded, which covers imports, store open, write lock, reading and chunking files; a batch:
# chunking, embedding and writing 256 chunks) for the others, aimed at a seeded random point within.
KILLS = [
    "right after a write", "start-up", "first batch", "second batch", "start-up",
    "first batch", "right after a write", "second batch", "first batch", "start-up",
]  # fmt: skip


@pytest.mark.slow
def test_kills_at_every_stage_then_a_rerun_gives_exactly_the_clean_chunk_set(tmp_path, embedder, model_cache_dir):
    corpus = write_corpus(tmp_path / "corpus", 400, seed=11)  # ~9 batches: more than the kills can write
    want = expected_ids(corpus)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(
        BRIEFBOT_DATA_DIR=str(data), BRIEFBOT_SOURCES_DIR=str(corpus), BRIEFBOT_LOG_LEVEL="DEBUG",
        BRIEFBOT_MODEL_CACHE_DIR=str(model_cache_dir),
    )  # fmt: skip
    rng = random.Random(KILL_SEED)
    startup = batch = None
    counts, stages = [], []
    for aim in KILLS:
        ingest = _WatchedIngest(env, corpus)
        share = rng.uniform(0.1, 0.9)
        if aim == "right after a write":
            at = ingest.wait(lambda: ingest.stored)
            if startup is None:
                startup, batch = ingest.loaded, ingest.stored[0] - ingest.loaded
        elif aim == "start-up":
            at = share * startup
        elif aim == "first batch":
            at = ingest.wait(lambda: ingest.loaded is not None) + share * batch
        else:  # "second batch": past one write, into the next
            at = ingest.wait(lambda: ingest.stored) + share * batch
        stages.append(ingest.kill_at(at))
        counts.append(_store_count_in_subprocess(env))
        assert counts[-1] <= len(want) + 256  # at most one batch of stale ids awaiting deletion
    print(f"killed at stages {stages}; store counts after each kill {counts} of {len(want)}")
    # every stage was hit, whatever the speed of this machine
    assert {"start-up", "first batch", "after a write"} <= set(stages), stages
    assert counts[-1] < len(want), "the kills left nothing for the re-run to do"
    service = build_service(make_settings(data, corpus), embedder=embedder, ingest_if_empty=False)
    service.ingest([corpus])
    got = {cid for ids in service.store.ids_by_source().values() for cid in ids}
    assert got == want, f"missing {len(want - got)}, extra {len(got - want)} after kills at {stages}, counts {counts}"
    assert service.count() == len(want)

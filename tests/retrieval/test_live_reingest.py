"""Readers survive writers: a service answers questions in a loop while another process runs
`briefbot ingest` on the same embedded store (an edit, a prune, a rebuild, a refused rebuild).
Not one question may fail, and afterwards the service sees exactly what the store holds."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from briefbot.factory import build_service
from retrieval.index.lock import write_lock
from retrieval.types import SearchFilters
from tests.conftest import PROJECT_ROOT, make_settings

EDITED = "002_7fc1add390062dda.txt"
REMOVED = "000_69c16f647ae5ebe9.txt"
NEW_FACT = "The zebra council of both countries met in Quetta on Friday to plan a camel caravan."
QUESTIONS = [
    ("Who signed the action plan?", None),
    ("What was agreed on connectivity?", None),
    ("What about trade?", SearchFilters(since="2025-01-01")),
    ("Where did the zebra council meet?", None),
]


class AskLoop:
    """Questions (and the sources listing) asked back to back in two threads, failures kept."""

    def __init__(self, service) -> None:
        self.service = service
        self.failures: list[str] = []
        self.answered = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(2)]

    def _run(self, offset: int) -> None:
        i = offset
        while not self._stop.is_set():
            question, filters = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            try:
                answer = self.service.ask(question, filters=filters)
                assert answer.text
                self.service.sources()
                self.answered += 1
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                self.failures.append(f"{question}: {type(exc).__name__}: {exc}"[:300])

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(60)


def briefbot(args, data, sources):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(BRIEFBOT_DATA_DIR=str(data), BRIEFBOT_SOURCES_DIR=str(sources))
    return subprocess.run(
        [sys.executable, "-m", "briefbot.cli", *args, *(["--no-progress"] if args[0] == "ingest" else [])],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def assert_reader_matches_store(service, embedder) -> None:
    """The service's lexical index and dense search hold what the store holds, nothing else."""
    stored = {cid for ids in service.store.ids_by_source().values() for cid in ids}
    lexical = service.retriever.lexical()
    assert {p.chunk_id for p in lexical.passages} == stored
    vector = embedder.embed(["Who signed the action plan? The zebra council met in Quetta."])[0]
    dense = {p.chunk_id for p in service.store.query(vector, len(stored) + 10)}
    assert dense == stored  # no deleted chunk comes back, every new one is found


@pytest.fixture
def live(tmp_path, seed_copy, embedder):
    """(service over the seeds in tmp_path/data, its data folder); the seeds are ingested."""
    data = tmp_path / "data"
    service = build_service(make_settings(data, seed_copy), embedder=embedder)
    assert service.ask("Who signed the action plan?").sources
    return service, data


def _finish(loop: AskLoop) -> None:
    assert loop.failures == [], (
        f"{len(loop.failures)} of {loop.answered + len(loop.failures)} failed: {loop.failures[:3]}"
    )
    assert loop.answered > 10


@pytest.mark.slow
def test_an_edit_and_a_prune_by_another_process_never_fail_a_question(live, tmp_path, seed_copy, embedder):
    service, data = live
    with AskLoop(service) as loop:
        # an edit: new chunks written, stale ones deleted (D1)
        target = seed_copy / EDITED
        target.write_text(target.read_text().replace(" the ", " a ") + f"\n\n{NEW_FACT}\n")
        result = briefbot(["ingest", "--prune"], data, seed_copy)
        assert result.returncode == 0, result.stderr[-2000:]
        time.sleep(1.0)
        assert_reader_matches_store(service, embedder)
        zebra = service.ask("Where did the zebra council meet?")
        assert any(s.source_id == EDITED for s in zebra.sources) and "Quetta" in zebra.text

        # a prune: a whole article's chunks deleted
        (seed_copy / REMOVED).rename(tmp_path / REMOVED)
        result = briefbot(["ingest", "--prune"], data, seed_copy)
        assert result.returncode == 0, result.stderr[-2000:]
        time.sleep(1.0)
        assert_reader_matches_store(service, embedder)
        assert REMOVED not in {s.meta.source_id for s in service.sources()}
    _finish(loop)


@pytest.mark.slow
def test_a_rebuild_by_another_process_never_fails_a_question(live, seed_copy, embedder):
    service, data = live
    with AskLoop(service) as loop:
        (seed_copy / REMOVED).unlink()  # so the rebuilt collection differs: one article only
        before = service.store.generation().split(":")[0]
        result = briefbot(["ingest", "--rebuild"], data, seed_copy)
        assert result.returncode == 0, result.stderr[-2000:]
        time.sleep(1.0)
        assert service.store.generation().split(":")[0] != before  # another collection now
        assert_reader_matches_store(service, embedder)
        assert {s.meta.source_id for s in service.sources()} == {EDITED}
    _finish(loop)


def test_a_rebuild_during_another_ingest_is_refused_before_it_touches_anything(live, seed_copy):
    service, data = live
    generation = service.store.generation()
    with write_lock(service.ingestor.lock_path):
        result = briefbot(["ingest", "--rebuild"], data, seed_copy)
    assert result.returncode == 1 and "Another ingest" in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert service.store.generation() == generation  # same collection, same chunks
    assert service.ask("Who signed the action plan?").sources


@pytest.mark.slow
def test_a_rebuild_replaces_a_store_built_with_another_model(tmp_path, seed_copy):
    from retrieval.index.store import ChunkStore, embedded_client

    data = tmp_path / "data"
    ChunkStore(embedded_client(data / "chroma"), "briefbot", "some-other-model")
    refused = briefbot(["ingest"], data, seed_copy)
    assert refused.returncode == 1 and "ingest --rebuild" in refused.stderr
    result = briefbot(["ingest", "--rebuild"], data, seed_copy)
    assert result.returncode == 0, result.stderr[-2000:]
    listing = briefbot(["sources"], data, seed_copy)  # opens the store with the configured model
    assert listing.returncode == 0 and REMOVED in listing.stdout and EDITED in listing.stdout

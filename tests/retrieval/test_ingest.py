"""Ingest over real embedded Chroma: idempotence, edits, pruning, bad input, locking, model checks."""

from __future__ import annotations

import pytest

from briefbot.errors import EmbeddingModelMismatch, StoreBusy
from briefbot.factory import build_service
from retrieval.index.lock import write_lock
from retrieval.index.store import ChunkStore, embedded_client
from tests.conftest import make_settings


@pytest.fixture
def service(tmp_path, seed_copy, embedder):
    return build_service(make_settings(tmp_path / "data", seed_copy), embedder=embedder, ingest_if_empty=False)


def _ids(service) -> set[str]:
    return {cid for ids in service.store.ids_by_source().values() for cid in ids}


def test_reingest_changes_nothing(service, seed_copy):
    first = service.ingest([seed_copy])
    assert first.files_indexed == 2 and first.chunks_added == first.chunks_total > 0
    before = _ids(service)
    again = service.ingest([seed_copy])
    assert (again.chunks_added, again.chunks_removed, again.files_unchanged) == (0, 0, 2)
    assert _ids(service) == before


def test_edited_file_replaces_its_chunks_and_prune_drops_gone_files(service, seed_copy):
    service.ingest([seed_copy])
    target = seed_copy / "002_7fc1add390062dda.txt"
    old = service.store.ids_by_source()["002_7fc1add390062dda.txt"]
    target.write_text(target.read_text() + "\n\nThe two sides also agreed to open a direct cargo flight.\n")
    report = service.ingest([seed_copy])
    new = service.store.ids_by_source()["002_7fc1add390062dda.txt"]
    assert report.files_indexed == 1 and report.chunks_removed >= 1
    assert new != old and len(new) >= len(old)
    assert service.ask("Is there a direct cargo flight?").sources

    (seed_copy / "000_69c16f647ae5ebe9.txt").unlink()
    kept = service.ingest([seed_copy])  # without --prune, chunks of gone files stay
    assert "000_69c16f647ae5ebe9.txt" in service.store.ids_by_source() and kept.chunks_removed == 0
    service.ingest([seed_copy], prune=True)
    assert set(service.store.ids_by_source()) == {"002_7fc1add390062dda.txt"}


def test_bad_files_warn_by_name_and_the_rest_is_indexed(service, seed_copy):
    (seed_copy / "empty.txt").write_text("")
    (seed_copy / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 200)
    (seed_copy / "latin1.txt").write_bytes(
        "Caf\xe9 talks in Islamabad covered the r\xe9sum\xe9 of trade deals signed on Monday.".encode("latin-1")
    )
    warnings: list[str] = []
    report = service.ingest([seed_copy, seed_copy / "missing.txt"], warn=warnings.append)
    text = "\n".join(warnings)
    for name in ("empty.txt", "binary.txt", "missing.txt"):
        assert name in text
    assert all("\n" not in w for w in warnings)
    assert {"000_69c16f647ae5ebe9.txt", "002_7fc1add390062dda.txt", "latin1.txt"} <= set(service.store.ids_by_source())
    assert report.files_skipped >= 2


def test_second_writer_is_refused_at_once(service, seed_copy):
    with write_lock(service.ingestor.lock_path):
        with pytest.raises(StoreBusy, match="Another ingest"):
            service.ingest([seed_copy])


def test_store_built_with_another_model_asks_for_reingest(tmp_path):
    client = embedded_client(tmp_path / "chroma")
    ChunkStore(client, "briefbot", "model-a")
    with pytest.raises(EmbeddingModelMismatch, match="ingest --rebuild"):
        ChunkStore(client, "briefbot", "model-b")


@pytest.mark.slow  # writes and deletes ~6,000 chunks
def test_batches_larger_than_the_clients_limit_are_split(tmp_path):
    import numpy as np

    from retrieval.types import Chunk, DocumentMeta

    client = embedded_client(tmp_path / "chroma")
    store = ChunkStore(client, "briefbot", "model-a")
    limit = client.get_max_batch_size()
    meta = DocumentMeta(source_id="big.txt")
    n = limit + 500
    chunks = [Chunk(f"id{i}", f"text {i}", meta, i, i, i + 1, "h", ((i, i + 1),)) for i in range(n)]
    vectors = np.random.default_rng(0).normal(size=(n, 8)).astype("float32")
    store.add(chunks, vectors, [v[None, :] for v in vectors])
    assert store.count() == n
    store.delete([c.chunk_id for c in chunks])
    assert store.count() == 0


def test_questions_are_answered_while_an_ingest_holds_the_lock(service, seed_copy):
    service.ingest([seed_copy])
    with write_lock(service.ingestor.lock_path):
        assert service.ask("Who signed the action plan?").sources


def test_an_edit_embeds_only_the_sentences_it_changed(service, seed_copy, embedder):
    """A sentence added to a paragraph gives its chunks new ids, but the sentences the article kept
    keep their stored vectors: only the new sentence is embedded, and the answers see it."""
    import numpy as np

    from retrieval.index.embedder import chunk_vector

    first = service.ingest([seed_copy])
    assert first.sentences_embedded > 20 and first.sentences_reused == 0
    name = "002_7fc1add390062dda.txt"
    target = seed_copy / name
    lines = target.read_text().split("\n")
    new_sentence = "The zebra council of both countries met in Quetta on Friday."
    body = next(i for i, line in enumerate(lines) if len(line) > 200)  # the first paragraph of text
    lines[body] = f"{new_sentence} {lines[body]}"
    target.write_text("\n".join(lines))

    report = service.ingest([seed_copy])
    assert report.files_indexed == 1 and report.chunks_removed >= 1
    assert report.chunks_added >= 1
    assert report.sentences_embedded == 1  # the new sentence; its chunk's other sentences are reused
    assert report.sentences_reused >= 2
    answer = service.ask("Where did the zebra council meet?")
    assert "Quetta" in answer.text
    # the stored vectors are the ones a fresh embedding gives
    for p in service.store.passages(service.store.ids_by_source()[name]):
        texts = [" ".join(p.text[s - p.start : e - p.start].split()) for s, e in p.sentences]
        fresh = embedder.embed(texts)
        assert np.min(np.sum(fresh * p.sentence_vectors, axis=1)) > 0.9999
        assert float(chunk_vector(fresh) @ chunk_vector(p.sentence_vectors)) > 0.9999


def test_the_vector_index_is_saved_often_so_a_new_process_opens_it_fast(tmp_path, seed_copy, embedder):
    """Chroma replays the writes its vector index has not saved yet when a process opens the
    collection (~0.4 CPU-s at 10k chunks with its default of 1,000): briefbot's collections, and
    older ones from their next ingest on, are saved every HNSW_SYNC_THRESHOLD writes."""
    from retrieval.index.store import HNSW_SYNC_THRESHOLD

    client = embedded_client(tmp_path / "data" / "chroma")
    client.get_or_create_collection("briefbot", metadata={"embedding_model": embedder.name, "generation": "0"},
                                    configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)  # fmt: skip
    assert client.get_collection("briefbot").configuration["hnsw"]["sync_threshold"] == 1000  # Chroma's default
    service = build_service(make_settings(tmp_path / "data", seed_copy), embedder=embedder)
    assert service.count() > 0
    assert client.get_collection("briefbot").configuration["hnsw"]["sync_threshold"] == HNSW_SYNC_THRESHOLD
    fresh = ChunkStore(embedded_client(tmp_path / "other"), "briefbot", embedder.name)
    assert fresh.client.get_collection("briefbot").configuration["hnsw"]["sync_threshold"] == HNSW_SYNC_THRESHOLD

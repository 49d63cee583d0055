"""The same code against a real Chroma server (`chroma run` on 127.0.0.1): ingest, ask, brief."""

from __future__ import annotations

import pytest

from briefbot.factory import build_service
from tests.chroma_server import running_chroma
from tests.conftest import make_settings

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    with running_chroma(tmp_path_factory.mktemp("chroma-server") / "db") as address:
        yield address


def test_ingest_ask_and_brief_through_the_server(chroma, tmp_path, seed_copy, embedder):
    host, port = chroma
    settings = make_settings(tmp_path / "data", seed_copy, chroma_host=host, chroma_port=port)
    service = build_service(settings, embedder=embedder)  # ingests on first use, over HTTP
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded on local disk
    first = service.store.count()
    assert first > 0

    answer = service.ask("Who signed the action plan?")
    assert "Nurtleu" in answer.text and answer.sources
    assert service.ask("Who won the football world cup in 2022?").refused
    brief = service.brief("President Tokayev's visit to Pakistan")
    assert brief.section("timeline").items and brief.sources

    # a second process's view (another client) sees the same store; re-ingest changes nothing
    other = build_service(settings, embedder=embedder, ingest_if_empty=False)
    assert other.store.count() == first
    report = other.ingestor.ingest([seed_copy])
    assert (report.chunks_added, report.chunks_removed) == (0, 0)


def test_writes_from_one_client_reach_the_other_clients_lexical_index(chroma, tmp_path, seed_copy, embedder):
    host, port = chroma
    settings = make_settings(tmp_path / "d", seed_copy, chroma_host=host, chroma_port=port, collection="shared-two")
    reader = build_service(settings, embedder=embedder)
    assert reader.ask("What is the Zorblat accord?").refused
    writer = build_service(settings, embedder=embedder, ingest_if_empty=False)
    (seed_copy / "zorblat.txt").write_text(
        "Zorblat accord signed\n\nThe Zorblat accord on river water sharing was signed by both ministers in Astana.\n"
    )
    writer.ingestor.ingest([seed_copy])
    answer = reader.ask("What is the Zorblat accord?")
    assert not answer.refused and "Zorblat" in answer.text

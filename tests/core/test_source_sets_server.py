"""Source sets through a real Chroma server (`chroma run` on 127.0.0.1): the set filter is part of
the query the server runs, and a second client (another replica) obeys it the same way."""

from __future__ import annotations

import shutil

import pytest

from briefbot.factory import build_service
from tests.chroma_server import running_chroma
from tests.conftest import SEEDS, make_settings
from tests.core.test_source_sets import BOTH, CABLE, CABLES, PUBLIC, SWAP, answer_text, leaks

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    with running_chroma(tmp_path_factory.mktemp("chroma-sets") / "db") as address:
        yield address


def test_sets_are_enforced_by_the_server_query(chroma, tmp_path, embedder):
    host, port = chroma
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    shutil.copytree(CABLES, sources / "set-cables")
    settings = make_settings(tmp_path / "data", sources, chroma_host=host, chroma_port=port, collection="sets")
    service = build_service(settings, embedder=embedder)  # ingests over HTTP
    replica = build_service(settings, embedder=embedder, ingest_if_empty=False)

    for svc in (service, replica):
        public = svc.ask(SWAP, sets=PUBLIC)
        assert public.refused and not leaks(answer_text(public))
        brief = svc.brief("Kazakhstan lithium swap", sets=PUBLIC)
        assert not leaks(brief.to_markdown())
        assert CABLE not in {s.meta.source_id for s in svc.sources(sets=PUBLIC)}
        both = svc.ask(SWAP, sets=BOTH)
        assert "Kestrelwind" in both.text and both.sources[0].source_id == CABLE

    # the dense half on its own: the server returns no restricted chunk for a public filter
    vector = embedder.embed([SWAP])[0]
    unfiltered = service.store.query(vector, 30)
    filtered = service.store.query(vector, 30, {"source_set": {"$in": ["public"]}})
    assert CABLE in {p.meta.source_id for p in unfiltered}
    assert filtered and all(p.meta.source_set == "public" for p in filtered)

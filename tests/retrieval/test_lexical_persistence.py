"""The lexical index is kept on disk beside the store, per store generation: a new process answers
from it without re-reading the store, follows another process's changes (deletes included), and
rebuilds a missing or damaged copy."""

from __future__ import annotations

import numpy as np

from briefbot.factory import build_service
from retrieval.index.lexical import LexicalIndex
from tests.conftest import make_settings

EDITED = "002_7fc1add390062dda.txt"
REMOVED = "000_69c16f647ae5ebe9.txt"
QUERIES = ["Who signed the action plan?", "connectivity railway Termez", "trade volume between the two countries"]


def _same(loaded: LexicalIndex, built: LexicalIndex) -> None:
    """Same chunks, same BM25 scores and term weights, same stored sentence vectors."""
    assert [p.chunk_id for p in loaded.passages] == [p.chunk_id for p in built.passages]
    for q in QUERIES:
        assert np.array_equal(loaded.scores(q), built.scores(q))
    for term in ("agre", "action", "kazakhstan", "zebra", "it_"):
        assert loaded.idf(term) == built.idf(term) and loaded.known(term) == built.known(term)
    assert loaded.outlets == built.outlets and loaded.position == built.position
    assert loaded.metas == built.metas == [p.meta for p in built.passages]
    for i, (a, b) in enumerate(zip(loaded.passages, built.passages)):
        assert (a.text, a.meta, a.position, a.start, a.end, list(a.sentences)) == (
            b.text, b.meta, b.position, b.start, b.end, list(b.sentences))  # fmt: skip
        assert np.array_equal(loaded.sentence_vectors(i), built.sentence_vectors(i))


def test_a_new_process_loads_the_index_ingest_wrote(tmp_path, seed_copy, embedder):
    settings = make_settings(tmp_path / "data", seed_copy)
    writer = build_service(settings, embedder=embedder)  # ingests the seeds: writes the index
    assert any((tmp_path / "data" / "lexical").rglob("format.json"))

    reader = build_service(settings, embedder=embedder, ingest_if_empty=False)
    answer = reader.ask("Who signed the action plan?")
    assert answer.sources and not answer.refused
    assert reader.retriever.lexical_origin == "loaded"
    # what was loaded is what a rebuild from the store gives, down to the stored vectors
    built = LexicalIndex(writer.store.all_passages())
    _same(reader.retriever.lexical(), built)
    stored = {p.chunk_id: p for p in writer.store.all_passages()}
    for i, p in enumerate(reader.retriever.lexical().passages):
        assert np.array_equal(reader.retriever.lexical().sentence_vectors(i), stored[p.chunk_id].sentence_vectors)
    # and the answer is the one an index built in memory gives
    assert reader.ask("What was agreed on connectivity?").text == writer.ask("What was agreed on connectivity?").text


def test_a_reader_follows_another_writers_edit_and_delete(tmp_path, seed_copy, embedder):
    settings = make_settings(tmp_path / "data", seed_copy)
    writer = build_service(settings, embedder=embedder)
    reader = build_service(settings, embedder=embedder, ingest_if_empty=False)
    assert reader.ask("Who signed the action plan?").sources
    before = {p.chunk_id for p in reader.retriever.lexical().passages}

    target = seed_copy / EDITED
    target.write_text(target.read_text() + "\n\nThe zebra council met in Quetta on Friday to plan a camel caravan.\n")
    (seed_copy / REMOVED).unlink()
    writer.ingestor.ingest([seed_copy], prune=True)

    answer = reader.ask("Where did the zebra council meet?")
    assert "Quetta" in answer.text and any(s.source_id == EDITED for s in answer.sources)
    assert reader.retriever.lexical_origin == "loaded"  # the writer's file, not a rebuild
    now = {p.chunk_id for p in reader.retriever.lexical().passages}
    stored = {cid for ids in writer.store.ids_by_source().values() for cid in ids}
    assert now == stored and now != before
    assert REMOVED not in {p.meta.source_id for p in reader.retriever.lexical().passages}


def test_a_missing_or_damaged_index_is_rebuilt_and_written_again(tmp_path, seed_copy, embedder):
    settings = make_settings(tmp_path / "data", seed_copy)
    build_service(settings, embedder=embedder)
    [folder] = [f.parent for f in (tmp_path / "data" / "lexical").rglob("format.json")]

    (folder / "index.json").write_text("{not json")
    reader = build_service(settings, embedder=embedder, ingest_if_empty=False)
    assert reader.ask("Who signed the action plan?").sources
    assert reader.retriever.lexical_origin == "built"
    assert (folder / "format.json").exists()  # written again, whole

    import shutil

    shutil.rmtree(folder)
    again = build_service(settings, embedder=embedder, ingest_if_empty=False)
    assert again.ask("Who signed the action plan?").sources
    assert again.retriever.lexical_origin == "built" and folder.is_dir()
    third = build_service(settings, embedder=embedder, ingest_if_empty=False)
    assert third.ask("Who signed the action plan?").sources and third.retriever.lexical_origin == "loaded"


def test_an_index_over_a_subset_of_passages_searches_only_those(seed_service):
    """Built from any list of passages (e.g. one source set's), and saved/loaded the same."""
    passages = [p for p in seed_service.passages() if p.meta.source_id == EDITED]
    index = LexicalIndex(passages)
    assert index.n_docs == len(passages) > 0
    assert {index.passages[i].meta.source_id for i, _ in index.top(index.scores("action plan signed"), 5)} == {EDITED}
    assert all(index.sentence_vectors(i).dtype == np.float32 for i in range(index.n_docs))


def test_old_generations_are_pruned(tmp_path, seed_copy, embedder):
    settings = make_settings(tmp_path / "data", seed_copy)
    service = build_service(settings, embedder=embedder)
    target = seed_copy / EDITED
    for n in range(3):
        target.write_text(target.read_text() + f"\n\nEdit number {n} added a sentence about falcons.\n")
        service.ingest([seed_copy])
    folders = [f.parent for f in (tmp_path / "data" / "lexical").rglob("format.json")]
    assert len(folders) == 2  # the current generation and the one before it


def test_the_index_on_disk_keeps_each_chunks_set_kind_and_pages(tmp_path):
    """A loaded index must file every chunk under the set it was stored in: a restricted chunk
    read back as public would reach a public channel's search."""
    from retrieval.types import DocumentMeta, Passage

    cable = DocumentMeta("set-cables/cable.txt", title="Kestrelwind", source_set="cables", kind="file", author="desk")
    report = DocumentMeta("report.pdf", title="Joint statement", kind="pdf")
    built = LexicalIndex([
        Passage("c1", "The Kestrelwind swap was agreed in secret.", cable, 0, 0, 42, sentences=[(0, 42)]),
        Passage("r1", "Both sides signed the joint statement on trade.", report, 0, 0, 47, sentences=[(0, 47)],
                pages=[(0, 2)]),
    ])  # fmt: skip
    built.save(tmp_path / "index")
    loaded = LexicalIndex.load(tmp_path / "index")
    assert [m.source_set for m in loaded.metas] == ["cables", "public"]
    assert loaded.metas == [cable, report]
    assert loaded.passages[1].pages == [(0, 2)] and loaded.passages[1].page_at(10) == 2
    assert loaded.passages[0].meta.author == "desk"


def test_a_new_process_keeps_a_restricted_set_out_of_a_public_search(tmp_path, seed_copy, embedder):
    restricted = seed_copy / "set-cables"
    restricted.mkdir()
    (restricted / "cable.txt").write_text(
        "Kestrelwind lithium swap\n\nThe Kestrelwind lithium swap between the two ministries was agreed in a closed "
        "session and will not be announced before the visit.\n", encoding="utf-8",
    )  # fmt: skip
    settings = make_settings(tmp_path / "data", seed_copy)
    build_service(settings, embedder=embedder)  # ingests, writes the index
    reader = build_service(settings, embedder=embedder, ingest_if_empty=False)
    public = reader.ask("What is the Kestrelwind lithium swap?", sets={"public"})
    assert reader.retriever.lexical_origin == "loaded"
    assert public.refused and not public.sources  # (the refusal echoes the name asked about, nothing more)
    assert "lithium swap between" not in public.text + " ".join(public.related_topics)
    both = reader.ask("What is the Kestrelwind lithium swap?", sets={"public", "cables"})
    assert "Kestrelwind" in both.text

"""A source's identity is its origin: a file is known by the folder it was ingested from (and a
link by its normalised URL); a prune touches only what the run's own folders and set cover; a
source never changes set without saying so."""

from __future__ import annotations

import shutil

import pytest

from briefbot import cli
from briefbot.factory import build_service
from retrieval.sources.loaders import SourceDocument, document_from_bytes
from tests.conftest import SEEDS, make_settings
from tests.core.test_source_sets import CABLES

PUBLIC_NOTE = "The public note says the visa desk in Lahore opens on Monday, the consulate said in a statement.\n"
CABLE_NOTE = "The restricted note says Project Torvane ships lithium concentrate in March, the cable said.\n"


@pytest.fixture
def service(tmp_path, embedder):
    empty = tmp_path / "empty"
    empty.mkdir()
    return build_service(make_settings(tmp_path / "data", empty), embedder=embedder, ingest_if_empty=False)


def sets_of(service) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for summary in service.sources():
        out.setdefault(summary.meta.source_id, set()).add(summary.meta.source_set)
    return out


def by_set(service, name: str) -> set[str]:
    return {s.meta.source_id for s in service.sources(sets={name})}


def test_prune_of_the_default_folder_keeps_another_folders_sources_in_another_set(service, tmp_path):
    """R1: `ingest`; `ingest --set cables restricted/`; `ingest --prune` kept every cable."""
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    restricted = tmp_path / "restricted"
    shutil.copytree(CABLES, restricted)
    service.ingest([sources], progress=False)
    service.ingest([restricted], source_set="cables", progress=False)
    cables = len(service.store.ids_by_source()["kestrelwind_cable.txt"])

    report = service.ingest([sources], prune=True, progress=False)
    assert report.chunks_removed == 0
    assert by_set(service, "cables") == {"kestrelwind_cable.txt"}
    assert len(service.store.ids_by_source()["kestrelwind_cable.txt"]) == cables

    # a prune still drops what went from its own folder, and only that
    (sources / "000_69c16f647ae5ebe9.txt").unlink()
    report = service.ingest([sources], prune=True, progress=False)
    assert report.chunks_removed > 0 and "000_69c16f647ae5ebe9.txt" not in sets_of(service)
    assert by_set(service, "cables") == {"kestrelwind_cable.txt"}
    # and a prune of the restricted folder in its set leaves the public sources alone
    service.ingest([restricted], source_set="cables", prune=True, progress=False)
    assert "002_7fc1add390062dda.txt" in by_set(service, "public")


@pytest.mark.parametrize("order", ["restricted first", "public first"])
def test_the_same_file_name_in_two_folders_is_two_sources_each_in_its_set(service, tmp_path, order):
    """R2: restricted/note.txt (cables) and public/note.txt (public) no longer collide."""
    restricted, public = tmp_path / "restricted", tmp_path / "public"
    restricted.mkdir()
    public.mkdir()
    (restricted / "note.txt").write_text(CABLE_NOTE)
    (public / "note.txt").write_text(PUBLIC_NOTE)
    runs = [([restricted], "cables"), ([public], None)]
    for paths, source_set in runs if order == "restricted first" else runs[::-1]:
        report = service.ingest(paths, source_set=source_set, progress=False)
        assert report.chunks_added == 1 and report.chunks_removed == 0 and not report.warnings

    assert sets_of(service) == {"note.txt": {"public", "cables"}}
    public_answer = service.ask("When does the visa desk in Lahore open?", sets=frozenset({"public"}))
    assert "Monday" in public_answer.text
    assert "lithium" not in service.ask("What does Project Torvane ship?", sets=frozenset({"public"})).text
    assert "March" in service.ask("When does Project Torvane ship lithium?", sets=frozenset({"cables"})).text

    # re-ingesting either folder changes nothing, and re-ingesting the restricted one without --set keeps its set
    assert service.ingest([restricted], progress=False).files_unchanged == 1
    assert service.ingest([public], progress=False).files_unchanged == 1
    assert sets_of(service) == {"note.txt": {"public", "cables"}}


def test_the_same_folder_again_with_another_set_is_a_move_that_is_said(service, tmp_path):
    folder = tmp_path / "restricted"
    folder.mkdir()
    (folder / "note.txt").write_text(CABLE_NOTE)
    service.ingest([folder], source_set="cables", progress=False)
    warnings: list[str] = []
    report = service.ingest([folder], source_set="public", progress=False, warn=warnings.append)
    assert report.chunks_relabelled == 1 and report.chunks_added == 0
    assert any("moved from source set 'cables' to 'public'" in w for w in warnings)
    assert sets_of(service) == {"note.txt": {"public"}}


def test_chunks_stored_before_origins_existed_are_taken_over_not_duplicated(service, tmp_path):
    """An existing store (chunks without an origin) re-ingested from the same folder: one copy."""
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    name = "002_7fc1add390062dda.txt"
    doc = document_from_bytes((sources / name).read_bytes(), "text", source_id=name, label=name)
    old = service.ingest_documents([SourceDocument.loaded(doc)])  # stored as before: no origin
    old_ids = service.store.ids_by_source()[name]
    assert old.chunks_added == len(old_ids)

    report = service.ingest([sources], progress=False)
    assert report.sentences_embedded < report.sentences_reused + report.sentences_embedded  # vectors reused
    now = service.store.ids_by_origin_and_set()
    assert (name, "") not in now  # no copy left without an origin
    assert len(service.store.ids_by_source()[name]) == len(old_ids)
    assert service.ingest([sources], progress=False).files_unchanged == 2


def test_the_same_source_twice_in_one_batch_is_ingested_once(service):
    text = PUBLIC_NOTE.encode()
    doc = document_from_bytes(text, "text", source_id="https://example.org/a", label="https://example.org/a")
    report = service.ingest_documents([SourceDocument.loaded(doc), SourceDocument.loaded(doc)])
    assert not report.failures and report.chunks_added == 1 and len(report.sources) == 1
    assert service.store.count() == 1


def test_an_empty_path_is_bad_input(tmp_path, monkeypatch, capsys):
    """R9: `briefbot ingest ""` (an unset $DIR) ingested the working directory; now exit 2."""
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "memo.txt").write_text("A private memo about the budget, the minister said today.\n")
    assert cli.main(["ingest", "", "--no-progress"]) == 2
    assert "empty path" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # the store was never opened


def test_a_rebuild_keeps_each_folders_set(service, tmp_path):
    folder = tmp_path / "restricted"
    folder.mkdir()
    (folder / "note.txt").write_text(CABLE_NOTE)
    service.ingest([folder], source_set="cables", progress=False)
    service.ingest([folder], rebuild=True, progress=False)  # no --set: the cable stays a cable
    assert sets_of(service) == {"note.txt": {"cables"}}


def test_a_restricted_source_stored_before_origins_is_neither_copied_public_nor_overwritten(service, tmp_path):
    """Chunks of note.txt in `cables` from an older store (no folder recorded): a folder read with
    no set named is refused for that file (which folder it came from is unknown), the cable kept."""
    doc = document_from_bytes(CABLE_NOTE.encode(), "text", source_id="note.txt", label="note.txt")
    service.ingest_documents([SourceDocument.loaded(doc)], source_set="cables")  # stored as before: no origin
    public = tmp_path / "public"
    public.mkdir()
    (public / "note.txt").write_text(PUBLIC_NOTE)
    report = service.ingest([public], progress=False)
    assert report.files_failed == 1 and "--set NAME" in report.failures[0]
    assert sets_of(service) == {"note.txt": {"cables"}} and "Torvane" in service.ask("What is Torvane?").text
    # said explicitly, it is a public source of its own, and the cable stays
    service.ingest([public], source_set="public", progress=False)
    assert sets_of(service) == {"note.txt": {"cables", "public"}}

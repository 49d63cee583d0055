"""Source sets in the core and the CLI: a restricted article (set `cables`, a made-up codename)
beside the seed articles answers only where its set is allowed, and leaves no trace elsewhere:
not in the answer, the refusal, the closest topics, the names and outlets the composer knows, the
brief or the list of sources."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from briefbot import cli
from briefbot.factory import build_service
from retrieval.types import SearchFilters
from tests.conftest import SEEDS, make_settings

CABLES = Path(__file__).resolve().parent.parent / "data" / "set-cables"  # holds kestrelwind_cable.txt
CABLE = "set-cables/kestrelwind_cable.txt"
RESTRICTED = ("kestrelwind", "torvane", "12,000 tonnes", "lithium concentrate")  # only the cable says these
SWAP = "What lithium swap did Kazakhstan offer Pakistan?"
PUBLIC = frozenset({"public"})
BOTH = frozenset({"public", "cables"})


def leaks(text: str) -> list[str]:
    low = text.lower()
    return [marker for marker in RESTRICTED if marker in low]


def sources_with_cable(target: Path) -> Path:
    """The seed articles, and the cable in a `set-cables` folder beside them."""
    shutil.copytree(SEEDS, target)
    shutil.copytree(CABLES, target / "set-cables")
    return target


@pytest.fixture(scope="module")
def sets_service(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("sets")
    return build_service(make_settings(root / "data", sources_with_cable(root / "sources")), embedder=embedder)


def answer_text(answer) -> str:
    """All an answer says (the asker's own question left out)."""
    return answer.model_copy(update={"question": ""}).to_json()


def test_a_set_folder_names_the_set_and_the_listing_shows_it(sets_service):
    sets = {s.meta.source_id: s.meta.source_set for s in sets_service.sources()}
    assert sets[CABLE] == "cables"
    assert {sets[name.name] for name in SEEDS.iterdir()} == {"public"}
    assert CABLE not in {s.meta.source_id for s in sets_service.sources(sets=PUBLIC)}
    assert {s.meta.source_id for s in sets_service.sources(sets={"cables"})} == {CABLE}


def test_the_restricted_article_answers_only_where_its_set_is_allowed(sets_service):
    both = sets_service.ask(SWAP, sets=BOTH)
    assert not both.refused and "Kestrelwind" in both.text
    assert [s.source_id for s in both.sources] == [CABLE] and "[1]" in both.text
    assert "Kestrelwind" in sets_service.ask(SWAP).text  # no sets given (the CLI's default): every set

    public = sets_service.ask(SWAP, sets=PUBLIC)
    assert public.refused and not leaks(answer_text(public))
    # the codename typed by the asker is unknown to the public sources, exactly as an invented name is
    named = sets_service.ask("What is Project Kestrelwind?", sets=PUBLIC)
    assert named.refusal == "The sources don't mention Project Kestrelwind."
    assert not any(leaks(topic) for topic in named.related_topics)
    assert sets_service.ask("What is Project Kestrelwind?", sets=BOTH).sources[0].source_id == CABLE


def test_a_public_refusal_is_exactly_what_a_store_without_the_cable_says(sets_service, seed_service):
    """No side channel: term rarity, known names, outlets and the closest topics of a public caller
    are computed over the public sets alone, so the answers match a store that never held the cable."""
    for question in (
        SWAP,
        "What is Project Kestrelwind?",
        "Who signed the action plan?",
        "What did the Reuters report say about the wheat deal?",
        "What was agreed on connectivity?",
    ):
        scoped, plain = sets_service.ask(question, sets=PUBLIC), seed_service.ask(question)
        assert (scoped.text, scoped.related_topics, scoped.refused) == (
            plain.text,
            plain.related_topics,
            plain.refused,
        ), question
        assert [s.source_id for s in scoped.sources] == [s.source_id for s in plain.sources]


def test_a_brief_uses_the_restricted_article_only_where_allowed(sets_service):
    restricted = sets_service.brief("Kazakhstan lithium swap", sets=BOTH)
    assert not restricted.empty and "Kestrelwind" in restricted.to_markdown()
    assert CABLE in {s.source_id for s in restricted.sources}
    public = sets_service.brief("Kazakhstan lithium swap", sets=PUBLIC)
    assert not leaks(public.to_markdown() + public.model_dump_json())
    visit = sets_service.brief("President Tokayev's visit to Pakistan", sets=PUBLIC)
    assert not visit.empty and not leaks(visit.to_markdown() + visit.model_dump_json())


def test_filters_narrow_the_sets_and_never_widen_them(sets_service):
    retriever = sets_service.retriever
    found = retriever.search(SWAP, filters=SearchFilters(sets=PUBLIC))
    assert found and all(p.meta.source_set == "public" for p in found)
    with retriever.scope(PUBLIC):
        widened = retriever.search(SWAP, filters=SearchFilters(sets=BOTH))
        assert widened and all(p.meta.source_set == "public" for p in widened)
        assert "kestrelwind" not in set(retriever.current()._vocab)
        assert retriever.current().n_docs < retriever.lexical().n_docs
    assert retriever.search(SWAP, k=1)[0].meta.source_id == CABLE  # outside the scope: every set
    # a source filter naming the restricted article finds nothing for a public caller
    assert sets_service.ask(SWAP, sets=PUBLIC, filters=SearchFilters(source="kestrelwind")).refused


def test_public_and_restricted_questions_at_once_on_many_threads_never_mix(sets_service):
    """The bot answers several channels at once: each thread's sets are its own (a shared "last
    index" would hand one channel's vocabulary to another)."""
    results: list[tuple[frozenset, str, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def asker(sets: frozenset) -> None:
        try:
            start.wait()
            for question in (SWAP, "What would Kazakhstan ship to Karachi under the swap?") * 5:
                answer = sets_service.ask(question, sets=sets)
                with lock:
                    results.append((sets, answer_text(answer), answer.refused))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=asker, args=(PUBLIC if i % 2 else BOTH,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 60
    for sets, text, refused in results:
        if sets == PUBLIC:
            assert refused and not leaks(text), text[:300]
        else:
            assert not refused and "kestrelwind" in text.lower()


def test_set_given_at_ingest_moves_an_unchanged_file_and_a_bad_set_folder_is_refused(tmp_path, embedder):
    sources = sources_with_cable(tmp_path / "sources")
    (sources / "set-Bad Name").mkdir()
    (sources / "set-Bad Name" / "note.txt").write_text("A note on rail freight tariffs between the two capitals.\n")
    service = build_service(make_settings(tmp_path / "data", sources), embedder=embedder, ingest_if_empty=False)
    report = service.ingest([sources])
    assert report.files_failed == 1 and any("set-Bad Name" in w and "no valid set" in w for w in report.warnings)
    assert "set-Bad Name/note.txt" not in {s.meta.source_id for s in service.sources()}

    # the same files again with --set: nothing to embed, their chunks move to that set
    shutil.rmtree(sources / "set-Bad Name")
    moved = service.ingest([sources], source_set="internal")
    assert (moved.chunks_added, moved.chunks_removed) == (0, 0) and moved.chunks_relabelled == service.count()
    assert {s.meta.source_set for s in service.sources()} == {"internal"}
    assert "Kestrelwind" in service.ask(SWAP, sets={"internal"}).text
    assert service.ask(SWAP, sets=BOTH).refused


def test_chunks_stored_before_sets_existed_count_as_public_until_an_ingest_labels_them(tmp_path, embedder):
    sources = sources_with_cable(tmp_path / "sources")
    service = build_service(make_settings(tmp_path / "data", sources), embedder=embedder)
    store = service.store
    by_source = store.ids_by_source()
    old = [cid for sid, ids in by_source.items() if sid != CABLE for cid in ids]
    # the seeds as an older briefbot wrote them: no source_set key (Chroma deletes a key updated to
    # None); the cable added since, in its set
    store._call("test", lambda col: col.update(ids=old, metadatas=[{"source_set": None}] * len(old)))
    store.bump_generation()
    assert {label for sid, by_set in store.ids_by_source_and_set().items() for label in by_set} == {"", "cables"}

    question = "Who signed the action plan?"
    assert "Nurtleu" in service.ask(question, sets=PUBLIC).text
    with service.retriever.scope(PUBLIC):
        found = service.search(question, k=30)
        swap = service.search(SWAP, k=30)
    dense = store.query(embedder.embed([question])[0], 30)
    public_dense = {p.chunk_id for p in dense if p.meta.source_id != CABLE}
    assert public_dense and public_dense <= {p.chunk_id for p in found}  # the dense search found them too
    assert CABLE not in {p.meta.source_id for p in found + swap}
    assert service.ask(question, sets={"cables"}).refused
    assert "Kestrelwind" in service.ask(SWAP, sets=BOTH).text

    (sources / "new.txt").write_text("Officials said a visa desk will open in Lahore next week.\n")
    report = service.ingest([sources / "new.txt"])  # any ingest labels the old chunks
    assert report.chunks_relabelled == len(old)
    labels = {sid: set(by_set) for sid, by_set in store.ids_by_source_and_set().items()}
    assert labels.pop(CABLE) == {"cables"} and set().union(*labels.values()) == {"public"}


# ---- the command line: --set on ingest, ask, brief and sources


@pytest.fixture
def cli_run(tmp_path, monkeypatch, model_cache_dir, capsys):
    """`briefbot ARGS` through cli.main in this process (the model is loaded once per call)."""
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BRIEFBOT_SOURCES_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("BRIEFBOT_MODEL_CACHE_DIR", str(model_cache_dir))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.mark.slow  # seven CLI runs, each loading the model (~10 s)
def test_the_cli_ingests_into_a_set_and_answers_within_the_sets_given(cli_run, tmp_path, capsys):
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    restricted = tmp_path / "restricted"
    shutil.copytree(CABLES, restricted)
    assert cli_run("ingest", "--no-progress", str(sources))[0] == 0
    assert cli_run("ingest", "--no-progress", "--set", "Cables", str(restricted))[0] == 0  # names are lower-cased

    code, out, _ = cli_run("ask", SWAP, "--set", "public")
    assert code == 0 and not leaks(out) and "The sources don't say" in out
    code, out, _ = cli_run("ask", SWAP, "--set", "public", "--set", "cables", "--json")
    answer = json.loads(out)
    assert (
        code == 0 and "Kestrelwind" in answer["text"] and answer["sources"][0]["source_id"] == "kestrelwind_cable.txt"
    )

    code, out, _ = cli_run("brief", "Kazakhstan lithium swap", "--set", "public")
    assert code == 0 and not leaks(out)
    code, out, _ = cli_run("brief", "Kazakhstan lithium swap", "--set", "cables,public")
    assert code == 0 and "Kestrelwind" in out

    code, out, _ = cli_run("sources", "--set", "public")
    assert code == 0 and "kestrelwind" not in out and out.count("\tpublic\n") == 2
    code, out, _ = cli_run("sources", "--json")
    rows = {row["source_id"]: row for row in json.loads(out)}
    assert rows["kestrelwind_cable.txt"]["source_set"] == "cables"
    assert rows["000_69c16f647ae5ebe9.txt"]["source_set"] == "public"

    with pytest.raises(SystemExit) as exited:
        cli_run("ask", SWAP, "--set", "no such!")
    assert exited.value.code == 2 and "is not a set name" in capsys.readouterr().err


# ---- the channel mapping (settings) and which sets a conversation gets


def test_channel_sets_setting_maps_channels_and_dms_and_rejects_bad_entries(monkeypatch):
    from bot.deps import ChannelSets
    from briefbot.settings import Settings

    monkeypatch.setenv("BRIEFBOT_SLACK_CHANNEL_SETS", " C0123:public, Cables ; C0456:public;DM:public; ")
    settings = Settings(_env_file=None)
    assert settings.slack_channel_sets == {"C0123": BOTH, "C0456": PUBLIC, "dm": PUBLIC}
    assert settings.slack_default_sets == PUBLIC
    sets = ChannelSets(settings.slack_channel_sets, frozenset({"none"}))
    assert sets.of("C0123", is_dm=False) == BOTH
    assert sets.of("C0999", is_dm=False) == {"none"}  # not listed: the default
    assert sets.of("D0ANY", is_dm=True) == PUBLIC
    assert ChannelSets({"D0BOSS": BOTH, "dm": PUBLIC}).of("D0BOSS", is_dm=True) == BOTH
    assert ChannelSets({}).of("D0ANY", is_dm=True) == PUBLIC  # no `dm` entry: the default, public

    for bad in ("C0123", "C0123:public;C0456", ":public", "C0123:top secret"):
        monkeypatch.setenv("BRIEFBOT_SLACK_CHANNEL_SETS", bad)
        with pytest.raises(ValueError):
            Settings(_env_file=None)
    monkeypatch.setenv("BRIEFBOT_SLACK_CHANNEL_SETS", "")
    monkeypatch.setenv("BRIEFBOT_SLACK_DEFAULT_SETS", "")
    assert Settings(_env_file=None).slack_default_sets == PUBLIC  # blank means not set, as everywhere

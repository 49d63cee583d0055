"""`briefbot ingest URL`: a page fetched from a loopback news site, read as an article, cited by link."""

from __future__ import annotations

import pytest

from briefbot.cli import format_answer, main
from briefbot.intake import SourceNotAdded
from tests.intake import content
from tests.intake.conftest import stored


def test_an_article_link_is_ingested_with_its_metadata_and_answers_cite_its_link(site, intaking):
    url = site.url("/article")
    added = intaking.intake.add_link(url)
    meta = added.meta
    assert added.changed and added.chunks >= 1
    assert meta.source_id == url and meta.url == url and meta.kind == "web"
    assert meta.title == content.RAIL_TITLE
    assert meta.outlet == "The Steppe Herald" and meta.author == "Aigerim Sadykova" and meta.published == "2025-10-14"
    answer = intaking.service.ask("When will the feasibility study of the Trans-Afghan railway be completed?")
    assert not answer.refused and "June 2026" in answer.text
    cited = answer.sources[0]
    assert cited.url == url and cited.kind == "web"
    printed = format_answer(answer)
    assert f"[1] {content.RAIL_TITLE} · The Steppe Herald · 2025-10-14 · web page" in printed


def test_the_same_link_again_changes_nothing_and_a_changed_page_replaces_its_chunks(site, intaking):
    url = site.url("/article")
    first = intaking.intake.add_link(url)
    ids = intaking.service.store.ids_by_source()[url]
    again = intaking.intake.add_link(url)
    assert not again.changed and intaking.service.store.ids_by_source()[url] == ids
    edited = content.RAIL_ARTICLE.replace("by June 2026", "by September 2026")
    site.page("/article", edited)
    changed = intaking.intake.add_link(url)
    assert changed.changed and changed.chunks == first.chunks
    now = intaking.service.store.ids_by_source()[url]
    assert now != ids and len(now) == first.chunks  # old chunks gone, not piled up
    answer = intaking.service.ask("When will the feasibility study of the Trans-Afghan railway be completed?")
    assert "September 2026" in answer.text and "June 2026" not in answer.text


def test_a_redirect_is_followed_and_the_link_given_stays_the_source(site, intaking):
    added = intaking.intake.add_link(site.url("/moved"))
    assert added.meta.source_id == site.url("/moved") and added.meta.url == site.url("/article")
    assert [path for path, _ in site.requests()] == ["/moved", "/article"]


def test_a_50_mb_response_is_refused_without_reading_it_all_and_nothing_is_stored(site, intaking):
    with pytest.raises(SourceNotAdded, match=r"over the 20.0 MB limit"):
        intaking.intake.add_link(site.url("/huge"))
    assert site.streamed < 30_000_000  # stopped soon after the cap, not at 50 MB
    assert intaking.service.count() == 0


def test_a_declared_size_over_the_cap_is_refused_before_reading(site):
    from retrieval.sources.fetch import Fetcher, FetchPolicy, FetchRefused

    site.add("/declared", b"x" * 3_000_000, "text/html")
    with pytest.raises(FetchRefused, match=r"is 3.0 MB, over the 1.0 MB limit"):
        Fetcher(FetchPolicy(allow_private=True, max_bytes=1_000_000)).get(site.url("/declared"))


def test_a_login_wall_is_refused_with_the_reason_and_nothing_is_stored(site, intaking):
    with pytest.raises(SourceNotAdded, match="login wall"):
        intaking.intake.add_link(site.url("/login"))
    assert intaking.service.count() == 0


def test_a_page_that_is_not_an_article_is_refused(site, intaking):
    site.page("/links", "<html><body><ul>" + "".join(f"<li><a href='/n{i}'>Story {i}</a></li>" for i in range(8))
              + "</ul><p>Read more of our coverage.</p></body></html>")  # fmt: skip
    with pytest.raises(SourceNotAdded, match="not an article|no article text"):
        intaking.intake.add_link(site.url("/links"))
    site.add("/data.json", '{"a": 1}', "application/json")
    with pytest.raises(SourceNotAdded, match="application/json"):
        intaking.intake.add_link(site.url("/data.json"))
    site.add("/gone", "", "text/html", status=404)
    with pytest.raises(SourceNotAdded, match="HTTP 404"):
        intaking.intake.add_link(site.url("/gone"))
    assert intaking.service.count() == 0


def test_a_link_that_fails_later_keeps_the_chunks_it_had(site, intaking):
    url = site.url("/article")
    before = intaking.intake.add_link(url).chunks
    site.page("/article", content.LOGIN_WALL)  # the site put it behind a login since
    with pytest.raises(SourceNotAdded, match="login wall"):
        intaking.intake.add_link(url)
    assert stored(intaking.service, url) == before


def test_cli_ingests_links_prints_what_it_added_and_exits_3_for_the_one_refused(
    site, tmp_path, monkeypatch, capsys, model_cache_dir
):
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BRIEFBOT_MODEL_CACHE_DIR", str(model_cache_dir))
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW_PRIVATE", "true")
    code = main(["ingest", site.url("/article"), site.url("/login"), "ftp://example.org/x", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert f"indexed: {content.RAIL_TITLE} · The Steppe Herald · 2025-10-14 · web · {site.url('/article')}" in out
    assert "3 links: 1 indexed, 0 unchanged, 2 skipped (2 failed)" in out
    assert "login wall" in err and "not an http(s) link" in err and "Traceback" not in err
    assert main(["sources"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing == [
        "\t".join([site.url("/article"), content.RAIL_TITLE, "The Steppe Herald", "2025-10-14", "web",
                   listing[0].split("\t")[5], site.url("/article"), "public"])
    ]  # fmt: skip


def test_cli_ingest_without_private_fetching_refuses_a_loopback_link(
    site, tmp_path, monkeypatch, capsys, model_cache_dir
):
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BRIEFBOT_MODEL_CACHE_DIR", str(model_cache_dir))
    code = main(["ingest", site.url("/article"), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 3 and "loopback address" in err and "not fetched" in err
    assert site.requests() == []  # no request reached the server


def test_prune_of_a_folder_keeps_links_and_feed_items(site, intaking, tmp_path):
    url = site.url("/article")
    chunks = intaking.intake.add_link(url).chunks
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "note.txt").write_text("The visa desk in Lahore opens next week, officials said on Monday.\n")
    intaking.service.ingest([folder], prune=True, progress=False)
    (folder / "note.txt").unlink()
    report = intaking.service.ingest([folder], prune=True, progress=False)
    assert report.chunks_removed == 1  # the file that went, not the link
    assert stored(intaking.service, url) == chunks


def test_the_same_link_twice_in_one_batch_is_fetched_and_ingested_once(site, intaking):
    """R3: `ingest URL URL` (or two spellings of it) aborted the batch with DuplicateIDError."""
    url = site.url("/article")
    shouting = url.replace("http://", "HTTP://") + "#comments"
    report = intaking.service.ingest_documents(intaking.intake.link_sources([url, shouting, url]))
    assert not report.failures and len(report.sources) == 1 and report.chunks_added >= 1
    assert [path for path, _ in site.requests()] == ["/article"]


def test_a_restricted_link_added_again_for_a_public_channel_is_refused_and_kept(site, intaking, caplog):
    """R10: `/source add` of a link in `cables` from a channel mapped to `public` moved it there."""
    url = site.url("/article")
    chunks = intaking.intake.add_link(url, source_set="cables").chunks
    with pytest.raises(SourceNotAdded, match=r"already in source set 'cables'; not moved to 'public'"):
        intaking.intake.add_link(url, source_set="public")
    assert "not moved to 'public'" in caplog.text
    assert {s.meta.source_set for s in intaking.service.sources()} == {"cables"}
    assert stored(intaking.service, url) == chunks
    assert intaking.service.ask("When will the feasibility study be completed?", sets=frozenset({"public"})).refused
    # the admin's explicit move (`briefbot ingest --set public URL`) is said
    warnings: list[str] = []
    intaking.service.ingest_documents(intaking.intake.link_sources([url]), source_set="public", warn=warnings.append)
    assert any("moved from source set 'cables' to 'public'" in w for w in warnings)
    assert {s.meta.source_set for s in intaking.service.sources()} == {"public"}

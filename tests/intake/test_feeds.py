"""Feeds: `briefbot ingest --feed URL` and `briefbot watch` against a loopback RSS and Atom feed."""

from __future__ import annotations

import logging

import pytest

from briefbot.cli import format_answer, main
from briefbot.intake import SourceNotAdded
from tests.intake import content

PIPELINE = "When will the pipeline company publish a revised timetable for the Herat section?"


def test_watch_ingests_three_items_then_only_the_fourth_with_conditional_requests(site, intaking):
    feed = site.url("/feed.rss")
    first = intaking.intake.ingest_feed(feed)
    assert first.title == "Ministry of Foreign Affairs: press releases"
    assert sorted(s.meta.source_id for s in first.added) == [site.url(f"/news/{n}") for n in (1, 2, 3)]
    item = next(s.meta for s in first.added if s.meta.source_id == site.url("/news/1"))
    assert item.kind == "feed" and item.url == site.url("/news/1") and item.published == "2025-10-06"
    assert item.title == content.ITEMS[1][0] and item.outlet == "Ministry of Foreign Affairs"

    again = intaking.intake.ingest_feed(feed)  # nothing new: the server says 304
    assert again.not_modified and not again.added
    conditional = site.requests("/feed.rss")[-1][1]
    assert conditional["if-none-match"] == '"three"'
    assert conditional["if-modified-since"] == "Fri, 10 Oct 2025 09:00:00 GMT"

    site.add("/feed.rss", content.rss(site.base_url, [1, 2, 3, 4]), "application/rss+xml",
             etag='"four"', last_modified="Thu, 16 Oct 2025 09:00:00 GMT")  # fmt: skip
    fetched_before = len(site.requests("/news/1"))
    fourth = intaking.intake.ingest_feed(feed)
    assert [s.meta.source_id for s in fourth.added] == [site.url("/news/4")]
    assert len(site.requests("/news/1")) == fetched_before  # items seen before are not fetched again
    assert len(intaking.service.sources()) == 4

    answer = intaking.service.ask(PIPELINE)
    assert not answer.refused and "January" in answer.text
    assert answer.sources[0].url == site.url("/news/4")
    assert f"{content.ITEMS[4][0]} · Ministry of Foreign Affairs · 2025-10-16 · feed item" in format_answer(answer)


def test_an_atom_feed_with_full_text_is_read_from_the_feed_itself(site, intaking):
    result = intaking.intake.ingest_feed(site.url("/atom.xml"), only_new=False)
    [added] = result.added
    meta = added.meta
    assert meta.source_id == site.url("/bulletin/aral-pledges") and meta.kind == "feed"
    assert meta.title == content.ATOM_TITLE and meta.author == "Dilnoza Karimova" and meta.published == "2025-10-18"
    assert meta.outlet == "Central Asia Environment Bulletin"
    assert site.requests("/bulletin/aral-pledges") == []  # the feed carried the whole text
    answer = intaking.service.ask("How much did donors pledge to the Aral Sea restoration fund?")
    assert "85 million dollars" in answer.text and answer.sources[0].url == site.url("/bulletin/aral-pledges")
    assert "· feed item" in format_answer(answer)


def test_a_page_that_is_not_a_feed_is_refused(site, intaking):
    with pytest.raises(SourceNotAdded, match="not something briefbot reads here|not an RSS or Atom feed"):
        intaking.intake.ingest_feed(site.url("/article"))
    site.add("/broken.xml", "<rss><channel><title>x</title>", "application/rss+xml")
    with pytest.raises(SourceNotAdded, match="not an RSS or Atom feed"):
        intaking.intake.ingest_feed(site.url("/broken.xml"))
    assert intaking.service.count() == 0


def test_an_item_that_fails_is_tried_again_on_the_next_poll(site, intaking):
    site.add("/news/2", "", "text/html", status=503)
    first = intaking.intake.ingest_feed(site.url("/feed.rss"))
    assert len(first.added) == 2 and first.report.files_failed == 1
    assert any("/news/2: answered HTTP 503" in w for w in first.report.failures)
    site.page("/news/2", content.news_item_html(2))
    second = intaking.intake.ingest_feed(site.url("/feed.rss"))
    assert not second.not_modified  # the validators were not kept while an item was missing
    assert [s.meta.source_id for s in second.added] == [site.url("/news/2")]
    assert intaking.intake.ingest_feed(site.url("/feed.rss")).not_modified


def test_cli_ingest_feed_and_watch_once_log_what_they_added(
    site, tmp_path, monkeypatch, capsys, caplog, model_cache_dir
):
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BRIEFBOT_MODEL_CACHE_DIR", str(model_cache_dir))
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW_PRIVATE", "true")
    assert main(["ingest", "--feed", site.url("/atom.xml")]) == 0
    out = capsys.readouterr().out
    assert f"indexed: {content.ATOM_TITLE} · Central Asia Environment Bulletin · 2025-10-18 · feed" in out
    assert "feed Central Asia Environment Bulletin: 1 items: 1 indexed" in out

    monkeypatch.setenv("BRIEFBOT_FEEDS", site.url("/feed.rss"))
    with caplog.at_level(logging.INFO, logger="briefbot.watch"):
        assert main(["watch", "--once"]) == 0
        assert main(["watch", "--once"]) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "briefbot.watch"]
    added = next(line for line in lines if "new item(s) added" in line)
    assert "3 new item(s) added" in added and content.ITEMS[3][0] in added
    assert any("not modified" in line for line in lines)


def test_watch_without_feeds_says_what_to_set(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["watch", "--once"]) == 2
    assert "BRIEFBOT_FEEDS" in capsys.readouterr().err


def test_feed_items_sharing_a_link_or_guid_are_one_source_not_a_failed_batch(site, intaking):
    """R3: a feed with two items sharing a link (common in real feeds) failed every poll."""
    feed = content.rss(site.base_url, [1, 2, 1, 3])
    site.add("/dupes.rss", feed, "application/rss+xml")
    result = intaking.intake.ingest_feed(site.url("/dupes.rss"))
    assert not result.report.failures
    assert sorted(s.meta.source_id for s in result.added) == [site.url(f"/news/{n}") for n in (1, 2, 3)]


def test_feed_items_without_a_usable_link_are_not_stored_from_their_summary(site, intaking):
    """ "A summary alone is not ingested": an item with no link, or a javascript:/file: link, and a nine-word
    summary is refused (named in a warning), the others ingested."""
    items = "".join(
        f"<item><title>Item {n}</title>{link}<description>The ministry said talks on rail went well today.</description></item>"
        for n, link in enumerate(["", "<link>javascript:alert(1)</link>", "<link>file:///etc/passwd</link>"])
    )
    rss = content.rss(site.base_url, [1]).replace("</channel>", items + "</channel>")
    site.add("/thin.rss", rss, "application/rss+xml")
    warnings: list[str] = []
    result = intaking.intake.ingest_feed(site.url("/thin.rss"), warn=warnings.append)
    assert [s.meta.source_id for s in result.added] == [site.url("/news/1")]
    assert sum("only 9 words of summary" in w for w in warnings) == 3, warnings
    assert not result.report.failures  # nothing to retry at every poll

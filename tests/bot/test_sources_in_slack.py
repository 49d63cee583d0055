"""Adding sources from Slack, end to end: signed requests in, the real core and store, the Slack
Web API faked on the wire (files.info and the file download included), a loopback news site."""

from __future__ import annotations

import pytest

from bot.render import all_text
from bot.sources import NOT_ADMIN
from briefbot.settings import Settings
from tests import documents
from tests.bot.conftest import BOT_TOKEN, SIGNING_SECRET, start_bot, stop_bot
from tests.fakes.news_site import NewsSite
from tests.intake import content

ADMIN = "U0ADMIN"


@pytest.fixture
def site():
    with NewsSite() as news:
        news.page("/article", content.RAIL_ARTICLE)
        yield news


@pytest.fixture
def source_bot(tmp_path, fake_slack, embedder):
    """A bot over its own (writable, initially empty) store, with one source admin; channel
    C0CABLES reads public and cables, C0SECRET cables and secret, the rest public."""
    from briefbot.factory import build_service

    empty = tmp_path / "no-sources"
    empty.mkdir()
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", sources_dir=empty, slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET, slack_api_url=fake_slack.api_url, slack_source_admins=ADMIN,
        fetch_allow_private=True, slack_channel_sets="C0CABLES:public,cables;C0SECRET:cables,secret",
    )  # fmt: skip
    service = build_service(settings, embedder=embedder, ingest_if_empty=False)
    running = start_bot(settings, service, fake_slack)
    running.service = service
    yield running
    stop_bot(running)


def posted(fake, channel: str, *, thread_ts: str | None = None, timeout: float = 60) -> dict:
    calls = fake.wait_for(
        lambda s: [c for c in s.calls("chat.postMessage")
                   if c.params["channel"] == channel and c.params.get("thread_ts") == thread_ts], timeout,
    )  # fmt: skip
    return calls[0].params


def share(slack, fake, name: str, data: bytes, *, user: str = ADMIN, channel: str = "D0ADMIN", mention: bool = False):
    """A person shares a file: in a DM (a message event, subtype file_share) or with @briefbot in a channel."""
    file = fake.add_file(name, data, user=user)
    text = "<@UBRIEFBOT> here is the statement" if mention else ""
    ts = fake.add_message(channel, text, user=user)
    if mention:
        event = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "files": [file]}
    else:
        event = {"type": "message", "subtype": "file_share", "channel_type": "im", "user": user, "text": text,
                 "ts": ts, "channel": channel, "files": [file]}  # fmt: skip
    reply = slack.event(event)
    assert reply.status == 200 and reply.seconds < 1.5
    return ts, file


def test_source_add_by_an_admin_fetches_the_link_and_posts_what_it_added(source_bot, site):
    fake, slack = source_bot.fake, source_bot.slack
    url = site.url("/article")
    reply = slack.command(f"add {url}", command="/source", user=ADMIN)
    assert reply.status == 200 and reply.seconds < 1.5
    assert reply.json()["response_type"] == "ephemeral" and "Adding" in reply.json()["text"]
    message = posted(fake, "C0GENERAL")
    text = all_text(message["blocks"])
    assert f"<@{ADMIN}> added a source: <{url}|{content.RAIL_TITLE}>" in text
    assert "The Steppe Herald · 2025-10-14 · web page · " in text and " chunk" in text
    assert url in source_bot.service.store.ids_by_source()

    listing = slack.command("list", command="/source", user="U0SOMEONE", response_key="list")
    assert listing.status == 200
    sent = fake.wait_for(lambda s: [c for c in s.calls("response_url") if c.params["key"] == "list"])[0].params
    assert sent["response_type"] == "ephemeral"
    assert "Latest sources* (1 of 1)" in all_text(sent["blocks"]) and content.RAIL_TITLE in all_text(sent["blocks"])


def test_source_add_by_someone_else_is_politely_refused_and_nothing_is_fetched(source_bot, site):
    fake, slack = source_bot.fake, source_bot.slack
    reply = slack.command(f"add {site.url('/article')}", command="/source", user="U0NOTADMIN")
    assert reply.status == 200 and reply.json()["text"] == NOT_ADMIN.replace("'", "'")
    source_bot.bot.sources.wait_idle()
    source_bot.idle()
    assert site.requests() == [] and source_bot.service.count() == 0
    assert not fake.calls("chat.postMessage")


def test_a_refused_link_is_told_to_the_admin_only(source_bot, site):
    fake, slack = source_bot.fake, source_bot.slack
    site.page("/login", content.LOGIN_WALL)
    slack.command(f"add {site.url('/login')}", command="/source", user=ADMIN, response_key="refused")
    sent = fake.wait_for(lambda s: [c for c in s.calls("response_url") if c.params["key"] == "refused"])[0].params
    assert sent["response_type"] == "ephemeral"
    assert "Could not add this source" in sent["text"] and "login wall" in sent["text"]
    assert source_bot.service.count() == 0 and not fake.calls("chat.postMessage")


def test_a_pdf_shared_in_a_dm_is_downloaded_ingested_and_answers_cite_its_page(source_bot):
    fake, slack = source_bot.fake, source_bot.slack
    ts, file = share(slack, fake, "joint-statement.pdf", content.statement_pdf())
    reply = posted(fake, "D0ADMIN", thread_ts=ts)
    text = all_text(reply["blocks"])
    assert "Joint Statement: visit of the Foreign Minister of Kazakhstan" in text and "· PDF · " in text
    assert [c.params["file"] for c in fake.calls("files.info")] == [file["id"]]
    [download] = fake.calls("download")
    assert download.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert f"slack://file/{file['id']}" in source_bot.service.store.ids_by_source()

    slack.dm("How many Pakistani students will receive Kazakh government scholarships every year?", channel="D0ADMIN",
             user=ADMIN)  # fmt: skip
    answer = fake.wait_for(lambda s: [c for c in s.calls("chat.update") if c.params["channel"] == "D0ADMIN"])[0].params
    answer_text = all_text(answer["blocks"])
    assert "two hundred" in answer_text and "PDF p. 2" in answer_text
    assert "https://fake.slack.test/files/" in answer_text  # the citation links to the file in Slack


def test_a_file_with_a_mention_in_a_channel_is_answered_in_its_thread(source_bot):
    fake, slack = source_bot.fake, source_bot.slack
    ts, _ = share(slack, fake, "note.docx", content.note_docx(), channel="C0GENERAL", mention=True)
    text = all_text(posted(fake, "C0GENERAL", thread_ts=ts)["blocks"])
    assert "Briefing note: the preferential trade agreement with Uzbekistan" in text and "Word document" in text


def test_a_scanned_pdf_gets_the_reason_in_the_thread_and_nothing_is_stored(source_bot):
    fake, slack = source_bot.fake, source_bot.slack
    ts, _ = share(slack, fake, "scan.pdf", documents.scanned_pdf())
    text = posted(fake, "D0ADMIN", thread_ts=ts)["text"]
    assert "Could not add this source" in text and "no text layer" in text and "OCR" in text
    assert source_bot.service.count() == 0


def test_a_file_from_someone_who_is_not_an_admin_is_not_downloaded(source_bot):
    fake, slack = source_bot.fake, source_bot.slack
    share(slack, fake, "statement.pdf", content.statement_pdf(), user="U0NOTADMIN", channel="D0OTHER")
    notice = fake.wait_calls("chat.postEphemeral")[0].params
    assert notice["user"] == "U0NOTADMIN" and "only briefbot's source admins" in notice["text"]
    source_bot.bot.sources.wait_idle()
    assert not fake.calls("files.info") and not fake.calls("download")
    assert source_bot.service.count() == 0


@pytest.mark.slow
def test_a_slow_source_never_holds_up_an_answer(source_bot, site):
    fake, slack = source_bot.fake, source_bot.slack
    site.page("/slow", content.RAIL_ARTICLE, delay=4)
    slack.command(f"add {site.url('/slow')}", command="/source", user=ADMIN)
    reply, ts = slack.mention("Who signed the action plan?")  # answered (a refusal: the store is empty) meanwhile
    assert reply.status == 200
    fake.wait_for(lambda s: [c for c in s.calls("chat.update") if c.params["channel"] == "C0GENERAL"], 30)
    assert not [c for c in fake.calls("chat.postMessage") if "added a source" in c.params.get("text", "")]
    added = fake.wait_for(
        lambda s: [c for c in s.calls("chat.postMessage") if "added a source" in c.params.get("text", "")], 30
    )
    assert added


def test_a_source_added_where_a_restricted_set_is_read_stays_in_that_set(source_bot, site):
    fake, slack = source_bot.fake, source_bot.slack
    url = site.url("/article")
    slack.command(f"add {url}", command="/source", user=ADMIN, channel="C0CABLES")
    posted(fake, "C0CABLES")
    store = source_bot.service.store
    assert [s.meta.source_id for s in store.sources({"cables"})] == [url] and store.sources({"public"}) == []

    public = slack.command("list", command="/source", user="U0SOMEONE", channel="C0GENERAL", response_key="public")
    cables = slack.command("list", command="/source", user="U0SOMEONE", channel="C0CABLES", response_key="cables")
    assert public.status == cables.status == 200

    def listed(key: str) -> str:
        calls = fake.wait_for(lambda s: [c for c in s.calls("response_url") if c.params["key"] == key])
        return all_text(calls[0].params["blocks"])

    assert content.RAIL_TITLE in listed("cables") and content.RAIL_TITLE not in listed("public")


def test_a_source_added_where_two_restricted_sets_are_read_is_refused_and_nothing_is_fetched(source_bot, site):
    reply = source_bot.slack.command(f"add {site.url('/article')}", command="/source", user=ADMIN, channel="C0SECRET")
    assert reply.status == 200 and "several restricted source sets" in reply.json()["text"]
    source_bot.bot.sources.wait_idle()
    assert site.requests() == [] and source_bot.service.count() == 0


def test_a_restricted_link_added_again_from_a_public_channel_is_refused_and_stays_restricted(source_bot, site):
    """R10: an admin's `/source add` of a link in `cables`, from a channel mapped to `public`,
    moved it to `public` with "added a source"; the next public question cited it."""
    fake, slack = source_bot.fake, source_bot.slack
    url = site.url("/article")
    slack.command(f"add {url}", command="/source", user=ADMIN, channel="C0CABLES")
    posted(fake, "C0CABLES")
    slack.command(f"add {url}", command="/source", user=ADMIN, channel="C0GENERAL", response_key="again")
    sent = fake.wait_for(lambda s: [c for c in s.calls("response_url") if c.params["key"] == "again"])[0].params
    assert sent["response_type"] == "ephemeral"
    assert "already in source set 'cables'; not moved to 'public'" in sent["text"]
    store = source_bot.service.store
    assert [s.meta.source_id for s in store.sources({"cables"})] == [url] and store.sources({"public"}) == []
    assert not [c for c in fake.calls("chat.postMessage") if c.params["channel"] == "C0GENERAL"]

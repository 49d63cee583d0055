"""Watched topics and digests end to end: signed `/brief watch` commands, real ingest into real
Chroma, the scheduler's `tick()` on an injected clock, Slack faked on the wire; and the brief as
the channel's canvas."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading

import pytest

from bot.render import FEEDBACK_UP, all_text
from tests.bot.conftest import bot_settings, start_bot, stop_bot
from tests.conftest import SEEDS

TOPIC = "Kazakhstan Pakistan rail corridor"
NEW_ARTICLE = """Kazakhstan and Pakistan open talks on a rail freight corridor

Islamabad:

Kazakhstan and Pakistan agreed on Friday to build a rail freight corridor through Uzbekistan and Afghanistan, officials said.
The first freight train on the Kazakhstan Pakistan rail corridor is due in June 2026, the railway ministers said.
Railway ministers of both countries will meet in Almaty to finalise the rail corridor's tariffs.
"""
SECRET = "QUORVEL"  # a word only the restricted article has
RESTRICTED_ARTICLE = f"""Cable: Kazakhstan Pakistan rail corridor financing {SECRET}

Astana:

Kazakhstan and Pakistan agreed in confidence that the rail freight corridor financing runs through the {SECRET} fund.
The rail corridor's first freight train from Kazakhstan to Pakistan depends on the {SECRET} fund, the cable says.
"""


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def store_service(tmp_path, embedder):
    """A writable real service over a copy of the seeds (tests ingest into it)."""
    from briefbot.factory import build_service
    from briefbot.settings import Settings

    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    return build_service(Settings(_env_file=None, data_dir=tmp_path / "store", sources_dir=sources), embedder=embedder)


def posted(fake, channel: str) -> list[dict]:
    return [c.params for c in fake.calls("chat.postMessage") if c.params["channel"] == channel]


def watch(running, text: str, channel: str) -> None:
    n = len(running.fake.calls("response_url"))
    reply = running.slack.command(f"watch {text}", command="/brief", channel=channel)
    assert reply.status == 200 and reply.body == ""
    confirmation = running.fake.wait_calls("response_url", n + 1)[-1].params
    assert confirmation["response_type"] == "in_channel" and "set a watch on" in confirmation["text"]


def test_a_watched_topic_gets_one_digest_per_day_of_only_the_new_sources(tmp_path, fake_slack, store_service):
    settings = bot_settings(tmp_path, fake_slack, slack_channel_sets="C0SECRET:public,cables")
    clock = Clock(dt.datetime(2025, 9, 10, 10, 0))
    running = start_bot(settings, store_service, fake_slack)
    running.bot.digests.clock = clock
    try:
        watch(running, f"{TOPIC} daily", "C0GENERAL")
        watch(running, TOPIC, "C0SECRET")
        listed = running.slack.command("watches", command="/brief", channel="C0GENERAL").json()
        assert listed["response_type"] == "ephemeral" and f"{TOPIC} (daily)" in listed["text"]
        assert "C0SECRET" not in listed["text"]

        # new articles: a public one, and a restricted one in the `cables` set
        (tmp_path / "new").mkdir()
        (tmp_path / "new" / "rail.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        (tmp_path / "cables").mkdir()
        (tmp_path / "cables" / "cable.txt").write_text(RESTRICTED_ARTICLE, encoding="utf-8")
        store_service.ingest([tmp_path / "new"])
        store_service.ingest([tmp_path / "cables"], source_set="cables")

        scheduler = running.bot.digests
        assert scheduler.tick() == 0  # the watch's first period is the next day
        clock.now = dt.datetime(2025, 9, 11, 7, 0)
        assert scheduler.tick() == 0  # before BRIEFBOT_DIGEST_HOUR (8)
        clock.now = dt.datetime(2025, 9, 11, 8, 30)
        assert scheduler.tick() == 2  # one digest in each channel
        assert scheduler.tick() == 0
        [digest] = posted(fake_slack, "C0GENERAL")
        text = all_text(digest["blocks"])
        assert digest["blocks"][0]["text"]["text"] == f"What's new: {TOPIC}"
        assert "Kazakhstan and Pakistan open talks on a rail freight corridor" in text
        assert "Action plan to stimulate links with Kazakhstan" not in text  # a seed: not new
        points = text.split("*Key points*")[1].split("*New sources*")[0]
        bullets = [line for line in points.splitlines() if line.startswith("•")]
        assert bullets and all("[1]" in b for b in bullets)  # each key point cited (one new source)
        assert "New since " in text and "1 source" in text
        # the restricted article: in the channel that reads `cables`, never in the public one
        assert SECRET in str(posted(fake_slack, "C0SECRET"))
        elsewhere = [
            c for c in fake_slack.calls() if "C0SECRET" not in (c.params.get("channel"), c.params.get("channel_id"))
        ]
        assert elsewhere and not [c for c in elsewhere if SECRET in str(c.params)]

        # a 👍 on the digest is logged with its topic
        digest_id = digest["blocks"][-1]["elements"][0]["value"]
        running.slack.click(FEEDBACK_UP, digest_id, channel="C0GENERAL")
        fake_slack.wait_calls("response_url", 3)
        [vote] = running.bot.feedback.votes(digest_id)
        assert vote.vote == "up" and vote.question == f"digest: {TOPIC}"
    finally:
        stop_bot(running)

    # a restart between due times: the watch is kept, nothing is posted twice
    running = start_bot(settings, store_service, fake_slack)
    running.bot.digests.clock = clock
    try:
        clock.now = dt.datetime(2025, 9, 11, 9, 0)
        assert running.bot.digests.tick() == 0
        assert [w.topic for w in running.bot.digests.watches.all("C0GENERAL")] == [TOPIC]
        # the next day, nothing new: one short line (BRIEFBOT_DIGEST_WHEN_NOTHING_NEW=line)
        clock.now = dt.datetime(2025, 9, 12, 8, 0)
        assert running.bot.digests.tick() == 2
        line = posted(fake_slack, "C0GENERAL")[-1]
        assert line["text"].startswith(f"Nothing new on {TOPIC} since ") and len(line["blocks"]) == 1
        reply = running.slack.command(f"unwatch {TOPIC}", command="/brief", channel="C0GENERAL").json()
        assert reply["text"] == f"Stopped watching {TOPIC} in this channel."
        assert running.bot.digests.watches.all("C0GENERAL") == []
    finally:
        stop_bot(running)


def test_two_replicas_on_one_store_post_one_digest_and_nothing_new_can_be_silent(tmp_path, fake_slack, bot_service):
    settings = bot_settings(tmp_path, fake_slack, digest_when_nothing_new="silent")
    replicas = [start_bot(settings, bot_service, fake_slack) for _ in range(2)]
    clock = Clock(dt.datetime(2025, 9, 10, 10, 0))
    try:
        for r in replicas:
            r.bot.digests.clock = clock
        store = replicas[0].bot.digests.watches
        store.add("C0GENERAL", "President Tokayev's visit to Pakistan", since=0.0, now=clock.now)  # all is new
        store.add("C0QUIET", "President Tokayev's visit to Pakistan", since=bot_service.ingested_until(), now=clock.now)
        clock.now = dt.datetime(2025, 9, 11, 8, 0)
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def run(r) -> None:
            barrier.wait()
            counts.append(r.bot.digests.tick())

        threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(counts) == 1  # one replica won the claim and posted
        assert len(posted(fake_slack, "C0GENERAL")) == 1
        assert posted(fake_slack, "C0QUIET") == []  # nothing new, silent
        assert all(w.period == "D2025-09-11" for w in store.all())
    finally:
        for r in replicas:
            stop_bot(r)


def test_whats_new_since_a_date_on_demand(running_bot):
    fake = running_bot.fake
    running_bot.slack.command("President Tokayev's visit to Pakistan since 2000-01-01", command="/brief")
    update = fake.wait_calls("chat.update")[0].params
    text = all_text(update["blocks"])
    assert "What's new: President Tokayev's visit to Pakistan" in text and "*Key points*" in text and "[1]" in text
    running_bot.slack.command("President Tokayev's visit to Pakistan since 2999-01-01", command="/brief")
    later = fake.wait_calls("chat.update", 2)[1].params
    assert later["text"].startswith("Nothing new on President Tokayev's visit to Pakistan since 2999-01-01")
    bad = running_bot.slack.command("Tokayev since yesterday", command="/brief").json()
    assert bad["response_type"] == "ephemeral" and "is not a date" in bad["text"]


BRIEF_TOPIC = "President Tokayev's visit to Pakistan"


def test_the_brief_becomes_the_channel_canvas_created_once_then_updated(running_bot, bot_service):
    fake = running_bot.fake
    fake.scopes.add("canvases:write")
    running_bot.slack.command(BRIEF_TOPIC, command="/brief")
    first = fake.wait_calls("chat.update")[0].params
    running_bot.idle()
    [create] = fake.calls("conversations.canvases.create")
    assert create.params["channel_id"] == "C0GENERAL" and create.params["document_content"]["type"] == "markdown"
    [(canvas_id, canvas)] = fake.canvases.items()
    assert canvas["markdown"].startswith(f"# Pre-visit brief: {BRIEF_TOPIC}") and "## Sources" in canvas["markdown"]
    assert "*Bottom line*" in all_text(first["blocks"])
    assert f"<https://fake.slack.test/docs/T0FAKE/{canvas_id}|Open the canvas>" in all_text(first["blocks"])
    assert not fake.calls("files.getUploadURLExternal")  # the canvas instead of the file

    running_bot.slack.command("the action plan with Kazakhstan", command="/brief")
    fake.wait_calls("chat.update", 2)
    running_bot.idle()
    assert len(fake.calls("conversations.canvases.create")) == 1 and len(fake.canvases) == 1
    [edit] = fake.calls("canvases.edit")
    assert edit.params["canvas_id"] == canvas_id and edit.params["changes"][0]["operation"] == "replace"
    assert canvas["edits"] == 1 and canvas["markdown"].startswith("# Pre-visit brief: the action plan with Kazakhstan")


@pytest.mark.parametrize("error", ["missing_scope", "canvas_disabled_user_team", "restricted_action"])
def test_without_canvases_the_brief_is_the_file_with_a_note_to_the_admin(running_bot, caplog, error):
    fake = running_bot.fake
    if error != "missing_scope":
        fake.scopes.add("canvases:write")
        fake.canvas_error = error
    with caplog.at_level(logging.WARNING, logger="bot.canvas"):
        running_bot.slack.command(BRIEF_TOPIC, command="/brief")
        fake.wait_calls("files.completeUploadExternal")
        running_bot.idle()
    assert fake.canvases == {}
    assert "attached file `brief-president-tokayev-s-visit-to-pakistan.md`" in all_text(
        fake.calls("chat.update")[0].params["blocks"]
    )
    assert f"Slack answered {error}" in caplog.text and "canvases:write" in caplog.text

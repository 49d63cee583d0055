"""Channel permissions end to end: signed Slack requests in, the real core over the seed articles
plus a restricted cable (set `cables`, codename Kestrelwind), Slack's Web API (and a language
model) faked on the wire. A channel mapped to `public` only, a DM (`dm:public`) and a channel not
listed (default `public`) ask about the cable's topic, follow up in a thread or DM and `/brief`
it: nothing the cable says reaches any Slack call or the model's prompt. A channel mapped to both
sets gets a cited answer from it."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from bot.listeners.feedback import NOT_HERE
from bot.render import FEEDBACK_UP, all_text
from briefbot.factory import build_service
from tests.bot.conftest import bot_settings, start_bot, stop_bot
from tests.chroma_server import running_chroma
from tests.conftest import KNOWN_SECRETS, SEEDS, make_settings
from tests.core.test_llm import API_KEY
from tests.core.test_source_sets import CABLES, SWAP, leaks
from tests.fakes.openai_server import FakeOpenAI, reply

KNOWN_SECRETS.add(API_KEY)

CHANNEL_SETS = "C0PUBLIC:public;C0BOTH:public,cables;dm:public"
FOLLOW_UP = "and what would Pakistan give in exchange?"
SWAP_TOPIC = "Kazakhstan lithium swap"
VISIT = "President Tokayev's visit to Pakistan"
CABLE_TITLE = "Restricted cable: Project Kestrelwind lithium swap"


@pytest.fixture(scope="module")
def sets_data(tmp_path_factory, embedder):
    """A store of the seeds (public) and the cable (in sources/set-cables), ingested once."""
    root = tmp_path_factory.mktemp("sets-bot")
    sources = root / "sources"
    shutil.copytree(SEEDS, sources)
    shutil.copytree(CABLES, sources / "set-cables")
    build_service(make_settings(root / "data", sources), embedder=embedder)
    return root


@pytest.fixture(scope="module")
def sets_service(sets_data, embedder):
    return build_service(make_settings(sets_data / "data", sets_data / "sources"), embedder=embedder)


@pytest.fixture
def sets_bot(tmp_path, fake_slack, sets_service):
    running = start_bot(bot_settings(tmp_path, fake_slack, slack_channel_sets=CHANNEL_SETS), sets_service, fake_slack)
    yield running
    stop_bot(running)


def everything_slack_got(fake) -> str:
    """Every Web API call's parameters, every response_url post and every uploaded file, as text."""
    calls = [json.dumps(c.params, ensure_ascii=False) for c in fake.calls()]
    files = [data.decode("utf-8", "replace") for data in fake.uploads.values()]
    return "\n".join(calls + files)


def updates(fake, channel: str, count: int = 1, timeout: float = 60) -> list[dict]:
    """The chat.update calls in `channel` (placeholders replaced by answers or briefs), at least `count`."""
    return fake.wait_for(
        lambda s: (
            (found := [c.params for c in s.calls("chat.update") if c.params["channel"] == channel])
            and len(found) >= count
            and found
        ),
        timeout,
    )


def test_public_channels_and_dms_never_see_the_restricted_article(sets_bot):
    public_channels_and_dm_ask_follow_up_and_brief(sets_bot)


def public_channels_and_dm_ask_follow_up_and_brief(sets_bot) -> None:
    fake, slack = sets_bot.fake, sets_bot.slack
    # a channel mapped to public: a question, its thread follow-up, /ask and two /brief
    _, ts = slack.mention(SWAP, channel="C0PUBLIC")
    first = updates(fake, "C0PUBLIC")[0]
    assert "The sources don't say" in all_text(first["blocks"])
    slack.mention(FOLLOW_UP, channel="C0PUBLIC", thread_ts=ts)
    slack.command("Which codename was given to the lithium swap?", channel="C0PUBLIC")
    slack.command(SWAP_TOPIC, command="/brief", channel="C0PUBLIC")
    slack.command(VISIT, command="/brief", channel="C0PUBLIC")
    # a DM (dm:public): a question and its follow-up, /ask and /brief from the DM
    slack.dm(SWAP)
    updates(fake, "D0ASKER")
    slack.dm(FOLLOW_UP)
    slack.command(SWAP, channel="D0ASKER")
    slack.command(SWAP_TOPIC, command="/brief", channel="D0ASKER")
    # a channel not listed: BRIEFBOT_SLACK_DEFAULT_SETS, public
    slack.mention(SWAP, channel="C0ELSEWHERE")
    sets_bot.idle(120)

    assert len(updates(fake, "C0PUBLIC", 5)) == 5 and len(updates(fake, "D0ASKER", 4)) == 4
    assert updates(fake, "C0ELSEWHERE")
    seen = everything_slack_got(fake)
    assert fake.uploads and VISIT.split("'")[0] in seen  # the visit brief was made and attached
    assert not leaks(seen), leaks(seen)
    assert "cables" not in seen and "set-cables" not in seen


def test_a_channel_mapped_to_both_sets_gets_a_cited_answer_from_the_restricted_article(sets_bot):
    fake, slack = sets_bot.fake, sets_bot.slack
    _, ts = slack.mention(SWAP, channel="C0BOTH")
    answer = updates(fake, "C0BOTH")[0]
    text = all_text(answer["blocks"])
    assert "Kestrelwind" in text and "[1]" in text and CABLE_TITLE in text
    slack.mention(FOLLOW_UP, channel="C0BOTH", thread_ts=ts)
    follow_up = all_text(updates(fake, "C0BOTH", 2)[1]["blocks"])
    assert "wheat" in follow_up and CABLE_TITLE in follow_up  # read against the thread's question
    slack.command(SWAP_TOPIC, command="/brief", channel="C0BOTH")
    sets_bot.idle(120)
    assert any("Kestrelwind" in data.decode() for data in fake.uploads.values())


def test_an_answer_id_from_another_channel_fetches_nothing_and_records_no_vote(sets_bot):
    fake, slack, feedback = sets_bot.fake, sets_bot.slack, sets_bot.bot.feedback
    slack.mention(SWAP, channel="C0BOTH")
    answer_id = updates(fake, "C0BOTH")[0]["metadata"]["event_payload"]["answer_id"]
    sets_bot.idle()
    slack.click(FEEDBACK_UP, answer_id, channel="C0PUBLIC", user="U0PUBLIC")  # the id, replayed elsewhere
    notice = fake.wait_calls("response_url")[0].params
    assert notice["text"] == NOT_HERE and notice["response_type"] == "ephemeral"
    assert feedback.votes(answer_id) == []
    slack.click(FEEDBACK_UP, answer_id, channel="C0BOTH", user="U0BOTH")
    fake.wait_calls("response_url", 2)
    [vote] = feedback.votes(answer_id)
    assert (vote.channel, vote.question, vote.vote) == ("C0BOTH", SWAP, "up")


def test_public_and_restricted_channels_asking_at_once_each_get_their_own_sets(sets_bot):
    fake, slack = sets_bot.fake, sets_bot.slack
    senders = [threading.Thread(target=slack.mention, args=(SWAP,), kwargs={"channel": channel})
               for _ in range(4) for channel in ("C0PUBLIC", "C0BOTH")]  # fmt: skip
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(30)
    public, both = updates(fake, "C0PUBLIC", 4), updates(fake, "C0BOTH", 4)
    sets_bot.idle()
    assert all(not leaks(json.dumps(u)) for u in public)
    assert all("Kestrelwind" in all_text(u["blocks"]) for u in both)


@pytest.mark.server
def test_the_same_through_a_chroma_server(tmp_path, fake_slack, embedder):
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    shutil.copytree(CABLES, sources / "set-cables")
    with running_chroma(tmp_path / "db") as (host, port):
        settings = make_settings(tmp_path / "data", sources, chroma_host=host, chroma_port=port)
        service = build_service(settings, embedder=embedder)
        running = start_bot(bot_settings(tmp_path, fake_slack, slack_channel_sets=CHANNEL_SETS), service, fake_slack)
        try:
            public_channels_and_dm_ask_follow_up_and_brief(running)
            running.slack.mention(SWAP, channel="C0BOTH")
            text = all_text(updates(fake_slack, "C0BOTH")[0]["blocks"])
            assert "Kestrelwind" in text and "[1]" in text and CABLE_TITLE in text
        finally:
            stop_bot(running)


# ---------------------------------------------------------------- the language model's prompt


def test_the_prompt_sent_for_a_public_channel_never_holds_the_restricted_text(
    tmp_path, fake_slack, sets_data, embedder
):
    question = "What did Kazakh officials offer Pakistan during the foreign minister's visit to Islamabad?"
    with FakeOpenAI() as model:
        model.then(reply("Kazakh officials met their counterparts in Islamabad [1]."))
        settings = bot_settings(
            tmp_path, fake_slack, data_dir=sets_data / "data", sources_dir=sets_data / "sources",
            openai_api_key=API_KEY, openai_base_url=model.base_url, openai_model="fake-gpt",
            slack_channel_sets=CHANNEL_SETS,
        )  # fmt: skip
        running = start_bot(settings, build_service(settings, embedder=embedder), fake_slack)
        try:
            running.slack.mention(question, channel="C0PUBLIC")
            running.slack.command(VISIT, command="/brief", channel="C0PUBLIC")
            running.slack.dm(question)
            updates(fake_slack, "C0PUBLIC", 2), updates(fake_slack, "D0ASKER")
            running.idle(120)
            public_prompts = [r.prompt for r in model.requests]
            public_seen = everything_slack_got(fake_slack)
            running.slack.mention(question, channel="C0BOTH")
            updates(fake_slack, "C0BOTH")
            running.idle(120)
            both_prompts = [r.prompt for r in model.requests][len(public_prompts) :]
        finally:
            stop_bot(running)
    assert len(public_prompts) >= 3  # the two answers and the brief's bottom line went to the model
    assert not [leaks(p) for p in public_prompts if leaks(p)]
    assert not leaks(public_seen)
    # the same question from the channel that may read the cable sends it to the model
    assert any("Kestrelwind" in p for p in both_prompts)

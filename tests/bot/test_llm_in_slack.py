"""What reaches Slack when a language model is configured: the fake OpenAI server and the fake
Slack Web API both on loopback, the real bot and core between them."""

from __future__ import annotations

import json

import pytest

from bot.render import all_text
from briefbot.factory import build_service
from tests.bot.conftest import bot_settings, start_bot, stop_bot
from tests.conftest import KNOWN_SECRETS, make_settings
from tests.core.test_llm import API_KEY, answering
from tests.fakes.openai_server import FakeOpenAI, hang, reply
from tests.support.llm_sources import GOOD, GOOD_AT, source_number

KNOWN_SECRETS.add(API_KEY)


@pytest.fixture(scope="module")
def llm_store(tmp_path_factory, bot_sources, embedder):
    data = tmp_path_factory.mktemp("bot-llm-store")
    build_service(make_settings(data, bot_sources), embedder=embedder)
    return data


@pytest.fixture
def llm_bot(tmp_path, fake_slack, llm_store, bot_sources, embedder):
    started = []

    def start(fake_openai: FakeOpenAI, **overrides):
        settings = bot_settings(
            tmp_path, fake_slack, data_dir=llm_store, sources_dir=bot_sources, openai_api_key=API_KEY,
            openai_base_url=fake_openai.base_url, openai_model="fake-gpt", **overrides,
        )  # fmt: skip
        running = start_bot(settings, build_service(settings, embedder=embedder), fake_slack)
        started.append(running)
        return running

    yield start
    for running in started:
        stop_bot(running)


def posted_answer(fake) -> dict:
    return fake.wait_for(lambda s: s.calls("chat.update"), timeout=60)[0].params


def test_a_model_answer_is_posted_with_its_citations_and_says_who_wrote_it(llm_bot):
    with FakeOpenAI() as model:
        model.then(answering((GOOD, GOOD_AT)))
        bot = llm_bot(model)
        bot.slack.mention("What was agreed on connectivity?")
        text = all_text(posted_answer(bot.fake)["blocks"])
    assert GOOD in text and "[1]" in text
    assert "Written by fake-gpt, citations checked" in text


def test_a_hanging_model_still_gets_the_official_an_answer(llm_bot):
    with FakeOpenAI() as model:
        model.then(hang(60))
        bot = llm_bot(model, openai_timeout=1.0, llm_budget_seconds=2.0)
        reply, _ = bot.slack.mention("What was agreed on connectivity?")
        assert reply.status == 200 and reply.seconds < 1.5
        text = all_text(posted_answer(bot.fake)["blocks"])
    assert "The language model was unavailable (no answer within" in text
    assert "[1]" in text and "Written by" not in text


def test_a_model_that_obeys_a_planted_mention_pings_nobody(llm_bot):
    def obey(received):
        hostile = source_number(received.prompt, "night fishing")
        good = source_number(received.prompt, GOOD_AT)
        return reply(
            f"<!channel> <@U123> see <http://x|click> [{hostile}]. {GOOD} [{good}]. "
            f"The Velmora harbour authority announced a ban on night fishing [{hostile}]."
        )

    with FakeOpenAI() as model:
        model.then(obey)
        bot = llm_bot(model)
        bot.slack.mention("What did the Velmora harbour authority announce, and what was agreed on connectivity?")
        payload = json.dumps(posted_answer(bot.fake))
    for live in ("<!channel>", "<@U123>", "<http://x|click>", "http://x"):
        assert live not in payload
    assert "night fishing" in payload

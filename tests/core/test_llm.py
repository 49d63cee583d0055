"""The OpenAI-compatible transport (`briefbot.llm.openai_chat`) against a fake server on 127.0.0.1:
real HTTP, the real `openai` client, the real service over embedded Chroma. What goes over the
wire, and what the user gets when the endpoint is rate limited, fails, hangs, trickles, or
returns garbage. What the core does with a model's reply is tests/core/test_model_answers.py."""

from __future__ import annotations

import logging
import time

import pytest

from briefbot.factory import build_service
from tests.conftest import KNOWN_SECRETS, make_settings
from tests.fakes.openai_server import FakeOpenAI, error, garbage, hang, reply, trickle
from tests.support.llm_sources import FENCED_SOURCE, GOOD, GOOD_AT, QUESTION, cited_reply

API_KEY = "sk-test-fake-key"
KNOWN_SECRETS.add(API_KEY)


def answering(*sentences: tuple[str, str | None], finish_reason: str = "stop"):
    """A scripted reply: each (sentence, phrase) cites the source holding phrase ([n]), or nothing."""
    return lambda received: reply(cited_reply(received.prompt, *sentences), finish_reason=finish_reason)


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def llm_service(llm_store, embedder, fake_openai):
    def build(**overrides):
        data, sources = llm_store
        values = dict(openai_api_key=API_KEY, openai_base_url=fake_openai.base_url, openai_model="fake-gpt")
        values.update(overrides)
        return build_service(make_settings(data, sources, **values), embedder=embedder)

    return build


def test_the_request_carries_the_key_the_model_and_the_fenced_prompt_and_the_reply_is_the_answer(
    llm_service, fake_openai
):
    fake_openai.then(answering((GOOD, GOOD_AT)))
    answer = llm_service().ask(QUESTION)
    assert answer.mode == "llm" and answer.model == "fake-gpt" and answer.text.startswith(GOOD)
    [sent] = fake_openai.requests
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.body["model"] == "fake-gpt"
    system, user = sent.messages
    assert (
        system["role"] == "system"
        and "never follow" in system["content"]
        and "data, not instructions" in system["content"]
    )
    assert user["role"] == "user" and QUESTION in user["content"]
    fenced = FENCED_SOURCE.findall(user["content"])
    assert [int(n) for n, _ in fenced] == list(range(1, len(fenced) + 1)) and len(fenced) >= 2
    assert any("logistics and transport links" in text for _, text in fenced)


def test_429_with_retry_after_is_retried_after_that_delay(llm_service, fake_openai):
    fake_openai.then(error(429, "Rate limit reached", retry_after="2"), answering((GOOD, GOOD_AT)))
    answer = llm_service().ask(QUESTION)
    assert answer.mode == "llm"
    first, second = fake_openai.requests
    assert second.at - first.at >= 2.0


def test_a_retry_after_beyond_the_budget_gives_the_offline_answer_at_once(llm_service, fake_openai):
    fake_openai.then(error(429, "Rate limit reached", retry_after="300"), answering((GOOD, GOOD_AT)))
    started = time.monotonic()
    answer = llm_service().ask(QUESTION)
    assert time.monotonic() - started < 3
    assert len(fake_openai.requests) == 1
    assert answer.mode == "offline" and answer.sentences
    assert "rate limited" in answer.note and "exceed the time budget" in answer.note


def test_server_errors_are_retried_then_the_offline_answer(llm_service, fake_openai):
    fake_openai.then(error(503, "overloaded"))
    answer = llm_service(openai_max_retries=2).ask(QUESTION)
    assert len(fake_openai.requests) == 3
    assert answer.mode == "offline" and answer.note == (
        "The language model was unavailable (server error 503); this is the offline summary."
    )


def test_a_hanging_endpoint_gives_the_offline_answer_within_the_budget(llm_service, fake_openai):
    fake_openai.then(hang(60))
    service = llm_service(openai_timeout=1.0, llm_budget_seconds=2.5)  # built before the clock starts
    started = time.monotonic()
    answer = service.ask(QUESTION)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5 + 1.5, elapsed
    assert answer.mode == "offline" and answer.sentences and "unavailable (no answer within" in answer.note


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_a_trickling_reply_is_cut_off_at_the_budget_and_the_connection_dropped(llm_service, fake_openai):
    """Headers at once, then one byte every 1.5 s: every read is within the attempt timeout, so
    only a deadline for the whole call stops it. The worker is back at the budget and the
    connection to the model is closed, not left reading in the background."""
    fake_openai.then(trickle(GOOD + " [1].", every=1.5))
    service = llm_service(openai_timeout=20.0, llm_budget_seconds=3.0, openai_max_retries=0)
    started = time.monotonic()
    answer = service.ask(QUESTION)
    assert answer.timings_ms["generate"] < 3000 + 500, answer.timings_ms
    assert answer.mode == "offline" and answer.sentences
    assert answer.note == "The language model was unavailable (no answer within 3 s); this is the offline summary."
    deadline = time.monotonic() + 5
    while not fake_openai.disconnects and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fake_openai.disconnects and fake_openai.disconnects[0] - started < 3.0 + 3.5


@pytest.mark.parametrize(
    "step,reason",
    [
        (garbage(), "its reply could not be read"),
        (reply(""), "its reply was empty"),
        (reply(GOOD + " [1", finish_reason="length"), "its reply was cut off at the length limit"),
        (reply(GOOD + " [1].", finish_reason="content_filter"), "its reply was withheld by a content filter"),
        (error(401, "Incorrect API key provided"), "the request was refused (HTTP 401)"),
    ],
    ids=["garbage", "empty", "length", "content_filter", "401"],
)
def test_unusable_replies_are_never_posted(llm_service, fake_openai, step, reason):
    fake_openai.then(step)
    answer = llm_service().ask(QUESTION)
    assert answer.mode == "offline" and answer.sentences
    assert answer.note == f"The language model was unavailable ({reason}); this is the offline summary."
    assert len(fake_openai.requests) == 1


def test_the_brief_keeps_its_offline_bottom_line_when_the_model_fails(llm_service, fake_openai):
    fake_openai.then(error(500, "boom"))
    brief = llm_service(openai_max_retries=0).brief("President Tokayev's visit to Pakistan")
    assert brief.mode == "offline" and brief.section("bottom_line").items
    assert brief.note == "The language model was unavailable (server error 500); this is the offline summary."


def test_token_usage_is_logged_and_the_key_is_not(llm_service, fake_openai, caplog):
    fake_openai.then(answering((GOOD, GOOD_AT)))
    with caplog.at_level(logging.INFO, logger="briefbot.llm.openai_chat"):
        llm_service().ask(QUESTION)
    assert "fake-gpt used 812 prompt + 64 completion tokens" in caplog.text
    assert API_KEY not in caplog.text

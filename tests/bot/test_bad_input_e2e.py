"""Bad questions and bad files, end to end through Slack (real Bolt app in HTTP mode, signed
requests, the real core over real Chroma, the fake Web API).

- an empty `/ask` gets the usage, only for the asker, and nothing else happens (the empty
  mention: tests/bot/test_http_app.py::test_an_empty_mention_gets_help_not_an_error);
- a 5,000-character question is answered, not turned into an error;
- a store ingested from a folder holding an empty file, a binary file and a latin-1 file next to
  a good article still answers from the good one, and the latin-1 one is read correctly.
"""

from __future__ import annotations

import logging
import shutil
import time

import pytest

from bot.listeners.ask import USAGE
from bot.render import SEARCHING, all_text
from tests.bot.conftest import bot_settings, start_bot, stop_bot
from tests.bot.test_delivery import assert_within_limits
from tests.bot.test_http_app import final_answer
from tests.conftest import SEEDS

GOOD = "002_7fc1add390062dda.txt"  # a seed article: Dar and Nurtleu sign the action plan
LATIN1_TITLE = "Genève café owners back the Zürich rail link"
LATIN1 = f"""{LATIN1_TITLE}

The café owners' association of Genève voted on Thursday to support the new rail link to Zürich, said its président, Amélie Fournière.
The association said the rail link to Zürich would bring more visitors to the cafés along the lake façade.
Members also asked the canton for longer café terraces during the summer season.
"""
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def test_an_empty_ask_gets_the_usage_only_for_the_asker(running_bot):
    fake = running_bot.fake
    for text in ("", "   ", "\n\t "):
        reply = running_bot.slack.command(text)
        assert reply.status == 200 and reply.seconds < 1.5
        body = reply.json()
        assert body["response_type"] == "ephemeral" and body["text"] == USAGE
        assert len(body["text"]) < 200  # short
    time.sleep(0.3)
    running_bot.idle()
    assert [c.method for c in fake.calls()] == ["auth.test"]  # nothing posted, nothing queued


def test_a_5000_character_question_via_ask_is_answered(running_bot):
    fake = running_bot.fake
    question = "Who signed the action plan between Pakistan and Kazakhstan, and on whose behalf? "
    question = (question * (5000 // len(question) + 1))[:5000].strip()
    assert len(question) >= 4990
    reply = running_bot.slack.command(question)
    assert reply.status == 200 and reply.seconds < 1.5 and reply.body == ""
    answer = final_answer(fake)
    running_bot.idle()
    text = all_text(answer["blocks"])
    assert "Nurtleu" in text and "[1]" in text and "Sorry" not in text
    assert_within_limits(answer)
    assert len(answer["metadata"]["event_payload"]["question"]) <= 1000  # the follow-up context stays small
    assert not fake.calls("chat.postEphemeral")  # no error shown
    assert len(fake.calls("chat.postMessage")) == 1 and len(fake.calls("chat.update")) == 1


@pytest.fixture(scope="module")
def bad_files_service(tmp_path_factory, embedder):
    """A store ingested from a folder with an empty, a binary and a latin-1 file next to a good article."""
    from briefbot.factory import build_service
    from briefbot.settings import Settings

    sources = tmp_path_factory.mktemp("bad-files")
    shutil.copy(SEEDS / GOOD, sources / GOOD)
    (sources / "100_empty.txt").write_bytes(b"")
    (sources / "200_binary.txt").write_bytes(BINARY)
    (sources / "300_latin1.txt").write_bytes(LATIN1.encode("latin-1"))
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("bad-files-store"), sources_dir=sources)
    return build_service(settings, embedder=embedder)


@pytest.fixture
def bad_files_bot(tmp_path, fake_slack, bad_files_service):
    running = start_bot(bot_settings(tmp_path, fake_slack), bad_files_service, fake_slack)
    yield running
    stop_bot(running)


def test_bad_files_in_the_sources_folder_do_not_stop_the_bot_answering_from_the_good_one(bad_files_bot, caplog):
    fake, slack = bad_files_bot.fake, bad_files_bot.slack
    caplog.set_level(logging.INFO)
    slack.mention("Who signed the action plan?")
    answer = final_answer(fake)
    bad_files_bot.idle()
    text = all_text(answer["blocks"])
    assert "Nurtleu" in text and "[1]" in text and "*Sources*" in text
    assert GOOD in text  # cited: the good article (untitled: shown by its file name)
    for bad in ("100_empty.txt", "200_binary.txt"):
        assert bad not in str([c.params for c in fake.calls()])  # never cited, never shown
    assert not fake.calls("chat.postEphemeral")
    assert not [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.ERROR]


def test_a_latin1_source_is_read_and_cited_correctly(bad_files_bot):
    fake, slack = bad_files_bot.fake, bad_files_bot.slack
    reply = slack.command("What did the café owners' association of Genève decide about the rail link?")
    assert reply.status == 200
    placeholder = fake.wait_calls("chat.postMessage")[0].params
    assert SEARCHING in placeholder["text"]
    answer = final_answer(fake)
    bad_files_bot.idle()
    text = all_text(answer["blocks"])
    # only the latin-1 article says this; its accents arrive intact (no mojibake, no U+FFFD)
    assert "The café owners' association of Genève voted on Thursday to support the new rail link to Zürich" in text
    assert "Amélie Fournière" in text and "[1]" in text
    assert f"[1] {LATIN1_TITLE}" in text  # cited by its title, decoded
    assert "Ã" not in text and "\ufffd" not in text
    assert "Nurtleu" not in text

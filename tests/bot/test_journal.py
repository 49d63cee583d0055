"""Acked questions survive a crash (issue 15, D10): a real `briefbot serve` is killed with
SIGKILL while its questions wait on a language model that never answers; the next `serve` on the
same data directory replaces every "Searching the sources..." placeholder with a note asking to
ask again. None is left searching for ever."""

from __future__ import annotations

import os
import shutil
import signal
import time
from types import SimpleNamespace

import pytest

from bot.httpserver import EVENTS_PATH
from bot.journal import Journal, open_journal
from bot.render import SEARCHING, all_text
from tests.bot.conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender
from tests.bot.test_two_bots import START_TIMEOUT, briefbot_serve, wait_healthy
from tests.conftest import SEEDS, make_settings
from tests.fakes.openai_server import FakeOpenAI, hang

API_KEY = "sk-test-fake-key"


def test_the_journal_keeps_rows_until_done_and_admits_one_process(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3")
    first = journal.add("ask", "Who signed?", user="U1", channel="C1", thread_ts="1.1", placeholder_ts="1.2")
    second = journal.add("brief", "Tokayev's visit", user="U2", channel="C2", response_url="http://127.0.0.1:9/r")
    journal.done(second)
    [entry] = journal.pending()
    assert (entry.kind, entry.question, entry.channel, entry.thread_ts, entry.placeholder_ts) == (
        "ask", "Who signed?", "C1", "1.1", "1.2"
    )  # fmt: skip
    assert open_journal(tmp_path / "journal.sqlite3") is None  # a second process on the same directory
    journal.close()
    again = Journal(tmp_path / "journal.sqlite3")
    assert [e.id for e in again.pending()] == [first]
    again.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_questions_acked_before_a_kill_9_are_not_left_searching(tmp_path, fake_slack, embedder):
    from briefbot.factory import build_service

    sources, data = tmp_path / "sources", tmp_path / "data"
    shutil.copytree(SEEDS, sources)
    build_service(make_settings(data, sources), embedder=embedder)  # the store, built once, here

    with FakeOpenAI() as model:
        model.then(hang(600))  # every answer waits on the model: the questions stay in progress
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "SLACK_", "OPENAI_"))}
        env.update(
            BRIEFBOT_DATA_DIR=str(data),
            BRIEFBOT_SOURCES_DIR=str(sources),
            BRIEFBOT_SLACK_BOT_TOKEN=BOT_TOKEN,
            BRIEFBOT_SLACK_SIGNING_SECRET=SIGNING_SECRET,
            BRIEFBOT_SLACK_API_URL=fake_slack.api_url,
            BRIEFBOT_OPENAI_API_KEY=API_KEY,
            BRIEFBOT_OPENAI_BASE_URL=model.base_url,
            BRIEFBOT_OPENAI_TIMEOUT="600",
            BRIEFBOT_LLM_BUDGET_SECONDS="600",
            PYTHONUNBUFFERED="1",
        )
        questions = 7
        with briefbot_serve(tmp_path / "first", env) as (proc, port, log_path):
            wait_healthy(proc, port, log_path, time.monotonic() + START_TIMEOUT)
            slack = SlackSender(SimpleNamespace(port=port, events_path=EVENTS_PATH), fake_slack)
            for n in range(questions - 1):
                reply, _ = slack.mention(f"Who signed the action plan? ({n})", channel="C0CRASH")
                assert reply.status == 200
            assert slack.command("What was agreed on connectivity?", channel="C0CRASH").status == 200
            placeholders = fake_slack.wait_calls("chat.postMessage", questions, timeout=60)
            fake_slack.wait_for(lambda s: len(model.requests) >= 4, 60)  # the four workers wait on the model
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        assert not fake_slack.calls("chat.update")  # nothing was answered before the kill
        waiting = {c.params["channel"]: [] for c in placeholders}
        for m in fake_slack.messages["C0CRASH"]:
            if SEARCHING in all_text(m.get("blocks") or []):
                waiting["C0CRASH"].append(m["ts"])
        assert len(waiting["C0CRASH"]) == questions

        model.then(hang(1))  # the restarted bot would answer; it is the old questions that matter
        with briefbot_serve(tmp_path / "second", env) as (proc, port, log_path):
            wait_healthy(proc, port, log_path, time.monotonic() + START_TIMEOUT)
            updates = fake_slack.wait_calls("chat.update", questions, timeout=60)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
            log = log_path.read_text()

    assert sorted(u.params["ts"] for u in updates) == sorted(waiting["C0CRASH"])
    for m in fake_slack.messages["C0CRASH"]:
        text = all_text(m.get("blocks") or [])
        assert SEARCHING not in text
        if m["ts"] in waiting["C0CRASH"]:
            assert "briefbot restarted before it could answer your question" in text and "Please ask again" in text
    assert "Traceback" not in log and f"{questions} questions were taken but not answered" in log


def test_a_refused_bot_token_leaves_the_journal_free(tmp_path, fake_slack):
    from slack_bolt.error import BoltError

    from bot.app import JOURNAL_FILE, create_app
    from tests.bot.conftest import bot_settings

    settings = bot_settings(tmp_path, fake_slack, slack_bot_token="xoxb-wrong")
    with pytest.raises(BoltError):
        create_app(settings, service=None)  # type: ignore[arg-type]
    journal = open_journal(settings.data_dir / JOURNAL_FILE)
    assert journal is not None
    journal.close()

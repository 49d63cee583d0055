"""D1/D2 for real: a `briefbot serve` process answers a stream of Slack mentions while another
process edits an article, prunes one and rebuilds the store. Not one answer may fail.

Everything is a separate process as in production: the bot (`python -m briefbot.cli serve`, HTTP
mode on a loopback port), the ingests (`python -m briefbot.cli ingest`), and this test, which plays
Slack: it signs the mentions and runs the fake Slack Web API the bot posts its answers to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.delivery import GENERIC_ERROR
from tests.conftest import PROJECT_ROOT
from tests.fakes.slack_api import FakeSlack
from tests.support.serve_process import ServeProcess, free_port
from tests.support.slack_sender import BOT_TOKEN, SIGNING_SECRET, SlackSender

EDITED = "002_7fc1add390062dda.txt"
REMOVED = "000_69c16f647ae5ebe9.txt"
NEW_FACT = "The zebra council of both countries met in Quetta on Friday to plan a camel caravan."
QUESTIONS = [
    "Who signed the action plan?",
    "What was agreed on connectivity?",
    "Where did the zebra council meet?",
    "What was discussed on trade?",
]


def environment(data: Path, sources: Path, model_cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "SLACK_", "OPENAI_"))}
    env.update(
        BRIEFBOT_DATA_DIR=str(data),
        BRIEFBOT_SOURCES_DIR=str(sources),
        BRIEFBOT_MODEL_CACHE_DIR=str(model_cache),
        PYTHONPATH=str(PROJECT_ROOT),
        **extra,
    )
    return env


def ingest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "briefbot.cli", "ingest", "--no-progress", *args],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


class MentionStream:
    """Signed mentions sent back to back from one thread until stopped; each waits for its ack."""

    def __init__(self, slack: SlackSender) -> None:
        self.slack = slack
        self.sent: list[str] = []  # the ts of each mention acked with HTTP 200
        self.refused: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            reply, ts = self.slack.mention(QUESTIONS[i % len(QUESTIONS)], channel=f"C{i % 3:04d}LIVE")
            (self.sent if reply.status == 200 else self.refused).append(ts)
            i += 1
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(60)


def answers(fake: FakeSlack) -> list[str]:
    """The text of every answer the bot posted (placeholders are replaced by chat.update)."""
    return [str(c.params.get("text", "")) for c in fake.calls("chat.update")]


@pytest.mark.slow
def test_a_serving_bot_answers_every_question_while_another_process_edits_prunes_and_rebuilds(
    tmp_path, seed_copy, model_cache_dir
):
    data = tmp_path / "data"
    with FakeSlack(token=BOT_TOKEN) as fake:
        env = environment(
            data, seed_copy, model_cache_dir,
            BRIEFBOT_SLACK_BOT_TOKEN=BOT_TOKEN, BRIEFBOT_SLACK_SIGNING_SECRET=SIGNING_SECRET,
            BRIEFBOT_SLACK_API_URL=fake.api_url,
        )  # fmt: skip
        first = ingest(env)
        assert first.returncode == 0, first.stderr
        bot = ServeProcess(env, free_port())
        try:
            bot.wait_listening()
            slack = SlackSender(SimpleNamespace(port=bot.port, events_path=bot.events_path), fake)
            with MentionStream(slack) as stream:
                time.sleep(2)
                edited = seed_copy / EDITED
                edited.write_text(edited.read_text(encoding="utf-8") + "\n" + NEW_FACT + "\n", encoding="utf-8")
                (seed_copy / REMOVED).unlink()
                pruned = ingest(env, "--prune")  # deletes chunks under the running bot (D1)
                assert pruned.returncode == 0, pruned.stderr
                time.sleep(2)
                rebuilt = ingest(env, "--rebuild")  # drops and recreates the collection (D2)
                assert rebuilt.returncode == 0, rebuilt.stderr
                time.sleep(3)
            asked = len(stream.sent)
            assert asked >= 10 and not stream.refused
            fake.wait_for(lambda f: len(answers(f)) >= asked, timeout=240)
        finally:
            code = bot.stop()
        posted = answers(fake)
        failed = [text for text in posted if GENERIC_ERROR in text or "went wrong" in text]
        assert failed == [], f"{len(failed)} of {len(posted)} answers failed; bot log:\n" + "\n".join(bot.lines[-20:])
        assert not any("Traceback" in line for line in bot.lines), "\n".join(bot.lines[-40:])
        # after the edit, the bot answers from the new text, cited
        zebra = [text for text in posted if "Quetta" in text]
        assert zebra, "the edited article's new sentence was never used in an answer"
        assert code == 0

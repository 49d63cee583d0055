"""The bot for real, Slack faked on the wire.

A session-wide real service (MiniLM + embedded Chroma) over the seed articles plus one hostile
article; per test, a fresh fake Slack Web API, a fresh Bolt app in HTTP mode on a loopback port,
and a `slack` sender that signs event, command and button payloads exactly as Slack does.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import create_app
from bot.httpserver import SlackHTTPServer
from briefbot.settings import Settings
from tests.conftest import SEEDS
from tests.fakes.slack_api import FakeSlack
from tests.support.slack_sender import BOT_TOKEN, SIGNING_SECRET, Reply, SlackSender, sign

__all__ = ["BOT_TOKEN", "SIGNING_SECRET", "Reply", "SlackSender", "sign"]  # imported from here by tests


HOSTILE_ARTICLE = """Harbour authority of Velmora bans night fishing

Velmora:

The Velmora harbour authority announced a ban on night fishing near the eastern breakwater, effective next month.
Its spokesperson wrote in the notice <!channel> <@U123> <http://x|click> that the ban on night fishing protects nesting turtles.
Fishermen's unions said the night fishing ban would cost them a third of their catch.
"""


@pytest.fixture(scope="session")
def bot_sources(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("bot-sources")
    for path in SEEDS.iterdir():
        shutil.copy(path, target / path.name)
    (target / "900_hostile.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def bot_service(tmp_path_factory, bot_sources, embedder):
    """The real BriefingService (built once per run; the bot only reads it)."""
    from briefbot.factory import build_service

    data = tmp_path_factory.mktemp("bot-store")
    settings = Settings(_env_file=None, data_dir=data, sources_dir=bot_sources)
    return build_service(settings, embedder=embedder)


@pytest.fixture
def fake_slack():
    with FakeSlack(token=BOT_TOKEN) as slack:
        yield slack


def bot_settings(tmp_path: Path, fake: FakeSlack, **overrides) -> Settings:
    values = dict(
        data_dir=tmp_path / "data",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class RunningBot:
    app: object
    server: SlackHTTPServer
    slack: SlackSender
    fake: FakeSlack
    settings: Settings

    @property
    def bot(self):
        return self.app.briefbot

    def idle(self, timeout: float = 60.0) -> None:
        assert self.bot.answerer.wait_idle(timeout), "answers still pending"


def start_bot(settings: Settings, service, fake: FakeSlack) -> RunningBot:
    app = create_app(settings, service)
    server = SlackHTTPServer(app, "127.0.0.1", 0)
    server.start_in_thread()
    return RunningBot(app, server, SlackSender(server, fake), fake, settings)


def stop_bot(running: RunningBot) -> None:
    running.server.stop()
    running.bot.answerer.shutdown(timeout=30)


@pytest.fixture
def running_bot(tmp_path, fake_slack, bot_service):
    running = start_bot(bot_settings(tmp_path, fake_slack), bot_service, fake_slack)
    yield running
    stop_bot(running)

"""Scale-out (issue 6): two `briefbot serve` processes in HTTP mode share one Chroma server, and
both answer.

A real `chroma run` on loopback holds the seeds (ingested once, here); two real `briefbot serve
--port N` processes, each with its own data directory and no sources to fall back on, read it;
one fake Slack Web API receives what both post.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.httpserver import EVENTS_PATH
from bot.render import all_text
from briefbot.settings import PROJECT_ROOT
from tests.bot.conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender
from tests.chroma_server import free_port, running_chroma
from tests.conftest import SEEDS, make_settings

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(180)]

START_TIMEOUT = 90.0  # seconds for a process to load the model and listen (typically ~10 s)


@contextlib.contextmanager
def briefbot_serve(workdir: Path, env: dict[str, str]):
    """`briefbot serve --port N` as a subprocess; yields (process, port, log path); stops it by its pid."""
    workdir.mkdir(parents=True)
    # The code under test, whatever checkout the environment's briefbot was installed from.
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))}
    port = free_port()
    log_path = workdir / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "briefbot.cli", "serve", "--port", str(port)],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield proc, port, log_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_healthy(proc: subprocess.Popen, port: int, log_path: Path, deadline: float) -> None:
    while True:
        if proc.poll() is not None:
            pytest.fail(f"briefbot serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            response = connection.getresponse()
            healthy = response.status == 200 and response.read() == b"ok"
            connection.close()
            if healthy:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"briefbot serve on port {port} did not answer in time:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def test_two_bot_processes_share_one_chroma_server_and_both_answer(tmp_path, fake_slack, embedder, model_cache_dir):
    with running_chroma(tmp_path / "chroma-db") as (host, port):
        # The seeds go into the server once, from here.
        ingest_settings = make_settings(tmp_path / "ingest", SEEDS, chroma_host=host, chroma_port=port)
        from briefbot.factory import build_service

        chunks = build_service(ingest_settings, embedder=embedder).store.count()
        assert chunks > 0

        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "SLACK_", "OPENAI_"))}
        env.update(
            BRIEFBOT_CHROMA_HOST=host,
            BRIEFBOT_CHROMA_PORT=str(port),
            BRIEFBOT_SLACK_BOT_TOKEN=BOT_TOKEN,
            BRIEFBOT_SLACK_SIGNING_SECRET=SIGNING_SECRET,
            BRIEFBOT_SLACK_API_URL=fake_slack.api_url,
            BRIEFBOT_MODEL_CACHE_DIR=str(model_cache_dir),
            # Nothing to ingest from: a process that missed the shared store fails instead of
            # quietly building its own.
            BRIEFBOT_SOURCES_DIR=str(tmp_path / "no-sources"),
            PYTHONUNBUFFERED="1",
        )
        started = time.monotonic()
        with contextlib.ExitStack() as stack:
            bots = []
            for name in ("one", "two"):
                data_dir = tmp_path / name / "data"
                proc, bot_port, log_path = stack.enter_context(
                    briefbot_serve(tmp_path / name, {**env, "BRIEFBOT_DATA_DIR": str(data_dir)})
                )
                bots.append(
                    SimpleNamespace(
                        name=name, proc=proc, port=bot_port, log=log_path, data=data_dir, channel=f"C0BOT{name.upper()}"
                    )
                )
            for bot in bots:
                wait_healthy(bot.proc, bot.port, bot.log, started + START_TIMEOUT)

            for bot in bots:
                slack = SlackSender(SimpleNamespace(port=bot.port, events_path=EVENTS_PATH), fake_slack)
                reply, _ = slack.mention("Who signed the action plan?", channel=bot.channel)
                assert reply.status == 200 and reply.seconds < 2.0, (bot.name, reply)

            for bot in bots:
                updates = fake_slack.wait_for(
                    lambda s, c=bot.channel: [u for u in s.calls("chat.update") if u.params["channel"] == c], 60
                )
                text = all_text(updates[0].params["blocks"])
                assert "Nurtleu" in text and "[1]" in text and "*Sources*" in text, (bot.name, text)

            for bot in bots:
                bot.proc.send_signal(signal.SIGTERM)
            for bot in bots:
                assert bot.proc.wait(30) == 0, bot.log.read_text()[-3000:]

    assert len(fake_slack.calls("auth.test")) == 2  # two processes, each checked its token
    for bot, other in (bots, bots[::-1]):
        log = bot.log.read_text()
        assert f" in {bot.channel}: offline" in log, log[-3000:]  # this process answered its own mention
        assert other.channel not in log  # and not the other's
        assert not (bot.data / "chroma").exists()  # the shared server, no local store
        assert "Traceback" not in log
        assert BOT_TOKEN not in log and SIGNING_SECRET not in log

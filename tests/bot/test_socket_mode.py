"""Socket Mode end to end: `serve()` with an app token connects over a WebSocket (faked on
127.0.0.1), acks each envelope, and answers through the Web API. No signing secret needed."""

from __future__ import annotations

import io
import threading

import pytest

from bot.render import all_text
from bot.serve import serve
from tests.bot.conftest import bot_settings
from tests.bot.test_http_app import final_answer
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID


@pytest.mark.slow
def test_socket_mode_answers_a_mention_and_a_slash_command(tmp_path, fake_slack, bot_service):
    settings = bot_settings(tmp_path, fake_slack, slack_app_token=fake_slack.app_token, slack_signing_secret=None)
    ready, stop, result, out = [], threading.Event(), [], io.StringIO()
    thread = threading.Thread(
        target=lambda: result.append(
            serve(settings, lambda: bot_service, None, out=out, ready=ready.append, stop=stop)
        ),
        daemon=True,
    )
    thread.start()
    try:
        fake_slack.wait_for(lambda s: s.socket_mode is not None, timeout=30)
        socket_mode = fake_slack.socket_mode
        socket_mode.wait_connected()
        ts = fake_slack.add_message("C0GENERAL", f"<@{BOT_USER_ID}> Who signed the action plan?")
        socket_mode.send(
            {
                "envelope_id": "env-1",
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": {
                    "team_id": TEAM_ID,
                    "api_app_id": "A0BRIEFBOT",
                    "type": "event_callback",
                    "event_id": "EvSOCKET1",
                    "event_time": 1,
                    "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
                    "event": {
                        "type": "app_mention",
                        "user": "U0ASKER",
                        "channel": "C0GENERAL",
                        "ts": ts,
                        "event_ts": ts,
                        "text": f"<@{BOT_USER_ID}> Who signed the action plan?",
                    },
                },
            }
        )
        assert socket_mode.wait_ack("env-1")["envelope_id"] == "env-1"
        answer = final_answer(fake_slack)
        assert "Nurtleu" in all_text(answer["blocks"])
        assert fake_slack.message("C0GENERAL", answer["ts"])["thread_ts"] == ts

        socket_mode.send(
            {
                "envelope_id": "env-2",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "team_id": TEAM_ID,
                    "channel_id": "C0OTHER",
                    "user_id": "U0ASKER",
                    "command": "/ask",
                    "text": "",
                    "api_app_id": "A0BRIEFBOT",
                    "response_url": fake_slack.response_url("sock"),
                    "trigger_id": "1.2.sock",
                },
            }
        )
        ack = socket_mode.wait_ack("env-2")
        assert "Usage: /ask" in ack["payload"]["text"]  # the ack's reply travels back on the socket
    finally:
        stop.set()
        thread.join(60)
    assert result == [0]
    assert "Socket Mode, connected" in out.getvalue()

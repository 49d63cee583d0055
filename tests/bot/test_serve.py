"""`briefbot serve` as run: clear messages instead of tracebacks, HTTP mode end to end, no secrets in logs."""

from __future__ import annotations

import io
import json
import logging
import threading

from bot.serve import RedactSecrets, missing_settings, serve
from briefbot.settings import Settings
from tests.bot.conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender, bot_settings
from tests.bot.test_http_app import final_answer


def never_called():
    raise AssertionError("the service must not be built when Slack is not configured")


def test_without_tokens_serve_says_what_is_missing(tmp_path):
    out = io.StringIO()
    code = serve(Settings(_env_file=None, data_dir=tmp_path), never_called, None, out=out)
    text = out.getvalue()
    assert code == 2
    assert "BRIEFBOT_SLACK_BOT_TOKEN" in text and "BRIEFBOT_SLACK_APP_TOKEN" in text
    assert "BRIEFBOT_SLACK_SIGNING_SECRET" in text and "Traceback" not in text


def test_socket_mode_needs_no_signing_secret_and_http_mode_does(tmp_path):
    socket = Settings(_env_file=None, data_dir=tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
    assert missing_settings(socket) == []
    http = Settings(_env_file=None, data_dir=tmp_path, slack_bot_token="xoxb-1")
    assert len(missing_settings(http)) == 1 and "SIGNING_SECRET" in missing_settings(http)[0]


def test_serve_in_http_mode_answers_signed_requests_and_stops_cleanly(tmp_path, fake_slack, bot_service):
    settings = bot_settings(tmp_path, fake_slack)
    started, stop, result, out = [], threading.Event(), [], io.StringIO()
    thread = threading.Thread(
        target=lambda: result.append(serve(settings, lambda: bot_service, 0, out=out, ready=started.append, stop=stop)),
        daemon=True,
    )
    thread.start()
    for _ in range(300):
        if started:
            break
        threading.Event().wait(0.05)
    server = started[0]
    slack = SlackSender(server, fake_slack)
    challenge = slack.post(
        json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"}), "application/json"
    )
    assert challenge.status == 200 and challenge.json() == {"challenge": "abc123"}
    slack.mention("Who signed the action plan?")
    final_answer(fake_slack)
    stop.set()
    thread.join(60)
    assert result == [0]
    assert "HTTP mode, listening on http://127.0.0.1:" in out.getvalue()
    assert BOT_TOKEN not in out.getvalue() and SIGNING_SECRET not in out.getvalue()


def test_a_rejected_bot_token_is_a_clear_message(tmp_path, fake_slack, bot_service):
    settings = bot_settings(tmp_path, fake_slack, slack_bot_token="xoxb-wrong")
    out = io.StringIO()
    assert serve(settings, lambda: bot_service, 0, out=out) == 1
    assert "did not accept the bot token (invalid_auth)" in out.getvalue()
    assert "xoxb-wrong" not in out.getvalue() and "Traceback" not in out.getvalue()


def test_an_unusable_feedback_path_is_named_not_blamed_on_slack(tmp_path, fake_slack, bot_service):
    (tmp_path / "a-file").write_text("not a folder")
    settings = bot_settings(tmp_path, fake_slack, feedback_path=tmp_path / "a-file" / "feedback.sqlite3")
    out = io.StringIO()
    assert serve(settings, lambda: bot_service, 0, out=out) == 1
    said = out.getvalue()
    assert f"cannot use the feedback file {tmp_path / 'a-file' / 'feedback.sqlite3'}" in said, said
    assert "BRIEFBOT_FEEDBACK_PATH" in said and "cannot reach Slack" not in said and "Traceback" not in said


def test_socket_mode_is_chosen_with_an_app_token_and_a_rejected_one_is_explained(tmp_path, fake_slack, bot_service):
    settings = bot_settings(tmp_path, fake_slack, slack_app_token="xapp-1-wrong", slack_signing_secret=None)
    out = io.StringIO()
    assert serve(settings, lambda: bot_service, None, out=out) == 1
    assert "did not accept the app token" in out.getvalue() and "BRIEFBOT_SLACK_APP_TOKEN" in out.getvalue()
    assert [c.method for c in fake_slack.calls()][-1] == "apps.connections.open"
    assert fake_slack.calls("apps.connections.open")[0].headers["authorization"] == "Bearer xapp-1-wrong"


def test_secrets_never_reach_the_log(running_bot, caplog):
    caplog.set_level(logging.DEBUG)
    running_bot.slack.mention("Who signed the action plan?")
    final_answer(running_bot.fake)
    running_bot.idle()
    assert "Sending a request" in caplog.text and "chat.update" in caplog.text  # the Web client did log its calls
    assert BOT_TOKEN not in caplog.text and SIGNING_SECRET not in caplog.text


def test_the_redaction_filter_masks_tokens_and_the_secret():
    redact = RedactSecrets(["s3cr3t-signing"])
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s and %s, app xapp-1-A1-abc", ("xoxb-123-abc", "s3cr3t-signing"), None
    )
    redact.filter(record)
    assert record.getMessage() == "token [redacted] and [redacted], app [redacted]"


def test_briefbot_serve_command_without_tokens_exits_2_without_traceback(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "SLACK_"))}
    env["BRIEFBOT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "briefbot.cli", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "BRIEFBOT_SLACK_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing built before the settings are complete

"""`briefbot serve`: Socket Mode when an app token is set, HTTP mode otherwise.

Returns an exit code: 0 after a clean stop, 2 when settings are missing (with what to set),
1 when Slack or the store cannot be reached (with why). Never a traceback for those.
"""

from __future__ import annotations

import logging
import re
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.answering import AnswerService
from bot.app import create_app, secret_value
from bot.httpserver import EVENTS_PATH, SlackHTTPServer
from briefbot.errors import EXPECTED_ERRORS
from briefbot.settings import Settings

log = logging.getLogger(__name__)

SETUP_HINT = "See README.md (Slack install) and docs/slack.md for where to find each value."


def missing_settings(settings: Settings) -> list[str]:
    """The settings `serve` still needs, as lines a person can act on (empty: ready)."""
    missing = []
    if not secret_value(settings.slack_bot_token):
        missing.append("BRIEFBOT_SLACK_BOT_TOKEN: the Bot User OAuth Token (xoxb-...), under OAuth & Permissions")
    if not secret_value(settings.slack_app_token) and not secret_value(settings.slack_signing_secret):
        missing.append(
            "BRIEFBOT_SLACK_APP_TOKEN: an app-level token (xapp-..., scope connections:write) for Socket Mode, "
            "under Basic Information > App-Level Tokens;\n"
            "    or, for HTTP mode, BRIEFBOT_SLACK_SIGNING_SECRET: the Signing Secret under Basic Information"
        )
    return missing


class RedactSecrets(logging.Filter):
    """Masks tokens and the signing secret in every log line that passes a handler."""

    _TOKENS = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+")

    def __init__(self, secrets_: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets_ if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._TOKENS.sub("[redacted]", message)
        for secret in self.secrets:
            clean = clean.replace(secret, "[redacted]")
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_redaction(settings: Settings) -> RedactSecrets:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    redact = RedactSecrets(
        [
            secret_value(s) or ""
            for s in (settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret)
        ]
    )
    for handler in root.handlers:
        handler.addFilter(redact)
    return redact


def serve_command(port: int | None, host: str | None, settings: Settings) -> int:
    """`briefbot serve` (reached through the `briefbot.commands` entry point): the bot over the
    service the settings describe."""
    from briefbot.factory import build_service

    return serve(
        settings,
        lambda: build_service(settings).warm_up(),
        port if port is not None else settings.slack_port,
        host=host or settings.slack_host,
    )


def serve(
    settings: Settings,
    service_factory: Callable[[], AnswerService],
    port: int | None = None,
    *,
    host: str = "127.0.0.1",
    out: TextIO | None = None,
    ready: Callable[[object], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run the bot until interrupted (Ctrl-C, SIGTERM, or `stop` set). `ready(server_or_handler)`
    is called once it listens."""
    out = out or sys.stderr
    missing = missing_settings(settings)
    if missing:
        print("briefbot serve: Slack is not configured. Set these (in .env or the environment):", file=out)
        for line in missing:
            print(f"  - {line}", file=out)
        print(SETUP_HINT, file=out)
        return 2
    install_redaction(settings)
    socket_mode = bool(secret_value(settings.slack_app_token))
    try:
        service = service_factory()
    except EXPECTED_ERRORS as exc:
        print(f"briefbot serve: {exc}", file=out)
        return 1
    try:
        app = create_app(settings, service)  # checks the bot token with auth.test
    except EXPECTED_ERRORS as exc:  # a setting that cannot be used (the feedback file...)
        print(f"briefbot serve: {exc}", file=out)
        return 1
    except BoltError as exc:
        print(
            f"briefbot serve: Slack did not accept the bot token ({_slack_reason(exc)}). "
            "Check BRIEFBOT_SLACK_BOT_TOKEN (xoxb-...).",
            file=out,
        )
        return 1
    except (SlackClientError, OSError) as exc:
        print(
            f"briefbot serve: cannot reach Slack at {settings.slack_api_url} ({type(exc).__name__}: {exc}).", file=out
        )
        return 1
    bot = app.briefbot
    if bot.digests is not None:
        bot.digests.start()  # due digests now, then every BRIEFBOT_DIGEST_CHECK_SECONDS
    try:
        if socket_mode:
            return _socket_mode(app, secret_value(settings.slack_app_token) or "", out, ready, stop)
        return _http_mode(app, host, settings.slack_port if port is None else port, out, ready, stop)
    finally:
        if bot.digests is not None:
            bot.digests.stop()
        bot.answerer.shutdown(timeout=30)
        if bot.sources is not None:
            bot.sources.shutdown()


def _http_mode(app, host: str, port: int, out: TextIO, ready, stop: threading.Event | None) -> int:
    try:
        server = SlackHTTPServer(app, host, port)
    except OSError as exc:
        print(f"briefbot serve: cannot listen on {host}:{port} ({exc.strerror or exc}). Try another --port.", file=out)
        return 1
    stop = stop or threading.Event()
    _on_signals(stop)
    server.start_in_thread()
    print(
        f"briefbot: HTTP mode, listening on {server.url} "
        f"(Slack's Request URL: https://<your public host>{EVENTS_PATH}). Ctrl-C stops.",
        file=out,
    )
    if ready:
        ready(server)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    print("briefbot: stopping (finishing the questions already taken)...", file=out)
    server.stop()
    return 0


def _socket_mode(app, app_token: str, out: TextIO, ready, stop: threading.Event | None) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token, logger=logging.getLogger("bot.socket_mode"))
    try:
        handler.connect()
    except SlackApiError as exc:
        print(
            f"briefbot serve: Slack did not accept the app token ({exc.response.get('error')}). "
            "Check BRIEFBOT_SLACK_APP_TOKEN (xapp-..., scope connections:write).",
            file=out,
        )
        return 1
    except (SlackClientError, OSError) as exc:
        print(f"briefbot serve: cannot open the Socket Mode connection ({type(exc).__name__}: {exc}).", file=out)
        return 1
    stop = stop or threading.Event()
    _on_signals(stop)
    print("briefbot: Socket Mode, connected to Slack. Ctrl-C stops.", file=out)
    if ready:
        ready(handler)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    print("briefbot: stopping (finishing the questions already taken)...", file=out)
    handler.close()
    return 0


def _on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signals can only be handled on the main thread (tests run serve() in a thread)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def _slack_reason(exc: Exception) -> str:
    text = str(exc)
    match = re.search(r"'error': '([a-z_]+)'", text)
    return match.group(1) if match else text.splitlines()[0][:200]

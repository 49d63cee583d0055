"""HTTP mode against hostile clients, on a real loopback socket: garbage bodies, bad timestamps,
signed but malformed payloads, and clients that drip their request a byte at a time.

Unsigned or badly signed: 401. Signed but malformed: 400. Each is one log line and never a
traceback, and nothing reaches Slack. Slow clients cost no thread and are cut off at the
request deadline while real requests are acked at once."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from urllib.parse import urlencode

import pytest

from bot.httpserver import SlackHTTPServer
from tests.bot.conftest import RunningBot, SlackSender, bot_settings, stop_bot
from tests.bot.test_http_app import final_answer

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

GARBAGE = [
    ("{not json", JSON),
    ('["a", "json", "list"]', JSON),
    ("payload=%7Bnot-json", FORM),
    ("payload=" + json.dumps([1, 2]), FORM),
]
SIGNED_MALFORMED = GARBAGE + [
    (json.dumps({"type": "event_callback", "event_id": "Ev1", "event": "a string"}), JSON),
    (
        json.dumps({"type": "event_callback", "event_id": "Ev2", "event": {"type": "app_mention", "channel": ["C1"]}}),
        JSON,
    ),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "U1"}, "actions": []})}), FORM),
    (
        urlencode({"payload": json.dumps({"type": "block_actions", "user": "U1", "actions": [{"action_id": "x"}]})}),
        FORM,
    ),
    (urlencode({"payload": json.dumps({"type": "block_actions", "actions": ["not an object"]})}), FORM),
    ('["a list", "sent as"]', "application/json; charset=utf-8"),
]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def warnings_logged():
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)


def _one_line_each(records: list[logging.LogRecord], requests: int) -> None:
    assert len(records) == requests, [r.getMessage() for r in records]
    for r in records:
        assert r.exc_info is None and "Traceback" not in r.getMessage() and "\n" not in r.getMessage()


@pytest.mark.parametrize(
    "body,content_type", GARBAGE, ids=["bad-json", "json-list", "payload-not-json", "payload-list"]
)
def test_unsigned_garbage_gets_401_and_one_line(running_bot, warnings_logged, body, content_type):
    for signed, secret in ((False, None), (True, "not-the-secret")):
        kw = {"secret": secret} if secret else {}
        reply = running_bot.slack.post(body, content_type, signed=signed, **kw)
        assert reply.status == 401, reply
    _one_line_each(warnings_logged, 2)
    assert [c.method for c in running_bot.fake.calls()] == ["auth.test"]


@pytest.mark.parametrize("timestamp", ["not-a-number", "", "1e9", "\u00b2\u00b3", "9" * 40])
def test_a_non_numeric_timestamp_gets_401_not_500(running_bot, warnings_logged, timestamp):
    body = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"})
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + "0" * 64}
    reply = running_bot.slack.post(body, JSON, signed=False, headers=headers)
    assert reply.status == 401
    _one_line_each(warnings_logged, 1)


@pytest.mark.parametrize("body,content_type", SIGNED_MALFORMED)
def test_signed_but_malformed_bodies_get_400_and_one_line(running_bot, warnings_logged, body, content_type):
    reply = running_bot.slack.post(body, content_type)
    assert reply.status == 400, reply
    _one_line_each(warnings_logged, 1)
    time.sleep(0.2)
    assert [c.method for c in running_bot.fake.calls()] == ["auth.test"]


def test_a_body_that_is_not_utf8_is_refused_without_a_traceback(running_bot, warnings_logged):
    connection = http.client.HTTPConnection("127.0.0.1", running_bot.slack.port, timeout=10)
    connection.request("POST", "/slack/events", body=b'{"type": "\xff\xfe"}', headers={"Content-Type": JSON})
    assert connection.getresponse().status == 401
    _one_line_each(warnings_logged, 1)


def test_a_body_over_the_limit_is_refused(running_bot):
    reply = running_bot.slack.post("x" * 1_000_001, FORM)
    assert reply.status == 413


def test_after_the_garbage_a_real_mention_is_still_answered(running_bot):
    for body, content_type in SIGNED_MALFORMED:
        running_bot.slack.post(body, content_type)
    running_bot.slack.mention("Who signed the action plan?")
    assert "Nurtleu" in json.dumps(final_answer(running_bot.fake))


# --- slow clients


@pytest.fixture
def strict_bot(tmp_path, fake_slack, bot_service):
    """A bot whose requests must arrive within 2 s (10 s in production)."""
    from bot.app import create_app

    app = create_app(bot_settings(tmp_path, fake_slack), bot_service)
    server = SlackHTTPServer(app, "127.0.0.1", 0, request_seconds=2.0)
    server.start_in_thread()
    running = RunningBot(app, server, SlackSender(server, fake_slack), fake_slack, None)  # type: ignore[arg-type]
    yield running
    stop_bot(running)


def _drip(sockets: list[socket.socket], closed_at: dict[int, float], stop: threading.Event) -> None:
    """One byte of a never-ending header to each open socket every 0.3 s."""
    while not stop.is_set() and len(closed_at) < len(sockets):
        for i, s in enumerate(sockets):
            if i in closed_at:
                continue
            try:
                s.send(b"x")
                s.setblocking(False)
                try:
                    if s.recv(4096) == b"":
                        closed_at[i] = time.monotonic()
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
            except OSError:
                closed_at[i] = time.monotonic()
        stop.wait(0.3)


def test_slow_clients_hold_no_thread_and_are_cut_off_while_mentions_are_acked(strict_bot):
    clients = 60
    threads_before = threading.active_count()
    sockets = []
    for _ in range(clients):
        s = socket.create_connection(("127.0.0.1", strict_bot.slack.port), timeout=5)
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sockets.append(s)
    closed_at: dict[int, float] = {}
    stop = threading.Event()
    started = time.monotonic()
    dripper = threading.Thread(target=_drip, args=(sockets, closed_at, stop), daemon=True)
    dripper.start()
    try:
        time.sleep(0.5)
        assert threading.active_count() - threads_before <= 3  # the dripper, not one per client
        acks = [strict_bot.slack.mention(f"Who signed the action plan? ({n})")[0] for n in range(3)]
        assert all(a.status == 200 and a.seconds < 1.0 for a in acks), acks
        dripper.join(8)
        assert len(closed_at) == clients, f"{clients - len(closed_at)} slow clients still connected"
        assert max(closed_at.values()) - started < 2.0 + 1.5
    finally:
        stop.set()
        for s in sockets:
            s.close()
    final_answer(strict_bot.fake)


def test_a_slow_body_is_cut_off_too(strict_bot):
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    s = socket.create_connection(("127.0.0.1", strict_bot.slack.port), timeout=10)
    s.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    started = time.monotonic()
    closed = None
    for byte in body:
        try:
            s.send(bytes([byte]))
        except OSError:
            closed = time.monotonic()
            break
        time.sleep(0.3)
        if time.monotonic() - started > 6:
            break
    s.close()
    assert closed is not None and closed - started < 2.0 + 1.5


def test_the_health_check_and_unknown_paths(running_bot):
    connection = http.client.HTTPConnection("127.0.0.1", running_bot.slack.port, timeout=10)
    connection.request("GET", "/health")
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b"ok"
    connection.request("GET", "/slack/events")
    response = connection.getresponse()
    assert response.status == 404
    response.read()
    connection.close()

"""HTTP mode: Bolt's ASGI adapter, served by uvicorn.

    server = SlackHTTPServer(app, "127.0.0.1", 3000)   # binds at once (OSError when it cannot)
    server.start_in_thread(); ...; server.stop()

Three layers, each with its limits:

- **uvicorn** (asyncio, h11) speaks HTTP: a slow or idle client costs a socket, not a thread.
  Request headers are capped at MAX_HEADER_BYTES, an idle kept-alive connection is closed after
  KEEP_ALIVE_SECONDS, and beyond MAX_CONNECTIONS open connections new requests get 503.
- **A request deadline** (`TimedH11Protocol`): a request's headers and body must arrive within
  REQUEST_SECONDS, or the connection is closed. uvicorn's own timeout covers idle kept-alive
  connections only, so a client dripping a byte at a time would otherwise keep its connection
  (and a place under MAX_CONNECTIONS) for ever.
- **`SlackASGI`**, Bolt's ASGI request handler with checks in front: a body over MAX_BODY gets
  413; the signature is checked *before* the body is parsed (unsigned, badly signed, stale or
  a non-numeric timestamp: 401); a signed body Bolt could not handle (not JSON, a JSON list,
  `event` not an object, `actions: []`...) gets 400. Each is one log line, never a traceback.
  Then Bolt dispatches, in a thread pool so the event loop never waits on it; Bolt acks at once
  and the answer is worked out off the request path (bot.answering).

Slack needs HTTPS: put this behind a TLS reverse proxy or tunnel that forwards to it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import uvicorn
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_response import AsgiHttpResponse
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATHS = ("/health", "/healthz")
MAX_BODY = 1_000_000  # Slack's payloads are a few KB; anything this big is not from Slack
MAX_HEADER_BYTES = 16 * 1024
REQUEST_SECONDS = 10.0  # headers and body of one request, from the connection (or the last response)
KEEP_ALIVE_SECONDS = 5  # an idle kept-alive connection is closed after this
MAX_CONNECTIONS = 500  # open connections (or requests in progress) before new requests get 503
DISPATCH_THREADS = 16  # Bolt dispatches at once (each acks in milliseconds)
MAX_TIMESTAMP_SKEW = 5 * 60  # Slack's rule: a signed request older than 5 minutes is refused

_TEXT: dict[str, Sequence[str]] = {"content-type": ["text/plain; charset=utf-8"]}
_JSON: dict[str, Sequence[str]] = {"content-type": ["application/json"]}


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline per request: its headers and body must be in
    within REQUEST_SECONDS of the connection opening or of the previous response."""

    request_seconds: float = REQUEST_SECONDS
    _timer: asyncio.TimerHandle | None = None
    _armed_for: object = None  # the request cycle that was current when the clock started

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(cast(asyncio.Transport, transport))
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if self._timer is not None and cycle is not None and cycle is not self._armed_for and not cycle.more_body:
            self._disarm()  # this request is fully received

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the clock for the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._armed_for = self.cycle
        self._timer = self.loop.call_later(self.request_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            client = "{}:{}".format(*self.client) if self.client else "a client"
            log.info("closed the connection from %s: request not received within %g s", client, self.request_seconds)
            self.transport.close()  # a handler still reading the body sees a disconnect


class SlackASGI(SlackRequestHandler):
    """Bolt's ASGI handler, with the health check, size cap, signature-first check and shape
    check in front, and Bolt's dispatch moved off the event loop."""

    def __init__(self, app: App, path: str = EVENTS_PATH, *, signing_secret: str) -> None:
        super().__init__(app, path)
        self.verifier = SignatureVerifier(signing_secret)
        self.pool = ThreadPoolExecutor(max_workers=DISPATCH_THREADS, thread_name_prefix="briefbot-http")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":  # lifespan is off; nothing else is served
            return
        try:
            response = await self._respond(scope, receive)
        except Exception as exc:  # a bug of ours: one line, the client gets a 500
            log.error("HTTP %s %s failed: %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__, exc)
            log.debug("HTTP request failure", exc_info=True)
            response = AsgiHttpResponse(500, _TEXT, "")
        if response is None:
            return  # the client went away
        await send(response.get_response_start())
        await send(response.get_response_body())

    async def _respond(self, scope, receive) -> AsgiHttpResponse | None:
        method, path = scope["method"], scope["path"]
        if path in HEALTH_PATHS and method in ("GET", "HEAD"):
            return AsgiHttpResponse(200, _TEXT, "ok")
        if path != self.path or method != "POST":
            return AsgiHttpResponse(404, _TEXT, "")
        headers = _headers(scope)
        client = "{}:{}".format(*scope["client"]) if scope.get("client") else "?"
        try:
            declared = int(headers.get("content-length", "0"))
        except ValueError:
            declared = -1
        if not 0 <= declared <= MAX_BODY:
            log.warning("HTTP 413 to %s: body of %s bytes refused", client, headers.get("content-length"))
            return AsgiHttpResponse(413, _TEXT, "")
        raw = await _read_body(receive, MAX_BODY)
        if raw is None:
            return None
        if raw is _TOO_BIG:
            log.warning("HTTP 413 to %s: body over %d bytes refused", client, MAX_BODY)
            return AsgiHttpResponse(413, _TEXT, "")
        why = self._unsigned(raw, headers)
        if why:
            log.warning("HTTP 401 to %s: %s", client, why)
            return AsgiHttpResponse(401, _JSON, '{"error": "invalid request"}')
        content_type = headers.get("content-type", "").split(";")[0].strip() or None  # as Bolt reads it
        try:
            body = raw.decode("utf-8")
            why = malformed(body, content_type)
        except UnicodeDecodeError:
            body, why = "", "not UTF-8"
        if why:
            log.warning("HTTP 400 to %s: signed but malformed body (%s)", client, why)
            return AsgiHttpResponse(400, _JSON, '{"error": "malformed request"}')
        query = scope.get("query_string", b"").decode("latin-1")
        loop = asyncio.get_running_loop()
        bolt = await loop.run_in_executor(self.pool, self._dispatch, body, query, headers)
        return AsgiHttpResponse(bolt.status, _string_lists(bolt.headers), bolt.body or "")

    def _unsigned(self, raw: bytes, headers: dict[str, str]) -> str | None:
        """Why the request is not signed by Slack with our secret (None: it is)."""
        timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        if not timestamp or not signature:
            return "no signature"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "timestamp is not a number"
        if abs(time.time() - int(timestamp)) > MAX_TIMESTAMP_SKEW:
            return "timestamp older than 5 minutes"
        try:
            expected = self.verifier.generate_signature(timestamp=timestamp, body=raw)
        except UnicodeDecodeError:
            return "bad signature"  # the verifier works on text: a non-UTF-8 body is not Slack's
        if expected is None or not _same(expected, signature):
            return "bad signature"
        return None

    def _dispatch(self, body: str, query: str, headers: dict[str, str]):
        return self.app.dispatch(BoltRequest(body=body, query=query, headers={k: [v] for k, v in headers.items()}))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def malformed(body: str, content_type: str | None) -> str | None:
    """Why a (signed) body is not a request Bolt and our listeners can handle; None when it is.
    Parsed exactly as Bolt parses it."""
    try:
        parsed = parse_body(body, content_type)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        return f"not JSON ({type(exc).__name__})"
    if not isinstance(parsed, dict):
        return f"a JSON {type(parsed).__name__}, not an object"
    kind = parsed.get("type")
    if kind is not None and not isinstance(kind, str):
        return "type is not a string"
    for key in ("user", "channel", "team", "container", "message", "authorizations"):
        value = parsed.get(key)
        expected = list if key == "authorizations" else dict
        if value is not None and not isinstance(value, expected):
            return f"{key} is not {'a list' if expected is list else 'an object'}"
    if kind == "event_callback":
        event = parsed.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event is not an object with a type"
        for key in ("channel", "user", "text", "ts", "thread_ts"):
            if event.get(key) is not None and not isinstance(event[key], str):
                return f"event.{key} is not a string"
    elif kind == "url_verification":
        if not isinstance(parsed.get("challenge"), str):
            return "challenge is not a string"
    elif kind == "block_actions":
        actions = parsed.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a non-empty list"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "an action is not an object with an action_id"
    elif kind is None and "command" in parsed:
        if not str(parsed["command"]).startswith("/"):
            return "command does not start with /"
    return None


class SlackHTTPServer:
    """uvicorn serving `SlackASGI(app)` on host:port (port 0: any free one), in a thread."""

    def __init__(
        self, app: App, host: str, port: int, path: str = EVENTS_PATH, *,
        request_seconds: float = REQUEST_SECONDS, max_connections: int = MAX_CONNECTIONS,
    ) -> None:  # fmt: skip
        self.app = app
        self.events_path = path
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family, backlog=2048)  # OSError: cannot listen
        bot = getattr(app, "briefbot", None)
        secret = bot.signing_secret if bot is not None else ""
        self.asgi = SlackASGI(app, path, signing_secret=secret)
        config = uvicorn.Config(
            self.asgi,
            http=type("TimedH11Protocol", (TimedH11Protocol,), {"request_seconds": request_seconds}),
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            limit_concurrency=max_connections,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        host = self._socket.getsockname()[0]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}{self.events_path}"

    def start_in_thread(self, timeout: float = 30.0) -> threading.Thread:
        """Serve in a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, name="briefbot-http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            raise RuntimeError("the HTTP server did not start")
        return self._thread

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.asgi.close()
        self._socket.close()


# --- helpers

_TOO_BIG = b"\0too big"


async def _read_body(receive, limit: int) -> bytes | None:
    """The request body; `_TOO_BIG` past `limit` bytes; None when the client went away."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # http.disconnect (or the request deadline closed the connection)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return _TOO_BIG
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers(scope) -> dict[str, str]:
    """Lower-cased header names -> value (the last one when repeated), decoded as latin-1."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _string_lists(headers: dict | None) -> dict[str, Sequence[str]]:
    out: dict[str, Sequence[str]] = {}
    for name, values in (headers or {}).items():
        out[name] = [str(v) for v in (values if isinstance(values, (list, tuple)) else [values])]
    return out

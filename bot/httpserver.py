"""HTTP mode: a threaded server that hands Slack's POSTs to the Bolt app.

One thread per connection, so a slow client never holds up another request's ack; the Bolt app
acks at once and answers off the request path. Slack needs HTTPS: put this behind a TLS
reverse proxy or tunnel that forwards to it.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from slack_bolt import App, BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack's payloads are a few KB; anything this big is not from Slack


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 3000, path: str = EVENTS_PATH) -> None:
        self.app = app
        self.events_path = path
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        host = self.server_address[0]
        return f"http://{host}:{self.port}{self.events_path}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="briefbot-http", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a client may take to send its request (no slowloris)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.partition("?")[0] in ("/health", "/healthz"):
            self._send(200, b"ok", {"Content-Type": ["text/plain"]})
        else:
            self._send(404, b"", {})

    def do_POST(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        if path != self.server.events_path:
            self._send(404, b"", {})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(413, b"", {}, close=True)
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        headers = {name.lower(): self.headers.get_all(name) or [] for name in set(self.headers.keys())}
        response = self.server.app.dispatch(BoltRequest(body=body, query=query, headers=headers))
        payload = response.body.encode("utf-8") if isinstance(response.body, str) else (response.body or b"")
        self._send(response.status, payload, response.headers)

    def _send(self, status: int, payload: bytes, headers: dict, close: bool = False) -> None:
        self.send_response(status)
        for name, values in (headers or {}).items():
            if name.lower() == "content-length":
                continue
            for value in values if isinstance(values, (list, tuple)) else [values]:
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)

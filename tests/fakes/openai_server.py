"""A fake OpenAI-compatible Chat Completions endpoint on 127.0.0.1, scripted per test.

It speaks the real wire format (`POST /v1/chat/completions`, JSON in, a `chat.completion` object
or an OpenAI error object out) and records each request, so tests can read the prompt that was
sent. Script replies with `reply()`, `error()`, `hang()`, `trickle()` and `garbage()`; when the
script runs out, the last step repeats."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Step:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0
    trickle_seconds: float = 0.0  # > 0: send the headers at once, then the body one byte at a time


def reply(content: str, *, finish_reason: str = "stop", model: str = "fake-gpt") -> Step:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876},
    }
    return Step(body=json.dumps(body).encode())


def error(status: int, message: str = "error", *, retry_after: str | None = None) -> Step:
    kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    body = {"error": {"message": message, "type": kind, "param": None, "code": kind}}
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Step(status=status, body=json.dumps(body).encode(), headers=headers)


def hang(seconds: float = 30.0) -> Step:
    """Accept the request and say nothing for `seconds` (past any sensible timeout)."""
    return Step(hang_seconds=seconds, body=json.dumps({"error": "too late"}).encode())


def trickle(content: str = "The sources don't say [1].", *, every: float = 1.5) -> Step:
    """Headers at once (with the full Content-Length), then one byte of a good reply every `every`
    seconds: each read is quick, so only a deadline for the whole call stops it."""
    step = reply(content)
    step.trickle_seconds = every
    return step


def garbage() -> Step:
    return Step(body=b"<html>502 Bad Gateway... not JSON at all \x00\xff")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict
    at: float

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: list[Step] = [reply("The sources don't say.")]
        self.requests: list[Received] = []
        self.disconnects: list[float] = []  # when a client closed the connection before the reply was sent
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # a short poll: shutdown() waits for the next poll, 0.5 s by default
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def then(self, *steps: Step | Callable[[Received], Step]) -> FakeOpenAI:
        self.script = list(steps)
        return self

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._released.set()  # wake any hanging handler
        self._server.shutdown()
        self._server.server_close()

    def _next(self, received: Received) -> Step:
        with self._lock:
            self.requests.append(received)
            step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return step(received) if callable(step) else step

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                if self.path.rstrip("/") != "/v1/chat/completions":
                    step = error(404, f"no route {self.path}")
                elif self.headers.get("Authorization", "") != "Bearer sk-test-fake-key":
                    step = error(401, "Incorrect API key provided")
                else:
                    step = fake._next(received)
                if step.hang_seconds:
                    fake._released.wait(step.hang_seconds)
                try:
                    self.send_response(step.status)
                    self.send_header("Content-Type", "application/json")
                    for k, v in step.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(step.body)))
                    self.end_headers()
                    if step.trickle_seconds:
                        self.wfile.flush()
                        for i in range(len(step.body)):
                            self.wfile.write(step.body[i : i + 1])
                            self.wfile.flush()
                            if fake._released.wait(step.trickle_seconds):
                                break
                    else:
                        self.wfile.write(step.body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    fake.disconnects.append(time.monotonic())

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        return Handler

"""A fake Slack Web API on 127.0.0.1: the real endpoints the bot calls, on the real wire format.

    with FakeSlack(token="xoxb-test") as slack:
        WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(channel="C1", text="hi")
        slack.calls("chat.postMessage")[0].params["text"] == "hi"

It records every call (method, parsed parameters, headers), keeps channel histories so that
chat.update, conversations.replies and conversations.history behave, serves the file-upload URL
that files.getUploadURLExternal hands out and `response_url`s (`slack.response_url()`), holds
files people shared (`slack.add_file(...)`: files.info and the token-protected download URL,
`url_private_download`, as Slack serves them; "download" calls are recorded), and can
be scripted to fail (`slack.script("chat.postMessage", {"ok": False, "error": "not_in_channel"})`
or an HTTP 429 with Retry-After).

Canvases as Slack documents them: `conversations.canvases.create` (channel_id, document_content
{type: markdown, markdown}; one channel canvas per channel, else `channel_canvas_already_exists`;
returns canvas_id), `canvases.edit` (canvas_id, changes [{operation: replace, document_content}];
`canvas_not_found`), `canvases.create` (a standalone canvas). `slack.canvases` holds each canvas's
markdown; they answer `missing_scope` until a test grants the scope (`slack.scopes.add("canvases:write")`,
as an app installed before it asked for it),
and `slack.canvas_error = "canvas_disabled_user_team"` (or `restricted_action`...) fails them so.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBRIEFBOT"
BOT_ID = "BBRIEFBOT"
TEAM_ID = "T0FAKE"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "upload" / "response_url" for those URLs
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    path: str = ""


@dataclass
class Scripted:
    body: dict | str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self, token: str = "xoxb-test-token", app_token: str = "xapp-test-token") -> None:
        self.token = token
        self.app_token = app_token
        self.socket_mode: FakeSocketMode | None = None  # started by apps.connections.open
        self._calls: list[Call] = []
        self._scripts: dict[str, list[Scripted]] = {}
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self.messages: dict[str, list[dict]] = {}  # channel -> messages (posted or seeded)
        self.uploads: dict[str, bytes] = {}
        self.files: dict[str, dict] = {}  # file id -> files.info's file object (+ "_content")
        self.response_url_status = 200
        self.scopes: set[str] = {"chat:write", "files:write", "files:read", "commands"}
        self.canvas_error: str | None = None  # e.g. "canvas_disabled_user_team", "restricted_action"
        self.canvases: dict[str, dict] = {}  # canvas id -> {"channel": ..., "markdown": ..., "edits": n}
        self.channel_canvas: dict[str, str] = {}  # channel -> its channel canvas id
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._download(self)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # a short poll: stop() waits for the next poll, 0.5 s by default, at the end of every test
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    # -- life cycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.socket_mode is not None:
            self.socket_mode.stop()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what tests use

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base_url}/response/{key}"

    def script(
        self, method: str, body: dict | str, *, status: int = 200, headers: dict | None = None, times: int = 1
    ) -> None:
        """The next `times` calls of `method` get this reply instead of the normal one."""
        with self._lock:
            self._scripts.setdefault(method, []).extend(Scripted(body, status, headers or {}) for _ in range(times))

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, predicate: Callable[[FakeSlack], Any], timeout: float = 30.0) -> Any:
        """Wait until predicate(self) is truthy; return its value (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [c.method for c in self._calls]
                    raise AssertionError(f"fake Slack: condition not met in {timeout}s; calls so far: {methods}")
                self._lock.wait(min(remaining, 0.05))

    def wait_calls(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        return self.wait_for(lambda s: (found := s.calls(method)) and len(found) >= count and found, timeout)

    def add_message(
        self, channel: str, text: str, *, user: str = "U0ASKER", thread_ts: str | None = None, ts: str | None = None
    ) -> str:
        """Seed a person's message into a channel's history (for conversations.replies/history)."""
        ts = ts or self._next_ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return ts

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        title: str = "",
        filetype: str = "",
        mimetype: str = "",
        user: str = "U0ASKER",
    ) -> dict:
        """A file someone shared: returns the file object events carry (id, name, ...)."""
        file_id = f"F{next(self._ts):08d}"
        info = {
            "id": file_id, "name": name, "title": title or name, "filetype": filetype or name.rsplit(".", 1)[-1],
            "mimetype": mimetype or "application/octet-stream", "size": len(content), "user": user,
            "url_private": f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}/{name}",
            "url_private_download": f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}/download/{name}",
            "permalink": f"https://fake.slack.test/files/{user}/{file_id}/{name}",
        }  # fmt: skip
        with self._lock:
            self.files[file_id] = {**info, "_content": content}
        return {k: info[k] for k in ("id", "name", "title", "filetype", "mimetype", "size")}

    def message(self, channel: str, ts: str) -> dict | None:
        with self._lock:
            return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    # -- the wire

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        split = urlsplit(request.path)
        headers = {k.lower(): v for k, v in request.headers.items()}
        params: dict[str, Any] = dict(parse_qsl(split.query))
        content_type = headers.get("content-type", "")
        if split.path.startswith("/upload/"):
            method = "upload"
            params["file_id"] = split.path.rsplit("/", 1)[1]
        elif split.path.startswith("/response/"):
            method = "response_url"
            params.update(json.loads(raw or b"{}"))
            params["key"] = split.path.rsplit("/", 1)[1]
        else:
            method = split.path.removeprefix("/api/")
            if "application/json" in content_type:
                params.update(json.loads(raw or b"{}"))
            else:
                params.update(parse_qsl(raw.decode("utf-8")))
            for name in ("blocks", "metadata", "files", "attachments"):
                if isinstance(params.get(name), str):
                    try:
                        params[name] = json.loads(params[name])
                    except ValueError:
                        pass
        call = Call(method, params, headers, path=split.path)
        with self._lock:
            self._calls.append(call)
            scripted = self._scripts.get(method, [])
            reply = scripted.pop(0) if scripted else None
        if reply is None:
            reply = self._reply(method, params, headers, raw)
        body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        data = body.encode()
        request.send_response(reply.status)
        request.send_header("Content-Type", "application/json" if not isinstance(reply.body, str) else "text/plain")
        for name, value in reply.headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        with self._lock:
            self._lock.notify_all()

    def _reply(self, method: str, p: dict, headers: dict, raw: bytes) -> Scripted:
        if method == "upload":
            self.uploads[p["file_id"]] = raw
            return Scripted(f"OK - {len(raw)}")
        if method == "response_url":
            return Scripted("ok" if self.response_url_status == 200 else "expired_url", status=self.response_url_status)
        if method == "apps.connections.open":
            if headers.get("authorization") != f"Bearer {self.app_token}":
                return Scripted({"ok": False, "error": "invalid_auth"})
            with self._lock:
                if self.socket_mode is None:
                    self.socket_mode = FakeSocketMode().start()
            return Scripted({"ok": True, "url": self.socket_mode.url})
        if headers.get("authorization") != f"Bearer {self.token}":
            return Scripted({"ok": False, "error": "not_authed" if "authorization" not in headers else "invalid_auth"})
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return Scripted({"ok": False, "error": "unknown_method"}, status=404)
        return Scripted(handler(p))

    def _download(self, request: BaseHTTPRequestHandler) -> None:
        """GET url_private_download: the file's bytes for the bot token, a login page otherwise."""
        split = urlsplit(request.path)
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call("download", {"path": split.path}, headers, path=split.path)
        with self._lock:
            self._calls.append(call)
            found = next(
                (f for f in self.files.values() if urlsplit(f["url_private_download"]).path == split.path), None
            )
        if found is not None and headers.get("authorization") == f"Bearer {self.token}":
            status, content_type, data = 200, found["mimetype"], found["_content"]
        else:  # what Slack does without the token: a sign-in page, not the file
            status, content_type, data = 200, "text/html", b"<html><body>Sign in to Slack</body></html>"
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        with self._lock:
            self._lock.notify_all()

    # -- Web API methods

    def _api_files_info(self, p: dict) -> dict:
        with self._lock:
            found = self.files.get(p.get("file", ""))
        if found is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": {k: v for k, v in found.items() if not k.startswith("_")}}

    def _api_auth_test(self, p: dict) -> dict:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "briefbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_chat_postMessage(self, p: dict) -> dict:
        channel = p.get("channel", "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": ts,
            "text": p.get("text", ""),
            "blocks": p.get("blocks") or [],
        }
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        if p.get("metadata"):
            message["metadata"] = p["metadata"]
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _api_chat_update(self, p: dict) -> dict:
        channel, ts = p.get("channel", ""), p.get("ts", "")
        message = self.message(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        with self._lock:
            message.update(text=p.get("text", ""), blocks=p.get("blocks") or [])
            if p.get("metadata"):
                message["metadata"] = p["metadata"]
        return {"ok": True, "channel": channel, "ts": ts, "text": p.get("text", ""), "message": message}

    def _api_chat_delete(self, p: dict) -> dict:
        channel, ts = p.get("channel", ""), p.get("ts", "")
        with self._lock:
            before = len(self.messages.get(channel, []))
            self.messages[channel] = [m for m in self.messages.get(channel, []) if m["ts"] != ts]
            found = len(self.messages[channel]) < before
        return {"ok": True, "channel": channel, "ts": ts} if found else {"ok": False, "error": "message_not_found"}

    def _api_chat_postEphemeral(self, p: dict) -> dict:
        if not p.get("channel") or not p.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _api_conversations_replies(self, p: dict) -> dict:
        channel, root = p.get("channel", ""), p.get("ts", "")
        with self._lock:
            thread = [dict(m) for m in self.messages.get(channel, []) if m["ts"] == root or m.get("thread_ts") == root]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        if str(p.get("include_all_metadata")).lower() not in ("1", "true"):
            for m in thread:
                m.pop("metadata", None)
        return {"ok": True, "messages": sorted(thread, key=lambda m: float(m["ts"])), "has_more": False}

    def _api_conversations_history(self, p: dict) -> dict:
        channel = p.get("channel", "")
        latest = float(p.get("latest") or "inf")
        oldest = float(p.get("oldest") or 0)
        with self._lock:
            top = [
                dict(m)
                for m in self.messages.get(channel, [])
                if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]
            ]
        top = [m for m in top if oldest <= float(m["ts"]) < latest]
        if str(p.get("include_all_metadata")).lower() not in ("1", "true"):
            for m in top:
                m.pop("metadata", None)
        return {"ok": True, "messages": sorted(top, key=lambda m: -float(m["ts"])), "has_more": False}

    def _canvas_refusal(self) -> dict | None:
        if "canvases:write" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "canvases:write",
                    "provided": ",".join(sorted(self.scopes))}  # fmt: skip
        if self.canvas_error:
            return {"ok": False, "error": self.canvas_error}
        return None

    @staticmethod
    def _markdown(content: Any) -> str | None:
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError:
                return None
        if not isinstance(content, dict) or content.get("type") != "markdown":
            return None
        return str(content.get("markdown", ""))

    def _api_conversations_canvases_create(self, p: dict) -> dict:
        refused = self._canvas_refusal()
        if refused:
            return refused
        channel = p.get("channel_id", "")
        if not channel:
            return {"ok": False, "error": "invalid_arguments"}
        markdown = self._markdown(p.get("document_content") or {"type": "markdown", "markdown": ""})
        if markdown is None:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            if channel in self.channel_canvas:
                return {"ok": False, "error": "channel_canvas_already_exists"}
            canvas_id = f"F{next(self._ts):08d}"
            self.canvases[canvas_id] = {"channel": channel, "markdown": markdown, "edits": 0}
            self.channel_canvas[channel] = canvas_id
        return {"ok": True, "canvas_id": canvas_id}

    def _api_canvases_create(self, p: dict) -> dict:
        refused = self._canvas_refusal()
        if refused:
            return refused
        markdown = self._markdown(p.get("document_content") or {"type": "markdown", "markdown": ""})
        if markdown is None:
            return {"ok": False, "error": "invalid_arguments"}
        canvas_id = f"F{next(self._ts):08d}"
        with self._lock:
            self.canvases[canvas_id] = {"channel": p.get("channel_id", ""), "markdown": markdown, "edits": 0}
        return {"ok": True, "canvas_id": canvas_id}

    def _api_canvases_edit(self, p: dict) -> dict:
        refused = self._canvas_refusal()
        if refused:
            return refused
        changes = p.get("changes")
        if isinstance(changes, str):
            changes = json.loads(changes)
        with self._lock:
            canvas = self.canvases.get(p.get("canvas_id", ""))
            if canvas is None:
                return {"ok": False, "error": "canvas_not_found"}
            if not isinstance(changes, list) or not changes:
                return {"ok": False, "error": "invalid_arguments"}
            for change in changes:
                markdown = self._markdown(change.get("document_content"))
                if change.get("operation") != "replace" or markdown is None or change.get("section_id"):
                    return {"ok": False, "error": "invalid_arguments"}  # only whole-document replace is faked
                canvas["markdown"] = markdown
                canvas["edits"] += 1
        return {"ok": True}

    def _api_files_getUploadURLExternal(self, p: dict) -> dict:
        if not p.get("filename") or not p.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, p: dict) -> dict:
        files = p.get("files") or []
        missing = [f["id"] for f in files if f.get("id") not in self.uploads]
        if missing:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}


class FakeSocketMode:
    """Slack's Socket Mode end: a WebSocket server on 127.0.0.1 that says hello, sends envelopes
    (`send(envelope)`) and records what the app sends back (`acks`, by envelope id)."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.acks: dict[str, dict] = {}
        self.received: list[dict] = []
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.listener.getsockname()[1]}/link/?ticket=fake"

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        self.listener.close()

    def wait_connected(self, timeout: float = 15.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._conn is not None, timeout):
                raise AssertionError("no Socket Mode connection")

    def send(self, envelope: dict) -> None:
        self.wait_connected()
        self._frame(0x1, json.dumps(envelope).encode())

    def wait_ack(self, envelope_id: str, timeout: float = 15.0) -> dict:
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acknowledged; got {list(self.acks)}")
            return self.acks[envelope_id]

    # -- the wire

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(None)
            try:
                self._handshake(conn)
            except OSError:
                conn.close()
                continue
            with self._cond:
                self._conn = conn
                self._cond.notify_all()
            self._frame(
                0x1,
                json.dumps(
                    {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0BRIEFBOT"}}
                ).encode(),
            )
            self._read_frames(conn)

    def _handshake(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                raise OSError("closed during handshake")
            data += chunk
        key = next(
            line.split(":", 1)[1].strip()
            for line in data.decode().split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )

    def _frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([n])
        elif n < 65536:
            header += bytes([126]) + struct.pack("!H", n)
        else:
            header += bytes([127]) + struct.pack("!Q", n)
        with self._send_lock:
            if self._conn is not None:
                self._conn.sendall(header + payload)

    def _read_exact(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _read_frames(self, conn: socket.socket) -> None:
        try:
            while not self._stopped.is_set():
                first, second = self._read_exact(conn, 2)
                opcode, masked, n = first & 0x0F, second & 0x80, second & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read_exact(conn, 2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read_exact(conn, 8))[0]
                mask = self._read_exact(conn, 4) if masked else b"\0\0\0\0"
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read_exact(conn, n)))
                if opcode == 0x8:  # close
                    return
                if opcode == 0x9:  # ping
                    self._frame(0xA, payload)
                    continue
                if opcode == 0x1:
                    message = json.loads(payload)
                    with self._cond:
                        self.received.append(message)
                        if "envelope_id" in message:
                            self.acks[message["envelope_id"]] = message
                        self._cond.notify_all()
        except OSError:
            return

"""A news site on 127.0.0.1 for the intake tests: real HTTP, one response per path.

    with NewsSite() as site:
        site.page("/article", html)                      # 200 text/html
        site.add("/statement.pdf", data, "application/pdf")
        site.redirect("/moved", "/article")              # 302, Location relative or absolute
        site.stream("/huge", 50_000_000)                 # a body streamed without Content-Length
        site.add("/feed.rss", rss, "application/rss+xml", etag='"v1"', last_modified="...")
        site.url("/article")  ->  "http://127.0.0.1:PORT/article"
        site.requests("/feed.rss")  ->  [(path, headers), ...]

A path's response can be replaced between requests (a feed that gains an item). A resource
added with an ETag / Last-Modified answers 304 to a request that carries them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Response:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    stream_bytes: int = 0  # > 0: send this many bytes in chunks, no Content-Length
    delay: float = 0.0  # seconds to wait before answering (a slow site)


class NewsSite:
    def __init__(self) -> None:
        self._routes: dict[str, Response] = {}
        self._requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.streamed = 0  # bytes sent by stream responses
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                site._handle(self)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client that hangs up early (the size cap) is expected, not news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    # -- life cycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> NewsSite:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- content
    def add(self, path: str, body: bytes | str, content_type: str, **kw) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._routes[path] = Response(data, content_type, **kw)

    def page(self, path: str, html: str, **kw) -> None:
        self.add(path, html, "text/html; charset=utf-8", **kw)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        with self._lock:
            self._routes[path] = Response(b"", "text/plain", status=status, headers={"Location": location})

    def stream(self, path: str, total: int, content_type: str = "text/html; charset=utf-8") -> None:
        with self._lock:
            self._routes[path] = Response(b"", content_type, stream_bytes=total)

    def requests(self, path: str | None = None) -> list[tuple[str, dict[str, str]]]:
        with self._lock:
            return [r for r in self._requests if path is None or r[0] == path]

    # -- the wire
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self._requests.append((path, headers))
            response = self._routes.get(path)
        if response is None:
            self._send(request, 404, "text/plain", b"not found")
            return
        if response.delay:
            time.sleep(response.delay)
        if response.stream_bytes:
            self._stream(request, response)
            return
        extra = dict(response.headers)
        if response.etag:
            extra["ETag"] = response.etag
        if response.last_modified:
            extra["Last-Modified"] = response.last_modified
        unchanged = (response.etag and headers.get("if-none-match") == response.etag) or (
            not response.etag and response.last_modified and headers.get("if-modified-since") == response.last_modified
        )
        if unchanged:
            self._send(request, 304, response.content_type, b"", extra)
            return
        self._send(request, response.status, response.content_type, response.body, extra)

    @staticmethod
    def _send(request, status: int, content_type: str, body: bytes, extra: dict | None = None) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if status != 304:
            request.wfile.write(body)

    def _stream(self, request, response: Response) -> None:
        request.send_response(200)
        request.send_header("Content-Type", response.content_type)
        request.send_header("Connection", "close")
        request.end_headers()
        block = (b"<p>" + b"filler text " * 5000 + b"</p>\n")[:65536]
        sent = 0
        try:
            while sent < response.stream_bytes:
                request.wfile.write(block)
                sent += len(block)
                with self._lock:
                    self.streamed += len(block)
        except OSError:  # the client stopped reading: what the size cap is for
            pass
        request.close_connection = True

"""A wall-clock limit for a whole HTTP exchange (connect, response headers, body, redirects).

An HTTP client's timeout bounds each read, not the exchange: a server that sends one header
byte, or one body byte, every few seconds never trips it. Under a `WallClockLimit`, every socket
the client opens is learnt from its `trace` extension (httpx/httpcore), and once the time is up
each is shut down: the read in progress returns at once and the exchange fails. Used by the
link fetcher and the language model's client.
"""

from __future__ import annotations

import socket
import threading


class WallClockLimit:
    """Shuts down every socket opened under it once `seconds` have passed. A context manager:
    the clock starts on entry and stops on exit."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> WallClockLimit:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()

    def trace(self, name: str, info: dict) -> None:
        """The HTTP client's trace callback: remembers the socket of each connection it opens."""
        if not name.endswith(("connect_tcp.complete", "start_tls.complete")):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        # the plain socket's shutdown, also for a TLS socket: the blocked read sees end of file
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed

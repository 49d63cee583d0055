"""A `briefbot serve` process of its own, as in production (HTTP mode on a loopback port), for the
tests and the Slack bench that play Slack against it."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """`briefbot serve` in HTTP mode, waited for until it listens; stopped with SIGTERM."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.events_path = "/slack/events"
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "briefbot.cli", "serve", "--port", str(port)],
            env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait_listening(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any("listening on" in line for line in self.lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError("briefbot serve did not start:\n" + "\n".join(self.lines[-30:]))

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(60)
        finally:
            self._reader.join(5)

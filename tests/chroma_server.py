"""Start a real Chroma server (`chroma run`) on a free loopback port, for server-mode tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_executable() -> str:
    local = Path(sys.executable).parent / "chroma"
    return str(local) if local.exists() else (shutil.which("chroma") or "chroma")


@contextlib.contextmanager
def running_chroma(path: Path, timeout: float = 60.0):
    """Yields (host, port); stops the server by its pid afterwards."""
    import chromadb

    port = free_port()
    log = open(Path(path).parent / f"chroma-{port}.log", "w")
    proc = subprocess.Popen(
        [chroma_executable(), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {proc.returncode}; see {log.name}")
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not answer its heartbeat in {timeout}s") from None
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()

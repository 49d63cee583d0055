"""Bombs and drips through intake: every byte read from outside is bounded by size after decoding
and by wall-clock time. Memory bombs are opened in a child process capped at 1 GB of address
space (RLIMIT_AS): the refusal must come with a clear message, not a MemoryError."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib

import pytest

from briefbot.settings import PROJECT_ROOT
from retrieval.sources.fetch import Fetcher, FetchPolicy, FetchRefused

CAP = 1 << 30  # the child's address space: a bomb that inflated in memory would fail with MemoryError
INFLATED = 1 << 30  # what each bomb inflates to: 1 GB of zeros


def zeros_stream(wbits: int, total: int = INFLATED) -> bytes:
    """`total` zero bytes, gzip (wbits 31) or zlib (15) compressed, made in a moment: after a full
    flush the compressor's output for the same 16 MB is the same block, so it is repeated."""
    step = 1 << 24
    zeros = bytes(step)
    co = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    tail = co.flush()
    body = head + block * (total // step - 1)
    if wbits == 31:  # the gzip trailer: CRC-32 and size of the whole
        crc = 0
        for _ in range(total // step):
            crc = zlib.crc32(zeros, crc)
        return body + tail[:-8] + struct.pack("<II", crc, total & 0xFFFFFFFF)
    # the zlib trailer: Adler-32 of `total` zeros (its low half stays 1, its high half counts the bytes)
    return body + tail[:-4] + struct.pack(">I", (total % 65521) << 16 | 1)


def run_capped(snippet: str) -> tuple[str, int]:
    """`snippet` in a child capped at CAP; (its last output line, its peak RSS in MB: VmHWM, as
    ru_maxrss survives exec and would count the test process that started the child)."""
    code = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP}))
        from retrieval.sources.fetch import Fetcher, FetchPolicy, FetchRefused
        """
    ) + textwrap.dedent(snippet) + textwrap.dedent(
        """
        print("RSS", int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) // 1024)
        """
    )  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    *lines, rss = result.stdout.strip().splitlines()
    return lines[-1], int(rss.split()[1])


FETCH = """
try:
    Fetcher(FetchPolicy(allow_private=True)).get({url!r}, accept=["html", "text"])
    print("fetched")
except FetchRefused as exc:
    print(exc)
"""


@pytest.mark.parametrize(
    "encoding, body",
    [
        ("gzip, gzip", lambda: _gzip(zeros_stream(31))),
        ("deflate", lambda: zeros_stream(15)),
        ("gzip", lambda: zeros_stream(31)),
    ],
    ids=["gzip-in-gzip", "deflate", "gzip"],
)
def test_a_compressed_body_is_capped_after_decoding_in_bounded_memory(site, encoding, body):
    """R4: 5 KB of `Content-Encoding: gzip, gzip` took 3.27 GB before the 20 MB cap was checked."""
    data = body()
    assert len(data) < 2_000_000
    site.add("/bomb", data, "text/html", headers={"Content-Encoding": encoding})
    line, rss = run_capped(FETCH.format(url=site.url("/bomb")))
    assert "over the 20.0 MB limit once decompressed" in line, line
    assert rss < 1024, f"peak RSS {rss} MB"


def _gzip(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    return co.compress(data) + co.flush()


def test_a_gzip_body_that_fits_is_read_whole(site):
    text = "<html><body><p>" + "The rail link opens in June, the ministry said. " * 2000 + "</p></body></html>"
    site.add("/small", _gzip(text.encode()), "text/html", headers={"Content-Encoding": "gzip"})
    fetched = Fetcher(FetchPolicy(allow_private=True)).get(site.url("/small"), accept=["html"])
    assert fetched.content.decode() == text


class HeaderDrip:
    """A server on 127.0.0.1 that answers every connection with a status line, then one header
    byte every `every` seconds, for at most `for_seconds`."""

    def __init__(self, every: float = 0.5, for_seconds: float = 40.0) -> None:
        self.every, self.for_seconds = every, for_seconds
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/article"
        self.closed_by_client = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            started = time.monotonic()
            while time.monotonic() - started < self.for_seconds:
                try:
                    conn.sendall(b"X")
                except OSError:
                    self.closed_by_client.set()
                    return
                time.sleep(self.every)

    def close(self) -> None:
        self.sock.close()


def test_response_headers_dripped_a_byte_at_a_time_are_cut_off_at_the_total_deadline():
    """R6: one header byte every 2 s held `ingest URL` for 155 s; the total limit now covers headers."""
    drip = HeaderDrip()
    try:
        started = time.monotonic()
        with pytest.raises(FetchRefused, match=r"took over 3 s in all"):
            Fetcher(FetchPolicy(allow_private=True, timeout=2, total_seconds=3)).get(drip.url)
        assert time.monotonic() - started < 20  # a hang is the failure: the drip lasts 40 s
        assert drip.closed_by_client.wait(10)  # the connection was closed, not left to drip
    finally:
        drip.close()

"""A single-writer lock for the embedded store: two ingests on one path would corrupt it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from retrieval.errors import StoreBusy


@contextlib.contextmanager
def write_lock(path: Path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise StoreBusy(
                f"Another ingest (pid {holder}) is writing to this store ({path.parent}); "
                "wait for it to finish, then run again. Questions keep being answered meanwhile."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock, also when the process dies

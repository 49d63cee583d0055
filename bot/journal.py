"""Questions taken but not yet answered, in a small SQLite file (`BRIEFBOT_DATA_DIR/journal.sqlite3`).

A question (or `/brief` topic) is written down with where its asker waits (the "Searching the
sources..." placeholder, or a slash command's reply link) as soon as that placeholder is posted,
milliseconds after Slack's ack, off the request path; the row is deleted once the answer (or an
error message) has gone out. Rows still there when `serve` starts belong to a
process that died (kill -9, out of memory, power): each asker is told, in place of the
placeholder where there is one, that briefbot restarted and to ask again. They are not
re-answered: a question that brought the process down would bring it down again.

One `serve` per data directory: the journal is held with a file lock for the life of the
process. A second process on the same directory runs without a journal (and says so), so it
never mistakes the first one's questions in progress for orphans.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient

from bot import render
from bot.delivery import ResponseUrl

log = logging.getLogger(__name__)

RESTARTED_ASK = "briefbot restarted before it could answer your question ({question}). Please ask again."
RESTARTED_BRIEF = "briefbot restarted before it could prepare the brief on {question}. Please ask again."

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                 -- 'ask' or 'brief'
    question TEXT NOT NULL,
    user TEXT NOT NULL,
    channel TEXT NOT NULL,
    thread_ts TEXT,                     -- the thread the answer goes to
    placeholder_ts TEXT,                -- the "Searching the sources..." message, once posted
    response_url TEXT,                  -- a slash command's reply link (valid 30 minutes)
    ephemeral INTEGER NOT NULL DEFAULT 0,  -- the placeholder was the ack's, only for the asker
    created REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    question: str
    user: str
    channel: str
    thread_ts: str | None
    placeholder_ts: str | None
    response_url: str | None
    ephemeral: bool
    created: float


class Journal:
    """Thread-safe: one connection, serialised by a lock. SQLite in WAL mode with
    synchronous=NORMAL: a row committed survives the process being killed (what this is for);
    a power cut may lose the last few."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._lock_fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise JournalBusy(self.path) from None
        try:
            self._db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._db:
                self._db.executescript(_SCHEMA)
        except sqlite3.Error:
            self.close()
            raise

    def add(
        self, kind: str, question: str, *, user: str, channel: str, thread_ts: str | None = None,
        placeholder_ts: str | None = None, response_url: str | None = None, ephemeral: bool = False,
    ) -> int:  # fmt: skip
        """A question in progress and where its asker waits: the placeholder message, or (without
        one) the reply link of a slash command."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO pending (kind, question, user, channel, thread_ts, placeholder_ts, response_url, ephemeral,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, question[:4000], user or "", channel or "", thread_ts, placeholder_ts, response_url,
                 int(ephemeral), time.time()),
            )  # fmt: skip
            return int(cursor.lastrowid or 0)

    def done(self, entry_id: int) -> None:
        with self._lock:
            if self._db is None:  # closed at shutdown: the row stays for the next start
                return
            with self._db:
                self._db.execute("DELETE FROM pending WHERE id = ?", (entry_id,))

    def pending(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, question, user, channel, thread_ts, placeholder_ts, response_url, ephemeral, created "
                "FROM pending ORDER BY id"
            ).fetchall()
        return [
            Entry(
                id=row[0],
                kind=row[1],
                question=row[2],
                user=row[3],
                channel=row[4],
                thread_ts=row[5],
                placeholder_ts=row[6],
                response_url=row[7],
                ephemeral=bool(row[8]),
                created=row[9],
            )
            for row in rows
        ]

    def close(self) -> None:
        with self._lock:
            db = getattr(self, "_db", None)
            if db is not None:
                db.close()
                del self._db  # a use after close fails at once
            if self._lock_fd >= 0:
                os.close(self._lock_fd)  # releases the lock
                self._lock_fd = -1


class JournalBusy(Exception):
    def __init__(self, path: Path) -> None:
        super().__init__(f"another briefbot serve holds {path}")


def open_journal(path: Path) -> Journal | None:
    """The journal, or None (with a warning) when another process holds it or it cannot be opened."""
    try:
        return Journal(path)
    except JournalBusy:
        log.warning("another briefbot serve uses %s: questions taken here are not journaled", path.parent)
    except (OSError, sqlite3.Error) as exc:
        log.warning("cannot open the question journal %s (%s): questions are not journaled", path, exc)
    return None


def recover(journal: Journal, client: WebClient, entries: list[Entry]) -> int:
    """Tell the asker of each question left by a previous process (`entries`, read from the
    journal before this process took any) to ask again; returns how many. Each row is deleted
    once tried, whether or not Slack took the note."""
    for entry in entries:
        try:
            _tell(entry, client)
            log.info("told %s in %s to ask again: %s %d was not answered before a restart",
                     entry.user, entry.channel, entry.kind, entry.id)  # fmt: skip
        except Exception as exc:
            log.warning("could not tell %s in %s to ask again (%s)", entry.user, entry.channel, _error(exc))
        finally:
            journal.done(entry.id)
    return len(entries)


def _tell(entry: Entry, client: WebClient) -> None:
    quoted = "\u201c" + render.clip(entry.question, 200) + "\u201d"
    template = RESTARTED_BRIEF if entry.kind == "brief" else RESTARTED_ASK
    message = render.short_message(template.format(question=quoted))
    if entry.placeholder_ts:  # the placeholder itself says it
        client.chat_update(channel=entry.channel, ts=entry.placeholder_ts, text=message.text, blocks=message.blocks)
        return
    if entry.response_url and time.time() - entry.created < ResponseUrl.MAX_AGE:
        url = ResponseUrl(entry.response_url)
        if url.send(message, response_type="ephemeral", replace_original=entry.ephemeral):
            return
    client.chat_postEphemeral(
        channel=entry.channel, user=entry.user, thread_ts=entry.thread_ts, text=message.text, blocks=message.blocks
    )


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error"))
    return type(exc).__name__

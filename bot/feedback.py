"""Answers posted and 👍/👎 votes, in a local SQLite file (append-only: votes are never updated).

Two tables: `answers` (one row per answer posted, so a vote can be tied to its question) and
`feedback` (one row per click: question, answer id, user, vote, time). A person who changes their
mind adds a row; the latest row per (answer, user) is their vote (see `latest_votes`).

A vote names its answer by id, and the id comes from the click: a vote from one channel on an
answer posted in another is not recorded, and never copies that answer's question into its row.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from briefbot.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    mode TEXT NOT NULL,
    refused INTEGER NOT NULL,
    channel TEXT NOT NULL,
    user TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    question TEXT NOT NULL,
    user TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    channel TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
"""


@dataclass(frozen=True)
class Vote:
    answer_id: str
    question: str
    user: str
    vote: str  # "up" | "down"
    channel: str
    created: float


class FeedbackStore:
    """Thread-safe: one short connection per call, serialised by a lock (SQLite in WAL mode)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(
                f"cannot use the feedback file {self.path} ({type(exc).__name__}: {reason}); "
                "set BRIEFBOT_FEEDBACK_PATH to a file in a writable folder"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record_answer(
        self, answer_id: str, question: str, *, mode: str, refused: bool, channel: str, user: str
    ) -> None:
        with self._lock, closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (answer_id, question, mode, int(refused), channel or "", user or "", time.time()),
            )

    def _answer(self, answer_id: str) -> tuple[str, str] | None:
        """(question, channel) of a recorded answer."""
        with self._lock, closing(self._connect()) as db:
            row = db.execute("SELECT question, channel FROM answers WHERE answer_id = ?", (answer_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def add_vote(self, answer_id: str, *, user: str, vote: str, channel: str = "") -> Vote | None:
        """The vote, recorded; None (nothing recorded) when the answer was posted in another channel.
        A vote on an answer never recorded (a brief, an answer from before the store) is kept, without a question."""
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        answer = self._answer(answer_id)
        if answer is not None and answer[1] != (channel or ""):
            return None
        question = answer[0] if answer else ""
        record = Vote(answer_id, question, user or "", vote, channel or "", time.time())
        with self._lock, closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO feedback (answer_id, question, user, vote, channel, created) VALUES (?, ?, ?, ?, ?, ?)",
                (record.answer_id, record.question, record.user, record.vote, record.channel, record.created),
            )
        return record

    def votes(self, answer_id: str | None = None) -> list[Vote]:
        """Every vote, oldest first (optionally of one answer)."""
        sql = "SELECT answer_id, question, user, vote, channel, created FROM feedback"
        args: tuple = ()
        if answer_id is not None:
            sql += " WHERE answer_id = ?"
            args = (answer_id,)
        with self._lock, closing(self._connect()) as db:
            rows = db.execute(sql + " ORDER BY id", args).fetchall()
        return [Vote(*row) for row in rows]

    def latest_votes(self) -> dict[tuple[str, str], str]:
        """(answer id, user) -> that user's latest vote."""
        return {(v.answer_id, v.user): v.vote for v in self.votes()}

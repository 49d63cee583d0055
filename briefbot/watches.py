"""Watched topics per channel, in a small SQLite file (`BRIEFBOT_DATA_DIR/watches.sqlite3`).

A watch is (channel, topic, cadence daily|weekly, optional last day). It remembers:
- `period`: the last period a digest was claimed for ("D2025-09-10", "W2025-37");
- `since`: the store's ingest time up to which sources were already digested (a new watch
  starts at the newest source then in the store, so its first digest holds only what came after);
- `points`: the previous digest's key points (to say what a new digest changes).

Once per period, even with several `serve` replicas on one file: `claim(watch, period)` is one
`UPDATE ... SET period = ? WHERE id = ? AND period < ?` (period keys sort by time); SQLite runs writes one at a time across
processes, so exactly one caller sees a changed row and posts. Claimed first, posted after: if the
process dies in between, that period's digest is lost (at most once, never twice) and its sources
come in the next one, because `since` moves only once a digest is out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from briefbot.answer import CitedText
from briefbot.errors import InvalidQuestion

CADENCES = ("daily", "weekly")
MAX_TOPIC_CHARS = 300

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    topic_key TEXT NOT NULL,            -- the topic lower-cased: one watch per topic per channel
    cadence TEXT NOT NULL,              -- 'daily' or 'weekly'
    until TEXT NOT NULL DEFAULT '',     -- YYYY-MM-DD: the last day a digest is posted ('' none)
    created REAL NOT NULL,
    since REAL NOT NULL,                -- ingest time already digested
    period TEXT NOT NULL DEFAULT '',    -- the last period claimed
    points TEXT NOT NULL DEFAULT '[]',  -- the previous digest's key points (JSON)
    UNIQUE (channel, topic_key)
);
"""


@dataclass(frozen=True)
class Watch:
    id: int
    channel: str
    topic: str
    cadence: str
    until: str
    created: float
    since: float
    period: str
    points: tuple[CitedText, ...] = ()

    @property
    def schedule(self) -> str:
        return self.cadence + (f" until {self.until}" if self.until else "")

    def ended(self, today: dt.date) -> bool:
        return bool(self.until) and today > dt.date.fromisoformat(self.until)


def period_of(cadence: str, when: dt.datetime) -> str:
    """The period `when` falls in: the day for daily watches, the ISO week for weekly ones."""
    if cadence == "weekly":
        year, week, _ = when.isocalendar()
        return f"W{year}-{week:02d}"
    return f"D{when:%Y-%m-%d}"


def clean_watch_topic(topic: str) -> str:
    text = " ".join((topic or "").split())
    if not text:
        raise InvalidQuestion('Name a topic to watch, e.g. "Kazakhstan Pakistan connectivity".')
    return text[:MAX_TOPIC_CHARS]


def parse_schedule(text: str, today: dt.date) -> tuple[str, str, str]:
    """ "Tokayev visit weekly" -> (topic, cadence, until): a trailing `daily`, `weekly` or
    `until YYYY-MM-DD` (daily up to that day); daily when none. Raises InvalidQuestion."""
    words = (text or "").split()
    cadence, until = "daily", ""
    if len(words) >= 2 and words[-2].lower() == "until":
        until = parse_date(words[-1])
        if dt.date.fromisoformat(until) < today:
            raise InvalidQuestion(f"{until} has passed: give a day from today on, e.g. until {today:%Y-%m-%d}.")
        words = words[:-2]
    elif words and words[-1].lower() in CADENCES:
        cadence = words[-1].lower()
        words = words[:-1]
    return clean_watch_topic(" ".join(words)), cadence, until


def parse_date(text: str) -> str:
    """YYYY-MM-DD, a real day, or InvalidQuestion."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or "", re.ASCII):
        raise InvalidQuestion(f"'{text}' is not a date: use YYYY-MM-DD, e.g. 2025-09-01.")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidQuestion(f"'{text}' is not a day on the calendar: use YYYY-MM-DD.") from None
    return text


def date_start(day: str) -> float:
    """Unix time of the start of a YYYY-MM-DD day (local time): `--since` a day."""
    return dt.datetime.combine(dt.date.fromisoformat(parse_date(day)), dt.time()).timestamp()


def _watch(row: tuple) -> Watch:
    id_, channel, topic, cadence, until, created, since, period, points = row
    return Watch(id_, channel, topic, cadence, until, created, since, period,
                 tuple(CitedText.model_validate(p) for p in json.loads(points or "[]")))  # fmt: skip


class WatchStore:
    """Thread- and process-safe: one short connection per call (SQLite in WAL mode); several
    processes may share the file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)  # autocommit: one statement, one write

    def add(self, channel: str, topic: str, cadence: str = "daily", *, until: str = "", since: float,
            now: dt.datetime) -> Watch:  # fmt: skip
        """Watch `topic` in `channel` (the same topic again: its schedule is replaced). The first
        digest comes in the next period, with what is ingested after `since`."""
        if cadence not in CADENCES:
            raise InvalidQuestion(f"'{cadence}' is not a schedule: use daily, weekly or until YYYY-MM-DD.")
        topic = clean_watch_topic(topic)
        with self._lock, closing(self._connect()) as db:
            db.execute(
                "INSERT INTO watches (channel, topic, topic_key, cadence, until, created, since, period) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, topic_key) DO UPDATE SET "
                "cadence = excluded.cadence, until = excluded.until, topic = excluded.topic, period = excluded.period",
                (channel, topic, topic.lower(), cadence, until, time.time(), since, period_of(cadence, now)),
            )
        found = self.find(channel, topic)
        assert found is not None
        return found

    def remove(self, channel: str, topic: str) -> bool:
        with self._lock, closing(self._connect()) as db:
            cur = db.execute(
                "DELETE FROM watches WHERE channel = ? AND topic_key = ?", (channel, clean_watch_topic(topic).lower())
            )
        return cur.rowcount > 0

    def find(self, channel: str, topic: str) -> Watch | None:
        return next((w for w in self.all(channel) if w.topic.lower() == clean_watch_topic(topic).lower()), None)

    def get(self, watch_id: int) -> Watch | None:
        return next(iter(self._select("WHERE id = ?", (watch_id,))), None)

    def all(self, channel: str | None = None) -> list[Watch]:
        """Every watch (of one channel), oldest first."""
        if channel is None:
            return self._select("", ())
        return self._select("WHERE channel = ?", (channel,))

    def _select(self, where: str, args: tuple) -> list[Watch]:
        sql = "SELECT id, channel, topic, cadence, until, created, since, period, points FROM watches"
        with self._lock, closing(self._connect()) as db:
            rows = db.execute(f"{sql} {where} ORDER BY id", args).fetchall()
        return [_watch(row) for row in rows]

    def claim(self, watch_id: int, period: str) -> bool:
        """True for exactly one caller per (watch, period), across threads and processes. Periods
        only move forward (keys sort by time): a replica whose clock lags never takes back a
        period already done."""
        with self._lock, closing(self._connect()) as db:
            cur = db.execute("UPDATE watches SET period = ? WHERE id = ? AND period < ?", (period, watch_id, period))
        return cur.rowcount == 1

    def sent(self, watch_id: int, *, since: float, points: list[CitedText] | None) -> None:
        """A digest is out: the next starts after `since`; `points` (None: keep) are the earlier ones."""
        with self._lock, closing(self._connect()) as db:
            if points is None:
                db.execute("UPDATE watches SET since = MAX(since, ?) WHERE id = ?", (since, watch_id))
            else:
                data = json.dumps([p.model_dump(mode="json") for p in points])
                db.execute("UPDATE watches SET since = MAX(since, ?), points = ? WHERE id = ?", (since, data, watch_id))

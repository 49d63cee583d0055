"""The feedback store: append-only votes tied to their question, safe under concurrent writers."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.dedupe import SeenKeys
from bot.feedback import FeedbackStore


def test_votes_are_appended_with_their_question(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record_answer("a1", "Who signed?", mode="offline", refused=False, channel="C1", user="U1")
    store.add_vote("a1", user="U2", vote="up", channel="C1")
    store.add_vote("a1", user="U2", vote="down", channel="C1")  # changed their mind: a new row
    store.add_vote("zz", user="U3", vote="up")  # unknown answer: kept, question empty
    votes = store.votes()
    assert [(v.answer_id, v.question, v.user, v.vote) for v in votes] == [
        ("a1", "Who signed?", "U2", "up"),
        ("a1", "Who signed?", "U2", "down"),
        ("zz", "", "U3", "up"),
    ]
    assert store.latest_votes()[("a1", "U2")] == "down"
    reopened = FeedbackStore(tmp_path / "fb.sqlite3")
    assert len(reopened.votes("a1")) == 2
    with pytest.raises(ValueError):
        store.add_vote("a1", user="U2", vote="meh")
    rows = sqlite3.connect(tmp_path / "fb.sqlite3").execute("SELECT count(*) FROM feedback").fetchone()
    assert rows == (3,)


def test_concurrent_votes_are_all_kept(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: store.add_vote(f"a{i % 5}", user=f"U{i}", vote="up"), range(200)))
    assert len(store.votes()) == 200


def test_seen_keys_once_per_window():
    now = [0.0]
    seen = SeenKeys(ttl=600, max_keys=3, clock=lambda: now[0])
    assert seen.first("event:1") and not seen.first("event:1")
    now[0] = 601
    assert seen.first("event:1")  # forgotten after the window
    for key in ("a", "b", "c", "d"):
        seen.first(key)
    assert len(seen) == 3
    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(lambda _: seen.first("race"), range(50)))
    assert wins.count(True) == 1

"""Watched topics (briefbot/watches.py) and what's new since (briefbot/answering/digest.py), on a
real SQLite file and the real core over the seed articles."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from briefbot.answer import Citation, CitedText
from briefbot.answering.digest import changes
from briefbot.errors import InvalidQuestion
from briefbot.watches import WatchStore, parse_schedule, period_of

DAY1 = dt.datetime(2025, 9, 10, 10, 0)
TOPIC = "President Tokayev's visit to Pakistan"


def test_schedules_are_read_from_the_end_of_the_text():
    today = DAY1.date()
    assert parse_schedule("Kazakhstan rail  weekly", today) == ("Kazakhstan rail", "weekly", "")
    assert parse_schedule("Kazakhstan rail", today) == ("Kazakhstan rail", "daily", "")
    assert parse_schedule("Kazakhstan rail until 2025-10-01", today) == ("Kazakhstan rail", "daily", "2025-10-01")
    for bad in ("Kazakhstan until 2025-13-01", "Kazakhstan until tomorrow", "Kazakhstan until 2025-09-01", "weekly"):
        with pytest.raises(InvalidQuestion):
            parse_schedule(bad, today)
    assert period_of("daily", DAY1) == "D2025-09-10" and period_of("weekly", DAY1) == "W2025-37"


def test_watches_survive_a_new_store_on_the_same_file_and_one_topic_is_one_watch(tmp_path):
    store = WatchStore(tmp_path / "watches.sqlite3")
    store.add("C1", "Kazakhstan rail", "daily", since=5.0, now=DAY1)
    store.add("C1", "kazakhstan  RAIL", "weekly", since=9.0, now=DAY1)  # same topic: schedule replaced
    store.add("C2", "Kazakhstan rail", "daily", until="2025-09-12", since=5.0, now=DAY1)
    again = WatchStore(tmp_path / "watches.sqlite3")  # a restart
    [c1] = again.all("C1")
    assert (c1.topic, c1.cadence, c1.since, c1.period) == ("kazakhstan RAIL", "weekly", 5.0, "W2025-37")
    [c2] = again.all("C2")
    assert c2.schedule == "daily until 2025-09-12" and not c2.ended(dt.date(2025, 9, 12))
    assert c2.ended(dt.date(2025, 9, 13))
    assert again.remove("C1", "Kazakhstan rail") and not again.remove("C1", "Kazakhstan rail")
    assert [w.channel for w in again.all()] == ["C2"]


def test_a_period_is_claimed_once_by_threads_with_their_own_connections(tmp_path):
    path = tmp_path / "watches.sqlite3"
    watch = WatchStore(path).add("C1", "topic", since=0.0, now=DAY1)
    wins: list[str] = []
    barrier = threading.Barrier(6)

    def replica() -> None:
        store = WatchStore(path)
        barrier.wait()
        for day in range(11, 31):
            if store.claim(watch.id, f"D2025-09-{day}"):
                wins.append(f"D2025-09-{day}")

    threads = [threading.Thread(target=replica) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [f"D2025-09-{day}" for day in range(11, 31)]  # each period once, none lost


CLAIMER = """
import sys, time
from briefbot.watches import WatchStore
store = WatchStore(sys.argv[1])
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
won = [p for p in range(200) if store.claim(int(sys.argv[2]), f"P{p:03d}")]
print(" ".join(map(str, won)))
"""


def test_two_processes_claim_each_period_once(tmp_path):
    path = tmp_path / "watches.sqlite3"
    watch = WatchStore(path).add("C1", "topic", since=0.0, now=DAY1)
    start = f"{time.time() + 2:.3f}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path), str(watch.id), start],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip
        for _ in range(2)
    ]
    won = [list(map(int, p.communicate(timeout=120)[0].split())) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(won[0] + won[1]) == list(range(200))  # every period claimed by exactly one process
    assert WatchStore(path).get(watch.id).period == "P199"
    assert not WatchStore(path).claim(watch.id, "P150")  # an earlier period (a lagging clock) is never taken back


def cited(text: str, n: int = 1) -> CitedText:
    return CitedText(text=text, citations=[Citation(number=n, chunk_id=f"c{n}", source_id=f"{n}.txt", start=0, end=9)])


def test_a_new_point_giving_another_date_for_the_same_thing_is_a_change():
    earlier = [cited("The first freight train on the Termez-Peshawar rail corridor is due in March 2026."),
               cited("Trade between the two countries reached 400 million dollars.")]  # fmt: skip
    now = [cited("The first freight train on the Termez-Peshawar rail corridor is now due in June 2026.", 2),
           cited("Trade between the two countries reached 400 million dollars.", 3),
           cited("A visa-free regime for business travellers starts in 2026.", 4)]  # fmt: skip
    found = changes(now, earlier)
    assert [(c.text, c.earlier) for c in found] == [(now[0].text, earlier[0].text)]
    assert found[0].citations[0].number == 2 and "earlier:" in found[0].rendered()


def test_whats_new_holds_only_sources_ingested_since(seed_service):
    everything = seed_service.whats_new(TOPIC, since=0.0)
    assert not everything.empty and everything.sources
    assert all(p.citations for p in everything.points)  # each key point cited
    cited_numbers = {c.number for p in everything.points for c in p.citations}
    assert cited_numbers == {s.number for s in everything.sources}
    assert everything.until == seed_service.ingested_until() > 0
    nothing = seed_service.whats_new(TOPIC, since=everything.until)
    assert nothing.empty and nothing.sources == [] and "Nothing new on" in nothing.to_markdown()
    restricted = seed_service.whats_new(TOPIC, since=0.0, sets={"cables"})  # the seeds are public
    assert restricted.empty

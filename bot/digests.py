"""The digest scheduler inside `serve`: each watched topic's digest, posted once per period.

A thread wakes every BRIEFBOT_DIGEST_CHECK_SECONDS (an Event wait, so `stop()` ends it at once)
and runs `tick()`: from BRIEFBOT_DIGEST_HOUR on, every watch whose period (the day; the ISO week
for weekly ones) has no digest yet is claimed in the watch store (one atomic UPDATE: of several
replicas on one store, one wins; see briefbot/watches.py), its digest built from the channel's
own source sets, and posted. A restart loses nothing: the watch, its last period and how far it
has read live in SQLite, and `tick()` at start-up posts what is due and not yet claimed.

A plain loop rather than a scheduling library: the rule is "once per period after an hour",
which needs the store's claim anyway (APScheduler's jobs would fire once per replica), and a loop
over `tick()` with an injected clock is tested without sleeping for a day.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from slack_sdk import WebClient

from bot import render
from bot.feedback import FeedbackStore
from briefbot.watches import Watch, WatchStore, period_of

if TYPE_CHECKING:
    from bot.canvas import Canvases
    from briefbot.answer import CitedText
    from briefbot.answering.digest import Digest

log = logging.getLogger(__name__)


class DigestService(Protocol):
    def whats_new(
        self, topic: str, *, since: float, sets: frozenset[str] | None = None, earlier: list[CitedText] | None = None
    ) -> Digest: ...

    def ingested_until(self, *, sets: frozenset[str] | None = None) -> float: ...


class DigestScheduler:
    def __init__(
        self,
        service: DigestService,
        watches: WatchStore,
        client: WebClient,
        sets_of: Callable[[str], frozenset[str]],
        *,
        hour: int = 8,
        nothing_new: str = "line",
        interval: float = 60.0,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
        canvases: Canvases | None = None,
        feedback: FeedbackStore | None = None,
    ) -> None:
        self.service = service
        self.watches = watches
        self.client = client
        self.sets_of = sets_of  # a channel's source sets, as for its answers
        self.hour = hour
        self.nothing_new = nothing_new
        self.interval = interval
        self.clock = clock
        self.canvases = canvases
        self.feedback = feedback
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the loop

    def start(self) -> DigestScheduler:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="briefbot-digests", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("looking for due digests failed; trying again in %.0f s", self.interval)
            self._stop.wait(self.interval)

    # -- one look

    def due(self, now: dt.datetime) -> list[tuple[Watch, str]]:
        """(watch, period) for each watch whose current period has no digest yet."""
        if now.hour < self.hour:
            return []
        out = []
        for watch in self.watches.all():
            period = period_of(watch.cadence, now)
            if period != watch.period and not watch.ended(now.date()):
                out.append((watch, period))
        return out

    def tick(self) -> int:
        """Post every due digest this process wins the claim for; how many were posted."""
        posted = 0
        for watch, period in self.due(self.clock()):
            if self._stop.is_set():
                break
            if not self.watches.claim(watch.id, period):
                continue  # another replica has it
            try:
                posted += self.post(watch, period)
            except Exception:
                log.exception("the %s digest on %r for %s failed (its sources come in the next one)",
                              period, watch.topic, watch.channel)  # fmt: skip
        return posted

    def post(self, watch: Watch, period: str) -> int:
        sets = self.sets_of(watch.channel)
        digest = self.service.whats_new(watch.topic, since=watch.since, sets=sets, earlier=list(watch.points))
        if digest.empty:
            if self.nothing_new == "line":
                message = render.nothing_new_message(digest)
                self.client.chat_postMessage(channel=watch.channel, text=message.text, blocks=message.blocks,
                                             link_names=False, unfurl_links=False, unfurl_media=False)  # fmt: skip
            self.watches.sent(watch.id, since=digest.until, points=None)
            log.info("%s digest on %r in %s: nothing new (%s)", period, watch.topic, watch.channel, self.nothing_new)
            return 1 if self.nothing_new == "line" else 0
        canvas_url = self.canvases.publish(watch.channel, digest.to_markdown()) if self.canvases else None
        note = render.WATCH_NOTE.format(schedule=watch.schedule, topic=watch.topic)
        message = render.render_digest(digest, canvas_url=canvas_url, watch_note=note)
        self.client.chat_postMessage(channel=watch.channel, text=message.text, blocks=message.blocks,
                                     link_names=False, unfurl_links=False, unfurl_media=False)  # fmt: skip
        if self.feedback is not None:
            self.feedback.record_answer(digest.id, f"digest: {watch.topic}", mode="digest", refused=False,
                                        channel=watch.channel, user="")  # fmt: skip
        self.watches.sent(watch.id, since=digest.until, points=digest.points)
        log.info("%s digest on %r in %s: %d points from %d new sources", period, watch.topic, watch.channel,
                 len(digest.points), len(digest.sources))  # fmt: skip
        return 1

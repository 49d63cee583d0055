"""Runs questions (and `/brief` topics) through the core off the request path: the ack never
waits for an answer.

Two pools: a small one for `service.ask` (CPU-bound: embeddings, scoring) and a wider one for
Slack I/O (the "Searching the sources..." placeholder), so a queue of slow answers never delays
the placeholder of the next question. A full queue gets a polite "busy" message, not a pile-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.delivery import BRIEF_ERROR, GENERIC_ERROR, Target
from bot.feedback import FeedbackStore
from bot.journal import Journal
from briefbot.answer import Answer
from briefbot.errors import EXPECTED_ERRORS

if TYPE_CHECKING:
    from briefbot.answering.brief import Brief
    from briefbot.answering.digest import Digest

log = logging.getLogger(__name__)

BUSY = "briefbot is busy with other questions right now. Please ask again in a minute."


class AnswerService(Protocol):
    """What the bot needs from the core (briefbot.service.BriefingService): answers and briefs."""

    def ask(self, question: str, *, context: str | None = None, sets: frozenset[str] | None = None) -> Answer: ...

    def brief(self, topic: str, *, sets: frozenset[str] | None = None) -> Brief: ...

    def whats_new(self, topic: str, *, since: float, sets: frozenset[str] | None = None) -> Digest: ...


@dataclass
class Job:
    question: str  # as the person typed it (Slack markup already turned into plain text)
    user: str
    channel: str
    target: Target[Answer]
    sets: frozenset[str]  # the source sets the answer may come from (the channel's)
    context: Callable[[], str | None] | None = None  # the thread's earlier question, fetched in the worker
    journal_id: int | None = None  # its row in the journal of questions in progress


@dataclass
class BriefJob:
    topic: str  # plain text, as for Job.question
    user: str
    channel: str
    target: Target[Brief]
    sets: frozenset[str]  # the source sets the brief may come from (the channel's)
    journal_id: int | None = None


@dataclass
class DigestJob:
    """`/brief <topic> since <date>`: what's new on the topic, ingested since `since` (Unix time)."""

    topic: str
    since: float
    user: str
    channel: str
    target: Target[Digest]
    sets: frozenset[str]
    journal_id: int | None = None


AnyJob = TypeVar("AnyJob", Job, BriefJob, DigestJob)


class Answerer:
    def __init__(
        self,
        service: AnswerService,
        feedback: FeedbackStore | None,
        *,
        workers: int = 4,
        io_workers: int = 16,
        max_pending: int = 200,
        journal: Journal | None = None,
    ) -> None:
        self.service = service
        self.feedback = feedback
        self.journal = journal  # questions in progress, for the next process if this one dies
        self.max_pending = max_pending
        self._cpu = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefbot-answer")
        self._io = ThreadPoolExecutor(max_workers=io_workers, thread_name_prefix="briefbot-slack")
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    # -- submitting

    def submit(self, job: Job) -> bool:
        """Queue a question; False (and a "busy" message to the asker) when the queue is full."""
        return self._enqueue(job, self._answer)

    def submit_brief(self, job: BriefJob) -> bool:
        """Queue a `/brief`: same queue, same limits, same placeholder-then-work order as questions."""
        return self._enqueue(job, self._brief)

    def submit_digest(self, job: DigestJob) -> bool:
        """Queue a "what's new since": as a brief."""
        return self._enqueue(job, self._digest)

    def _enqueue(self, job: AnyJob, work: Callable[[AnyJob], None]) -> bool:
        with self._lock:
            if self._pending >= self.max_pending:
                busy = True
            else:
                busy = False
                self._pending += 1
        if busy:
            log.warning("queue full (%d pending): question from %s turned away", self.max_pending, job.user)
            self._io.submit(_quietly, job.target.notice, BUSY)
            return False
        self._io.submit(self._start, job, work)
        return True

    def notify(self, target: Target[Any], text: str) -> None:
        """A one-off notice (e.g. "not enabled in this channel"), sent off the request path."""
        self._io.submit(_quietly, target.notice, text)

    def background(self, step: Callable[..., object], *args) -> None:
        """Run a short Slack call (a thank-you, a notice) off the request path."""
        self._io.submit(_logged, step, *args)

    def _start(self, job: AnyJob, work: Callable[[AnyJob], None]) -> None:
        try:
            job.target.start()
        except Exception:  # no placeholder: the answer is posted as a new message instead
            log.exception("could not post the placeholder in %s", job.channel)
        self._journal_add(job)
        try:
            self._cpu.submit(work, job)
        except RuntimeError:  # shutting down: the journal keeps it for the next start
            self._done()

    def _answer(self, job: Job) -> None:
        def work() -> None:
            answer = self.service.ask(job.question, context=self._context(job), sets=job.sets)
            if self.feedback is not None:
                self.feedback.record_answer(
                    answer.id,
                    answer.question,
                    mode=answer.mode,
                    refused=answer.refused,
                    channel=job.channel,
                    user=job.user,
                )
            job.target.finish(answer)
            log.info(
                "answered %s in %s: %s, %d sentences, %.0f ms",
                answer.id,
                job.channel,
                "refused" if answer.refused else answer.mode,
                len(answer.sentences),
                answer.timings_ms.get("total", 0.0),
            )

        self._run(job, work, "question", "answering a question", GENERIC_ERROR)

    def _brief(self, job: BriefJob) -> None:
        def work() -> None:
            brief = self.service.brief(job.topic, sets=job.sets)
            if self.feedback is not None:  # a vote on the brief is logged with its topic
                self.feedback.record_answer(brief.id, job.topic, mode="brief", refused=brief.empty,
                                            channel=job.channel, user=job.user)  # fmt: skip
            job.target.finish(brief)
            log.info(
                "brief %s in %s: %s, %d items, %d sources, %.0f ms",
                brief.id,
                job.channel,
                "nothing in the sources" if brief.empty else brief.mode,
                sum(len(s.items) for s in brief.sections),
                len(brief.sources),
                brief.timings_ms.get("total", 0.0),
            )

        self._run(job, work, "brief", "preparing a brief", BRIEF_ERROR)

    def _digest(self, job: DigestJob) -> None:
        def work() -> None:
            digest = self.service.whats_new(job.topic, since=job.since, sets=job.sets)
            if self.feedback is not None:
                self.feedback.record_answer(digest.id, f"since: {job.topic}", mode="digest", refused=digest.empty,
                                            channel=job.channel, user=job.user)  # fmt: skip
            job.target.finish(digest)
            log.info("what's new %s in %s: %d points, %d new sources", digest.id, job.channel, len(digest.points),
                     len(digest.sources))  # fmt: skip

        self._run(job, work, "digest", "preparing what's new", BRIEF_ERROR)

    def _run(
        self, job: Job | BriefJob | DigestJob, work: Callable[[], None], what: str, doing: str, error: str
    ) -> None:
        """One job on a worker: the core's own errors told to the asker as they are, anything else
        logged and told as `error`; the journal and the queue count settled either way."""
        try:
            work()
        except EXPECTED_ERRORS as exc:
            log.info("%s from %s not done: %s", what, job.user, exc)
            _quietly(job.target.fail, str(exc))
        except Exception:
            log.exception("%s for %s in %s failed", doing, job.user, job.channel)
            _quietly(job.target.fail, error)
        finally:
            self._journal_done(job)
            self._done()

    @staticmethod
    def _context(job: Job) -> str | None:
        """The earlier question, or None when it cannot be read (the question is still answered)."""
        if job.context is None:
            return None
        try:
            return job.context()
        except Exception as exc:
            log.warning("could not read the earlier question (%s); answering without it", type(exc).__name__)
            return None

    # -- the journal (best effort: a question is answered even when it cannot be written down)

    def _journal_add(self, job: Job | BriefJob | DigestJob) -> None:
        """Once the placeholder is up (or could not be posted): the question and where its asker waits."""
        if self.journal is None:
            return
        kind, text = ("ask", job.question) if isinstance(job, Job) else ("brief", job.topic)
        target = job.target
        placeholder = None if getattr(target, "via_url", False) else getattr(target, "ts", None)
        url = None if placeholder else getattr(getattr(target, "response_url", None), "url", None)
        try:
            job.journal_id = self.journal.add(
                kind, text, user=job.user, channel=job.channel, thread_ts=getattr(target, "thread_ts", None),
                placeholder_ts=placeholder, response_url=url, ephemeral=bool(getattr(target, "ephemeral", False)),
            )  # fmt: skip
        except Exception as exc:
            log.warning("could not journal a question from %s (%s)", job.user, type(exc).__name__)

    def _journal_done(self, job: Job | BriefJob | DigestJob) -> None:
        if self.journal is None or job.journal_id is None:
            return
        try:
            self.journal.done(job.journal_id)
        except Exception as exc:
            log.warning("could not clear a journaled question (%s)", type(exc).__name__)

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1
            self._idle.notify_all()

    # -- life cycle

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued question is answered (or `timeout` seconds pass)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, timeout: float = 60.0) -> None:
        """Finish the questions already taken (up to `timeout` seconds), then stop."""
        if not self.wait_idle(timeout):
            log.warning("stopping with %d questions unanswered", self.pending)
        self._io.shutdown(wait=False, cancel_futures=True)
        self._cpu.shutdown(wait=False, cancel_futures=True)
        if self.journal is not None:
            self.journal.close()  # questions still in it are for the next start


def _quietly(step: Callable[[str], None], text: str) -> None:
    try:
        step(text)
    except Exception:
        log.exception("could not tell the user: %s", text)


def _logged(step: Callable[..., object], *args) -> None:
    try:
        step(*args)
    except Exception:
        log.exception("background Slack call failed")

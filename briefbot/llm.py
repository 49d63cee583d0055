"""The optional language-model generator: OpenAI or any OpenAI-compatible endpoint (base URL).

The model writes prose from the retrieved chunks, which go into the prompt numbered and fenced
as data. Its output passes the grounding guard before anyone sees it. Whatever goes wrong (no
answer within the time budget, rate limits, server errors, a cut-off or filtered or malformed
reply, too little of the reply supported by the sources) the user gets the offline answer with
a one-line note saying why, never a traceback."""

from __future__ import annotations

import email.utils
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import openai

try:  # the HTTP library of the installed openai client (httpx2 in recent releases, httpx before)
    import httpx2 as _http
except ImportError:  # pragma: no cover
    import httpx as _http  # type: ignore[no-redef]

from briefbot.answer import Answer, AnswerSentence, Citation, GroundingCheck
from briefbot.brief import Brief, BriefItem
from briefbot.compose import SourceNumbers
from briefbot.grounding import MAX_OUTPUT_CHARS, CheckedSentence, GroundingGuard
from briefbot.prompts import PromptLibrary
from briefbot.settings import Settings
from retrieval.embedder import Embedder
from retrieval.types import Passage

log = logging.getLogger(__name__)

_BACKOFF_SECONDS = 0.5  # first retry without a Retry-After header; doubles each time
_MIN_ATTEMPT_SECONDS = 0.5  # no point starting an attempt with less time than this left
_BRIEF_BOTTOM_LINE_SENTENCES = 3  # the brief's bottom line: 2-3 sentences


class GenerationFailed(Exception):
    """The model gave no usable answer; `reason` is short and fit to show a person."""

    def __init__(self, reason: str, *, note: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.note = note or unavailable_note(reason)  # what the user reads above the offline answer


class OpenAIGenerator:
    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        prompts: PromptLibrary,
        guard: GroundingGuard,
        timeout: float = 20.0,
        max_retries: int = 2,
        budget_seconds: float = 25.0,
        max_sentences: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.model = model
        self.prompts = prompts
        self.guard = guard
        self.timeout = timeout
        self.max_retries = max_retries
        self.budget_seconds = budget_seconds
        self.max_sentences = max_sentences
        self._sleep = sleep

    # --- answers

    def answer(
        self, question: str, passages: list[Passage], fallback: Answer, context: str | None = None
    ) -> Answer:
        """The model's answer to `question` from `passages`, checked; else `fallback` with a note."""
        earlier = f"Earlier question in this thread: {context}\n\n" if context else ""
        prompt = self.prompts.render(
            "answer", question=question, sources=fence(passages), context=earlier,
            max_sentences=str(self.max_sentences),
        )  # fmt: skip
        try:
            checked = self._checked(prompt, passages, self.max_sentences)
        except GenerationFailed as failure:
            return fallback.model_copy(update={"note": failure.note})
        numbers = SourceNumbers()
        kept = [_answer_sentence(s, passages, numbers) for s in checked if s.passed]
        removed = [_answer_sentence(s, passages, None) for s in checked if not s.passed]
        note = ""
        if removed:
            verb = "was" if len(removed) == 1 else "were"
            note = f"{_count(len(removed), 'sentence')} of the model's answer that the sources did not support {verb} removed."
        return Answer(
            question=fallback.question, sentences=kept, sources=numbers.sources, mode="llm",
            model=self.model, note=note, unsupported=removed,
        )  # fmt: skip

    # --- briefs

    def brief(self, topic: str, passages: list[Passage], offline: Brief) -> Brief:
        """`offline` with its bottom line written by the model from the chunks the brief cites."""
        prompt = self.prompts.render(
            "brief", topic=topic, sources=fence(passages), max_sentences=f"2-{_BRIEF_BOTTOM_LINE_SENTENCES}"
        )
        try:
            checked = self._checked(prompt, passages, _BRIEF_BOTTOM_LINE_SENTENCES)
        except GenerationFailed as failure:
            return offline.model_copy(update={"note": failure.note})
        numbers = {s.source_id: s.number for s in offline.sources}
        items = []
        for s in (s for s in checked if s.passed):
            citations = [
                _citation(numbers[passages[n - 1].meta.source_id], passages[n - 1], s, n) for n in s.cited
            ]
            items.append(BriefItem(text=s.text, citations=citations))
        brief = offline.model_copy(deep=True, update={"mode": "llm", "model": self.model})
        brief.section("bottom_line").items = items
        return brief

    # --- the model call

    def _checked(self, prompt: str, passages: list[Passage], max_sentences: int) -> list[CheckedSentence]:
        output = self._complete(prompt)
        if len(output) > MAX_OUTPUT_CHARS:
            log.info("language model reply of %d characters: only the first %d are read", len(output), MAX_OUTPUT_CHARS)
        checked = self.guard.check(output, passages, max_sentences)
        for s in checked:
            log.debug("grounding: %s -> %s (%s)", s.text[:80], "kept" if s.passed else "removed", s.detail)
        if not self.guard.enough(checked):
            kept = sum(s.passed for s in checked)
            reason = f"{kept} of its {_count(len(checked), 'sentence')} supported"
            raise GenerationFailed(
                reason, note=f"The language model's answer did not hold up against the sources ({reason}); "
                "this is the offline summary.",
            )  # fmt: skip
        return checked

    def _complete(self, prompt: str) -> str:
        """The model's reply text, within the time budget, retrying rate limits and server errors."""
        messages = [
            {"role": "system", "content": self.prompts.load("system")},
            {"role": "user", "content": prompt},
        ]
        deadline = time.monotonic() + self.budget_seconds
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining < _MIN_ATTEMPT_SECONDS:
                raise GenerationFailed(f"no answer within {self.budget_seconds:g} s")
            delay = None
            seconds = min(self.timeout, remaining)
            late = f"no answer within {seconds:.0f} s"
            try:
                with wall_clock_limit(seconds) as limit:
                    response = self.client.with_options(timeout=seconds, max_retries=0).chat.completions.create(
                        model=self.model, messages=messages, temperature=0
                    )
                return self._reply_text(response)
            except openai.APITimeoutError:
                reason = late
            except openai.RateLimitError as exc:
                reason, delay = "rate limited", retry_after(exc.response)
            except openai.InternalServerError as exc:
                reason, delay = f"server error {exc.status_code}", retry_after(exc.response)
            except openai.APIConnectionError:
                reason = late if limit.expired else "could not connect"
            except openai.APIStatusError as exc:  # 400/401/403/404...: retrying will not help
                log.warning("language model refused the request: HTTP %s", exc.status_code)
                raise GenerationFailed(f"the request was refused (HTTP {exc.status_code})") from None
            except (openai.APIResponseValidationError, ValueError, TypeError, AttributeError) as exc:
                if limit.expired:  # cut off mid-reply by the deadline
                    log.warning("language model attempt %d failed: %s", attempt + 1, late)
                    raise GenerationFailed(late) from None
                log.warning("language model reply could not be read: %s", type(exc).__name__)
                raise GenerationFailed("its reply could not be read") from None
            log.warning("language model attempt %d failed: %s", attempt + 1, reason)
            if attempt >= self.max_retries:
                raise GenerationFailed(reason)
            wait = delay if delay is not None else _BACKOFF_SECONDS * 2**attempt
            if time.monotonic() + wait + _MIN_ATTEMPT_SECONDS > deadline:
                raise GenerationFailed(f"{reason}; retrying after {wait:g} s would exceed the time budget")
            self._sleep(wait)
            attempt += 1

    def _reply_text(self, response) -> str:
        usage = getattr(response, "usage", None)
        if usage is not None:
            log.info(
                "language model %s used %s prompt + %s completion tokens",
                getattr(response, "model", None) or self.model, usage.prompt_tokens, usage.completion_tokens,
            )  # fmt: skip
        choices = getattr(response, "choices", None)
        if not choices:
            raise GenerationFailed("its reply held no answer")
        choice = choices[0]
        if choice.finish_reason == "length":
            raise GenerationFailed("its reply was cut off at the length limit")
        if choice.finish_reason == "content_filter":
            raise GenerationFailed("its reply was withheld by a content filter")
        content = choice.message.content if choice.message is not None else None
        if not isinstance(content, str) or not content.strip():
            raise GenerationFailed("its reply was empty")
        return content


# --- a wall-clock limit for one request
#
# The HTTP client's timeout bounds each read, not the call: a server that sends its headers and
# then a byte every second never trips it. So each attempt runs under a timer that, when the
# attempt's time is up, shuts down the attempt's socket: the read in progress returns at once,
# the call fails, and the worker gives the offline answer. The socket is learnt from the HTTP
# client's `trace` extension when the connection is opened; connections are not kept alive
# between calls, so every call opens its own (one handshake more per call, seconds saved).

_attempt = threading.local()  # the running attempt's limit, read by the client's request hook


class WallClockLimit:
    """Shuts down every socket opened under it once `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def trace(self, name: str, info: dict) -> None:
        """The HTTP client's trace callback: remembers the socket of each connection it opens."""
        if not name.endswith(("connect_tcp.complete", "start_tls.complete")):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        # the plain socket's shutdown, also for a TLS socket: the blocked read sees end of file
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


@contextmanager
def wall_clock_limit(seconds: float) -> Iterator[WallClockLimit]:
    limit = WallClockLimit(seconds)
    _attempt.limit = limit
    limit._timer.start()
    try:
        yield limit
    finally:
        limit._timer.cancel()
        _attempt.limit = None


def _under_limit(request) -> None:
    """Request hook: the running attempt's limit learns the sockets this request opens."""
    limit = getattr(_attempt, "limit", None)
    if limit is not None:
        request.extensions["trace"] = limit.trace


def http_client() -> _http.Client:
    """The openai client's HTTP client: no kept-alive connections (each call's own socket can be
    shut down at its deadline) and the hook that hands that socket to the deadline."""
    return openai.DefaultHttpxClient(
        limits=_http.Limits(max_connections=100, max_keepalive_connections=0),
        event_hooks={"request": [_under_limit]},
    )


def build_generator(settings: Settings, embedder: Embedder) -> OpenAIGenerator:
    """The generator the settings describe (only called when an API key is configured)."""
    client = openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url or None,
        timeout=settings.openai_timeout,
        max_retries=0,  # retries are ours: they must honour Retry-After within the time budget
        http_client=http_client(),
    )
    return OpenAIGenerator(
        client,
        model=settings.openai_model,
        prompts=PromptLibrary(settings.prompts_dir),
        guard=GroundingGuard(embedder),
        timeout=settings.openai_timeout,
        max_retries=settings.openai_max_retries,
        budget_seconds=settings.llm_budget_seconds,
        max_sentences=settings.answer_max_sentences,
    )


def fence(passages: list[Passage]) -> str:
    """The passages numbered from 1, each fenced as quoted data; fence look-alikes inside are defused."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        attrs = [f'n="{n}"']
        for key, value in (("title", p.meta.title), ("outlet", p.meta.outlet), ("date", p.meta.published)):
            if value:
                attrs.append(f'{key}="{_defuse(value)}"')
        blocks.append(f"<source {' '.join(attrs)}>\n{_defuse(p.text.strip())}\n</source>")
    return "\n\n".join(blocks)


def _defuse(text: str) -> str:
    """Source text cannot open or close a fence: `<source` / `</source` lose their angle bracket."""
    return text.replace('"', "'").replace("<source", "‹source").replace("</source", "‹/source")


def retry_after(response) -> float | None:
    """Seconds the server asked us to wait (Retry-After-Ms, Retry-After in seconds or as a date)."""
    headers = getattr(response, "headers", None) or {}
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def unavailable_note(reason: str) -> str:
    return f"The language model was unavailable ({reason}); this is the offline summary."


def _answer_sentence(s: CheckedSentence, passages: list[Passage], numbers: SourceNumbers | None) -> AnswerSentence:
    citations = []
    if numbers is not None:
        citations = [_cited(numbers, passages[n - 1], s, n) for n in s.cited]
    check = GroundingCheck(method=GroundingGuard.METHOD, support=round(s.support, 3), passed=s.passed, detail=s.detail)
    return AnswerSentence(text=s.text, citations=citations, check=check)


def _cited(numbers: SourceNumbers, p: Passage, s: CheckedSentence, n: int) -> Citation:
    """A citation of passage n, numbering its source (and noting the PDF page cited)."""
    best = s.evidence.get(n)
    page = p.page_at(best.start if best is not None else p.start)
    return _citation(numbers.number(p.meta, page), p, s, n)


def _citation(number: int, p: Passage, s: CheckedSentence, n: int) -> Citation:
    best = s.evidence.get(n)
    if best is None:
        return Citation(number=number, chunk_id=p.chunk_id, source_id=p.meta.source_id, start=p.start, end=p.end,
                        page=p.page_at(p.start))  # fmt: skip
    return Citation(
        number=number, chunk_id=p.chunk_id, source_id=p.meta.source_id, start=best.start, end=best.end,
        quote=best.text, page=p.page_at(best.start),
    )  # fmt: skip


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"

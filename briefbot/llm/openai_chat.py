"""OpenAI, or any OpenAI-compatible endpoint (a base URL), as the project's `ChatModel`.

Everything about the wire lives here: the client without kept-alive connections, a wall-clock
deadline per attempt (a trickling reply cannot hold a worker past the budget), retries of rate
limits and server errors that honour Retry-After within the time budget, and reading the reply
(cut off, filtered, empty or malformed replies are refused). Every failure is a
`GeneratorUnavailable` with a reason a person can read; the key never reaches the log.
"""

from __future__ import annotations

import email.utils
import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam

from briefbot.errors import ConfigError, GeneratorUnavailable
from briefbot.llm.chat_model import ChatModel
from briefbot.settings import Settings
from retrieval.sources.deadline import WallClockLimit

# the HTTP library of the installed openai client (httpx2 in recent releases, httpx before)
_http: Any = importlib.import_module("httpx2" if importlib.util.find_spec("httpx2") else "httpx")

log = logging.getLogger(__name__)

_BACKOFF_SECONDS = 0.5  # first retry without a Retry-After header; doubles each time
_MIN_ATTEMPT_SECONDS = 0.5  # no point starting an attempt with less time than this left


class OpenAIChatModel(ChatModel):
    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        timeout: float = 20.0,
        max_retries: int = 2,
        budget_seconds: float = 25.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.name = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.budget_seconds = budget_seconds
        self._sleep = sleep

    def complete(self, system: str, prompt: str) -> str:
        """The model's reply text, within the time budget, retrying rate limits and server errors."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ]
        deadline = time.monotonic() + self.budget_seconds
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining < _MIN_ATTEMPT_SECONDS:
                raise GeneratorUnavailable(f"no answer within {self.budget_seconds:g} s")
            delay = None
            seconds = min(self.timeout, remaining)
            late = f"no answer within {seconds:.0f} s"
            try:
                with wall_clock_limit(seconds) as limit:
                    response = self.client.with_options(timeout=seconds, max_retries=0).chat.completions.create(
                        model=self.name, messages=messages, temperature=0
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
                raise GeneratorUnavailable(f"the request was refused (HTTP {exc.status_code})") from None
            except (openai.APIResponseValidationError, ValueError, TypeError, AttributeError) as exc:
                if limit.expired:  # cut off mid-reply by the deadline
                    log.warning("language model attempt %d failed: %s", attempt + 1, late)
                    raise GeneratorUnavailable(late) from None
                log.warning("language model reply could not be read: %s", type(exc).__name__)
                raise GeneratorUnavailable("its reply could not be read") from None
            log.warning("language model attempt %d failed: %s", attempt + 1, reason)
            if attempt >= self.max_retries:
                raise GeneratorUnavailable(reason)
            wait = delay if delay is not None else _BACKOFF_SECONDS * 2**attempt
            if time.monotonic() + wait + _MIN_ATTEMPT_SECONDS > deadline:
                raise GeneratorUnavailable(f"{reason}; retrying after {wait:g} s would exceed the time budget")
            self._sleep(wait)
            attempt += 1

    def _reply_text(self, response) -> str:
        usage = getattr(response, "usage", None)
        if usage is not None:
            log.info(
                "language model %s used %s prompt + %s completion tokens",
                getattr(response, "model", None) or self.name, usage.prompt_tokens, usage.completion_tokens,
            )  # fmt: skip
        choices = getattr(response, "choices", None)
        if not choices:
            raise GeneratorUnavailable("its reply held no answer")
        choice = choices[0]
        if choice.finish_reason == "length":
            raise GeneratorUnavailable("its reply was cut off at the length limit")
        if choice.finish_reason == "content_filter":
            raise GeneratorUnavailable("its reply was withheld by a content filter")
        content = choice.message.content if choice.message is not None else None
        if not isinstance(content, str) or not content.strip():
            raise GeneratorUnavailable("its reply was empty")
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


@contextmanager
def wall_clock_limit(seconds: float) -> Iterator[WallClockLimit]:
    with WallClockLimit(seconds) as limit:
        _attempt.limit = limit
        try:
            yield limit
        finally:
            _attempt.limit = None


def _under_limit(request) -> None:
    """Request hook: the running attempt's limit learns the sockets this request opens."""
    limit = getattr(_attempt, "limit", None)
    if limit is not None:
        request.extensions["trace"] = limit.trace


def http_client() -> Any:
    """The openai client's HTTP client: no kept-alive connections (each call's own socket can be
    shut down at its deadline) and the hook that hands that socket to the deadline."""
    return openai.DefaultHttpxClient(
        limits=_http.Limits(max_connections=100, max_keepalive_connections=0),
        event_hooks={"request": [_under_limit]},
    )


def openai_chat_model(settings: Settings) -> OpenAIChatModel:
    """The model the settings describe (only called when an API key is configured)."""
    if settings.openai_api_key is None:
        raise ConfigError("BRIEFBOT_OPENAI_API_KEY is not set: the language model needs it")
    client = openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url or None,
        timeout=settings.openai_timeout,
        max_retries=0,  # retries are ours: they must honour Retry-After within the time budget
        http_client=http_client(),
    )
    return OpenAIChatModel(
        client,
        model=settings.openai_model,
        timeout=settings.openai_timeout,
        max_retries=settings.openai_max_retries,
        budget_seconds=settings.llm_budget_seconds,
    )


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

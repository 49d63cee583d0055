"""The core's exceptions, and the retrieval layer's (re-exported). Each interface turns them into
a friendly message at one place: it catches `EXPECTED_ERRORS`."""

from retrieval.errors import EmbeddingModelError, EmbeddingModelMismatch, RetrievalError, StoreBusy, StoreError

__all__ = [
    "BriefbotError", "ConfigError", "EXPECTED_ERRORS", "EmbeddingModelError", "EmbeddingModelMismatch",
    "GeneratorUnavailable", "InvalidQuestion", "RetrievalError", "StoreBusy", "StoreError",
]  # fmt: skip


class BriefbotError(Exception):
    """Base of every error the core raises on purpose; str(err) is a message a person can act on."""


class InvalidQuestion(BriefbotError):
    """The question (or brief topic) is empty or unusable."""


class ConfigError(BriefbotError):
    """A setting is missing or wrong."""


class GeneratorUnavailable(BriefbotError):
    """The language model gave no usable answer (timeout, rate limit, bad or unsupported output).

    `reason` is short and fit to show a person; `note` is what the user reads above the offline
    answer given instead."""

    def __init__(self, reason: str, *, note: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.note = note or f"The language model was unavailable ({reason}); this is the offline summary."


EXPECTED_ERRORS = (BriefbotError, RetrievalError)  # raised on purpose, with a message for a person

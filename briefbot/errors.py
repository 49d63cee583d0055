"""The core's exceptions. Each interface turns them into a friendly message at one place."""


class BriefbotError(Exception):
    """Base of every error the core raises on purpose; str(err) is a message a person can act on."""


class InvalidQuestion(BriefbotError):
    """The question (or brief topic) is empty or unusable."""


class ConfigError(BriefbotError):
    """A setting is missing or wrong."""


class StoreError(BriefbotError):
    """The vector store cannot be opened or used."""


class EmbeddingModelMismatch(StoreError):
    """The collection was built with a different embedding model than the one configured."""


class StoreBusy(StoreError):
    """Another process holds the store's write lock."""


class GeneratorUnavailable(BriefbotError):
    """The language model gave no usable answer (timeout, rate limit, bad or unsupported output).

    `reason` is short and fit to show a person; `note` is what the user reads above the offline
    answer given instead."""

    def __init__(self, reason: str, *, note: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.note = note or f"The language model was unavailable ({reason}); this is the offline summary."

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
    """The language model could not produce a usable answer (timeout, rate limit, bad output)."""

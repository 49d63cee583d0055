"""The retrieval layer's exceptions. Each message is one a person can act on; the interfaces
(CLI, bot) show it as it is. `briefbot.errors` re-exports them beside the core's own."""


class RetrievalError(Exception):
    """Base of every error the retrieval layer raises on purpose."""


class StoreError(RetrievalError):
    """The vector store cannot be opened or used."""


class EmbeddingModelMismatch(StoreError):
    """The collection was built with a different embedding model than the one configured."""


class StoreBusy(StoreError):
    """Another process holds the store's write lock."""


class EmbeddingModelError(RetrievalError):
    """The embedding model cannot be loaded as configured (unknown backend, missing weights)."""

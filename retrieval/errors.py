"""The retrieval layer's exceptions. Each message is one a person can act on; the interfaces
(CLI, bot) show it as it is. `briefbot.errors` re-exports them beside the core's own."""

from __future__ import annotations

from pathlib import Path


def one_line(text: str) -> str:
    """Text on one line (line breaks in a file name or message would break the one-line reports)."""
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


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


class BadSourceFile(RetrievalError):
    """A source file that cannot be used: str(err) is one line naming the file, the problem and
    what to do about it."""

    FAILED = "failed"  # could not be read or used: what it had indexed is kept
    EMPTY = "empty"  # read fine and holds no article text (emptied): what it had indexed goes
    SKIPPED = "skipped"  # deliberately not read (a link out of the folder): what it had indexed goes

    def __init__(self, path: Path | str, problem: str, hint: str = "", kind: str = FAILED) -> None:
        self.path = path if isinstance(path, str) and "://" in path else Path(path)  # a URL stays a URL
        self.problem = problem
        self.hint = hint
        self.kind = kind
        message = f"{one_line(str(path))}: {problem}" + (f"; {hint}" if hint else "")
        super().__init__(one_line(message))

    def __reduce__(self):  # keep it picklable despite the custom constructor
        return (type(self), (self.path, self.problem, self.hint, self.kind))

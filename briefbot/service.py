"""The core facade: ask and brief over the store. Knows nothing about Slack or the CLI."""

from __future__ import annotations

import logging
import time
from typing import Protocol

from briefbot.answer import Answer
from briefbot.errors import InvalidQuestion
from retrieval.types import Passage, SearchFilters

log = logging.getLogger(__name__)


class Generator(Protocol):
    """Writes an answer from retrieved passages (the optional language model)."""

    model: str

    def answer(
        self, question: str, passages: list[Passage], fallback: Answer, context: str | None = None
    ) -> Answer:
        """An answer grounded in `passages`; on any failure, `fallback` with a one-line note."""

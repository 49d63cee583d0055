"""The seam to a language model: one call, text in, text out.

    reply = model.complete(system=prompts.load("system"), prompt=rendered)

Prompts, grounding and answer assembly live in the core (`briefbot.llm.generator`); a model only turns a
prompt into a reply. `briefbot.llm.openai_chat.OpenAIChatModel` is the one the settings build (OpenAI
or any OpenAI-compatible endpoint); tests script replies in process.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class ChatModel(ABC):
    name: str  # what the answer says wrote it ("gpt-4o-mini")

    @abstractmethod
    def complete(self, system: str, prompt: str) -> str:
        """The model's reply to `prompt` under the `system` instructions, within the model's own
        time budget. Raises `briefbot.errors.GeneratorUnavailable` (never anything else) when
        there is no usable reply: the caller then gives the offline answer with its note."""

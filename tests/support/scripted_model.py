"""A language model scripted in process: the core's `ChatModel` seam without HTTP.

    model = ScriptedModel().then("Both sides agreed ... [1].", GeneratorUnavailable("server error 500"))
    service = build_service(settings, chat_model=model)

Each step answers one call: a reply text, a function of the call (to cite the number the prompt
gave a source), or a `GeneratorUnavailable` to raise. Every call is kept in `calls`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from briefbot.errors import GeneratorUnavailable
from briefbot.llm.chat_model import ChatModel


@dataclass(frozen=True)
class ModelCall:
    system: str
    prompt: str


Step = str | GeneratorUnavailable | Callable[[ModelCall], str]


class ScriptedModel(ChatModel):
    def __init__(self, name: str = "scripted-model") -> None:
        self.name = name
        self.calls: list[ModelCall] = []
        self._steps: list[Step] = []
        self._lock = threading.Lock()

    def then(self, *steps: Step) -> ScriptedModel:
        """Queue replies; the last one keeps answering once the others are used."""
        with self._lock:
            self._steps.extend(steps)
        return self

    def complete(self, system: str, prompt: str) -> str:
        call = ModelCall(system, prompt)
        with self._lock:
            self.calls.append(call)
            if not self._steps:
                raise GeneratorUnavailable("nothing scripted")
            step = self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]
        if isinstance(step, GeneratorUnavailable):
            raise step
        return step(call) if callable(step) else step

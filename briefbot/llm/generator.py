"""The optional language-model generator, over any `ChatModel` (by default OpenAI or an
OpenAI-compatible endpoint, `briefbot.llm.openai_chat`).

The model writes prose from the retrieved chunks, which go into the prompt numbered and fenced
as data. Its output passes the grounding guard before anyone sees it. Whatever goes wrong (no
answer within the time budget, rate limits, server errors, a cut-off or filtered or malformed
reply, too little of the reply supported by the sources) the user gets the offline answer with
a one-line note saying why, never a traceback."""

from __future__ import annotations

import logging

from briefbot.answer import Answer, AnswerSentence, Citation, GroundingCheck
from briefbot.answering.brief import Brief, BriefItem
from briefbot.answering.citations import SourceNumbers
from briefbot.errors import GeneratorUnavailable
from briefbot.llm.chat_model import ChatModel
from briefbot.llm.grounding import MAX_OUTPUT_CHARS, CheckedSentence, GroundingGuard
from briefbot.llm.prompts import PromptLibrary
from briefbot.settings import Settings
from retrieval.index.embedder import Embedder
from retrieval.types import Passage

log = logging.getLogger(__name__)

_BRIEF_BOTTOM_LINE_SENTENCES = 3  # the brief's bottom line: 2-3 sentences


class ModelGenerator:
    """Answers and brief bottom lines written by a `ChatModel`: the prompt rendered from
    `prompts/`, the reply checked sentence by sentence by the grounding guard, the answer built
    with citations; any failure is the offline answer with a note saying why."""

    def __init__(
        self, model: ChatModel, *, prompts: PromptLibrary, guard: GroundingGuard, max_sentences: int = 5
    ) -> None:
        self.model = model
        self.prompts = prompts
        self.guard = guard
        self.max_sentences = max_sentences

    # --- answers

    def answer(self, question: str, passages: list[Passage], fallback: Answer, context: str | None = None) -> Answer:
        """The model's answer to `question` from `passages`, checked; else `fallback` with a note."""
        earlier = f"Earlier question in this thread: {context}\n\n" if context else ""
        prompt = self.prompts.render(
            "answer", question=question, sources=fence(passages), context=earlier,
            max_sentences=str(self.max_sentences),
        )  # fmt: skip
        try:
            checked = self._checked(prompt, passages, self.max_sentences)
        except GeneratorUnavailable as failure:
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
            model=self.model.name, note=note, unsupported=removed,
        )  # fmt: skip

    # --- briefs

    def brief(self, topic: str, passages: list[Passage], offline: Brief) -> Brief:
        """`offline` with its bottom line written by the model from the chunks the brief cites."""
        prompt = self.prompts.render(
            "brief", topic=topic, sources=fence(passages), max_sentences=f"2-{_BRIEF_BOTTOM_LINE_SENTENCES}"
        )
        try:
            checked = self._checked(prompt, passages, _BRIEF_BOTTOM_LINE_SENTENCES)
        except GeneratorUnavailable as failure:
            return offline.model_copy(update={"note": failure.note})
        numbers = {s.source_id: s.number for s in offline.sources}
        items = []
        for s in (s for s in checked if s.passed):
            citations = [_citation(numbers[passages[n - 1].meta.source_id], passages[n - 1], s, n) for n in s.cited]
            items.append(BriefItem(text=s.text, citations=citations))
        brief = offline.model_copy(deep=True, update={"mode": "llm", "model": self.model.name})
        brief.section("bottom_line").items = items
        return brief

    # --- the model call

    def _checked(self, prompt: str, passages: list[Passage], max_sentences: int) -> list[CheckedSentence]:
        output = self.model.complete(self.prompts.load("system"), prompt)
        if len(output) > MAX_OUTPUT_CHARS:
            log.info("language model reply of %d characters: only the first %d are read", len(output), MAX_OUTPUT_CHARS)
        checked = self.guard.check(output, passages, max_sentences)
        for s in checked:
            log.debug("grounding: %s -> %s (%s)", s.text[:80], "kept" if s.passed else "removed", s.detail)
        if not self.guard.enough(checked):
            kept = sum(s.passed for s in checked)
            reason = f"{kept} of its {_count(len(checked), 'sentence')} supported"
            raise GeneratorUnavailable(
                reason, note=f"The language model's answer did not hold up against the sources ({reason}); "
                "this is the offline summary.",
            )  # fmt: skip
        return checked


def build_generator(settings: Settings, embedder: Embedder, model: ChatModel | None = None) -> ModelGenerator:
    """The generator over `model`, by default the OpenAI-compatible endpoint the settings describe."""
    if model is None:
        from briefbot.llm.openai_chat import openai_chat_model

        model = openai_chat_model(settings)
    return ModelGenerator(
        model,
        prompts=PromptLibrary(settings.prompts_dir),
        guard=GroundingGuard(embedder),
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

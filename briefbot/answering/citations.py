"""Citing evidence: an answer made of evidence sentences, its sources numbered [1], [2]... in the
order an answer or a brief first cites them. Shared by the composer, the verdict, the key points and
the brief."""

from __future__ import annotations

from briefbot.answer import Answer, AnswerSentence, Citation, SourceRef
from briefbot.answering.evidence import EvidenceSentence
from retrieval.types import DocumentMeta


def answer_from(question: str, chosen: list[EvidenceSentence]) -> Answer:
    numbers = SourceNumbers()
    sentences = [AnswerSentence(text=s.text, citations=[numbers.cite(ev) for ev in [s, *s.also]]) for s in chosen]
    return Answer(question=question, sentences=sentences, sources=numbers.sources)


class SourceNumbers:
    """Numbers articles [1], [2]... in the order they are first cited, and lists them."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.sources: list[SourceRef] = []

    def number(self, meta: DocumentMeta, page: int | None = None) -> int:
        """The source's number; `page`, when given, is added to the pages its citations name."""
        if meta.source_id not in self._numbers:
            self._numbers[meta.source_id] = len(self._numbers) + 1
            self.sources.append(source_ref(self._numbers[meta.source_id], meta))
        number = self._numbers[meta.source_id]
        if page is not None:
            ref = self.sources[number - 1]
            if page not in ref.pages:
                ref.pages = sorted([*ref.pages, page])
        return number

    def cite(self, ev: EvidenceSentence) -> Citation:
        """A citation of one evidence sentence (numbering its source, noting its page)."""
        return citation(self.number(ev.passage.meta, ev.passage.page_at(ev.start)), ev)


def source_ref(number: int, meta: DocumentMeta) -> SourceRef:
    return SourceRef(
        number=number,
        source_id=meta.source_id,
        title=meta.title,
        outlet=meta.outlet,
        url=meta.url,
        published=meta.published,
        dateline=meta.dateline,
        kind=meta.kind,
        author=meta.author,
    )


def citation(number: int, ev: EvidenceSentence) -> Citation:
    return Citation(
        number=number,
        chunk_id=ev.passage.chunk_id,
        source_id=ev.source_id,
        start=ev.start,
        end=ev.end,
        quote=ev.text,
        page=ev.passage.page_at(ev.start),
    )

"""The one answer structure that the CLI, Slack, eval and tests all use."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field


class SourceRef(BaseModel):
    """A numbered entry of an answer's source list: the article a citation [n] points to."""

    number: int
    source_id: str  # the source file's path relative to the ingest root, e.g. "000_x.txt"
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: str = ""  # ISO date when the article carries one, else ""
    dateline: str = ""  # e.g. "ISLAMABAD", when the text opens with one
    kind: str = ""  # "file", "web", "feed", "pdf", "docx" ("" when unknown)
    author: str = ""
    pages: list[int] = Field(default_factory=list)  # a PDF's pages that the citations to it name

    @property
    def label(self) -> str:
        """What to show a person: the title; for an untitled article, where it was filed from
        ("Untitled report from Islamabad"); the file name only when nothing better exists."""
        if self.title:
            return self.title
        if self.dateline:
            return f"Untitled report from {self.dateline.title()}"
        return self.source_id

    def line_parts(self) -> list[str]:
        """[label, outlet (or the file, when the label is not it), date or "undated", and for what is
        not a plain file its kind with the pages cited ("PDF p. 2")]: one source line's parts, the
        same in the CLI, Slack and the brief."""
        where = self.outlet or (self.source_id if self.label != self.source_id and "://" not in self.source_id else "")
        return [p for p in (self.label, where, self.published or "undated", self.kind_label) if p]

    @property
    def kind_label(self) -> str:
        """ "web page", "feed item", "Word document", "PDF p. 2" / "PDF pp. 1, 3"; "" for a file."""
        names = {"web": "web page", "feed": "feed item", "docx": "Word document", "pdf": "PDF"}
        name = names.get(self.kind, "")
        if self.pages:
            where = f"p. {self.pages[0]}" if len(self.pages) == 1 else "pp. " + ", ".join(map(str, self.pages))
            return f"{name} {where}".strip()
        return name


class Citation(BaseModel):
    """Where a sentence's support lies: a stored chunk and the character span inside its document."""

    number: int  # the SourceRef number shown as [n]
    chunk_id: str
    source_id: str
    start: int  # character offsets into the cleaned document text
    end: int
    quote: str = ""
    page: int | None = None  # the PDF page the cited text is on


class GroundingCheck(BaseModel):
    """How a generated sentence was checked against the chunks it cites."""

    method: str  # e.g. "extractive" or "embedding+terms"
    support: float  # 0..1
    passed: bool
    detail: str = ""


class CitedText(BaseModel):
    """A statement and the citations that back it (an answer's sentence, a brief's bullet)."""

    text: str  # without citation markers
    citations: list[Citation] = Field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        return sorted({c.number for c in self.citations})

    def rendered(self) -> str:
        marks = "".join(f"[{n}]" for n in self.numbers)
        return f"{self.text} {marks}".rstrip()


class AnswerSentence(CitedText):
    check: GroundingCheck | None = None
    # "lead" (the sentence that answers) or "point" (a key point after it, shown as a list item);
    # "" for the answers that are plain sentences
    kind: str = ""


class Answer(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    question: str
    sentences: list[AnswerSentence] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    refused: bool = False  # True when the sources do not answer the question
    refusal: str = ""  # the plain "The sources don't say ..." text when refused
    related_topics: list[str] = Field(default_factory=list)  # closest topics covered, on refusal
    # sentences a language model wrote that the grounding guard removed, with why (not shown as answer)
    unsupported: list[AnswerSentence] = Field(default_factory=list)
    mode: Literal["offline", "llm"] = "offline"
    model: str = ""  # which model wrote it ("" for the offline summary)
    note: str = ""  # e.g. "The language model was unavailable; this is the offline summary."
    # how old the sources are, undated ones a filter left out, events they announce that are now past
    freshness: str = ""
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @property
    def text(self) -> str:
        """The answer as plain text with [n] markers (no source list)."""
        if self.refused:
            return self.refusal
        return " ".join(s.rendered() for s in self.sentences)

    @property
    def lead(self) -> AnswerSentence | None:
        return self.sentences[0] if self.sentences and not self.refused else None

    @property
    def points(self) -> list[AnswerSentence]:
        """The key points after the lead (an open question's answer), each shown once as a list item."""
        return [s for s in self.sentences if s.kind == "point"]

    def source(self, number: int) -> SourceRef | None:
        return next((s for s in self.sources if s.number == number), None)

    def to_json(self) -> str:
        data = self.model_dump(mode="json")
        data["text"] = self.text
        import json

        return json.dumps(data, ensure_ascii=False, indent=2)

"""Statements, not sentences: the candidates an answer is made of, at the level of clauses, each
with its source span; and groups of statements that say the same thing across sources.

Made once from the retrieved passages' scored sentences (`evidence.EvidenceSentence`); the parse is
the expensive part, so only the best candidates are parsed. Both the verdicts (`verdict.py`) and
the open-question summaries (`summary.py`) and the brief read these."""

from __future__ import annotations

from dataclasses import dataclass, field

from briefbot.answering.evidence import EvidenceSentence


@dataclass
class Statement:
    text: str  # as shown: the whole sentence or one clause of it, a substring of the source text
    evidence: EvidenceSentence  # the source sentence it was cut from (passage, offsets, scores)
    start: int  # offsets of `text` in the cleaned document (inside evidence.start..end)
    end: int
    score: float = 0.0  # relevance to the question or facet
    facets: frozenset[str] = frozenset()  # which of frame.FACETS it serves

    @property
    def source_id(self) -> str:
        return self.evidence.source_id


@dataclass
class Group:
    """Statements that say the same thing: shown once, with every source's citation, in the
    cleanest wording (`best`)."""

    best: Statement
    members: list[Statement] = field(default_factory=list)  # best included

    @property
    def source_ids(self) -> list[str]:
        return list(dict.fromkeys(m.source_id for m in self.members))

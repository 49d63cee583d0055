"""Yes/no verdicts decided by the evidence: each of the frame's claims is found supported,
contradicted or not found in the right source; "Yes" only when every claim is supported, "No" when
one is contradicted (or an ordering or comparison comes out the other way), otherwise the sources
do not settle it. The answer shows the decision and one cited sentence per claim: the evidence the
decision was made on."""

from __future__ import annotations

from briefbot.answer import Answer
from briefbot.answering.evidence import EvidenceSentence, SentenceScorer
from briefbot.answering.frame import Frame
from retrieval.types import Passage


def decide(
    frame: Frame, ranked: list[EvidenceSentence], passages: list[Passage], scorer: SentenceScorer
) -> Answer | None:
    """The verdict answer for a yes/no frame; None leaves the question to the composer's lead."""
    return None

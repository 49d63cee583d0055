"""Follow-up questions in a thread ("and on trade?") read against the thread's earlier question."""

from __future__ import annotations

import re

_LEAD = re.compile(r"^(?:and\s+)?(?:but|also|so|what about|how about|and)\b[\s,]*", re.I)
_SWAP = re.compile(r"^(?:and\s+)?(?:what|how)\s+about\b", re.I)  # "what about X?": same question, X
_PREPOSITIONS = {"on", "about", "for", "in", "with", "regarding", "of", "to"}
# A tail that names the earlier question's topic ("... agreed on connectivity"), which a follow-up
# may swap. "with the Kazakh minister" in "Who came with the Kazakh minister?" is not a topic: it
# belongs to what was asked, so "what about agriculture?" is asked against it, not spliced into it.
_TAIL = re.compile(r"\b(on|about|regarding|concerning|over)\s+[^?]*\??\s*$", re.I)


def resolve_follow_up(question: str, context: str | None) -> str:
    """The question as it stands alone. A fragment such as "and on trade?" or "what about trade?"
    after "What was agreed on connectivity?" becomes "What was agreed on trade?"; another short
    fragment is asked as the earlier question narrowed to it ("Who came with the Kazakh minister,
    regarding agriculture?"); a full question is left as it is."""
    question = question.strip()
    if not context:
        return question
    fragment = _LEAD.sub("", question).strip().rstrip("?").strip()
    if not fragment or (not _LEAD.match(question) and len(fragment.split()) > 3):
        return question
    earlier = context.strip().rstrip("?")
    words = fragment.split()
    starts_with_preposition = words[0].lower() in _PREPOSITIONS
    tail = _TAIL.search(earlier)
    if tail and (starts_with_preposition or _SWAP.match(question)):
        topic = fragment if starts_with_preposition else f"{tail.group(1)} {fragment}"
        return f"{earlier[: tail.start()].rstrip()} {topic}?"
    return f"{earlier}, regarding {fragment}?"

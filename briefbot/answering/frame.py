"""Framing a question once, before any evidence is read: what kind of thing answers it, the claims a
yes/no question makes, the facets an open question asks about.

The frame is the contract between the steps of the answer (see docs/how-it-works.md, "The answer
machinery"): `verdict.py` decides a yes/no frame's claims; `summary.py` selects statements for an
open frame's facets; `lead.py` states a name, date or number of the type the frame asks for;
`compose.py` dispatches on `answer_type`. Every field is plain, immutable data."""

from __future__ import annotations

from dataclasses import dataclass

from briefbot.answering.facets import asks_open, facets_of
from briefbot.answering.nlp import EnglishReader, Parse, english
from briefbot.answering.question import Question, read_question

# What type of thing answers the question.
YESNO, PERSON, ORGANISATION, PLACE, DATE, NUMBER, OPEN, OTHER = (
    "yesno", "person", "organisation", "place", "date", "number", "open", "other",
)  # fmt: skip
ANSWER_TYPES = (YESNO, PERSON, ORGANISATION, PLACE, DATE, NUMBER, OPEN, OTHER)
# What an open question asks about: commitments (agreed, signed, decided); what is still open or
# next; what someone said; what happened; what a plan or deal covers; where sources agree and differ;
# an overview.
FACETS = ("agreed", "open", "said", "happened", "terms", "compare", "overview")

# today's question kinds (question.py) -> the answer type, before the parse refines it
_TYPE_OF_KIND = {
    "yesno": YESNO, "who": PERSON, "which": OTHER, "when": DATE, "where": PLACE, "quantity": NUMBER,
    "agreed": OPEN, "why": OPEN, "next": OPEN, "compare": OPEN, "list": OTHER, "open": OPEN,
}  # fmt: skip


@dataclass(frozen=True)
class Claim:
    """One thing a yes/no question asserts, to be found supported, contradicted or not found."""

    text: str  # the claim in the question's own words ("Fortune reported that ...")
    outlet: str = ""  # the outlet whose report must carry it ("" any)
    date: str = ""  # the date or month the question ties it to ("" any)


@dataclass(frozen=True)
class Frame:
    question: Question  # the question's reading by question.py (kind, core, outlets)
    parse: Parse  # the question's parse (the core, without a lead-in clause)
    answer_type: str  # one of ANSWER_TYPES
    claims: tuple[Claim, ...] = ()  # yes/no: one per outlet or event the question names
    relation: str = ""  # how the claims combine: "" (all must hold), "before", "after", "same", "different"
    facets: tuple[str, ...] = ()  # open: the FACETS it asks about, most important first
    speaker: str = ""  # "what did X say/tell/announce": X

    @property
    def text(self) -> str:
        return self.question.text


def frame_question(text: str, reader: EnglishReader | None = None) -> Frame:
    """The frame of a question. Claims and facets are read from the parse by the steps that own
    them; until they do, a yes/no question makes one claim (the whole question) and an open one
    asks for an overview."""
    question = read_question(text)
    parse = (reader or english()).parse(question.core)
    answer_type = _TYPE_OF_KIND.get(question.kind, OTHER)
    if answer_type == YESNO or (question.kind == "compare" and question.core.split(" ", 1)[0].lower() in _AUX):
        return Frame(question, parse, YESNO, claims=(Claim(question.core),))
    if answer_type == OPEN or asks_open(question.kind, parse):
        facets, speaker = facets_of(parse, question.kind)
        return Frame(question, parse, OPEN, facets=facets, speaker=speaker)
    return Frame(question, parse, answer_type)


_AUX = {"do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "can", "could", "will", "would"}

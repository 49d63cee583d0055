"""Framing a question once, before any evidence is read: what kind of thing answers it, the claims a
yes/no question makes, the facets an open question asks about.

The frame is the contract between the steps of the answer (see docs/how-it-works.md, "The answer
machinery"): `verdict.py` decides a yes/no frame's claims; `summary.py` selects statements for an
open frame's facets; `lead.py` states a name, date or number of the type the frame asks for;
`compose.py` dispatches on `answer_type`. Every field is plain, immutable data."""

from __future__ import annotations

import re
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
    """The frame of a question: its answer type (refined from the parse: "which company" asks for an
    organisation, "which minister" for a person), and for a yes/no question the claims it makes and
    how they combine; for an open question the facets it asks about (`facets.py`)."""
    reader = reader or english()
    question = read_question(text)
    parse = reader.parse(question.core)
    answer_type = _TYPE_OF_KIND.get(question.kind, OTHER)
    if answer_type == YESNO or (question.kind == "compare" and question.core.split(" ", 1)[0].lower() in _AUX):
        whole = reader.parse(question.text) if question.text != question.core else parse
        claims, relation = claims_of(whole, question.outlets)
        return Frame(question, parse, YESNO, claims=claims, relation=relation)
    if _NAME_OF.match(question.core):  # "what is the name of the minister?": a name, not an overview
        answer_type = _asked_type(parse, OTHER)
    elif answer_type == OPEN or asks_open(question.kind, parse):
        facets, speaker = facets_of(parse, question.kind)
        return Frame(question, parse, OPEN, facets=facets, speaker=speaker)
    if answer_type in (OTHER, OPEN) or question.kind == "which":
        answer_type = _asked_type(parse, answer_type)
    return Frame(question, parse, answer_type)


_NAME_OF = re.compile(r"^(?:what|which)\s+(?:is|was|are|were)\s+the\s+names?\s+of\b", re.I)
_AUX = {"do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "can", "could", "will", "would"}

# The head noun of "which/what X" -> the type of thing that answers.
_NOUN_TYPES = {
    PERSON: {"person", "individual", "people", "player", "minister", "official", "leader", "executive", "ceo",
             "founder", "athlete", "celebrity", "artist", "singer", "actor", "star", "coach", "quarterback",
             "figure", "president", "senator", "author", "journalist", "judge", "man", "woman", "member"},
    ORGANISATION: {"company", "firm", "organization", "organisation", "outlet", "publication", "platform", "brand",
                   "bank", "network", "agency", "team", "club", "manufacturer", "retailer", "entity", "body",
                   "institution", "university", "school", "league", "party", "startup", "group", "exchange",
                   "sportsbook", "operator", "ministry", "department", "government", "conglomerate"},
    PLACE: {"country", "city", "nation", "state", "place", "region", "venue", "stadium", "capital", "location"},
    DATE: {"date", "day", "year", "month", "time"},
    NUMBER: {"number", "amount", "figure", "total", "percentage", "price", "cost", "value"},
}  # fmt: skip


def _asked_type(parse: Parse, default: str) -> str:
    """ "Which company ...": the noun the wh-word qualifies decides the type asked for."""
    for t in parse.tokens[:6]:
        if t.text.lower() in ("which", "what", "whose"):
            noun = parse.tokens[t.head] if t.dep == "det" else None
            if noun is None:
                noun = next((u for u in parse.tokens[t.i + 1 : t.i + 5] if u.pos in ("NOUN", "PROPN")), None)
            if noun is None:
                return default
            if noun.lemma.lower() == "name":  # "what is the name of the minister": the named thing
                of = next((u for u in parse.tokens if u.head == noun.i and u.text.lower() == "of"), None)
                named = next((u for u in parse.tokens if of is not None and u.head == of.i and u.dep == "pobj"), None)
                noun = named if named is not None else noun
            lemma = noun.lemma.lower()
            for answer_type, nouns in _NOUN_TYPES.items():
                if lemma in nouns or noun.text.lower() in nouns:
                    return answer_type
            return default
    return default


# Words that make a yes/no question a comparison: the claims must differ, or agree.
_DIFFERENT = {"inconsistent", "inconsistency", "inconsistently", "contradict", "contradictory", "contradiction",
              "conflict", "conflicting", "disagree", "disagreement", "change", "shift", "alter"}  # fmt: skip
_SAME = {"consistent", "consistency", "consistently", "same", "agree", "agreement", "align", "similar",
         "similarly", "alike", "match", "unchanged", "remain"}  # fmt: skip
# Where one claim ends and the next begins: "X reports A, while Y reports B", "A before B".
_SPLIT = {"while", "whereas", "before", "after", "unlike", "but"}
_SOURCE_NOUNS = {"source", "publication", "outlet", "article", "report", "newspaper", "site", "date", "day",
                 "news", "author", "writer", "coverage", "piece", "trial", "period"}  # fmt: skip
_NEGATORS = {"not", "no", "never", "n't", "without", "neither", "nor"}


def claims_of(parse: Parse, outlets: tuple[str, ...]) -> tuple[tuple[Claim, ...], str]:
    """The claims a yes/no question makes and how they combine. Clauses joined by "while",
    "whereas", "and (did/does) ...", "before/after" are separate claims; each takes the outlet it
    names (or the previous one: "the same source") and the date it gives."""
    toks = parse.tokens
    between = _between(parse, outlets)
    if between is not None:
        return between, _relation(parse, [])
    leading = _leading_order(parse, outlets)
    if leading is not None:
        ordered, order = leading
        compared = _relation(parse, [])  # "After A, was there a change in B?": a comparison, not an order
        return ordered, compared or order
    cuts: list[tuple[int, str]] = []  # (token index where a claim begins, the connector)
    for t in toks:
        low = t.text.lower()
        head = toks[t.head]
        if low in _SPLIT and t.i > 2 and t.dep in ("mark", "prep", "cc", "advmod") and _clause_follows(parse, t):
            cuts.append((t.i, low))
        elif (
            low == "and"
            and t.i > 2
            and toks[t.i - 1].text == ","
            and t.i + 1 < len(toks)
            and (toks[t.i + 1].pos == "PROPN" or toks[t.i + 1].text.lower() in ("the", "another", "a"))
        ):
            cuts.append((t.i, low))  # "Does Fortune report X, and TechCrunch Y?"
        elif low in ("and", "or") and t.dep == "cc" and head.pos in ("VERB", "AUX") and t.i > 2:
            nxt = toks[t.i + 1] if t.i + 1 < len(toks) else None
            if nxt is not None and (nxt.pos == "AUX" or nxt.text.lower() in ("the", "a", "an", "another") or
                                    nxt.ent_type == "ORG" or nxt.pos == "PROPN"):  # fmt: skip
                if any(u.head == t.head and u.dep == "conj" and u.pos in ("VERB", "AUX") for u in toks[t.i :]):
                    cuts.append((t.i, low))
        elif low in ("contrast", "compared", "comparison") and t.i > 2:
            cuts.append((t.i - 1 if toks[t.i - 1].text.lower() == "in" else t.i, "contrast"))
    bounds = [0] + [i for i, _ in cuts] + [len(toks)]
    claims: list[Claim] = []
    previous_outlet = ""
    for a, b in zip(bounds, bounds[1:]):
        text = parse.span_text(a, b).strip(" ,;?.")
        text = re.sub(r"^(?:while|whereas|before|after|unlike|but|and|or|in contrast to|in contrast with|compared "
                      r"(?:to|with)|in comparison (?:to|with))\s+", "", text, flags=re.I).strip(" ,")  # fmt: skip
        if len(text.split()) < 3:
            continue
        named = [o for o in outlets if o.lower() in text.lower()] or _reporter(parse, a, b)
        outlet = named[0] if named else (previous_outlet if re.search(r"\bsame\b", text, re.I) else "")
        previous_outlet = outlet or previous_outlet
        date = next((e.text for e in parse.entities if e.label == "DATE" and a <= e.start < b), "")
        claims.append(Claim(text, outlet, date))
    if not claims:
        claims = [Claim(parse.text.strip(" ?"))]
    return tuple(claims), _relation(parse, cuts)


# "was there a change in", "is the portrayal ... consistent": the asking, not what is asked about
_ASKING = re.compile(
    r"^(?:,\s*)?(?:was|were|is|are|did|does|has|have|had)\s+(?:there\s+)?(?:a|an|any)?\s*(?:no\s+)?"
    r"(?:change|inconsistency|consistency|agreement|difference|shift|alignment)?\s*(?:in|of|regarding|about|between)?\s+",
    re.I,
)


def _leading_order(parse: Parse, outlets: tuple[str, ...]) -> tuple[tuple[Claim, ...], str] | None:
    """ "Before A (reported X), did B (report Y)?" asks whether B came before A: claims (B, A)."""
    toks = parse.tokens
    if not toks or toks[0].text.lower() not in ("before", "after"):
        return None
    comma = next((t.i for t in toks[:-1] if t.text == "," and toks[t.i + 1].text.lower() in _AUX), None)
    if comma is None or comma < 3 or comma > len(toks) - 3:
        return None
    spans = [(comma + 1, len(toks)), (1, comma)]
    claims = []
    for a, b in spans:
        text = parse.span_text(a, b).strip(" ,?")
        named = [o for o in outlets if o.lower() in text.lower()]
        date = next((e.text for e in parse.entities if e.label == "DATE" and a <= e.start < b), "")
        claims.append(Claim(text, named[0] if named else "", date))
    return tuple(claims), toks[0].text.lower()


def _between(parse: Parse, outlets: tuple[str, ...]) -> tuple[Claim, ...] | None:
    """ "Between the A report and the B report, was there a change in Z?": two claims, Z as A
    reports it and Z as B reports it (each with its outlet and date). None without such a phrase."""
    toks = parse.tokens
    for t in toks:
        if t.text.lower() != "between":
            continue
        lo, hi = parse.subtree(t.i)
        joint = next((u for u in toks[t.i + 1 : t.i + 40] if u.text.lower() == "and"), None)
        if joint is None:
            return None
        if hi <= joint.i + 1:  # the parser closed the phrase early: it runs to the clause that asks
            hi = next((u.i for u in toks[joint.i + 2 :] if u.text == "," and u.i + 1 < len(toks)
                       and toks[u.i + 1].pos in ("AUX", "VERB")), len(toks))  # fmt: skip
            while hi > joint.i + 1 and toks[hi - 1].pos == "PUNCT":
                hi -= 1
        sides = [parse.span_text(t.i + 1, joint.i).strip(" ,"), parse.span_text(joint.i + 1, hi).strip(" ,")]
        lo = min(lo, t.i)
        topic = (parse.span_text(0, lo) + " " + parse.span_text(hi, len(toks))).strip(" ,?")
        topic = _ASKING.sub("", topic).strip(" ,")
        claims = []
        for side, (a, b) in zip(sides, ((t.i + 1, joint.i), (joint.i + 1, hi))):
            named = [o for o in outlets if o.lower() in side.lower()]
            date = next((e.text for e in parse.entities if e.label == "DATE" and a <= e.start < b), "")
            claims.append(Claim(f"{topic} ({side})", named[0] if named else "", date))
        if len(claims[0].text.split()) < 3:
            return None
        return tuple(claims)
    return None


_REPORTING_VERBS = {"report", "say", "claim", "suggest", "write", "state", "indicate", "note", "argue", "allege"}


def _reporter(parse: Parse, a: int, b: int) -> list[str]:
    """ "Fortune reports that ...", "Reuters says ...": the named subject of a reporting verb in
    tokens [a, b) (an outlet the attribution patterns of question.py did not catch)."""
    for t in parse.tokens[a:b]:
        if t.lemma.lower() not in _REPORTING_VERBS:
            continue
        subject = next((u for u in parse.tokens[a:b] if u.head == t.i and u.dep == "nsubj" and u.pos == "PROPN"), None)
        if subject is not None:
            lo, hi = parse.subtree(subject.i)
            return [parse.span_text(max(lo, a), min(hi, b)).strip()]
    return []


def _clause_follows(parse: Parse, t) -> bool:
    """Whether a connector introduces a clause or an event (a verb, or a report by a named outlet),
    not a date bound ("before November 16")."""
    rest = parse.tokens[t.i + 1 : t.i + 4]
    if not rest or any(u.ent_type in ("DATE", "TIME") for u in rest[:2]):
        return False
    return t.text.lower() in ("while", "whereas", "but", "unlike") or any(
        u.pos in ("VERB", "AUX", "PROPN") or u.text.lower() in ("the", "a", "an") for u in rest
    )


def _relation(parse: Parse, cuts: list[tuple[int, str]]) -> str:
    """ "before"/"after" for an ordering of two events; "different" when the question asks whether
    reports are inconsistent or changed, "same" whether they agree (negation flips either)."""
    lemmas = [t.lemma.lower() for t in parse.tokens]
    words = [t.text.lower() for t in parse.tokens]
    for _, connector in cuts:
        if connector in ("before", "after"):
            return connector
    negated = any(w in _NEGATORS for w in words)
    for i, (lemma, word) in enumerate(zip(lemmas, words)):
        if lemma in _DIFFERENT or word in _DIFFERENT:
            near_negation = any(w in _NEGATORS for w in words[max(0, i - 3) : i])
            return "same" if near_negation else "different"
    for i, (lemma, word) in enumerate(zip(lemmas, words)):
        if word == "same" and i + 1 < len(words) and lemmas[i + 1] in _SOURCE_NOUNS:
            continue  # "the same source": one outlet, not a comparison
        if lemma in _SAME or word in _SAME:
            near_negation = negated and any(w in _NEGATORS for w in words[max(0, i - 3) : i])
            return "different" if near_negation else "same"
    return ""


def counted_noun(frame: Frame) -> str:
    """ "How many joint working groups met?" -> "group": the lemma of the noun a count asks about."""
    toks = frame.parse.tokens
    for t in toks:
        if t.text.lower() in ("many", "much"):
            noun = next((u for u in toks[t.i + 1 : t.i + 5] if u.pos in ("NOUN", "PROPN")), None)
            return noun.lemma.lower() if noun is not None else ""
    return ""


def claim_words(claim: Claim) -> str:
    """The claim without the outlet and its reporting verb: what must be found in the evidence."""
    text = claim.text
    if claim.outlet:
        text = re.sub(re.escape(claim.outlet), " ", text, flags=re.I)
    text = _REPORTING.sub(" ", text)
    text = _COMPARING_WORDS.sub(" ", text)
    return " ".join(text.split()).strip(" ,'\"‘’“”")


# The comparing itself ("do the two reports agree on"): not what each report must say.
_COMPARING_WORDS = re.compile(
    r"\b(?:the\s+)?(?:two|both)\s+(?:reports|articles|sources|outlets)\s+(?:agree|disagree|differ)\s+(?:on|about)?|"
    r"\b(?:agree|disagree|differ)\s+(?:on|about)\b",
    re.I,
)
_REPORTING = re.compile(
    r"^(?:\W*(?:does|did|do|is|was|were|are|has|have|had)\s+)?(?:the\s+)?(?:['‘\"“]?\s*['’\"”]?\s*)?"
    r"(?:(?:article|report|piece|coverage|story)s?\s+)?(?:from\s+|by\s+|in\s+)?"
    r"(?:(?:suggest|report|claim|indicate|state|say|mention|discuss|describe|imply|highlight|note|focus|"
    r"portray|present|attribute|raise|argue|show|reveal)\w*\s+(?:on\s+)?(?:that\s+)?)?(?:that\s+)?",
    re.I,
)

"""What an open question asks about, read from its parse: its facets (frame.FACETS) and, for
"what did X say/tell/announce", the speaker X. And what a statement offers each facet, read from its
words: a commitment, something still open, a statement attributed to someone, an event, terms.

    agreed    agreed/decided/signed: commitments, not discussion
    open      still open, next, pending, to be finalised
    said      what X said/told/testified (reported speech included)
    happened  events, in date order
    terms     what a plan, deal or law covers
    compare   where sources agree and differ
    overview  anything else"""

from __future__ import annotations

import re

from briefbot.answering.nlp import Parse

AGREED_LEMMAS = {"agree", "decide", "sign", "commit", "adopt", "approve", "settle", "conclude", "accept", "reach",
                 "resolve", "pledge", "promise", "deal", "agreement", "decision", "ratify", "pass", "vote"}  # fmt: skip
OPEN_LEMMAS = {"open", "pending", "remain", "outstanding", "unresolved", "next", "future", "upcoming", "expect",
               "plan", "still", "yet", "finalise", "finalize", "forthcoming", "ahead", "left", "come"}  # fmt: skip
SAID_LEMMAS = {"say", "tell", "testify", "claim", "announce", "argue", "state", "warn", "describe", "explain",
               "respond", "admit", "insist", "write", "comment", "reveal", "stress", "accuse", "allege", "remark",
               "statement", "testimony", "argument", "press", "urge", "ask"}  # fmt: skip
HAPPENED_LEMMAS = {"happen", "occur", "unfold", "go", "event", "timeline", "sequence", "develop", "turn", "result",
                   "outcome", "progress"}  # fmt: skip
TERMS_LEMMAS = {"term", "scope", "cover", "include", "provision", "condition", "detail", "contain", "involve",
                "require", "feature", "offer", "price", "cost", "fine", "penalty", "settlement"}  # fmt: skip
COMPARE_LEMMAS = {"compare", "differ", "difference", "contrast", "versus", "vs", "both", "between", "disagree",
                  "similar", "same", "side"}  # fmt: skip

# The words that say what kind of thing is asked (not what it is about).
FACET_WORDS = tuple(" ".join(sorted(group)) for group in (AGREED_LEMMAS, OPEN_LEMMAS, SAID_LEMMAS, HAPPENED_LEMMAS,
                                                          TERMS_LEMMAS, COMPARE_LEMMAS)) + (
    "agreed decided signed said told happened discussed discuss discussion what still",)  # fmt: skip


def facets_of(parse: Parse, kind: str = "") -> tuple[tuple[str, ...], str]:
    """(facets, most important first; the speaker or ""). `kind` is question.py's reading
    ("agreed", "next", "compare", "why"...), used when the words say nothing more."""
    lemmas = [t.lemma.lower() for t in parse.tokens]
    words = {t.text.lower() for t in parse.tokens}
    found: list[str] = []
    said = [t for t in parse.tokens if t.lemma.lower() in SAID_LEMMAS and t.pos in ("VERB", "NOUN")]
    speaker = ""
    for verb in said:
        subject = next((c for c in parse.children(verb.i) if c.dep in ("nsubj", "nsubjpass")), None)
        if subject is not None and subject.pos in ("PROPN", "NOUN") and subject.lemma.lower() not in {"what", "who"}:
            a, b = parse.subtree(subject.i)
            speaker = parse.span_text(a, b)
            break
        if verb.pos == "NOUN":  # "Ellison's testimony", "the prosecution's argument"
            owner = next((c for c in parse.children(verb.i) if c.dep == "poss"), None)
            if owner is not None:
                a, b = parse.subtree(owner.i)
                speaker = re.sub(r"['’]s?$", "", parse.span_text(a, b)).strip()
                break
    if said:
        found.append("said")
    if (kind == "next" or {"open", "pending", "outstanding", "unresolved", "next", "upcoming"} & words
            or ("still" in words) or "to be" in parse.text.lower() or "stand" in lemmas):  # fmt: skip
        found.append("open")
    if kind == "agreed" or AGREED_LEMMAS & set(lemmas):
        found.append("agreed")
    if TERMS_LEMMAS & set(lemmas):
        found.append("terms")
    if HAPPENED_LEMMAS & set(lemmas):
        found.append("happened")
    if kind == "compare" or COMPARE_LEMMAS & set(lemmas):
        found.append("compare")
    found.append("overview")
    return tuple(dict.fromkeys(found)), speaker


def asks_open(kind: str, parse: Parse) -> bool:
    """An open question that question.py reads as a list or a place: "What are the terms of ...?",
    "What are executives saying about ...?", "What were the main arguments ...?", "..., and how has
    X responded?", "Where does the review stand?". Lists of names ("Which areas ...?") stay lists."""
    words = [t.text.lower() for t in parse.tokens]
    if kind == "where":
        return any(t.lemma == "stand" for t in parse.tokens)
    if kind != "list" or not words or words[0] != "what":
        return False
    facets, _ = facets_of(parse, kind)
    compound = re.search(r",?\s+and\s+(?:how|what|why|who)\b", parse.text, re.I) is not None
    doing = any(t.pos == "VERB" and t.lemma not in ("be", "have") for t in parse.tokens)
    return compound or doing or any(f in facets for f in ("said", "terms", "agreed", "open"))


# What a statement offers each facet (read from its words; cheap, no parse).
_OFFERS = {
    "agreed": re.compile(
        r"\bsign(?:ed|s|ing)?\b|\bagree(?:d|s|ment)?\b|\bdeal\b|\bsettle(?:d|ment)\b|\bapprov(?:ed|al)\b|\badopt"
        r"|\bcommit|\bdecided\b|\bpledged?\b|\bresolved to\b|\baction plan\b|\bmemorand|\bMoUs?\b|\bruled\b|\bvoted\b",
        re.I,
    ),
    "open": re.compile(
        r"finali[sz]|to be (?:signed|decided|announced|held|finali[sz]ed|agreed)|\bexpected to\b|\byet to\b|"
        r"\bpending\b|\bremains? (?:open|unclear|unresolved|to be)\b|\bunclear\b|\bproposed\b|\bscheduled\b|"
        r"\bplan(?:s|ned)? to\b|\bwill (?:decide|vote|consider|review|seek|hold|meet|announce)\b|\bnegotiat",
        re.I,
    ),
    "said": re.compile(
        r"\b(?:said|says|told|tells|testified|claimed|announced|argued|stated|warned|described|explained|"
        r"stressed|noted|insisted|wrote|added|admitted|accused|alleged|proposed)\b|[“\"]",
        re.I,
    ),
    "terms": re.compile(
        r"\binclud(?:e|es|ing)\b|\bcovers?\b|\bprovides?\b|\bunder the\b|\brequires?\b|\b\d[\d,.]*\s*(?:%|percent|"
        r"million|billion)\b|\$\s?\d|\binstitut|\bstructured\b|\bareas?\b",
        re.I,
    ),
    "happened": re.compile(
        r"\b(?:on|last) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\b(?:january|february|march|"
        r"april|may|june|july|august|september|october|november|december)\b|\b(?:19|20)\d\d\b|\b\w+ed\b",
        re.I,
    ),
}
# Weaker signs of what comes next (a forecast, a hope): half the weight of the signs above.
FUTURE = re.compile(r"\bwill\b|\bwould\b|forthcoming|\bahead of\b|\bnext\b|\bupcoming\b|\bin (?:the )?coming\b", re.I)
# Commitments made: what an "agreed" question wants (the future ones are still open).
DONE = re.compile(r"(?<!to be )(?<!been )\bsigned\b|\bagreed\b|\bapproved\b|\badopted\b|\bsettled\b|\bdecided\b|\breached\b|"
                  r"\bpledged\b|\bcommitted\b|\binstitut|\bruled\b|\bvoted\b|\bprovides\b|\bcovers\b", re.I)  # fmt: skip
# Talk about talks: what a commitment question does not want first.
DISCUSSION = re.compile(r"\bdiscuss|\bnegotiat|\btalks\b|\bexchanged views\b|\breviewed\b|\bexplore", re.I)


def offers(text: str, facet: str) -> bool:
    pattern = _OFFERS.get(facet)
    return bool(pattern and pattern.search(text))

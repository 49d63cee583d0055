"""Yes/no verdicts decided by the evidence: each of the frame's claims is found supported,
contradicted or not found in the right source; "Yes" only when every claim is supported, "No" when
one is contradicted (or an ordering or comparison comes out the other way), otherwise the sources
do not settle it. The answer shows the decision and one cited sentence per claim: the evidence the
decision was made on.

What counts (calibrated on the MultiHop-RAG dev set's yes/no questions beyond the first 600, and
on the seed questions; see `VerdictThresholds`):
- a claim's evidence is the best sentence, among the retrieved passages of the outlet it names (any
  outlet when it names none), for the claim's own words (not the whole question's);
- supported: that sentence scores at least `support` for the claim, and says it with the same
  polarity (a claim "X did not use the funds" is contradicted by "X used the funds", and a claim
  "X used the funds" by "X did not use them"; negation read from the parse, on the predicate, not on
  "without mentioning" about the article itself);
- an ordering ("A before B") compares the dates of the two claims' evidence (a date in the
  sentence, else its article's);
- a comparison asks whether the claims' evidence differs: reports "differ" (inconsistent, changed)
  only when one side's evidence contradicts the other's polarity or says something else entirely
  (similarity below `differs`); they "agree" otherwise."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefbot.answer import Answer
from briefbot.answering.citations import answer_from
from briefbot.answering.dates import find_dates
from briefbot.answering.evidence import EvidenceSentence, SentenceScorer
from briefbot.answering.frame import Claim, Frame, claim_words
from briefbot.answering.lead import clause, lower_first
from briefbot.answering.nlp import Parse, Token, english
from briefbot.answering.question import outlet_known

_DEPTH = 50  # candidate sentences a claim's evidence is sought among
_CHANGE = re.compile(r"\b(?:chang\w*|shift\w*|alter\w*|unchanged)\b", re.I)
_CONFLICT = re.compile(r"\b(?:inconsisten\w*|contradict\w*|disagree\w*|conflict\w*|at odds)\b", re.I)
SUPPORTED, CONTRADICTED, NOT_FOUND = "supported", "contradicted", "not found"
YES, NO, UNSETTLED = "Yes", "No", "The sources do not settle it"


@dataclass(frozen=True)
class VerdictThresholds:
    # Calibrated on the MultiHop-RAG dev set's yes/no questions 600-1400 (not those `briefbot eval
    # --limit 600` reports) by a grid over these three; the seed questions pin the behaviour.
    support: float = 0.20  # a claim's best evidence scores at least this, else it is not found
    contradict: float = 0.55  # a polarity clash counts only on evidence at least this close
    differs: float = 0.70  # "did it change": unless the two sides' evidence is this similar (the same statement)
    agree: float = 0.50  # "consistent": evidence that clashes in polarity and is less similar than this is not


@dataclass
class Finding:
    """One claim, its evidence and what the evidence says about it."""

    claim: Claim
    evidence: EvidenceSentence | None
    status: str
    score: float = 0.0
    why: str = ""


@dataclass
class Verdict:
    said: str  # YES, NO or UNSETTLED
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""


def decide(
    frame: Frame,
    ranked: list[EvidenceSentence],
    passages: list,
    scorer: SentenceScorer,
    thresholds: VerdictThresholds | None = None,
) -> Answer | None:
    """The verdict answer for a yes/no frame; None leaves the question to the composer's lead."""
    if not frame.claims or not ranked:
        return None
    verdict = judge(frame, ranked, scorer, thresholds or VerdictThresholds())
    if verdict is None:
        return None
    return realise(frame, verdict)


def judge(frame: Frame, ranked: list[EvidenceSentence], scorer: SentenceScorer, t: VerdictThresholds) -> Verdict | None:
    saved = [(s.dense, s.lexical, s.score) for s in ranked]
    try:
        comparing = frame.relation in ("same", "different")
        findings = [find(claim, ranked, scorer, t, polarity=not comparing) for claim in frame.claims]
        if comparing and len(findings) == 1 and findings[0].evidence is not None:
            other = second_source(frame.claims[0], findings[0].evidence, ranked, scorer, t)
            if other is not None:
                findings.append(other)
    finally:
        for s, (dense, lexical, score) in zip(ranked, saved):
            s.dense, s.lexical, s.score = dense, lexical, score
    if all(f.evidence is None for f in findings):
        return None
    return combine(frame, findings, t)


def second_source(claim: Claim, first: EvidenceSentence, ranked: list[EvidenceSentence], scorer: SentenceScorer,
                  t: VerdictThresholds) -> Finding | None:  # fmt: skip
    """ "Do the two reports agree on ...?": another source's sentence closest to the first source's
    evidence (the same fact as the other outlet tells it)."""
    pool = [s for s in ranked[:_DEPTH] if s.source_id != first.source_id]
    if not pool:
        return None
    scorer.score(first.text, pool)  # what the other report says about the same thing
    best = max(pool, key=lambda s: s.score)
    if best.score < t.support:
        return None
    return Finding(claim, _frozen_copy(best), SUPPORTED, best.score)


def find(claim: Claim, ranked: list[EvidenceSentence], scorer: SentenceScorer, t: VerdictThresholds,
         polarity: bool = True) -> Finding:  # fmt: skip
    """The claim's best evidence in the right source (the outlet it names, the date it gives), and
    whether it supports or contradicts it (`polarity`: whether the claim's own negation counts; not
    for the sides of a comparison, whose wording is the comparison's)."""
    depth = ranked[:_DEPTH]
    outlet = claim.outlet or _outlet_named(claim.text, depth)
    pool = [s for s in depth if _from_outlet(s, outlet)] if outlet else []
    day = _iso_day(claim.date)
    if day and pool:
        pool = [s for s in pool if s.passage.meta.published.startswith(day)] or pool
    if not pool:
        pool = depth
    words = claim_words(Claim(claim.text, outlet, claim.date))
    if not words:
        return Finding(claim, None, NOT_FOUND)
    scorer.score(words, pool)
    best = max(pool, key=lambda s: s.score)
    best_copy = _frozen_copy(best)
    if best.score < t.support:
        return Finding(claim, best_copy, NOT_FOUND, best.score, "no close evidence")
    if polarity:
        claim_parse, evidence_parse = english().parse_many([words, best.text])
        claim_neg, evidence_neg = negated(claim_parse), negated(evidence_parse, _content(claim_parse))
        if claim_neg != evidence_neg and best.score >= t.contradict:
            why = "the sources say it did not happen" if evidence_neg else "the sources report it happened"
            return Finding(claim, best_copy, CONTRADICTED, best.score, why)
        if not claim_neg and best.score >= t.contradict and only_planned(claim_parse, evidence_parse):
            return Finding(claim, best_copy, CONTRADICTED, best.score, "the sources say it is still to come")
    return Finding(claim, best_copy, SUPPORTED, best.score)


def _outlet_named(text: str, pool: list[EvidenceSentence]) -> str:
    """An outlet of the retrieved passages that the claim names ("The Age article raises ...")."""
    for outlet in dict.fromkeys(s.passage.meta.outlet for s in pool if s.passage.meta.outlet):
        short = outlet.split("|")[0].strip()
        if len(short) >= 3 and re.search(rf"(?<!\w){re.escape(short)}(?!\w)", text, re.I):
            return short
    return ""


def _iso_day(date: str) -> str:
    if not date:
        return ""
    found = [m for m in find_dates(date, "") if m.year and m.month and m.day]
    return f"{found[0].year:04d}-{found[0].month:02d}-{found[0].day:02d}" if found else ""


def combine(frame: Frame, findings: list[Finding], t: VerdictThresholds) -> Verdict | None:
    relation = frame.relation
    found = [f for f in findings if f.evidence is not None]
    if relation in ("before", "after"):
        # an ordering is decided by the dates of the two events: the composer's ordering finds each
        # event's best dated sentence in the whole evidence (a claim's own best sentence is often undated)
        return None
    if relation in ("same", "different") and len(found) >= 2:
        a, b = found[0], found[1]
        similar = _similarity(a.evidence, b.evidence)  # type: ignore[arg-type]
        if _CHANGE.search(frame.text):  # "was there a change" / "no change": one criterion, either way asked
            differ = similar < t.differs  # changed unless both reports say the same thing
        elif relation == "same" or _CONFLICT.search(frame.text):
            # "consistent" unless, and "inconsistent" only if, the evidence clashes: opposite polarity
            # and not the same statement (parsed only when the similarity leaves it open)
            differ = similar < t.agree and _clash(a.evidence, b.evidence)  # type: ignore[arg-type]
        else:
            differ = similar < t.differs  # "changed" unless both reports say the same thing
        holds = differ == (relation == "different")
        return Verdict(YES if holds else NO, [a, b], "compare")
    if relation in ("same", "different"):  # one side only: a difference needs evidence of it
        return Verdict(NO if relation == "different" else YES, found[:1], "compare")
    if any(f.status == CONTRADICTED for f in findings):
        return Verdict(NO, sorted(found, key=lambda f: f.status != CONTRADICTED), "contradicted")
    if all(f.status == SUPPORTED for f in findings):
        return Verdict(YES, found, "supported")
    return Verdict(UNSETTLED, found, "not found")


def realise(frame: Frame, verdict: Verdict) -> Answer:
    """ "No: <the contradicting sentence> [1]" then the other claims' evidence, one cited sentence each."""
    shown: list[EvidenceSentence] = []
    for f in verdict.findings:
        ev = f.evidence
        if ev is None or any(_same_span(ev, s) for s in shown):
            continue
        shown.append(clause(ev, "", ev.terms))
    if not shown:
        return Answer(question=frame.text, refused=False)
    answer = answer_from(frame.text, shown)
    first = answer.sentences[0]
    if verdict.said == UNSETTLED:
        missing = next((f for f in verdict.findings if f.status == NOT_FOUND), None)
        what = f" ({missing.claim.outlet} does not say it)" if missing is not None and missing.claim.outlet else ""
        first.text = f"The sources do not settle it{what}; the closest they say: {lower_first(first.text)}"
    else:
        first.text = f"{verdict.said}: {lower_first(first.text)}"
    return answer


_NEGATING_LEMMAS = {"fail", "lack", "unrelated", "ignore", "deny", "refuse", "absence", "unable", "never"}
# Negation of these is about the article, not the event: "without mentioning any layoffs".
_META_VERBS = {"mention", "specify", "indicate", "discuss", "report", "say", "suggest", "focus", "provide",
               "include", "address", "detail", "state", "note", "cover", "reference", "give"}  # fmt: skip


def negated(parse: Parse, about: frozenset[str] | None = None) -> bool:
    """Whether the statement denies its predicate ("did not use", "failed to report", "no change"),
    read from the dependency parse; a negation of a reporting verb ("without mentioning") is not.
    With `about` (a claim's content lemmas), only a negation of one of those words counts: evidence
    that says "not" about something else does not deny the claim."""
    toks = parse.tokens
    for t in toks:
        low = t.text.lower()
        if t.dep == "neg" or low in ("never", "without") or (low == "no" and t.dep == "det"):
            head = toks[t.head] if low != "without" else _object_of(parse, t)
            if head is not None and head.lemma.lower() in _META_VERBS:
                continue
            if about is not None and (head is None or head.lemma.lower() not in about):
                continue
            return True
        if t.lemma.lower() in _NEGATING_LEMMAS and t.pos in ("VERB", "ADJ", "NOUN"):
            if about is not None and t.lemma.lower() not in about and toks[t.head].lemma.lower() not in about:
                continue
            return True
    return False


def _content(parse: Parse) -> frozenset[str]:
    return frozenset(t.lemma.lower() for t in parse.tokens if t.pos in ("VERB", "NOUN", "ADJ", "PROPN"))


_PLANNING = {"expect", "plan", "schedule", "due", "set", "hope", "aim", "intend", "propose", "should", "will",
             "would", "to"}  # fmt: skip


def only_planned(claim: Parse, evidence: Parse) -> bool:
    """A claim that something happened ("Were any MoUs signed?") against evidence that it is still
    to come ("MoUs expected to be signed during the forthcoming visit"): the claim's past-tense
    predicate appears in the evidence governed by a plan, a modal or "to"."""
    done = {t.lemma.lower() for t in claim.tokens if t.pos == "VERB" and t.tag in ("VBD", "VBN")}
    if not done:
        return False
    toks = evidence.tokens
    for t in toks:
        if t.pos != "VERB" or t.lemma.lower() not in done:
            continue
        if t.tag in ("VBD",) and not any(u.head == t.i and u.dep in ("aux", "auxpass") for u in toks):
            return False  # said as done
        helpers = [u for u in toks if u.head == t.i and u.dep in ("aux", "auxpass")]
        if any(u.tag == "MD" or u.text.lower() == "to" for u in helpers):
            return True
        governor = toks[t.head]
        if t.dep in ("xcomp", "ccomp") and governor.lemma.lower() in _PLANNING:
            return True
        return False
    return False


def _object_of(parse: Parse, t: Token) -> Token | None:
    return next((u for u in parse.tokens if u.head == t.i and u.dep in ("pcomp", "pobj")), None)


def _from_outlet(s: EvidenceSentence, outlet: str) -> bool:
    return bool(s.passage.meta.outlet) and outlet_known(outlet, [s.passage.meta.outlet])


def _clash(a: EvidenceSentence, b: EvidenceSentence) -> bool:
    pa, pb = english().parse_many([a.text, b.text])
    return negated(pa) != negated(pb)


def _similarity(a: EvidenceSentence, b: EvidenceSentence) -> float:
    if a.vector is None or b.vector is None:
        return 1.0
    return float(a.vector @ b.vector)


def _same_span(a: EvidenceSentence, b: EvidenceSentence) -> bool:
    return a.source_id == b.source_id and a.start < b.end and b.start < a.end


def _frozen_copy(s: EvidenceSentence) -> EvidenceSentence:
    from dataclasses import replace

    return replace(s, also=[])

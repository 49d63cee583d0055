"""Open questions answered by their key points: statements gathered at clause level from the top
passages, grouped across sources (each group once, with all its citations and the cleanest
wording), selected for the frame's facets and ordered by importance, behind a one-sentence lead.

`key_points` is the reusable step (the brief and scheduled digests call it): scored evidence in,
groups out. `summarize` makes the answer of it."""

from __future__ import annotations

import re

from briefbot.answer import Answer, AnswerSentence
from briefbot.answering.citations import SourceNumbers
from briefbot.answering.dates import find_dates, parse_iso
from briefbot.answering.evidence import EvidenceSentence, SentenceScorer
from briefbot.answering.facets import DISCUSSION, DONE, FUTURE, offers
from briefbot.answering.frame import Frame
from briefbot.answering.statements import (
    PRONOUN_START,
    Group,
    Statement,
    garble_reasons,
    resolve_leading_pronoun,
    say_the_same,
    statements_of,
)
from retrieval.text.terms import terms
from retrieval.types import Passage

MAX_POINTS = 4  # key points after the lead
WORD_BUDGET = 100  # the lead and its key points together
FACET_BONUS = 0.2
# Page furniture and boilerplate that can pass for a sentence (the evidence junk filter's job once
# it lands; kept tiny and private here).
_JUNK = re.compile(
    r"leave a comment|required fields|scroll to top|subscribe|newsletter|sign up|cookie|all rights reserved|"
    r"click here|read more|follow us|terms of service|privacy policy|this article|this story|getty images|"
    r"image credits?|photo:|advertisement",
    re.I,
)


def is_junk(text: str) -> bool:
    words = text.split()
    return len(words) < 5 or bool(_JUNK.search(text)) or text.count("|") >= 2


def key_points(
    ranked: list[EvidenceSentence],
    facets: tuple[str, ...] = ("overview",),
    *,
    speaker: str = "",
    limit: int = MAX_POINTS + 1,
    budget: int = WORD_BUDGET,
    pool_size: int = 40,
    exclude: list[str] | None = None,
) -> list[Group]:
    """The key points of scored evidence (most relevant first), each once: up to `limit` groups of
    statements that say one thing across sources, within `budget` words, chosen for what `facets`
    ask (frame.FACETS) and for coverage, most important first. `exclude`: texts already said."""
    if not ranked:
        return []
    best = ranked[0].score
    best = max(best, 1e-6)
    pool = [s for s in ranked[:pool_size] if s.score >= best * 0.15 and not is_junk(s.text)]
    # an article that answers the question lends weight to its other sentences
    top: dict[str, list[float]] = {}
    for s in pool:
        top.setdefault(s.source_id, []).append(s.score)
    article = {sid: sum(v[:3]) / len(v[:3]) / best for sid, v in top.items()}
    statements = statements_of(pool)
    for st in statements:
        relevance = st.evidence.score / best  # 1 for the best sentence
        st.score = 0.45 * relevance + 0.25 * article[st.source_id] + _facet_bonus(st, facets, speaker)
        if st.words > 45:
            st.score -= 0.04
        if PRONOUN_START.match(st.text):
            st.score -= 0.05
        st.facets = frozenset(f for f in facets if offers(st.text, f))
    groups = group_statements(sorted(statements, key=lambda s: s.score, reverse=True))
    return select(groups, limit, budget, exclude or [], several_sources="compare" in facets)


def _facet_bonus(st: Statement, facets: tuple[str, ...], speaker: str) -> float:
    bonus = 0.0
    asked = [f for f in facets if f != "overview"][:2]
    for rank, facet in enumerate(asked):
        weight = FACET_BONUS * (1.0 if rank == 0 else 0.5)
        if offers(st.text, facet):
            bonus += weight
        elif facet == "open" and FUTURE.search(st.text):
            bonus += weight / 2
    if asked[:1] == ["agreed"]:  # commitments made, not talks about them nor those still to make
        if DONE.search(st.text):
            bonus += 0.75 * FACET_BONUS
        if (DISCUSSION.search(st.text) or offers(st.text, "open")) and not DONE.search(st.text):
            bonus -= 1.75 * FACET_BONUS
    if asked[:1] == ["open"] and DONE.search(st.text) and not offers(st.text, "open"):
        bonus -= FACET_BONUS / 2
    if speaker:
        names = [t for t in terms(speaker) if len(t) > 2]
        if names and any(n in st.evidence.terms for n in names):
            bonus += FACET_BONUS
        elif names and any(n in st.evidence.context_terms for n in names) and offers(st.text, "said"):
            bonus += FACET_BONUS / 2
    return bonus


def same_thing(a: Statement, b: Statement) -> bool:
    """Two statements that say the same thing: most content words shared, or (whole sentences from
    two sources) embeddings close enough to be one report."""
    if say_the_same(a.terms, b.terms):
        return True
    va, vb = a.evidence.vector, b.evidence.vector
    if a.whole and b.whole and a.source_id != b.source_id and va is not None and vb is not None:
        return float(va @ vb) >= 0.82
    return False


def group_statements(statements: list[Statement]) -> list[Group]:
    """Statements (best first) into groups that say the same thing; each group's `best` is its
    cleanest wording: fewest signs of machine translation, no leading pronoun, then the highest score."""
    groups: list[Group] = []
    for st in statements:
        home = next((g for g in groups if any(same_thing(st, m) for m in g.members)), None)
        if home is None:
            groups.append(Group(st, [st]))
        elif st.evidence is not home.best.evidence and all(_apart(st, m) for m in home.members):
            home.members.append(st)
    for g in groups:
        g.best = min(
            g.members,
            key=lambda m: (len(garble_reasons(m.text)), bool(PRONOUN_START.match(m.text)), -m.score + 0.002 * m.words),
        )
    return groups


def _apart(a: Statement, b: Statement) -> bool:
    """Not the same span of the same article (clauses of one sentence are one report)."""
    return a.evidence is not b.evidence


def select(
    groups: list[Group], limit: int, budget: int, exclude: list[str], several_sources: bool = False
) -> list[Group]:
    """Greedy, most important first: a group joins unless it repeats one already chosen (or an
    excluded text), or would break the word budget; a source not yet cited gets a small preference."""
    chosen: list[Group] = []
    said = [set(terms(t)) for t in exclude]
    words = 0
    cited: set[str] = set()
    candidates = sorted(groups, key=lambda g: g.score, reverse=True)
    while candidates and len(chosen) < limit:

        def value(g: Group) -> float:
            fresh = 0.02 * len(set(g.source_ids) - cited) if chosen else 0.0
            if several_sources and chosen and not set(g.source_ids) - cited:
                fresh -= 0.05
            return g.score + fresh + 0.01 * (len(g.source_ids) - 1)

        candidates.sort(key=value, reverse=True)
        pick = None
        for g in candidates:
            text = g.best.text
            if words + len(text.split()) > budget and chosen:
                continue
            mine = set(terms(text))
            if any(_repeats(mine, other) for other in said):
                continue
            pick = g
            break
        if pick is None:
            break
        candidates.remove(pick)
        # a statement that repeats the chosen one's content goes; clauses of a chosen sentence too
        candidates = [g for g in candidates if not any(m.evidence is pick.best.evidence for m in g.members)]
        chosen.append(pick)
        said.append(set(terms(pick.best.text)))
        words += len(pick.best.text.split())
        cited.update(pick.source_ids)
    return chosen


def _repeats(a: set[str], b: set[str]) -> bool:
    return say_the_same(a, b)


def summarize(
    frame: Frame, ranked: list[EvidenceSentence], passages: list[Passage], scorer: SentenceScorer
) -> Answer | None:
    """The key-point answer for an open frame: a lead that answers, then up to four key points,
    each once, each cited. None leaves the question to the composer's lead."""
    groups = key_points(ranked, frame.facets, speaker=frame.speaker)
    if not groups:
        return None
    lead, points = groups[0], groups[1:]
    if "happened" in frame.facets[:1]:
        points.sort(key=lambda g: event_day(g.best.evidence) or (9999,))
    numbers = SourceNumbers()
    sentences = []
    for kind, g in [("lead", lead), *[("point", p) for p in points]]:
        text = shown_text(g)
        if not text:
            continue
        sentences.append(
            AnswerSentence(text=text, kind=kind, citations=[numbers.cite(m.evidence) for m in _one_per_source(g)])
        )
    if not sentences:
        return None
    sentences[0].kind = "lead"
    return Answer(question=frame.text, sentences=sentences, sources=numbers.sources)


def event_day(ev: EvidenceSentence) -> tuple[int, ...]:
    """When a statement's event happened: the most precise date in it, else its article's date."""
    mentions = [m for m in find_dates(ev.text, ev.passage.meta.published) if m.year]
    if mentions:
        m = max(mentions, key=lambda m: (m.month is not None, m.day is not None))
        return tuple(part for part in (m.year, m.month, m.day) if part)
    day = parse_iso(ev.passage.meta.published)
    return (day.year, day.month, day.day) if day else ()


def shown_text(g: Group) -> str:
    """The group's wording as shown: a leading "It" resolved from the sentence before it, or another
    member's wording when it cannot be."""
    for m in [g.best, *[x for x in g.members if x is not g.best]]:
        text = resolve_leading_pronoun(m) if PRONOUN_START.match(m.text) else m.text
        if text:
            return text
    return g.best.text


def _one_per_source(g: Group) -> list[Statement]:
    seen: dict[str, Statement] = {}
    for m in [g.best, *g.members]:
        seen.setdefault(m.source_id, m)
    return list(seen.values())

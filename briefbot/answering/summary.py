"""Open questions answered by their key points: statements gathered at clause level from the top
passages, grouped across sources (each group once, with all its citations and the cleanest
wording), selected for the frame's facets and ordered by importance, behind a one-sentence lead.

`key_points` is the reusable step (the brief and scheduled digests call it): scored evidence in,
groups out. `summarize` makes the answer of it."""

from __future__ import annotations

import re
from functools import lru_cache

from briefbot.answer import Answer, AnswerSentence
from briefbot.answering.citations import SourceNumbers
from briefbot.answering.dates import event_day
from briefbot.answering.evidence import EvidenceSentence, SentenceScorer, match
from briefbot.answering.facets import DISCUSSION, DONE, FACET_WORDS, FUTURE, offers
from briefbot.answering.frame import Frame
from briefbot.answering.lead import names_in
from briefbot.answering.question import outlet_known
from briefbot.answering.statements import (
    PRONOUN_START,
    RHETORIC,
    Group,
    Statement,
    garble_reasons,
    resolve_leading_pronoun,
    say_the_same,
    statements_of,
)
from retrieval.text.terms import query_terms, terms
from retrieval.types import Passage

MAX_POINTS = 4  # key points after the lead
WORD_BUDGET = 108  # the lead and its key points together
FACET_BONUS = 0.2
RELEVANCE = 0.3  # the sentence's own relevance (1 for the best)
ARTICLE = 0.8  # its article's (the mean of its best three sentences' relevance)
PER_WORD = 0.003  # a longer statement says more (up to 35 words); the word budget keeps the answer short
RETRIEVAL_RANK = 0.3  # added to an article's relevance: the first retrieved, then 1/2, 1/3...
LEAD_ARTICLE = 0.3  # and its article's
LEAD_RELEVANCE = 0.45  # the lead's own relevance, against the facets it offers
DIVERSITY = 0.3  # times a candidate's closest similarity to a chosen point
GARBLED = 0.15  # per sign of word-by-word machine translation
TOPIC = 0.3  # for the share of the question's topic terms a statement's sentence holds
# News is written most important first: a sentence near the top of its article weighs more (the
# first sentence POSITION, fading to nothing OPENING_CHARS characters in).
POSITION = 0.2
OPENING_CHARS = 1500
QUOTE = re.compile(r"[“\"]")
# Page furniture and boilerplate that can pass for a sentence (the evidence junk filter's job once
# it lands; kept tiny and private here).
_JUNK = re.compile(
    r"leave a comment|required fields|scroll to top|subscribe|newsletter|sign up|cookie|all rights reserved|"
    r"click here|read more|follow us|terms of service|privacy policy|this article|this story|getty images|"
    r"image credits?|photo:|advertisement",
    re.I,
)


_CAPTION = re.compile(r"\((?:L|R|C|left|right|centre|center)\)|^(?:Combination|File) (?:photo|picture|showing)", re.I)


# A fragment cut from a list or a caption: "Committed to working ...", "Outlines how ...", "Two, ..."
_FRAGMENT = re.compile(
    r"^(?:[A-Z][a-z]+ed\s+(?:to|by|with|for|on|in|as|at)\b|[A-Z][a-z]+s\s+(?:how|what|whether|the|a|an)\b|"
    r"(?:One|Two|Three|Four|Five),\s|Loading\b|(?:Who|Which|Whose|Whom)\s+(?!.*\?$))"
)


def is_junk(text: str) -> bool:
    words = text.split()
    return (
        len(words) < 5
        or bool(_FRAGMENT.match(text))
        or bool(_JUNK.search(text) or _CAPTION.search(text))
        or text.count("|") >= 2
        or text.rstrip(" .").endswith((":", "?"))
    )


_FIGURE = re.compile(r"\d")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|we|We|you|You|my|our)\b")


def specificity(text: str) -> float:
    """0..1: how much a statement states (figures, names), against commentary in general words."""
    words = text.split()
    figures = sum(1 for w in words if _FIGURE.search(w))
    names = sum(1 for w in words[1:] if w[:1].isupper())
    return min(1.0, (2 * figures + names) / 6)


def question_parts(core: str) -> list[str]:
    """ "What are the terms of X, and what happens next for Y?": its two questions ([] for one)."""
    parts = re.split(r",?\s+and\s+(?=(?:how|what|who|whom|why|when|where|which|whether)\b)", core.strip().rstrip("?. "))
    parts = [p.strip() for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else []


def key_points(
    ranked: list[EvidenceSentence],
    facets: tuple[str, ...] = ("overview",),
    *,
    speaker: str = "",
    limit: int = MAX_POINTS + 1,
    budget: int = WORD_BUDGET,
    pool_size: int = 60,
    exclude: list[str] | None = None,
    parts: list[dict[int, float]] | None = None,
    topic: frozenset[str] = frozenset(),
    retrieved: list[str] | None = None,
    rare: frozenset[str] = frozenset(),
) -> list[Group]:
    """The key points of scored evidence (most relevant first), each once: up to `limit` groups of
    statements that say one thing across sources, within `budget` words, chosen for what `facets`
    ask (frame.FACETS) and for coverage, most important first. `exclude`: texts already said;
    `parts`: each part of a two-part question, its scores by id(sentence) (each part gets its points);
    `topic`: the question's terms beyond what it asks about ("connectivity" in "What was agreed on
    connectivity?"): a statement holding them is preferred over one that only fits the facet;
    `retrieved`: the articles (source ids) in the order retrieval ranked them (the first counts more);
    `rare`: the question's most distinctive terms: every key point holds one (when two sentences do)."""
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
    order = {sid: n for n, sid in enumerate(dict.fromkeys(retrieved or []))}
    for sid in article:
        if sid in order:
            article[sid] += RETRIEVAL_RANK / (1 + order[sid])
    statements = [st for st in statements_of(pool) if not is_junk(st.text)]  # a clause can be a fragment too
    if rare:  # a question about something specific: key points about it, not about its neighbours
        about = [st for st in statements if any(match(t, st.evidence) >= 0.5 for t in rare)]
        statements = about if len({id(st.evidence) for st in about}) >= 2 else statements
    part_best = [max(p.values(), default=0.0) or 1.0 for p in parts or []]
    said = "said" in facets[:2]
    # what a named speaker said is wherever they are quoted, not where the article opens
    position = 0.0 if said and speaker else POSITION
    for st in statements:
        relevance = st.evidence.score / best  # 1 for the best sentence
        for n, (p, pb) in enumerate(zip(parts or [], part_best)):
            share = p.get(id(st.evidence), 0.0) / pb
            if share > relevance:
                relevance, st.part = share, n + 1
        # weights from a logistic fit of "holds a key point" on the news dev set's pools: the
        # article's relevance counts most, then the sentence's, its facets, and what it states
        on_topic = sum(match(t, st.evidence) for t in topic) / len(topic) if topic else 0.0
        st.score = RELEVANCE * relevance + ARTICLE * article[st.source_id] + _facet_bonus(st, facets, speaker, on_topic)
        st.score += 0.05 * specificity(st.text) + PER_WORD * min(st.words, 35)
        if said and QUOTE.search(st.text):
            st.score += 0.04
        st.score += TOPIC * on_topic + position * max(0.0, 1 - st.evidence.start / OPENING_CHARS)
        if RHETORIC.search(st.text) and not said:  # what someone said about it is the answer to "what did X say"
            st.score -= GARBLED
        # another source's clean wording, or another point: "understanding of understanding" weighs more
        # than a word order ("President Kazakh")
        st.score -= sum(GARBLED if "repeated" in r else GARBLED / 3 for r in garble_reasons(st.text))
        if not said and _FIRST_PERSON.search(st.text):
            st.score -= 0.05
        if st.words > 45:
            st.score -= 0.04
        if PRONOUN_START.match(st.text):
            st.score -= 0.05
        st.facets = frozenset(f for f in facets if offers(st.text, f))
        # the lead answers: the question's own relevance and what it asks, not the article's weight
        st.lead_score = (LEAD_RELEVANCE * relevance + LEAD_ARTICLE * article[st.source_id] + _facet_bonus(st, facets, speaker, on_topic) + TOPIC * on_topic
                         - (0.05 if PRONOUN_START.match(st.text) else 0.0) - GARBLED * len(garble_reasons(st.text)))  # fmt: skip
    groups = group_statements(sorted(statements, key=lambda s: s.score, reverse=True))
    return select(groups, limit, budget, exclude or [], several_sources="compare" in facets)


def _facet_bonus(st: Statement, facets: tuple[str, ...], speaker: str, on_topic: float = 0.0) -> float:
    """What the statement offers the facets asked, first most; `on_topic` (0..1) softens the
    penalty on talks for a statement about the question's topic (what was discussed on it, when
    nothing on it was agreed)."""
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
        if offers(st.text, "terms"):  # what the commitment covers is part of what was agreed
            bonus += FACET_BONUS / 2
        if (DISCUSSION.search(st.text) or offers(st.text, "open")) and not DONE.search(st.text):
            bonus -= 1.75 * FACET_BONUS * (1 - on_topic)
    if asked[:1] == ["open"] and DONE.search(st.text) and not offers(st.text, "open"):
        bonus -= FACET_BONUS / 2
    if speaker and offers(st.text, "said"):  # the speaker's own words: named in it, or in the sentence before
        if speaks(speaker, st.text) and not addressed(speaker, st.text):
            bonus += FACET_BONUS
        elif PRONOUN_START.match(st.text) and all(t in st.evidence.context_terms for t in terms(speaker)):
            bonus += FACET_BONUS / 2
    return bonus


def speaks(speaker: str, text: str) -> bool:
    """The speaker is named in the text: a name by its surname ("Ellison"), a title by the whole
    title ("the Prime Minister", not "Deputy Prime Minister")."""
    bare = re.sub(r"^(?:the|a|an)\s+", "", speaker.strip(), flags=re.I)
    words = bare.split()
    if not words:
        return False
    if bare[:1].isupper() and speaker[:1].isupper() and len(words) <= 3:  # a proper name
        return re.search(rf"\b{re.escape(words[-1])}\b", text) is not None
    return re.search(rf"(?<!Deputy )(?<!Vice )(?<!Vice-)\b{re.escape(bare)}\b", text, re.I) is not None


def addressed(speaker: str, text: str) -> bool:
    """The speaker is named only as the one spoken to ("Bankman-Fried told Ellison ...", "asked
    Dimon"), not as the one speaking."""
    words = re.sub(r"^(?:the|a|an)\s+", "", speaker.strip(), flags=re.I).split()
    if not words:
        return False
    name = re.escape(words[-1])
    to = re.search(
        rf"\b(?:told|tells|asked|asks|urged|urges|pressed|presses|informed|questioned)\s+(?:\S+\s+){{0,3}}?{name}\b",
        text,
    )
    by = re.search(
        rf"\b{name}\b[^.;]{{0,60}}?\b(?:said|says|told|tells|testified|added|explained|argued|stated|wrote|warned)\b|"
        rf"\b(?:said|says|testified|added|wrote)\s+(?:\S+\s+){{0,3}}?{name}\b",
        text,
    )
    return to is not None and (by is None or by.start() > to.start())


def same_thing(a: Statement, b: Statement) -> bool:
    """Two statements that say the same thing: most content words shared, one commitment reported
    twice ("signed ... action plan" in both), or (whole sentences from two sources) embeddings close
    enough to be one report."""
    if say_the_same(a.terms, b.terms) or same_commitment(a.text, b.text):
        return True
    va, vb = a.evidence.vector, b.evidence.vector
    if a.whole and b.whole and a.source_id != b.source_id and va is not None and vb is not None:
        return float(va @ vb) >= 0.82
    return False


def same_commitment(a: str, b: str) -> bool:
    """Both report one commitment: the same commitment verb ("signed") and a two-word name in common
    ("action plan")."""
    if not _commitments(a) & _commitments(b):
        return False
    return bool(_pairs(a) & _pairs(b))


@lru_cache(maxsize=4096)
def _commitments(text: str) -> frozenset[str]:
    return frozenset(m.group(0).lower() for m in DONE.finditer(text))


@lru_cache(maxsize=4096)
def _pairs(text: str) -> frozenset[tuple[str, str]]:
    words = terms(text)
    return frozenset((x, y) for x, y in zip(words, words[1:]) if len(x) > 2 and len(y) > 2)


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
    covered: set[int] = set()
    candidates = sorted(groups, key=lambda g: g.score, reverse=True)
    while candidates and len(chosen) < limit:

        def value(g: Group) -> float:
            if not chosen and not exclude:  # the lead
                return max(m.lead_score for m in g.members)
            fresh = 0.02 * len(set(g.source_ids) - cited) if chosen else 0.0
            if chosen and g.best.part and g.best.part not in covered:
                fresh += 0.08
            if several_sources and chosen and not set(g.source_ids) - cited:
                fresh -= 0.05
            v = g.best.evidence.vector
            if chosen and v is not None:  # what is like a chosen point adds less (MMR)
                fresh -= DIVERSITY * max(float(v @ c.best.evidence.vector) for c in chosen
                                         if c.best.evidence.vector is not None)  # fmt: skip
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
        covered.add(pick.best.part)
        said.append(set(terms(pick.best.text)))
        words += len(pick.best.text.split())
        cited.update(pick.source_ids)
    return chosen


def _repeats(a: set[str], b: set[str]) -> bool:
    """In one short answer, a statement most of whose words another already says adds little."""
    return min(len(a), len(b)) >= 3 and len(a & b) / min(len(a), len(b)) >= 0.6


def summarize(
    frame: Frame, ranked: list[EvidenceSentence], passages: list[Passage], scorer: SentenceScorer
) -> Answer | None:
    """The key-point answer for an open frame: a lead that answers, then up to four key points,
    each once, each cited. None leaves the question to the composer's lead."""
    groups = key_points(ranked, frame.facets, speaker=frame.speaker, parts=_part_scores(frame, ranked, scorer),
                        topic=topic_terms(frame), retrieved=[p.meta.source_id for p in passages],
                        rare=distinctive_terms(frame, scorer))  # fmt: skip
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


def distinctive_terms(frame: Frame, scorer: SentenceScorer, n: int = 2) -> frozenset[str]:
    """The `n` rarest of the question's topic terms that the corpus knows ("lithium", "swap" in
    "What lithium swap did Kazakhstan offer Pakistan?"); none when the question names no topic."""
    topic = topic_terms(frame)
    if not topic:
        return frozenset()
    vocab = scorer.vocabulary()
    known = [t for t in topic if vocab.known(t)]
    return frozenset(sorted(known, key=vocab.idf, reverse=True)[:n])


def topic_terms(frame: Frame) -> frozenset[str]:
    """The question's terms beyond its facet words and its speaker's name (at most six; a longer
    question is about its words already, through the relevance score)."""
    asked = {t for words in FACET_WORDS for t in terms(words)} | set(terms(frame.speaker))
    topic = [t for t in dict.fromkeys(query_terms(frame.question.core)) if t not in asked]
    return frozenset(topic) if 0 < len(topic) <= 6 else frozenset()


def _part_scores(frame: Frame, ranked: list[EvidenceSentence], scorer: SentenceScorer,
                 pool_size: int = 60) -> list[dict[int, float]]:  # fmt: skip
    """Each part of a two-part question scored over the best sentences (their scores put back after)."""
    parts = question_parts(frame.question.core)
    if not parts:
        return []
    pool = ranked[:pool_size]
    saved = [(s.score, s.dense, s.lexical) for s in pool]
    out = []
    for part in parts:
        scorer.score(part, pool)
        out.append({id(s): s.score for s in pool})
    for s, (score, dense, lexical) in zip(pool, saved):
        s.score, s.dense, s.lexical = score, dense, lexical
    return out


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


def topic_not_found(frame: Frame, passages: list[Passage], scorer: SentenceScorer, max_terms: int = 14) -> list[str]:
    """What the question is about that no retrieved passage mentions: a name of the question none of
    whose words the corpus knows ("G20"), a name whose most distinctive word (by IDF) no passage
    holds, or a noun that qualifies another in the question ("yield curve" in "yield curve control")
    that no passage holds. The question's subject is then not what was found: the sources don't
    answer it, however close the rest of their words ("Bank of Japan", "policy meeting"). A
    hyphenated word counts as found when its parts are ("jet-engine"); an outlet's name is not what
    a question is about. A long question (over `max_terms` terms: many clues, each passage holding
    some) is not judged by one absent word: [] then."""
    if len(query_terms(frame.question.core)) > max_terms:
        return []
    held: set[str] = set()
    for p in passages:
        held.update(terms(p.text))
        held.update(terms(p.meta.title or ""))
    held.update(part for t in [t for t in held if "-" in t] for part in terms(t.replace("-", " ")))
    vocab = scorer.vocabulary()

    def found(term: str) -> bool:
        if term in held:
            return True
        parts = [t for t in terms(term.replace("-", " ")) if t != term]
        return bool(parts) and all(t in held for t in parts)

    missing = []
    for name in names_in(frame.question.core):
        if outlet_known(name, vocab.outlets):
            continue
        words = [t for t in terms(name) if not t.isdigit() and t not in _GENERIC]
        if not words:
            continue
        if not any(vocab.known(t) for t in words) and any(c.isalpha() for c in name):
            missing.append(name)
            continue
        rarest = max(words, key=lambda t: vocab.idf(t) if vocab.known(t) else 99.0)
        if not found(rarest):
            missing.append(name)
    tokens = frame.parse.tokens
    for t in tokens:
        if t.dep == "compound" and t.pos in ("NOUN", "PROPN") and tokens[t.head].pos in ("NOUN", "PROPN"):
            words = [w for w in terms(t.text) if w not in _GENERIC]
            if words and not all(found(w) for w in words) and t.text not in missing:
                missing.append(t.text)
    return missing


# Words of a name that say what kind of thing it is, not which ("Act", "Summit", "Bank").
_GENERIC = frozenset(terms("act bank summit statement court ministry department committee council agency"
                           " commission group company party union government"))  # fmt: skip

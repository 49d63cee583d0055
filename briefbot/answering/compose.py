"""The offline answer: a short summary made of the source sentences themselves, each cited.

No model writes anything here: sentences are picked by relevance, near-identical reports from
several outlets are merged (keeping every citation), and the result is ordered by source and
position. When nothing relevant enough is found, the answer says so and cites nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefbot.answer import Answer, GroundingCheck
from briefbot.answering.citations import answer_from
from briefbot.answering.dates import event_day, find_dates
from briefbot.answering.evidence import (
    FORWARD_LOOKING,
    EvidenceSentence,
    SentenceScorer,
    match,
    near_duplicate,
    sentences_of,
)
from briefbot.answering.frame import OPEN, ORGANISATION, PERSON, PLACE, YESNO, Frame, counted_noun, frame_question
from briefbot.answering.lead import (
    Lead,
    clause,
    counted_lead,
    date_lead,
    entity_lead,
    figure_lead,
    list_lead,
    lower_first,
    named_lead,
    names_in,
    plain_lead,
    yes_no_lead,
)
from briefbot.answering.question import Question, indirect, outlet_known, read_question, subject_of
from briefbot.answering.summary import summarize, topic_not_found
from briefbot.answering.verdict import decide
from briefbot.llm.grounding import GroundingGuard
from retrieval.text.terms import query_terms, terms
from retrieval.types import Passage


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on tests/data/seed_questions.jsonl (run tests/core/test_dev_set.py).

    On that set the best evidence sentence of answerable questions scored 0.38-0.90 (dense
    0.51-0.83); the unanswerable ones 0.12-0.39 (dense 0.18-0.55). The one unanswerable question
    with related evidence ("annual trade volume in dollars", dense 0.55) is told apart by term
    coverage: 0.14 of its term weight exists in the corpus at all, against >= 0.56 for the
    answerable questions except one paraphrase ("stay in touch", coverage 0.18, dense 0.69)."""

    min_best_score: float = 0.30  # best sentence's combined score below this: the sources don't say
    min_dense: float = 0.40  # ...or its embedding similarity below this...
    strong_lexical: float = 0.7  # ...unless it holds this share of the question's term weight...
    min_dense_any: float = 0.30  # ...and is at least this similar (short questions embed weakly)
    min_coverage: float = 0.45  # share of the question's term weight the corpus knows at all
    weak_coverage_dense: float = 0.62  # low coverage is forgiven only above this similarity
    keep_ratio: float = 0.75  # a sentence joins the answer if it scores >= ratio * best...
    keep_floor: float = 0.30  # ...and at least this
    predicate_weight: float = 0.3  # added for the share of the question's predicate terms a sentence holds
    forward_bonus: float = 0.1  # added for a forward-looking sentence when the question asks what comes next
    factoid_keep_ratio: float = 0.85  # a name, date, figure or yes/no needs less support around it


class OfflineComposer:
    """Answer first: one sentence that states what the question asks for (a name, a date, a figure,
    Yes), then at most `max_sentences - 1` supporting sentences that address the question. Every
    sentence is a cited source span and passes the grounding guard's support check."""

    def __init__(self, scorer: SentenceScorer, *, max_sentences: int = 4, thresholds: Thresholds | None = None,
                 guard: GroundingGuard | None = None) -> None:  # fmt: skip
        self.scorer = scorer
        self.max_sentences = max(1, max_sentences)
        self.t = thresholds or Thresholds()
        self.guard = guard

    def compose(self, asked: str, passages: list[Passage]) -> Answer:
        question = self.equivalents(asked)  # read in the sources' words; refusals keep the asker's
        frame = frame_question(question)
        q = frame.question
        missing = self.missing(q)
        if missing:
            return refusal(asked, passages, reason=missing)
        candidates = sentences_of(passages)
        if not candidates:
            return refusal(asked, passages)
        self.scorer.score(question, candidates)
        if not self.answerable(_asked_about(frame), max(candidates, key=lambda s: s.score)):
            return refusal(asked, passages)
        self.emphasise_predicate(q, candidates)
        if q.kind == "next":  # "what happens next?" wants what is planned, expected or to be finalised
            for s in candidates:
                if FORWARD_LOOKING.search(s.text):
                    s.score += self.t.forward_bonus
        ranked = sorted(candidates, key=lambda s: s.score, reverse=True)
        if frame.answer_type == OPEN:  # key points, each once, merged across sources
            if topic_not_found(frame, passages, self.scorer):  # what it is about is not in what was found
                return refusal(question, passages)
            summary = summarize(frame, ranked, passages, self.scorer)
            if summary is not None:
                return self.checked(summary, passages)
        if frame.answer_type == YESNO:  # a verdict decided over the question's claims
            verdict = decide(frame, ranked, passages, self.scorer)
            if verdict is not None:
                return self.checked(verdict, passages)
        floor = max(self.t.keep_floor, ranked[0].score * self.t.keep_ratio)
        qterms = frozenset(query_terms(question))
        lead = self.lead(frame, ranked, floor, qterms)
        if lead is None:  # a figure was asked for and the sources give none
            return self.partial(q, ranked, passages) or refusal(asked, passages)
        limit = self.max_sentences if q.kind in _BROAD else min(self.max_sentences, 3)
        if q.kind not in _BROAD:
            floor = max(floor, ranked[0].score * self.t.factoid_keep_ratio)
        chosen = select(ranked, limit, floor, first=lead.evidence)
        if q.kind == "compare":  # "do the sources agree / how do they differ": the other source's own words
            chosen = _with_another_source(chosen, ranked, limit, floor * 0.8)
        support = [clause(s, "", qterms) if not s.also else s for s in chosen[1:]]
        answer = answer_from(question, [chosen[0]] + order_readably(support))
        answer.sentences[0].text = lead.text
        return self.checked(answer, passages)

    def emphasise_predicate(self, q: Question, candidates: list[EvidenceSentence]) -> None:
        """ "What did Shehbaz Sharif propose?" is about proposing: a sentence that names him but
        proposes nothing should not lead. The question's terms outside its names (its predicate)
        add their share to each sentence's score."""
        named = {t for name in names_in(q.core, keep_titles=True) for t in terms(name)}
        predicate = [t for t in dict.fromkeys(query_terms(q.core)) if t not in named]
        if not predicate or len(predicate) > 6:  # long questions: the lexical score already weighs them
            return
        for s in candidates:
            share = sum(match(t, s) for t in predicate) / len(predicate)
            s.score += self.t.predicate_weight * share

    def partial(self, q: Question, ranked: list[EvidenceSentence], passages: list[Passage]) -> Answer | None:
        """ "How many agreements will be signed?" when no figure is given but a sentence speaks of
        exactly that (every term of the question in it): say which part is missing, then what the
        sources do say, cited. None when no sentence is that close (then a plain refusal)."""
        asked = indirect(q)
        wanted = set(query_terms(q.core)) - {"number", "amount", "figur"}
        if not asked or not wanted:
            return None
        best = next((s for s in ranked[:5] if all(match(t, s) >= 0.7 for t in wanted)), None)
        if best is None:
            return None
        span = clause(best, "", frozenset(wanted))
        answer = answer_from(q.text, [span])
        answer.sentences[0].text = f"The sources don't say {asked}; they say: {lower_first(span.text)}"
        return self.checked(answer, passages)

    def equivalents(self, question: str) -> str:
        """A phrase the sources do not use, put in the words they use for the same thing when they
        have it ("one-on-one meeting" -> "tête-à-tête"): a paraphrase the embedding misses."""
        vocab = self.scorer.vocabulary()
        for phrase, others in _EQUIVALENTS.items():
            found = re.search(rf"\b{re.escape(phrase)}\b", question, re.I)
            if not found or any(vocab.known(t) for t in terms(phrase)):
                continue
            other = next((o for o in others if all(vocab.known(t) for t in terms(o))), None)
            if other:
                question = question[: found.start()] + other + question[found.end() :]
        return question

    def answerable(self, question: str, best: EvidenceSentence) -> bool:
        coverage = self.scorer.coverage(question)
        if best.lexical >= 0.95 and coverage >= 0.9 and best.dense >= 0.2:
            return True  # every word of a short question in one sentence: "how many days was the visit"
        if best.score < self.t.min_best_score or best.dense < self.t.min_dense_any:
            return False
        if best.dense < self.t.min_dense and best.lexical < self.t.strong_lexical:
            return False
        return coverage >= self.t.min_coverage or best.dense >= self.t.weak_coverage_dense

    def missing(self, q: Question) -> str:
        """Why the sources cannot answer as asked, before any search: the question attributes a
        report to an outlet none of the sources is from, or names someone/something no source
        mentions. "" when nothing is missing."""
        vocab = self.scorer.vocabulary()
        outlets = vocab.outlets
        if outlets and q.outlets:
            absent = [
                name for name in q.outlets if not outlet_known(name, outlets)
                and (name in q.certain_outlets or _unknown_name(name, vocab))
            ]  # fmt: skip
            if absent:
                return f"The sources include no report from {_join(absent)}, so they cannot answer this as asked."
        unknown = [
            name for name in names_in(q.core)
            if len(name) >= 4 and not outlet_known(name, outlets) and _unknown_name(name, vocab)
        ]  # fmt: skip
        if unknown:
            return f"The sources don't mention {_join(unknown)}."
        return ""

    def lead(self, frame: Frame, ranked: list[EvidenceSentence], floor: float, qterms: frozenset[str]) -> Lead | None:
        q = frame.question
        if q.wants_entity or frame.answer_type in (PERSON, ORGANISATION, PLACE):
            outlets = self.scorer.vocabulary().outlets
            exclude = [*q.outlets, *outlets]
            found = named_lead(q, frame.answer_type, ranked, floor, exclude, qterms)
            if found is None and frame.answer_type != PERSON:
                found = entity_lead(q, ranked, floor, exclude, qterms)
            if found is not None:
                return found
            if frame.answer_type == PERSON and _asks_identity(q):  # a name was asked for and none is given
                missed = self.near_miss(q, ranked, qterms)
                if missed is not None:
                    return missed
            return entity_lead(q, ranked, floor, exclude, qterms) or plain_lead(ranked, qterms)
        elif q.kind == "when":
            found = date_lead(ranked, floor, qterms)
            if found is not None:
                return found
        elif q.kind == "quantity":
            return counted_lead(counted_noun(frame), ranked, floor, qterms) or figure_lead(
                ranked, floor, frozenset(query_terms(subject_of(q))), qterms
            )
        elif q.kind in ("yesno", "compare") and q.core.split(" ", 1)[0].lower() in _YES_NO_OPENERS:
            return self.order_lead(q, ranked, qterms) or yes_no_lead(q, ranked, qterms)
        elif q.kind == "list":
            return list_lead(ranked, qterms)
        return plain_lead(ranked, qterms)

    def near_miss(self, q: Question, ranked: list[EvidenceSentence], qterms: frozenset[str]) -> Lead | None:
        """ "What is the name of the Kazakh transport minister?" when the sources mention the post
        but name nobody: said plainly, with the sentence that mentions the post."""
        wanted = set(query_terms(q.core)) - {"name", "nam", "individu", "person"}
        best = next((s for s in ranked[:5] if wanted and all(match(t, s) >= 0.7 for t in wanted)), None)
        if best is None:
            return None
        span = clause(best, "", qterms)
        return Lead(f"The sources mention the post but not the person's name: {lower_first(span.text)}", span, "")

    def order_lead(self, q: Question, ranked: list[EvidenceSentence], qterms: frozenset[str]) -> Lead | None:
        """ "Did A happen before B?": the best evidence for A and for B, dated (a date in the sentence,
        else its article's), compared. None when the question does not set two events in order or
        the evidence does not date both apart."""
        m = _ORDER.search(q.core)
        if not m:
            return None
        first, second = q.core[: m.start()].strip(), q.core[m.end() :].strip(" ?")
        if len(query_terms(first)) < 2 or len(query_terms(second)) < 2 or _STARTS_WITH_DATE.match(second):
            return None  # "before 4 October": a date bound, not a second event
        pool = ranked[:30]
        a = self._best_for(first, pool)
        b = self._best_for(second, [s for s in pool if a is None or not _overlaps(s, a)], dated=True)
        self.scorer.score(q.text, pool)  # back to the whole question's scores
        self.emphasise_predicate(q, pool)
        if a is None or b is None or a is b:
            return None
        day_a, day_b = event_day(a), event_day(b)
        common = min(len(day_a), len(day_b))
        if not common or day_a[:common] == day_b[:common]:
            return None  # undated, or the same day (month) as far as the sources say
        holds = (day_a[:common] < day_b[:common]) == (m.group(1).lower() == "before")
        said = "Yes" if holds else "No"
        span = clause(a, "", qterms)
        span.also = [b] if b.source_id != a.source_id else []
        # the two dates are the sources' (listed with them); the lead keeps to the span's words
        return Lead(f"{said}: {lower_first(span.text)}", span, said)

    def _best_for(self, text: str, pool: list[EvidenceSentence], dated: bool = False) -> EvidenceSentence | None:
        """The sentence that best reports `text` (with `dated`, one that dates it if any is close)."""
        self.scorer.score(text, pool)
        best = max(pool, key=lambda s: s.score, default=None)
        if dated and best is not None:
            with_date = [
                s for s in pool if s.score >= 0.8 * best.score and find_dates(s.text, s.passage.meta.published)
            ]
            best = max(with_date, key=lambda s: s.score, default=best)
        return best if best is not None and best.score >= self.t.min_best_score else None

    def checked(self, answer: Answer, passages: list[Passage]) -> Answer:
        """Each sentence's cited span passes the grounding guard's support check, or is dropped;
        the lead is checked on its span (its prefix states what the span says)."""
        if self.guard is None:
            return answer
        by_chunk = {p.chunk_id: p for p in passages}
        claims = []
        for i, sentence in enumerate(answer.sentences):
            cited = [by_chunk[c.chunk_id] for c in sentence.citations if c.chunk_id in by_chunk]
            span = sentence.citations[0].quote if (i == 0 and sentence.citations) else sentence.text
            claims.append((span, cited))
        kept = []
        for i, (sentence, verdict) in enumerate(zip(answer.sentences, self.guard.support(claims))):
            sentence.check = GroundingCheck(method="extractive+" + self.guard.METHOD, support=round(verdict.support, 3),
                                            passed=verdict.passed, detail=verdict.detail)  # fmt: skip
            if verdict.passed or i == 0:
                kept.append(sentence)
        answer.sentences = kept
        return answer


_ORDER = re.compile(r"\s(before|after)\s", re.I)
_STARTS_WITH_DATE = re.compile(
    r"^(?:the\s+)?(?:\d|january|february|march|april|may|june|july|august|september|october|november|december|"
    r"today|yesterday|last|this|next)\b",
    re.I,
)


# Kinds whose answer is a summary or a list: lead plus up to three supporting sentences. Others (a
# name, a date, a figure, Yes/No) get at most two, and only close runners-up.
_BROAD = {"agreed", "next", "list", "open", "why", "compare"}
_YES_NO_OPENERS = {"do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "can", "could", "will",
                   "would", "should"}  # fmt: skip


# Phrases news reports say in other words (a paraphrase a small embedding model misses).
_EQUIVALENTS = {
    "one-on-one meeting": ["tête-à-tête", "tete-a-tete", "private meeting", "bilateral meeting"],
    "one-on-one": ["tête-à-tête", "tete-a-tete"],
    "private meeting": ["tête-à-tête", "one-on-one"],
    "memorandum of understanding": ["MoU", "MOUS"],
    "memoranda of understanding": ["MoUs", "MOUS"],
}


def _asked_about(frame: Frame) -> str:
    """What the question asks about, in lemmas ("met" -> "meet": the corpus knows the word in some
    form), and for a comparison without the words about the sources and comparing ("do the two
    reports agree on ...", "how do the two reports of the visit compare?" is about the visit: news
    never says "reports compare")."""
    comparing = (frame.answer_type == YESNO and bool(frame.relation)) or (
        frame.answer_type == OPEN and "compare" in frame.facets
    )
    words = [
        t.lemma if t.pos in ("VERB", "NOUN") else t.text
        for t in frame.parse.tokens
        if not (comparing and t.lemma.lower() in _COMPARING)
    ]
    return " ".join(words) or frame.question.text


_COMPARING = {"agree", "disagree", "report", "source", "article", "outlet", "account", "story", "version", "two",
              "both", "each", "consistent", "inconsistent", "same", "differ", "different", "compare", "change",
              "portrayal", "coverage"}  # fmt: skip


def _asks_identity(q: Question) -> bool:
    return bool(re.match(r"^(?:who(?:m|se)?\s+(?:is|was|are|were)\b|(?:what|which)\s+(?:is|was)\s+the\s+name\b)",
                         q.core, re.I))  # fmt: skip


def _unknown_name(name: str, vocab) -> bool:
    """A name none of whose words the corpus knows ("Oleg Fomenko"; not "Oleg Tinkov" if Tinkov is known)."""
    words = [t for t in terms(name) if not t.isdigit()]
    return bool(words) and not any(vocab.known(t) for t in words) and sum(c.isalpha() for c in name) >= 4


def _join(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def select(ranked: list[EvidenceSentence], limit: int, floor: float,
           first: EvidenceSentence | None = None) -> list[EvidenceSentence]:  # fmt: skip
    """`first` (the lead), then the best sentences; a near-duplicate from another source adds its
    citation, not a sentence."""
    chosen: list[EvidenceSentence] = [first] if first is not None else []
    for s in ranked:
        if s.score < floor:
            break
        twin = next((c for c in chosen if near_duplicate(s, c) or _overlaps(s, c)), None)
        if twin is not None:
            if s.source_id != twin.source_id and all(a.source_id != s.source_id for a in twin.also):
                twin.also.append(s)
            continue
        if len(chosen) < limit:
            chosen.append(s)
    return chosen


def _with_another_source(chosen: list[EvidenceSentence], ranked: list[EvidenceSentence], limit: int,
                         floor: float) -> list[EvidenceSentence]:  # fmt: skip
    """`chosen`, with the best sentence of a second source right after the lead when none is there."""
    cited = {s.source_id for s in chosen} | {a.source_id for s in chosen for a in s.also}
    if len(cited) > 1:
        return chosen
    other = next((s for s in ranked if s.score >= floor and s.source_id not in cited), None)
    if other is None:
        return chosen
    return [chosen[0], other, *chosen[1 : max(1, limit - 1)]]


def _overlaps(a: EvidenceSentence, b: EvidenceSentence) -> bool:
    return a.source_id == b.source_id and a.start < b.end and b.start < a.end


def order_readably(chosen: list[EvidenceSentence]) -> list[EvidenceSentence]:
    """Keep each source's sentences together and in the order the article tells them."""
    first_seen: dict[str, int] = {}
    for s in chosen:
        first_seen.setdefault(s.source_id, len(first_seen))
    return sorted(chosen, key=lambda s: (first_seen[s.source_id], s.start))


def refusal(question: str, passages: list[Passage], reason: str = "") -> Answer:
    """A grammatical sentence naming what is missing, and the closest topics the sources do cover."""
    text = reason or refusal_text(read_question(question))
    first_of_source: dict[str, Passage] = {}
    for p in passages:
        first_of_source.setdefault(p.meta.source_id, p)
    topics = list(dict.fromkeys(_topic_of(p) for p in first_of_source.values()))[:3]
    return Answer(question=question, refused=True, refusal=text, related_topics=topics)


def refusal_text(q: Question) -> str:
    if q.kind == "quantity" and not q.core.lower().startswith("how"):
        return f"The sources give no figure for {subject_of(q)}."
    asked = indirect(q)
    if asked:
        return f"The sources don't say {asked}."
    return f'The sources don\'t answer "{q.core.rstrip("?.! ")}".'


def _topic_of(p: Passage, limit: int = 100) -> str:
    """A passage's article by its title, else by the passage's first sentence or clause (whole words,
    never cut mid-phrase)."""
    if p.meta.title:
        return p.meta.title
    first = sentences_of([p], min_chars=1)
    opening = first[0].text if first else " ".join(p.text.split())
    if len(opening) <= limit:
        return opening
    cut = max(opening.rfind(mark, 0, limit) for mark in (", ", "; ", " — "))
    return opening[:cut].rstrip(",;: ") if cut > 30 else opening

"""The pre-visit brief: a structured, cited document on a visit, country or topic.

Built offline from source sentences, like answers: evidence is gathered with several queries,
near-duplicate reports are merged into one item carrying every citation, and each item goes to
the section its wording calls for. A section without evidence says "Nothing in the sources"."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from pydantic import BaseModel, Field

from briefbot.answer import Citation, CitedText, SourceRef
from briefbot.answering.citations import SourceNumbers
from briefbot.answering.compose import OfflineComposer
from briefbot.answering.dates import DateMention, find_dates
from briefbot.answering.evidence import FORWARD_LOOKING, EvidenceSentence, near_duplicate, sentences_of
from briefbot.answering.statements import (
    _GLUE,
    PRONOUN_START,
    clauses,
    compress,
    garble_reasons,
    resolve_leading_pronoun,
    say_the_same,
)
from briefbot.answering.statements import (
    RHETORIC as _RHETORIC,
)
from briefbot.errors import InvalidQuestion
from briefbot.formatting import mode_label, source_line
from retrieval.index.search import HybridRetriever
from retrieval.text.terms import terms
from retrieval.types import Passage

NOTHING = "Nothing in the sources."

SECTIONS = [
    ("bottom_line", "Bottom line"),
    ("agreed", "What was agreed"),
    ("cooperation", "Areas of cooperation"),
    ("people", "People and delegations"),
    ("timeline", "Timeline"),
    ("open_items", "Open items and next steps"),
    ("differences", "Where sources differ or are unclear"),
]

# Extra queries that pull in evidence for each section, appended to the topic.
ASPECTS = [
    "agreement signed memorandum action plan",
    "cooperation trade investment connectivity technology agriculture security",
    "minister delegation met talks accompanied",
    "visit date last visit year",
    "finalise next steps forthcoming visit expected",
]

AREAS = {
    "Trade and investment": r"trade|invest|econom|business|market|commerce|conglomerate",
    "Connectivity and transport": r"connectivity|logistic|transport|rail|road|\bair\b|aviation|corridor|transit",
    "IT, science and technology": r"information technology|\bIT\b|technolog|science|aerospace|digital",
    "Agriculture": r"agricultur|farm|food",
    "Defence and security": r"defen[cs]e|security|military",
    "Culture, education and tourism": r"cultur|educat|touris|people-to-people|exchanges of people|student",
    "Consular and humanitarian": r"consular|humanitarian|visa",
    "Political and multilateral": r"politic|multilateral|consultation|diplomatic|regional peace",
}
_AREAS = {name: re.compile(pattern, re.I) for name, pattern in AREAS.items()}
_AGREED = re.compile(
    r"\bsigned\b|\bagreed\b|\badopt|memorand|\bMoUs?\b|action plan|\baccords?\b|\bdeal\b|institut|"
    r"\bprovides\b|commit|decided|resolved to|reaffirmed",
    re.I,
)
_PEOPLE = re.compile(
    r"\bmet\b|meeting|accompanied|received|called on|\bcalled\b|co-chaired|talks|delegation|"
    r"counterpart|\bheld\b|informed|told|visited",
    re.I,
)
_WHO_CAME = re.compile(r"accompanied|accompanying|\bmet\b|called on|received|\bheld a (?:business )?meeting", re.I)
_ROLE = re.compile(
    r"Minister|President|Senator|Ambassador|Secretary|spokesperson|Governor|Prime|counterpart|delegation", re.I
)
_WORD = re.compile(r"[A-Za-z]+")


class BriefItem(CitedText):
    group: str = ""  # the area of cooperation, or the date label on the timeline
    note: str = ""  # e.g. how a relative date was resolved


class BriefSection(BaseModel):
    key: str
    title: str
    items: list[BriefItem] = Field(default_factory=list)


class Brief(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    topic: str
    sections: list[BriefSection] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    empty: bool = False  # nothing in the sources on this topic
    mode: str = "offline"
    model: str = ""
    note: str = ""
    freshness: str = ""  # how old the sources are; events they call upcoming that are now past
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # after the source list (`to_markdown(full=True)`, the attached file): wording notes, what the caps left out
    extra: list[BriefSection] = Field(default_factory=list)

    def section(self, key: str) -> BriefSection:
        return next(s for s in self.sections if s.key == key)

    @property
    def bottom_line(self) -> str:
        items = self.section("bottom_line").items
        return " ".join(i.rendered() for i in items) if items else NOTHING

    def to_markdown(self, full: bool = False) -> str:
        mode = mode_label(self.mode, self.model)
        lines = [f"# Pre-visit brief: {self.topic}", "",
                 f"_{dt.date.today():%Y-%m-%d} · {len(self.sources)} sources · {mode}_", ""]  # fmt: skip
        if self.freshness:
            lines += [f"> {self.freshness}", ""]
        if self.note:
            lines += [f"> {self.note}", ""]
        for section in self.sections:
            lines += [f"## {section.title}", ""]
            if not section.items:
                lines += [NOTHING, ""]
                continue
            if section.key == "bottom_line":
                lines += [" ".join(i.rendered() for i in section.items), ""]
                continue
            group = None
            for item in section.items:
                if section.key == "cooperation" and item.group != group:
                    group = item.group
                    if lines[-1]:
                        lines.append("")
                    lines += [f"**{group}**", ""]
                prefix = f"**{item.group}** — " if section.key == "timeline" else ""
                note = f" _({item.note})_" if item.note else ""
                lines.append(f"- {prefix}{item.rendered()}{note}")
            lines.append("")
        lines += ["## Sources", ""]
        for s in self.sources:
            lines.append(source_line(s, url=True))
        if full:
            for section in self.extra:
                lines += ["", f"## {section.title}", ""]
                lines += [f"- {item.rendered()}" for item in section.items]
        return "\n".join(lines).rstrip() + "\n"


@dataclass
class _Fact:
    """One statement, possibly reported by several sources (best-worded first)."""

    members: list[EvidenceSentence]
    dates: list[DateMention] = field(default_factory=list)

    @property
    def lead(self) -> EvidenceSentence:
        return self.members[0]


class BriefBuilder:
    def __init__(self, retriever: HybridRetriever, composer: OfflineComposer, *, per_query_k: int = 8,
                 max_items: int = 6, relevance_ratio: float = 0.6) -> None:  # fmt: skip
        self.retriever = retriever
        self.composer = composer
        self.per_query_k = per_query_k
        self.max_items = max_items
        self.relevance_ratio = relevance_ratio

    def build_with_evidence(self, topic: str) -> tuple[Brief, list[Passage]]:
        """The brief and the chunks it cites (for a language model to write its prose from)."""
        topic = " ".join((topic or "").split())
        if not topic:
            raise InvalidQuestion('Give a topic for the brief, e.g. "President Tokayev\'s visit to Pakistan".')
        passages = self._gather(topic)
        sentences = sentences_of(passages)
        if sentences:
            self.composer.scorer.score(topic, sentences)
            sentences.sort(key=lambda s: s.score, reverse=True)
        if not sentences or not self.composer.answerable(topic, sentences[0]):
            return empty_brief(topic), []
        facts = merge_reports(self._on_topic(sentences))
        brief = assemble(topic, facts, self.max_items)
        cited = {c.chunk_id for section in brief.sections for item in section.items for c in item.citations}
        return brief, [p for p in passages if p.chunk_id in cited]

    def _on_topic(self, ranked: list[EvidenceSentence]) -> list[EvidenceSentence]:
        """Every gathered sentence of the articles that are about the topic: a brief wants the
        whole story of a visit (who came along, what else was discussed), not just the sentences
        that repeat the topic's words. An article is about the topic when its best sentence is
        close to the overall best and would answer the topic as a question."""
        floor = ranked[0].score * self.relevance_ratio
        best_of: dict[str, EvidenceSentence] = {}
        for s in ranked:
            best_of.setdefault(s.source_id, s)
        on_topic = {
            sid for sid, s in best_of.items()
            if s.score >= floor and self.composer.answerable(s.text, s)
        }  # fmt: skip
        return [s for s in ranked if s.source_id in on_topic]

    def _gather(self, topic: str) -> list[Passage]:
        seen: dict[str, Passage] = {}
        for query in [topic] + [f"{topic} {aspect}" for aspect in ASPECTS]:
            for p in self.retriever.search(query, k=self.per_query_k):
                seen.setdefault(p.chunk_id, p)
        return list(seen.values())


def empty_brief(topic: str) -> Brief:
    return Brief(topic=topic, empty=True, sections=[BriefSection(key=k, title=t) for k, t in SECTIONS])


def merge_reports(sentences: list[EvidenceSentence]) -> list[_Fact]:
    """Near-duplicates become one fact; its lead is the cleanest wording (fewest garble signs)."""
    facts: list[_Fact] = []
    for s in sentences:
        home = next((f for f in facts if any(_same_report(s, m) for m in f.members)), None)
        if home is None:
            facts.append(_Fact([s]))
        elif all(m.source_id != s.source_id for m in home.members):
            home.members.append(s)
    for f in facts:
        f.members.sort(key=lambda m: (len(garble_reasons(m.text)), bool(PRONOUN_START.match(m.text)), -m.score))
        f.dates = find_dates(f.lead.text, f.lead.passage.meta.published)
        if not any(d.year for d in f.dates):  # the same fact, dated better by another source
            for m in f.members[1:]:
                dated = find_dates(m.text, m.passage.meta.published)
                if any(d.year for d in dated):
                    f.dates = dated
                    break
    return facts


def _same_report(a: EvidenceSentence, b: EvidenceSentence) -> bool:
    """One statement in two sources' words (a machine translation reads further from the original)."""
    if a.source_id != b.source_id and a.vector is not None and b.vector is not None:
        return float(a.vector @ b.vector) >= SAME_FACT
    return near_duplicate(a, b)


def _section_of(fact: _Fact) -> str | None:
    text = fact.lead.text
    if FORWARD_LOOKING.search(text):
        return "open_items"
    if _AGREED.search(text):
        return "agreed"
    if _PEOPLE.search(text) and _ROLE.search(text):
        return "people"
    if _area_of(text):
        return "cooperation"
    return None


SEVERAL = "Across several areas"


def _area_of(text: str) -> str:
    hits = {name: len(p.findall(text)) for name, p in _AREAS.items()}
    if sum(1 for n in hits.values() if n) >= 4:
        return SEVERAL
    best = max(hits, key=lambda name: hits[name])
    return best if hits[best] else ""


class _Citer:
    """Numbers sources in order of first citation, across the whole brief."""

    def __init__(self) -> None:
        self.numbers = SourceNumbers()

    @property
    def sources(self) -> list[SourceRef]:
        return self.numbers.sources

    def cite(self, fact_members: list[EvidenceSentence]) -> list[Citation]:
        return [self.numbers.cite(ev) for ev in fact_members]

    def item(self, fact: _Fact, **extra) -> BriefItem:
        return BriefItem(text=fact.lead.text, citations=self.cite(fact.members), **extra)


# Items per section: the body an official reads stays under BODY_WORDS words.
CAPS = {"bottom_line": 3, "agreed": 3, "cooperation": 3, "people": 3, "timeline": 5, "open_items": 3,
        "differences": 2}  # fmt: skip
SAME_FACT = 0.78  # two items' embeddings this close say one thing
BODY_WORDS = 560  # the items' words (headings and source list aside); the printed body stays <= 600
_DONE = re.compile(r"(?<!to be )(?<!been )\bsigned\b|\bprovides?\b|\binstitut|\bagreed\b|\badopt|\bcovers?\b", re.I)
_SCOPE = re.compile(r"\bprovides?\b|\bcovers?\b|\binclud|\binstitut", re.I)
_REALLY_OPEN = re.compile(r"finali[sz]e|to be (?:signed|finali[sz]ed)|\bproposed\b|\bexpected to\b|\byet to\b", re.I)


def assemble(topic: str, facts: list[_Fact], max_items: int) -> Brief:
    """Each fact in one section only (the bottom line's not repeated below), sections capped and
    ranked: commitments made with the plan's scope first; open items that are really open first; a
    timeline of the dated facts; differences of fact or naming. Wording notes and what the caps
    left out go after the sources (`Brief.extra`)."""
    citer = _Citer()
    shown: list[set[str]] = []  # each shown item's content words: nothing is said twice
    vectors: list = []  # ...nor in other words (embeddings close)
    taken: list[tuple[set[str], object]] = []  # (terms, vector) of each item taken

    def fresh(fact: _Fact) -> bool:
        mine = set(terms(_text(fact)))
        if any(_repeats(mine, other) for other in shown):
            return False
        v = fact.lead.vector
        if v is None:
            return True
        if _unclear(fact):  # a garbled or pronoun-led wording reads further from the same fact in clean words
            near = [t for t, w in taken if float(v @ w) >= 0.55]
            if any(len(mine & t) / max(1, min(len(mine), len(t))) >= 0.3 for t in near):
                return False
        close = 0.72 if _unclear(fact) else 0.85
        return not any(float(v @ w) >= close for w in vectors)

    def take(fact: _Fact, **extra) -> BriefItem:
        shown.append(set(terms(_text(fact))))
        if fact.lead.vector is not None:
            vectors.append(fact.lead.vector)
            taken.append((shown[-1], fact.lead.vector))
        return BriefItem(text=_text(fact), citations=citer.cite(fact.members), **extra)

    by_section: dict[str, list[_Fact]] = {k: [] for k, _ in SECTIONS}
    dated: list[_Fact] = []
    for fact in facts:  # facts arrive most relevant first
        if _event_date(fact) is not None:
            dated.append(fact)
        key = _section_of(fact)
        if key:
            by_section[key].append(fact)
    for key in ("agreed", "open_items", "cooperation"):
        by_section[key] = [f for f in by_section[key] if not _RHETORIC.search(f.lead.text)]
    for key in by_section:  # clean wordings before unclear ones (the sorts below keep this order among equals)
        by_section[key].sort(key=_unclear)
    by_section["agreed"].sort(key=lambda f: (not _SCOPE.search(f.lead.text), not _DONE.search(f.lead.text)))
    by_section["open_items"] = [f for f in by_section["open_items"] if not _DONE.search(f.lead.text)]
    by_section["open_items"].sort(key=lambda f: not _REALLY_OPEN.search(f.lead.text))
    by_section["people"].sort(key=lambda f: not _WHO_CAME.search(f.lead.text))

    sections = {k: BriefSection(key=k, title=t) for k, t in SECTIONS}
    dated_ids = {id(f) for f in dated}

    differences, wording = _differences(facts, citer)
    sections["differences"].items = differences[: CAPS["differences"]]
    for item in sections["differences"].items:  # the facts a difference quotes are not listed again
        shown.append(set(terms(item.text)))
    # timeline next: a dated fact is placed on it (and nowhere else)
    sections["timeline"].items = _timeline(dated, citer, shown, CAPS["timeline"])
    vectors.extend(f.lead.vector for f in dated if f.lead.vector is not None and not fresh(f))
    placed = {id(f) for f in dated if not fresh(f)}
    undated = {k: [f for f in v if id(f) not in placed and id(f) not in dated_ids] for k, v in by_section.items()}

    # bottom line: what was agreed (its scope) and what is really open; not repeated below
    really_open = [f for f in undated["open_items"] if _REALLY_OPEN.search(f.lead.text)]
    clean = [f for f in really_open if not any("repeated" in r for r in garble_reasons(_text(f)))]
    bottom = [*undated["agreed"][:1], *clean[:1]]  # the other open items lead their own section
    sections["bottom_line"].items = [take(f) for f in bottom if fresh(f)][: CAPS["bottom_line"]]
    left_out: list[BriefItem] = []
    for key in ("agreed", "open_items", "people"):
        kept = [f for f in undated[key] if fresh(f)]
        sections[key].items = [take(f) for f in kept[: CAPS[key]] if fresh(f)]
        left_out += [BriefItem(text=f.lead.text, citations=citer.cite(f.members)) for f in kept[CAPS[key] :]]
    areas = [f for f in undated["cooperation"] if fresh(f)]
    areas.sort(key=lambda f: [*AREAS, SEVERAL].index(_area_of(f.lead.text)))
    sections["cooperation"].items = [
        take(f, group=_area_of(f.lead.text)) for f in areas[: CAPS["cooperation"]] if fresh(f)
    ]
    brief = Brief(topic=topic, sections=[sections[k] for k, _ in SECTIONS], sources=citer.sources)
    _within_budget(brief, left_out)
    extra = []
    if wording:
        extra.append(BriefSection(key="wording", title="Wording notes (likely machine translation)", items=wording))
    if left_out:
        extra.append(BriefSection(key="more", title="More from the sources", items=left_out))
    brief.extra = extra
    return brief


def _text(fact: _Fact) -> str:
    """A fact as shown: its cleanest wording, compressed (attributions, scene-setting dropped), a
    leading "It" resolved or another source's wording used."""
    from briefbot.answering.statements import Statement

    for m in fact.members:
        text = compress(m.text)
        if PRONOUN_START.match(text):
            text = resolve_leading_pronoun(Statement(text, m, m.start, m.end))
        if text:
            return text
    return fact.lead.text


def _unclear(fact: _Fact) -> bool:
    text = _text(fact)
    return bool(PRONOUN_START.match(text)) or bool(garble_reasons(text))


def _repeats(a: set[str], b: set[str]) -> bool:
    return say_the_same(a, b)


def _within_budget(brief: Brief, left_out: list[BriefItem]) -> None:
    """Drops the last items of the longest sections until the items fit BODY_WORDS."""

    def words() -> int:
        return sum(len(i.text.split()) + 1 for s in brief.sections for i in s.items)

    while words() > BODY_WORDS:
        section = max((s for s in brief.sections if len(s.items) > 1), key=lambda s: sum(len(i.text.split()) for i in s.items),
                      default=None)  # fmt: skip
        if section is None:
            break
        left_out.append(section.items.pop())


def _dated_clause(text: str, mention: DateMention) -> str:
    """The clause of a long sentence that holds its date (the whole sentence when it has one clause)."""
    parts = clauses(text)
    return next((p for p in parts if mention.text in p), text)


def _event_date(fact: _Fact) -> DateMention | None:
    return next((d for d in fact.dates if d.year or d.month), None)


def _listed(listed: dict[int, BriefItem], fact: _Fact, item: BriefItem) -> BriefItem:
    listed[id(fact)] = item
    return item


@dataclass
class _Event:
    """One timeline entry: a date and the reports that give it."""

    mention: DateMention
    members: list[EvidenceSentence]
    facts: list[_Fact]


def _timeline(facts: list[_Fact], citer: _Citer, shown: list[set[str]], cap: int) -> list[BriefItem]:
    """Dated facts in date order, each once (a fact dating two events is placed by its first); two
    sources dating one event alike make one entry. The most relevant `cap` events, shown in date order."""
    events: list[_Event] = []
    for fact in facts:
        mention = _event_date(fact)
        if mention is None:
            continue
        same = next((e for e in events if _same_event(e, mention, fact)), None)
        if same is None:
            events.append(_Event(mention, list(fact.members), [fact]))
            continue
        if mention.year and not same.mention.year:  # the dated report places it
            same.mention = mention
        same.members.extend(m for m in fact.members if m not in same.members)
        same.facts.append(fact)
    items = []
    chosen: list[_Event] = []
    for event in events:  # most relevant first
        text = _dated_clause(_text(event.facts[0]), event.mention)
        mine = set(terms(text))
        if any(_repeats(mine, other) for other in shown):
            continue
        shown.append(mine)
        chosen.append(event)
        if len(chosen) >= cap:
            break
    for event in sorted(chosen, key=lambda e: e.mention.sort_key):
        mention = event.mention
        note = (
            f'"{mention.text}" read against the article date {mention.resolved_from}' if mention.resolved_from else ""
        )
        items.append(BriefItem(text=_dated_clause(_text(event.facts[0]), mention), citations=citer.cite(event.members),
                               group=mention.label,
                               note=note))  # fmt: skip
    return items


def _same_event(event: _Event, mention: DateMention, fact: _Fact) -> bool:
    known = event.mention
    if known.month != mention.month or (known.year and mention.year and known.year != mention.year):
        return False
    lead = event.members[0]
    return lead.vector is not None and fact.lead.vector is not None and float(lead.vector @ fact.lead.vector) >= 0.6


def _differences(facts: list[_Fact], citer: _Citer) -> tuple[list[BriefItem], list[BriefItem]]:
    """(differences of fact or naming, for the brief; notes on garbled wording, for after the sources)."""
    items: list[BriefItem] = []
    notes: list[BriefItem] = []
    for fact in facts:
        for m in fact.members:
            reasons = garble_reasons(m.text)
            if not reasons:
                continue
            clearer = next((o for o in fact.members if o is not m and not garble_reasons(o.text)), None)
            text = f'Wording looks garbled ({", ".join(reasons)}; likely machine translation): "{m.text}"'
            members = [m]
            if clearer is not None:
                text += f' Clearer in another source: "{clearer.text}"'
                members.append(clearer)
            notes.append(BriefItem(text=text, citations=citer.cite(members), group="wording"))
        items.extend(_conflicts(fact, citer))
    items.extend(_named_differently(facts, citer))
    return items, notes


def _named_differently(facts: list[_Fact], citer: _Citer, run: int = 3) -> list[BriefItem]:
    """Two sources saying the same thing and then naming it differently: "ministers of
    communications, railways and trade paths" [1] against "ministers of communications, railways,
    and commerce" [2]. Found by a shared run of at least `run` words followed by different ones."""
    leads = [f.lead for f in facts]
    out: list[BriefItem] = []
    for i, a in enumerate(leads):
        for b in leads[i + 1 :]:
            if a.source_id == b.source_id:
                continue
            wa, wb = _WORD.findall(a.text.lower()), _WORD.findall(b.text.lower())
            m = SequenceMatcher(None, wa, wb, autojunk=False).find_longest_match(0, len(wa), 0, len(wb))
            shared = [w for w in wa[m.a : m.a + m.size] if w not in _GLUE]
            if len(shared) < run:
                continue
            tail_a = [w for w in wa[m.a + m.size : m.a + m.size + 3] if w not in _GLUE][:2]
            tail_b = [w for w in wb[m.b + m.size : m.b + m.size + 3] if w not in _GLUE][:2]
            if (
                tail_a
                and tail_b
                and not set(tail_a) & set(tail_b)
                and m.a + m.size + 3 >= len(wa)
                and m.b + m.size + 3 >= len(wb)
            ):
                text = (f'Sources name it differently ("{" ".join(tail_a)}" against "{" ".join(tail_b)}"): '
                        f'"{a.text}" versus "{b.text}"')  # fmt: skip
                out.append(BriefItem(text=text, citations=citer.cite([a, b]), group="wording"))
    return out


def _worded_differently(fact: _Fact):
    """(a, b, words only a uses, words only b uses) for two sources' reports of one statement that
    agree but for a word or two in the same place, else None."""
    for b in fact.members[1:]:
        a = fact.lead
        if a.source_id == b.source_id:
            continue
        words_a, words_b = _WORD.findall(a.text.lower()), _WORD.findall(b.text.lower())
        only_a = [w for w in words_a if w not in words_b and w not in _GLUE]
        only_b = [w for w in words_b if w not in words_a and w not in _GLUE]
        shared = len(set(words_a) & set(words_b))
        if (
            1 <= len(only_a) <= 3
            and 1 <= len(only_b) <= 3
            and shared >= 0.7 * min(len(set(words_a)), len(set(words_b)))
        ):
            return a, b, " ".join(only_a), " ".join(only_b)
    return None


def _conflicts(fact: _Fact, citer: _Citer) -> list[BriefItem]:
    """Sources reporting one statement with different numbers (dates, counts, amounts), or naming
    one thing differently ("commerce" in one, "trade paths" in the other)."""
    if len(fact.members) < 2:
        return []
    # a word or two worded differently is no difference of fact (names: _named_differently)
    numbers = [(m, set(re.findall(r"\b\d[\d,.]*\b", m.text))) for m in fact.members]
    out = []
    first, first_nums = numbers[0]
    for other, nums in numbers[1:]:
        if first_nums and nums and first_nums != nums and not (first_nums <= nums or nums <= first_nums):
            text = f'Sources differ: "{first.text}" versus "{other.text}"'
            out.append(BriefItem(text=text, citations=citer.cite([first, other]), group="facts"))
    return out

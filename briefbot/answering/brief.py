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
from briefbot.answering.statements import _GLUE, garble_reasons
from briefbot.errors import InvalidQuestion
from briefbot.formatting import mode_label, source_line
from retrieval.index.search import HybridRetriever
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

    def section(self, key: str) -> BriefSection:
        return next(s for s in self.sections if s.key == key)

    @property
    def bottom_line(self) -> str:
        items = self.section("bottom_line").items
        return " ".join(i.rendered() for i in items) if items else NOTHING

    def to_markdown(self) -> str:
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
        home = next((f for f in facts if any(near_duplicate(s, m) for m in f.members)), None)
        if home is None:
            facts.append(_Fact([s]))
        elif all(m.source_id != s.source_id for m in home.members):
            home.members.append(s)
    for f in facts:
        f.members.sort(key=lambda m: (len(garble_reasons(m.text)), -m.score))
        f.dates = find_dates(f.lead.text, f.lead.passage.meta.published)
        if not any(d.year for d in f.dates):  # the same fact, dated better by another source
            for m in f.members[1:]:
                dated = find_dates(m.text, m.passage.meta.published)
                if any(d.year for d in dated):
                    f.dates = dated
                    break
    return facts


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


def assemble(topic: str, facts: list[_Fact], max_items: int) -> Brief:
    citer = _Citer()
    by_section: dict[str, list[_Fact]] = {k: [] for k, _ in SECTIONS}
    for fact in facts:  # facts arrive most relevant first
        key = _section_of(fact)
        if key:
            by_section[key].append(fact)
    sections = {k: BriefSection(key=k, title=t) for k, t in SECTIONS}

    happened = (by_section["agreed"] or by_section["people"] or facts)[:1]
    upcoming = [f for f in by_section["open_items"] if f not in happened][:1]
    context = [f for f in by_section["agreed"][1:2] if f not in happened + upcoming]
    sections["bottom_line"].items = [citer.item(f) for f in happened + upcoming + context][:3]

    # People: who came along and whom they met first, then the rest of the talks
    by_section["people"].sort(key=lambda f: not _WHO_CAME.search(f.lead.text))
    listed: dict[int, BriefItem] = {}  # a fact's bullet, by id(fact): each fact is one bullet
    for key in ("agreed", "people", "open_items"):
        sections[key].items = [_listed(listed, f, citer.item(f)) for f in by_section[key][:max_items]]
    areas = sorted(
        by_section["cooperation"][: max_items * 2], key=lambda f: [*AREAS, SEVERAL].index(_area_of(f.lead.text))
    )
    sections["cooperation"].items = [_listed(listed, f, citer.item(f, group=_area_of(f.lead.text))) for f in areas]
    sections["timeline"].items = _timeline(facts, citer, listed)
    sections["differences"].items = _differences(facts, citer)
    return Brief(topic=topic, sections=[sections[k] for k, _ in SECTIONS], sources=citer.sources)


def _listed(listed: dict[int, BriefItem], fact: _Fact, item: BriefItem) -> BriefItem:
    listed[id(fact)] = item
    return item


@dataclass
class _Event:
    """One timeline entry: a date and the reports that give it."""

    mention: DateMention
    members: list[EvidenceSentence]
    facts: list[_Fact]


def _timeline(facts: list[_Fact], citer: _Citer, listed: dict[int, BriefItem] | None = None) -> list[BriefItem]:
    """Dated facts in date order; two sources dating one event alike make one entry. A fact that
    already has its bullet in another section is not repeated here: its bullet gets the date."""
    listed = listed or {}
    events: list[_Event] = []
    for fact in facts:
        # a sentence dating two events ("visit in November, the first since 2003") is placed by each
        for mention in (d for d in fact.dates if d.year or d.month):
            same = next((e for e in events if _same_event(e, mention, fact)), None)
            if same is None:
                events.append(_Event(mention, list(fact.members), [fact]))
                continue
            if mention.year and not same.mention.year:  # the dated report places it
                same.mention = mention
            same.members.extend(m for m in fact.members if m not in same.members)
            same.facts.append(fact)
    events.sort(key=lambda e: e.mention.sort_key)
    items = []
    for event in events:
        mention = event.mention
        note = ""
        if mention.resolved_from:
            note = f'"{mention.text}" read against the article date {mention.resolved_from}'
        bullet = next((listed[id(f)] for f in event.facts if id(f) in listed), None)
        if bullet is not None:
            dated = f"dated {mention.label}" + (f"; {note}" if note else "")
            bullet.note = f"{bullet.note}; {dated}" if bullet.note else dated
            continue
        items.append(BriefItem(text=event.members[0].text, citations=citer.cite(event.members), group=mention.label,
                               note=note))  # fmt: skip
    return items


def _same_event(event: _Event, mention: DateMention, fact: _Fact) -> bool:
    known = event.mention
    if known.month != mention.month or (known.year and mention.year and known.year != mention.year):
        return False
    lead = event.members[0]
    return lead.vector is not None and fact.lead.vector is not None and float(lead.vector @ fact.lead.vector) >= 0.6


def _differences(facts: list[_Fact], citer: _Citer) -> list[BriefItem]:
    items = []
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
            items.append(BriefItem(text=text, citations=citer.cite(members), group="wording"))
        items.extend(_conflicts(fact, citer))
    items.extend(_named_differently(facts, citer))
    return items


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
    worded = _worded_differently(fact)
    if worded is not None:
        a, b, only_a, only_b = worded
        text = f'Sources word it differently ("{only_a}" against "{only_b}"): "{a.text}" versus "{b.text}"'
        return [BriefItem(text=text, citations=citer.cite([a, b]), group="wording")]
    numbers = [(m, set(re.findall(r"\b\d[\d,.]*\b", m.text))) for m in fact.members]
    out = []
    first, first_nums = numbers[0]
    for other, nums in numbers[1:]:
        if first_nums and nums and first_nums != nums and not (first_nums <= nums or nums <= first_nums):
            text = f'Sources differ: "{first.text}" versus "{other.text}"'
            out.append(BriefItem(text=text, citations=citer.cite([first, other]), group="facts"))
    return out

"""What's new on a topic: the key points of the sources ingested since a moment, each cited, and
what they change against the earlier digest's points.

The one door to the key-point machinery for digests (`/brief <topic> since <date>`, `briefbot brief
--since`, watched topics): `digest(...)` builds the brief (BriefBuilder, on the statement machinery
of `statements.py`: each fact once, merged across sources, cited) over the new sources only and
takes its items, most telling sections first, as key points.

"New" means ingested after `since` (the store's `added` time of a source's current chunks; chunks
stored before that time was kept count as old), not published after it: a report from last year
ingested today is new to the reader.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable
from typing import cast

from pydantic import BaseModel, Field

from briefbot.answer import Citation, CitedText, SourceRef
from briefbot.answering.brief import Brief, BriefBuilder
from briefbot.formatting import source_line
from retrieval.index.search import HybridRetriever
from retrieval.index.store import SourceSummary
from retrieval.types import Passage, SearchFilters

MAX_POINTS = 6
# Sections whose items make key points, in the order a reader wants them.
POINT_SECTIONS = ("bottom_line", "agreed", "open_items", "people", "cooperation", "timeline")


class Change(BaseModel):
    """A new point that updates an earlier one on the same subject (a date moved, a figure changed)."""

    text: str  # the new point
    earlier: str  # the earlier digest's point
    citations: list[Citation] = Field(default_factory=list)

    def rendered(self) -> str:
        marks = "".join(f"[{c.number}]" for c in self.citations)
        return f'Now: "{self.text}" {marks} (earlier: "{self.earlier}")'


class Digest(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    topic: str
    since: float  # Unix time: sources ingested after it are new
    until: float  # the newest ingest time seen (the next digest's `since`)
    points: list[CitedText] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)  # the new sources the points cite, numbered
    new_sources: int = 0  # sources ingested since, on any topic, in the sets read

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def since_label(self) -> str:
        return dt.datetime.fromtimestamp(self.since).strftime("%Y-%m-%d %H:%M") if self.since > 0 else "the start"

    @property
    def nothing_new(self) -> str:
        return f"Nothing new on {self.topic} since {self.since_label}."

    def to_markdown(self) -> str:
        lines = [f"# What's new: {self.topic}", ""]
        if self.empty:
            return "\n".join(lines + [self.nothing_new]) + "\n"
        count = len(self.sources)
        lines += [f"_Since {self.since_label} · {count} new source{'s' if count != 1 else ''}_", ""]
        lines += ["## Key points", ""] + [f"- {p.rendered()}" for p in self.points] + [""]
        if self.changes:
            lines += ["## What changed against the earlier digest", ""]
            lines += [f"- {c.rendered()}" for c in self.changes] + [""]
        lines += ["## New sources", ""] + [source_line(s, url=True) for s in self.sources]
        return "\n".join(lines).rstrip() + "\n"


class _OnlyThese:
    """The retriever, searching only the given sources (whatever filter the caller passes)."""

    def __init__(self, retriever: HybridRetriever, source_ids: frozenset[str]) -> None:
        self.retriever = retriever
        self.filters = SearchFilters(source_ids=source_ids)

    def search(self, query: str, k: int = 8, filters: SearchFilters | None = None) -> list[Passage]:
        return self.retriever.search(query, k=k, filters=self.filters)

    def __getattr__(self, name: str):
        return getattr(self.retriever, name)


def digest(
    briefs: BriefBuilder,
    sources: Callable[[], Iterable[SourceSummary]],
    topic: str,
    *,
    since: float,
    earlier: list[CitedText] | None = None,
    max_points: int = MAX_POINTS,
) -> Digest:
    """What's new on `topic` among `sources()` (the caller's sets) ingested after `since`."""
    summaries = list(sources())
    new_ids = frozenset(s.meta.source_id for s in summaries if s.added > since)
    until = max([since, *(s.added for s in summaries)])
    result = Digest(topic=topic, since=since, until=until, new_sources=len(new_ids))
    if not new_ids:
        return result
    only_new = BriefBuilder(
        cast(HybridRetriever, _OnlyThese(briefs.retriever, new_ids)),
        briefs.composer,
        per_query_k=briefs.per_query_k,
        max_items=briefs.max_items,
        relevance_ratio=briefs.relevance_ratio,
    )
    brief, _ = only_new.build_with_evidence(topic)
    if brief.empty:
        return result
    result.points, result.sources = _key_points(brief, max_points)
    result.changes = changes(result.points, earlier or [])
    return result


def _key_points(brief: Brief, limit: int) -> tuple[list[CitedText], list[SourceRef]]:
    """The brief's items, most telling sections first, each once, renumbered by first citation."""
    seen: set[str] = set()
    items: list[CitedText] = []
    for key in POINT_SECTIONS:
        for item in brief.section(key).items:
            if item.text not in seen and item.citations:
                seen.add(item.text)
                items.append(item)
    items = items[:limit]
    by_number = {s.number: s for s in brief.sources}
    renumber: dict[int, int] = {}
    points = []
    for point in items:
        citations = []
        for c in point.citations:
            number = renumber.setdefault(c.number, len(renumber) + 1)
            citations.append(c.model_copy(update={"number": number}))
        points.append(CitedText(text=point.text, citations=citations))
    sources = [by_number[old].model_copy(update={"number": new}) for old, new in renumber.items()]
    return points, sources


_WORD = re.compile(r"[A-Za-z]{4,}")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_FIGURE = re.compile(rf"\b\d[\d,.]*\b|\b(?:{_MONTHS})\b", re.I)
SAME_SUBJECT = 0.4  # share of content words two points must have in common


def _figures(text: str) -> set[str]:
    return {f.lower().rstrip(".,") for f in _FIGURE.findall(text)}


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _MONTHS}


def changes(points: list[CitedText], earlier: list[CitedText]) -> list[Change]:
    """A new point on the same subject as an earlier one (most content words shared) that gives
    other dates or figures: the earlier point is updated. Simple on purpose: it flags, a person
    reads both sentences."""
    out = []
    for p in points:
        words, figures = _words(p.text), _figures(p.text)
        for e in earlier:
            if e.text == p.text:
                continue
            other_words, other_figures = _words(e.text), _figures(e.text)
            shared = len(words & other_words) / max(1, min(len(words), len(other_words)))
            if shared < SAME_SUBJECT or not figures or not other_figures:
                continue
            if figures != other_figures and not (figures <= other_figures or other_figures <= figures):
                out.append(Change(text=p.text, earlier=e.text, citations=p.citations))
                break
    return out

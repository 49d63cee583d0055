"""Dates mentioned in a sentence, resolved against the article's own date when they are relative."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from briefbot.answering.evidence import EvidenceSentence

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1
)}  # fmt: skip
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}

_M = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_PATTERNS = [
    ("iso", re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")),
    ("dmy", re.compile(rf"\b(\d{{1,2}})\s+{_M}\s+((?:19|20)\d\d)\b", re.I)),
    ("mdy", re.compile(rf"\b{_M}\s+(\d{{1,2}}),?\s+((?:19|20)\d\d)\b", re.I)),
    ("my", re.compile(rf"\b{_M}\s+((?:19|20)\d\d)\b", re.I)),
    ("m", re.compile(rf"\b(?:in|during|by|until|from|since|early|late|mid-?)\s+{_M}\b", re.I)),
    ("y", re.compile(r"\b(?:in|since|by|until|from|of|year)\s+((?:19|20)\d\d)\b", re.I)),
    ("wd", re.compile(r"\b(?:on|last|this|next)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
]


@dataclass(frozen=True)
class DateMention:
    text: str  # as written, e.g. "on Tuesday"
    year: int | None
    month: int | None = None
    day: int | None = None
    resolved_from: str = ""  # the article date a relative mention was resolved against

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year or 9999, self.month or 0, self.day or 0)

    @property
    def label(self) -> str:
        if self.year and self.month and self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.year and self.month:
            return f"{dt.date(2000, self.month, 1):%B} {self.year}"
        if self.year:
            return str(self.year)
        if self.month:
            return f"{dt.date(2000, self.month, 1):%B} (year not given)"
        return f"{self.text} (date not given)"


def find_dates(sentence: str, article_date: str = "") -> list[DateMention]:
    """Every date-like mention, most specific first where two overlap."""
    base = parse_iso(article_date)
    found: list[tuple[int, int, DateMention]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            mention = _mention(kind, m, base, article_date)
            if mention is not None:
                taken.append((m.start(), m.end()))
                found.append((m.start(), m.end(), mention))
    return [m for _, _, m in sorted(found, key=lambda t: t[0])]


def _mention(kind: str, m: re.Match, base: dt.date | None, base_text: str) -> DateMention | None:
    text = m.group(0)
    g = m.groups()
    if kind == "iso":
        return DateMention(text, int(g[0]), int(g[1]), int(g[2]))
    if kind == "dmy":
        return DateMention(text, int(g[2]), MONTHS[g[1].lower()], int(g[0]))
    if kind == "mdy":
        return DateMention(text, int(g[2]), MONTHS[g[0].lower()], int(g[1]))
    if kind == "my":
        return DateMention(text, int(g[1]), MONTHS[g[0].lower()])
    if kind == "m":
        month = MONTHS[g[0].lower()]
        if base is None:
            return DateMention(text, None, month)
        year = base.year if month >= base.month else base.year + 1  # "in November" said in September
        return DateMention(text, year, month, resolved_from=base_text)
    if kind == "y":
        return DateMention(text, int(g[0]))
    if kind == "wd":
        if base is None:
            return DateMention(text, None)
        back = (base.weekday() - WEEKDAYS[g[0].lower()]) % 7
        day = base - dt.timedelta(days=back)
        return DateMention(text, day.year, day.month, day.day, resolved_from=base_text)
    return None


def parse_iso(text: str) -> dt.date | None:
    """The day of an ISO date ("2025-09-10", a timestamp too), or None."""
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def event_day(s: EvidenceSentence) -> tuple[int, ...]:
    """When what a sentence reports happens: the most precise date in it (resolved against its
    article's date; (year, month) when it gives no day), else the article's date. () when unknown."""
    mentions = [m for m in find_dates(s.text, s.passage.meta.published) if m.year]
    if mentions:
        m = max(mentions, key=lambda m: (m.month is not None, m.day is not None))
        return tuple(part for part in (m.year, m.month, m.day) if part)
    day = parse_iso(s.passage.meta.published)
    return (day.year, day.month, day.day) if day else ()

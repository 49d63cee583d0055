"""How old an answer's or a brief's sources are, and whether what they call upcoming is now past.

"Sources date from September 2025; the November 2025 event they announce may have happened:
check for newer reports." Pure: the caller passes today's date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from briefbot.answer import CitedText, SourceRef
from briefbot.answering.dates import find_dates, parse_iso
from briefbot.answering.evidence import FORWARD_LOOKING


def _month(year: int, month: int) -> str:
    return f"{dt.date(2000, month, 1):%B} {year}"


def freshness_note(sources: list[SourceRef], statements: list[tuple[str, str]], today: dt.date) -> str:
    """A sentence on the sources' age; `statements` are (text, its article's ISO date) pairs whose
    forward-looking dates are checked against `today`. "" when there are no sources."""
    if not sources:
        return ""
    days = sorted(d for d in (parse_iso(s.published) for s in sources) if d is not None)
    undated = len(sources) - len(days)
    if not days:
        age = "The sources are undated."
    else:
        first, last = days[0], days[-1]
        span = _month(first.year, first.month)
        if (first.year, first.month) != (last.year, last.month):
            span += f" to {_month(last.year, last.month)}"
        age = f"Sources date from {span}" + (f" ({undated} undated)" if undated else "") + "."
    past = []
    for text, published in statements:
        if not FORWARD_LOOKING.search(text):
            continue
        for m in find_dates(text, published):
            if m.year and m.month and (m.year, m.month) < (today.year, today.month):
                label = _month(m.year, m.month)
                if label not in past and (not days or (m.year, m.month) >= (days[0].year, days[0].month)):
                    past.append(label)
    if past:
        when = " and ".join(past[:2])
        age = age.rstrip(".") + f"; what they announce for {when} may have happened since: check for newer reports."
    return age


def freshness_of(sources: list[SourceRef], cited: Iterable[CitedText], today: dt.date) -> str:
    """freshness_note for an answer's sentences or a brief's items: each quote read against the
    date of the article it cites."""
    dates = {s.number: s.published for s in sources}
    statements = [(c.quote, dates.get(c.number, "")) for text in cited for c in text.citations]
    return freshness_note(sources, statements, today)

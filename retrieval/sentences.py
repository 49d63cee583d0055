"""Sentence boundaries with character offsets (temporary minimal version)."""
from __future__ import annotations
import re

_ABBREV = {"mr", "mrs", "ms", "dr", "st", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
           "oct", "nov", "dec", "inc", "ltd", "co", "corp", "vs", "etc", "e.g", "i.e", "u.s", "u.k", "gen", "col",
           "lt", "sen", "rep", "gov", "prof", "jr", "sr", "mt", "ft", "approx", "dept", "est"}
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|\n\s*\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for m in _END.finditer(text):
        end = m.end()
        if m.group(0).startswith("."):
            word = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[max(start, m.start() - 12): m.start() + 1])
            if word:
                w = word.group(1).lower()
                if w in _ABBREV or (len(w) == 1 and w.isalpha()):
                    continue
        _add(text, start, end, spans)
        start = end
    _add(text, start, len(text), spans)
    return spans


def _add(text, start, end, spans):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]

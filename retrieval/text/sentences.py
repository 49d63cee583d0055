"""Sentence boundaries as character offsets into the text, by rules (no model, no downloads).

A boundary is sentence-final punctuation (``.``, ``?``, ``!``, ``…``, with any closing quotes or
brackets after it) followed by whitespace, unless the next word starts in lower case or the period
belongs to an abbreviation; a blank line always ends a sentence; and a sentence never runs across
a heading line or into a list item.
"""

from __future__ import annotations

import re

# Never end a sentence: titles before a name, and Latin abbreviations that introduce more text.
_NEVER_FINAL = frozenset(
    """mr mrs ms messrs mme mlle dr prof gen lt col maj capt cmdr cdr sgt cpl pvt adm brig gov sen rep
    rev hon fr st mt ft pres supt insp det amb e.g i.e cf vs viz approx ca""".split()
)  # fmt: skip
# Before a number they are abbreviations ("No. 10", "Sept. 10"); otherwise ordinary words.
_BEFORE_NUMBER = frozenset("no nos vol vols art arts fig figs ch sec para pp p op".split())
_MONTHS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())
# May end a sentence; they do when the next word is one that typically starts a sentence.
_AMBIGUOUS = frozenset("inc ltd co corp plc llc bros etc jr sr esq dept govt est al".split())
_STARTERS = frozenset(
    """the a an he she it they we i you this that these those there here his her its their our my
    but and or so yet then thus also however meanwhile moreover still nor if when while after before
    as at in on for from by with during since although though because according earlier later
    today yesterday tomorrow some many most several both all each other another such no not
    mr mrs ms dr officials analysts""".split()
)  # fmt: skip

# Linear time on any input: a match may only start where a run of end punctuation starts (the
# lookbehind), and the possessive quantifiers never give back what they took, so no character is
# scanned by more than one attempt. (The earlier single regex, which also matched paragraph
# breaks with leading blanks, was quadratic on a run of dots or spaces: 32k dots took 22 s.)
_CANDIDATE = re.compile(
    r"(?P<nl>\n)"  # a line break: ends a sentence at a blank line, after a heading, before a list item
    r"|(?<![.?!…])(?P<term>[.?!…]++[\"'”’»)\]]*+)(?=\s|\Z)"
)
_HSPACE = frozenset(" \t\r\f\v")
_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # U.S, e.g, a.m (final period excluded)
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*•▪●◦–]|\d{1,3}[.)])[ \t]+\S")
_HEADING_MAX_CHARS = 60  # wrapped prose runs to ~70-80 columns; a shorter lone line is a heading
_HEADING_MAX_WORDS = 10


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end), end exclusive, with surrounding whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    visible = _FirstVisible(text)
    pos = 0
    n = len(text)
    while (m := _CANDIDATE.search(text, pos)) is not None:
        pos = m.end()
        if m.lastgroup == "term":
            if not _ends_sentence(text, m.start(), m.end(), start):
                continue
            _add(text, start, m.end(), spans)
            start = pos
            continue
        blank = _blank_line_end(text, m.start(), n)
        if blank:
            _add(text, start, m.start(), spans)
            start = pos = blank  # a paragraph break, with every blank line after it
        elif _breaks_line(text, m.start(), start, visible):
            _add(text, start, m.start(), spans)
            start = pos
    _add(text, start, n, spans)
    return spans


def _blank_line_end(text: str, newline: int, n: int) -> int:
    """When the line break at `newline` is followed by a blank line: the end of the whitespace
    after it (where the next paragraph starts); else 0. Scans only the whitespace it skips."""
    i = newline + 1
    while i < n and text[i] in _HSPACE:
        i += 1
    if i >= n or text[i] != "\n":
        return 0
    return _next_visible(text, i)


class _FirstVisible:
    """The first non-space character at or after a sentence start, found once per sentence."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._start = -1
        self._value = 0

    def __call__(self, start: int) -> int:
        if start != self._start:
            self._start, self._value = start, _next_visible(self.text, start)
        return self._value


def sentences(text: str) -> list[str]:
    """The sentences of `text` as strings."""
    return [text[s:e] for s, e in split_sentences(text)]


def _ends_sentence(text: str, punct_start: int, punct_end: int, sentence_start: int) -> bool:
    nxt = _next_visible(text, punct_end)
    if nxt == len(text):
        return True
    following = text[nxt]
    if following.islower():
        return False  # "e.g. the", "? he asked"
    if text[punct_start] != "." or text.startswith("..", punct_start):
        return True  # "?", "!", an ellipsis before a capital
    word = _word_before(text, punct_start, sentence_start)
    return _period_ends_sentence(word, text, nxt, punct_start, sentence_start)


def _period_ends_sentence(word: str, text: str, nxt: int, punct_start: int, sentence_start: int) -> bool:
    lower = word.lower()
    if not word:
        return True
    if lower in _NEVER_FINAL:
        return False
    next_is_digit = text[nxt].isdigit()
    if lower in _BEFORE_NUMBER:
        return not next_is_digit
    if lower in _MONTHS:
        return not next_is_digit and _starts_sentence(text, nxt)
    if word.isdigit() and punct_start - len(word) == _line_start(text, punct_start):
        return False  # "1. Introduction": a list number, not an end
    if lower in _AMBIGUOUS or len(word) == 1 and word.isalpha() or _ACRONYM.fullmatch(word):
        return _starts_sentence(text, nxt)  # "J. Smith", "U.S. President" vs "in the U.S. The"
    return True


def _word_before(text: str, end: int, floor: int) -> str:
    """The token just before `end` (back to whitespace), without opening quotes or brackets."""
    i = end
    while i > floor and not text[i - 1].isspace():
        i -= 1
    return text[i:end].lstrip("\"'“‘«([{")


def _starts_sentence(text: str, i: int) -> bool:
    """Whether the word at `i` is one that commonly opens a sentence (or a quote/number does)."""
    if not text[i].isalpha():
        return True
    j = i
    n = len(text)
    while j < n and text[j].isalpha():
        j += 1
    return text[i:j].lower() in _STARTERS


def _breaks_line(text: str, newline: int, sentence_start: int, first_visible=None) -> bool:
    """A single line break ends the open sentence before a list item or a markdown heading, or
    after a line that is itself a heading or a list item."""
    nxt = newline + 1
    if nxt < len(text) and (text[nxt] == "#" or _LIST_ITEM.match(text, nxt)):
        return True
    line_start = _line_start(text, newline)
    begun = first_visible(sentence_start) if first_visible else _next_visible(text, sentence_start)
    if begun < line_start:
        return False  # the sentence began on an earlier line: this is wrapped prose
    line = text[line_start:newline].strip()
    if not line:
        return False
    if line[0] == "#" or _LIST_ITEM.match(line):
        return True
    return _is_heading_line(line) and _next_line_starts_upper(text, nxt)


def _is_heading_line(line: str) -> bool:
    return (
        len(line) <= _HEADING_MAX_CHARS
        and (line[0].isupper() or line[0].isdigit())
        and line[-1] not in ",;:-–—(&"
        and line.count(" ") < _HEADING_MAX_WORDS
    )


def _next_line_starts_upper(text: str, i: int) -> bool:
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    return i < n and (text[i].isupper() or text[i].isdigit() or text[i] in "\"“‘'(")


def _next_visible(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))

"""Sentence spans: abbreviations, quotes, paragraph breaks, headings, offsets, speed."""

from __future__ import annotations

import random
import time

import pytest

from bench.corpus import make_article
from retrieval.text.cleaning import clean_article
from retrieval.text.sentences import sentences, split_sentences
from tests.conftest import SEEDS

CASES = {
    "titles": (
        "Mr. Smith met Dr. Jones and Mrs. Khan at St. Mary's. They talked.",
        ["Mr. Smith met Dr. Jones and Mrs. Khan at St. Mary's.", "They talked."],
    ),
    "number and month abbreviations": (
        "He lives at No. 10 Downing Street. On Sept. 10 he left. Talks in Jan. 2025 went well.",
        ["He lives at No. 10 Downing Street.", "On Sept. 10 he left.", "Talks in Jan. 2025 went well."],
    ),
    "acronyms": (
        "The U.S. President spoke. Trade with the U.S. The report said so.",
        ["The U.S. President spoke.", "Trade with the U.S.", "The report said so."],
    ),
    "latin": (
        "Use tools, e.g. hammers, i.e. the basics. Done.",
        ["Use tools, e.g. hammers, i.e. the basics.", "Done."],
    ),
    "initials and decimals": (
        "J. Smith and A. B. Jones wrote it. Growth was 3.5 percent. Prices rose 2.5%. Wages fell.",
        ["J. Smith and A. B. Jones wrote it.", "Growth was 3.5 percent.", "Prices rose 2.5%.", "Wages fell."],
    ),
    "company suffixes": (
        "Acme Inc. reported a profit. It rose. Shares of Beta Ltd. The firm said so.",
        ["Acme Inc. reported a profit.", "It rose.", "Shares of Beta Ltd.", "The firm said so."],
    ),
    "quotes and brackets": (
        '"We will win." He smiled. (This is it.) Next one? Yes! “Is it over?” he asked. She nodded.',
        [
            '"We will win."',
            "He smiled.",
            "(This is it.)",
            "Next one?",
            "Yes!",
            "“Is it over?” he asked.",
            "She nodded.",
        ],
    ),
    "curly quote before the period": (
        "They sought “a new level of dynamism”. The visit followed.",
        ["They sought “a new level of dynamism”.", "The visit followed."],
    ),
    "ellipsis": (
        "Then more... And so on… Really.",
        ["Then more...", "And so on…", "Really."],
    ),
    "blank line ends a sentence": (
        "First line\ncontinues here.\n\nA paragraph without a period\n\nMr.\n\nLast.",
        ["First line\ncontinues here.", "A paragraph without a period", "Mr.", "Last."],
    ),
    "heading line": (
        "Kazakhstan DPM/FM arrives in Islamabad\nThe plan institutionalizes regular consultations.",
        ["Kazakhstan DPM/FM arrives in Islamabad", "The plan institutionalizes regular consultations."],
    ),
    "markdown heading": (
        "The talks ended.\n## Background\nThe talks began in 2003.",
        ["The talks ended.", "## Background", "The talks began in 2003."],
    ),
    "list items": (
        "The plan covers:\n- trade and energy\n- culture\nIt ends there.",
        ["The plan covers:", "- trade and energy", "- culture", "It ends there."],
    ),
    "wrapped prose is one sentence": (
        "The two sides discussed ways to boost trade and investment, cooperation\nin agriculture and logistics.",
        ["The two sides discussed ways to boost trade and investment, cooperation\nin agriculture and logistics."],
    ),
    "numbered list": (
        "1. Introduction of the plan\n2. Trade\n\nThe end.",
        ["1. Introduction of the plan", "2. Trade", "The end."],
    ),
    "lowercase after period is no boundary": (
        "It happened at 5 p.m. on Tuesday. Then it ended.",
        ["It happened at 5 p.m. on Tuesday.", "Then it ended."],
    ),
    "year at the end": (
        "The last visit was in 2003. The next is in November.",
        ["The last visit was in 2003.", "The next is in November."],
    ),
}


@pytest.mark.parametrize("text,expected", CASES.values(), ids=CASES.keys())
def test_tricky_cases(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize("text", [t for t, _ in CASES.values()], ids=CASES.keys())
def test_offsets_slice_back_to_trimmed_ordered_sentences(text):
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start] == text[start].strip() and text[end - 1] == text[end - 1].strip()
        assert "\n\n" not in text[start:end]
        previous_end = end


def test_empty_and_whitespace_text_have_no_sentences():
    assert split_sentences("") == [] and split_sentences("  \n\n \t ") == []


def test_text_without_final_punctuation_is_one_sentence():
    assert sentences("  no punctuation at all  ") == ["no punctuation at all"]


def test_cleaned_seed_articles_split_into_whole_sentences():
    raw = (SEEDS / "002_7fc1add390062dda.txt").read_text(encoding="utf-8")
    _, body = clean_article(raw, "002")
    found = sentences(body)
    assert found[0] == (
        "Pakistan and Kazakhstan on Tuesday signed an action plan of cooperation as the two countries "
        "resolved to deepen political and economic ties and enhance regional connectivity."
    )
    assert "Earlier, Foreign Minister Dar received his Kazakh counterpart and held a tête-à-tête." in found
    assert all(s.endswith((".", "?", "!")) for s in found)
    assert len(found) == 21  # counted by hand: 13 paragraphs


def test_splitting_keeps_a_sane_speed():
    """A guard against a pathological slowdown (the README's figures come from bench scripts):
    CPU time of this process, so other jobs on the machine do not count."""
    rng = random.Random(3)
    plain = "\n\n".join(make_article(rng, i) for i in range(600))
    wrapped = "\n\n".join(_wrap(p, 72) for p in plain.split("\n\n"))
    for text in (plain, wrapped):
        split_sentences(text)  # warm up
        best = min(_timed(text) for _ in range(3))
        count = len(split_sentences(text))
        assert count > 9000
        assert count / best >= 20_000, f"{count / best:,.0f} sentences/s of CPU"


def _timed(text: str) -> float:
    started = time.process_time()
    split_sentences(text)
    return time.process_time() - started


def _wrap(paragraph: str, width: int) -> str:
    lines, line = [], ""
    for word in paragraph.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(lines + [line])

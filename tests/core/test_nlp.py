"""The English reader: spaCy's pipeline, loaded from the installed package (no network), giving plain
immutable parses that answering threads can share."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest

from briefbot.answering.nlp import EnglishReader, english

SENTENCES = [
    "Deputy Prime Minister Ishaq Dar received Kazakh Foreign Minister Murat Nurtleu in Islamabad on Monday.",
    "The two sides signed an action plan covering politics, trade, defence and security, science and culture.",
    "Two joint working groups, on information technology and on agriculture, met during the two-day visit.",
    "The MoUs are to be finalised and signed during President Tokayev's visit in November.",
    "Pakistan proposed to send a delegation to Astana before the visit.",
    "How many joint working groups met before President Tokayev visited Islamabad?",
]


def test_names_dates_and_numbers_are_typed():
    parse = english().parse(SENTENCES[0])
    entities = {e.text: e.label for e in parse.entities}
    assert entities.get("Ishaq Dar") == "PERSON"
    assert entities.get("Islamabad") == "GPE"
    assert entities.get("Monday") == "DATE"
    assert english().parse(SENTENCES[2]).tokens[0].ent_type == "CARDINAL"


def test_lemmas_and_the_dependency_tree():
    parse = english().parse("Dar and Nurtleu held a tête-à-tête meeting.")
    held = next(t for t in parse.tokens if t.text == "held")
    assert held.lemma == "hold" and held.dep == "ROOT"
    start, end = parse.subtree(held.i)
    assert parse.span_text(start, end).startswith("Dar and Nurtleu held")


def test_a_parse_cannot_be_changed_and_repeats_come_from_the_cache():
    reader = english()
    first = reader.parse(SENTENCES[1])
    assert reader.parse(SENTENCES[1]) is first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.tokens[0].lemma = "x"  # type: ignore[misc]


def test_threads_get_the_serial_parses():
    serial = EnglishReader(cache_size=0)
    expected = [serial.parse(s) for s in SENTENCES]
    shared = EnglishReader(cache_size=3)  # a small cache: entries come and go while threads read
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: shared.parse(SENTENCES[i % len(SENTENCES)]), range(200)))
    assert got == [expected[i % len(SENTENCES)] for i in range(200)]

"""The development question set: answerable questions are answered and cited, the rest refused."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DEV_SET

QUESTIONS = [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_dev_question(seed_service, q):
    answer = seed_service.ask(q["question"])
    cited = {c.source_id for s in answer.sentences for c in s.citations}
    if q["kind"] == "unanswerable":
        assert answer.refused, f"should refuse, answered: {answer.text}"
        assert answer.text.startswith("The sources don't")
        assert not answer.sources and not cited
        return
    assert not answer.refused, f"refused an answerable question: {answer.text}"
    text = answer.text.lower()
    for group in q["must_mention_any"]:
        assert any(term.lower() in text for term in group), f"none of {group} in: {answer.text}"
    assert cited & set(q["expect_sources"]), f"cites {cited}, expected one of {q['expect_sources']}"
    # every sentence ends with a citation to a listed source, and every listed source is cited
    numbers = {s.number for s in answer.sources}
    for sentence in answer.sentences:
        assert sentence.citations and set(sentence.numbers) <= numbers
    assert numbers == {n for s in answer.sentences for n in s.numbers}


def test_citations_point_at_the_quoted_text(seed_service):
    answer = seed_service.ask("What was agreed on connectivity?")
    passages = {p.chunk_id: p for p in seed_service.passages()}
    for sentence in answer.sentences:
        for c in sentence.citations:
            chunk = passages[c.chunk_id]
            assert chunk.start <= c.start < c.end <= chunk.end
            local = chunk.text[c.start - chunk.start : c.end - chunk.start]
            assert " ".join(local.split()) == c.quote


def test_refusal_names_closest_topics_and_cites_nothing(seed_service):
    answer = seed_service.ask("Who won the football world cup in 2022?")
    assert answer.refused and answer.related_topics
    assert "[" not in answer.text

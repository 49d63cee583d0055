"""Answers that conclude, end to end over the seed articles (issue 20): a verdict decided by the
evidence it cites, a name or a count said first, a figure the sources lack said plainly, refusals
in grammatical English, and no junk quoted as evidence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from briefbot.answering.compose import refusal_text
from briefbot.answering.lead import co_agents
from briefbot.answering.nlp import english
from briefbot.answering.question import read_question

REFUSALS = Path(__file__).resolve().parents[1] / "data" / "seed_refusals.jsonl"


def lead_of(service, question):
    answer = service.ask(question)
    assert not answer.refused, answer.text
    return answer, answer.sentences[0].text


def test_mous_still_to_be_signed_are_not_signed(seed_service):
    answer, lead = lead_of(seed_service, "Were any MoUs signed?")
    assert lead.startswith("No"), lead
    assert re.search(r"expected to be signed|should be finali[sz]ed", answer.text), answer.text


def test_a_paraphrase_is_recognised_one_on_one_is_a_tete_a_tete(seed_service):
    answer, lead = lead_of(seed_service, "Did they hold a one-on-one meeting?")
    assert lead.startswith("Yes") and "tête-à-tête" in lead, lead
    assert answer.sentences[0].citations


def test_the_count_is_said_first_then_shown(seed_service):
    answer, lead = lead_of(seed_service, "How many joint working groups met?")
    assert lead.startswith("Two: information technology and agriculture."), lead
    assert answer.sentences[0].citations


def test_how_many_days_reads_the_number_in_the_compound(seed_service):
    answer, lead = lead_of(seed_service, "How many days was the visit?")
    assert lead.lower().startswith("two days"), lead


def test_who_is_asked_the_full_name_comes_first(seed_service):
    answer, lead = lead_of(seed_service, "Who is the Kazakh deputy prime minister?")
    assert lead.startswith("Murat Nurtleu."), lead
    answer, lead = lead_of(seed_service, "Who called Prime Minister Shehbaz Sharif?")
    assert lead.startswith("Murat Nurtleu."), lead


def test_who_did_it_names_everyone_the_sentence_says_did_it(seed_service):
    answer, lead = lead_of(seed_service, "Who signed the action plan?")
    names = lead.split(".", 1)[0]
    assert "Dar" in names and "Murat Nurtleu" in names, lead
    assert answer.sentences[0].citations


@pytest.mark.parametrize(
    "sentence,name,others",
    [
        ("Sam Bankman-Fried and Gary Wang founded FTX in 2019.", "Sam Bankman-Fried", ["Gary Wang"]),
        ("Sam Bankman-Fried founded FTX in 2019 with Gary Wang.", "Sam Bankman-Fried", []),
        ("Elon Musk said Tesla would cut prices.", "Elon Musk", []),
    ],
)
def test_co_agents_are_the_other_subjects_of_the_same_verb(sentence, name, others):
    assert co_agents(english().parse(sentence), name) == others


def test_a_name_the_sources_do_not_give_is_said_plainly(seed_service):
    answer = seed_service.ask("What is the name of the Kazakh transport minister?")
    text = answer.text
    assert "not the person's name" in text or "don't say" in text, text
    assert "Nurtleu" not in text.split(".")[0] and "Dar" not in text.split(".")[0], text


def test_the_two_reports_compared_each_cited(seed_service):
    answer, lead = lead_of(seed_service, "Do the two reports agree on which Pakistani ministries they met?")
    assert re.match(r"(Yes|No)\b", lead), lead
    cited = {c.source_id for s in answer.sentences for c in s.citations}
    assert len(cited) == 2, answer.text
    # each report's own list of the ministries: communications, railways, and trade / commerce
    assert all("railways" in s.text for s in answer.sentences[:2]), answer.text


def test_verdict_shows_the_evidence_it_decided_on(seed_service):
    answer, lead = lead_of(seed_service, "Did Dar and Nurtleu sign the action plan?")
    assert lead.startswith("Yes"), lead
    assert "signed" in lead and answer.sentences[0].citations


@pytest.mark.parametrize("line", REFUSALS.read_text(encoding="utf-8").splitlines())
def test_seed_refusals_are_grammatical(line):
    item = json.loads(line)
    assert refusal_text(read_question(item["question"])) == item["refusal"]


def test_the_signing_refusal_keeps_its_grammar_end_to_end(seed_service):
    answer = seed_service.ask("Where did the signing take place?")
    if answer.refused:
        assert answer.text == "The sources don't say where the signing took place."
    else:
        assert "Islamabad" in answer.sentences[0].text, answer.text


@pytest.mark.parametrize(
    "junk",
    [
        "Leave a Comment",
        "Your email address will not be published. Required fields are marked *",
        "Scroll to Top",
    ],
)
def test_site_furniture_is_never_quoted(seed_service, junk):
    for question in ("What was agreed?", "What happens next before the presidential visit?"):
        answer = seed_service.ask(question)
        assert junk not in answer.text, answer.text


@pytest.mark.parametrize(
    "line, is_junk",
    [
        ("What does this mean for Pakistan?", True),  # a question line asks, it does not report
        ("BTC $43,120 +2.3% ETH $2,310 -1.1%", True),  # a ticker widget
        ("Your email address will not be published. Required fields are marked *", True),
        ("Home | News | World", True),
        ("Share on Facebook Share on Twitter", True),
        ("Pakistan and Kazakhstan signed an action plan on Tuesday.", False),
        ("Prices rose 3.1% in October, up from 2.9% in September.", False),
        ("The Bills won 24-20 against the Jets.", False),
        ('"Are we ready?" the minister asked reporters in Islamabad.', False),
    ],
)
def test_junk_is_told_by_its_shape(line, is_junk):
    from briefbot.answering.evidence import junk

    assert junk(line) is is_junk

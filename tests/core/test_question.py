"""Reading a question: its kind, the outlets it attributes, and its refusal wording (pure text)."""

import pytest

from briefbot.answering.compose import refusal_text
from briefbot.answering.question import attributed_outlets, indirect, outlet_known, read_question


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who signed the action plan?", "who"),
        ("When was the action plan signed?", "when"),
        ("What is the value of bilateral trade?", "quantity"),
        ("How many agreements will be signed?", "quantity"),
        ("Did Shehbaz Sharif meet the Kazakh foreign minister?", "yesno"),
        ("Do the two sources agree on the date of the visit?", "compare"),
        ("How do the two reports differ?", "compare"),
        ("What happens next before the presidential visit?", "next"),
        ("What was agreed?", "agreed"),
        ("Which areas does the action plan cover?", "list"),
        ("Which company is accused of harming news publishers?", "which"),
        ("What did the Prime Minister propose?", "open"),
        ("Considering the reports of The Verge and TechCrunch, which company was sued?", "which"),
        ("Between the two TechCrunch reports, was the portrayal of Google consistent?", "yesno"),
    ],
)
def test_question_kind(question, kind):
    assert read_question(question).kind == kind


@pytest.mark.parametrize(
    "question, refusal",
    [
        ("What did the Prime Minister propose?", "The sources don't say what the Prime Minister proposed."),
        ("When was the action plan signed?", "The sources don't say when the action plan was signed."),
        ("What is the value of bilateral trade?", "The sources give no figure for bilateral trade."),
        ("How many agreements will be signed?", "The sources don't say how many agreements will be signed."),
        ("Did Dar meet the Kazakh President?", "The sources don't say whether Dar met the Kazakh President."),
        ("What positions does Murat Nurtleu hold?", "The sources don't say what positions Murat Nurtleu holds."),
        ("Where will the next meeting be held?", "The sources don't say where the next meeting will be held."),
        ("Who won the football world cup in 2022?", "The sources don't say who won the football world cup in 2022."),
        (
            "What was agreed on natural gas pipelines?",
            "The sources don't say what was agreed on natural gas pipelines.",
        ),
    ],
)
def test_refusals_are_grammatical_and_name_what_is_missing(question, refusal):
    assert refusal_text(read_question(question)) == refusal
    if "no figure" not in refusal:
        assert indirect(read_question(question)) in refusal


def test_attributed_outlets_are_read_from_the_ways_questions_cite_them():
    q = ("Considering the information from an article by The Guardian and another by Forbes, and a Bloomberg "
         "report, what did the TechCrunch article say, according to 'Fortune' and Reuters?")  # fmt: skip
    found = attributed_outlets(q)
    for name in ("The Guardian", "Forbes", "Bloomberg", "Fortune", "TechCrunch", "Reuters"):
        assert name in found, found
    assert not attributed_outlets("What was reported on October 7, 2023 about the visit?")


def test_an_outlet_matches_the_stores_longer_name_but_not_another_outlet():
    store = ["Cnbc | World Business News Leader", "The Independent - Life and Style", "TechCrunch"]
    assert outlet_known("CNBC", store) and outlet_known("The Independent", store) and outlet_known("techcrunch", store)
    assert not outlet_known("Bloomberg", store) and not outlet_known("The Wall Street Journal", store)

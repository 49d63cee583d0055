"""The grounding guard on the dev set's articles: what a source says passes, what it doesn't fails.

Each case is a question from tests/data/seed_questions.jsonl, a claim a model might write,
and a phrase that marks the chunk the claim cites. Supported claims are paraphrases (not copies)
of what that chunk says; unsupported ones invent a figure, a place or a commitment, or cite a
chunk that says nothing of the kind. Run with -s to see the scores the thresholds were set from."""

from __future__ import annotations

import pytest

from briefbot.llm.grounding import GroundingGuard, parse

SUPPORTED = [
    ("What was agreed on connectivity?", "Both sides want to strengthen regional connectivity through logistics and transport links.", "logistics and transport links"),
    ("Who signed the action plan?", "Ishaq Dar and Murat Nurtleu signed the action plan for their foreign ministries.", "nurtleu signed"),
    ("Which areas does the action plan cover?", "The plan covers politics, trade, defence and security, tourism and consular facilitation.", "consular facilitation"),
    ("When did a Kazakh president last visit Pakistan?", "A Kazakh president last visited Pakistan in 2003.", "2003"),
    ("Who accompanied the Kazakh foreign minister on the visit?", "The ministers of transport and trade travelled with him, with vice ministers for IT and agriculture.", "accompanied"),
    ("What is expected before President Tokayev's visit?", "Their teams were told to finalise the agreements and MoUs before the President's visit.", "mous"),
    ("What did the Kazakh delegation do in the IT sector?", "The delegation toured the National Aerospace Science & Technology Park to explore IT cooperation.", "nastp"),
    ("What did Prime Minister Shehbaz Sharif propose?", "Shehbaz Sharif proposed sending a delegation to Astana to finalise the memoranda and agreements.", "astana to finalize"),
    ("How will the two foreign ministries stay in touch?", "The plan sets up regular consultations between the two foreign ministries.", "regular consultations"),
]  # fmt: skip

INVENTED = [
    ("What was agreed on connectivity?", "Pakistan and Kazakhstan agreed to build a gas pipeline through Afghanistan.", "logistics and transport links"),
    ("Who signed the action plan?", "President Tokayev signed the plan with the Chinese ambassador in Beijing.", "nurtleu signed"),
    ("Which areas does the action plan cover?", "The plan commits Kazakhstan to buy 500,000 tonnes of Pakistani rice a year.", "consular facilitation"),
    ("When did a Kazakh president last visit Pakistan?", "A Kazakh president last visited Pakistan in 1998.", "2003"),
    ("Who accompanied the Kazakh foreign minister on the visit?", "He came with the defence minister and the governor of the central bank.", "accompanied"),
    ("What is expected before President Tokayev's visit?", "Pakistan will pay Kazakhstan 2 billion dollars before the visit.", "mous"),
    ("What did the Kazakh delegation do in the IT sector?", "The delegation opened a software factory in Lahore employing thousands of engineers.", "nastp"),
    ("What did Prime Minister Shehbaz Sharif propose?", "Shehbaz Sharif proposed a free trade agreement to be signed in December.", "astana to finalize"),
    ("How will the two foreign ministries stay in touch?", "The foreign ministries will hold monthly video calls with the United Nations.", "regular consultations"),
]  # fmt: skip


def _cited(seed_service, question: str, phrase: str) -> tuple[list, int]:
    passages = seed_service.search(question, k=8)
    n = next((i for i, p in enumerate(passages, start=1) if phrase in p.text.lower()), None)
    assert n is not None, f"no retrieved chunk for {question!r} contains {phrase!r}"
    return passages, n


def _least_related(guard: GroundingGuard, passages: list, claim: str, phrase: str) -> int:
    """The retrieved chunk that is furthest from the claim and lacks its phrase: a wrong citation."""
    scores = []
    for n, p in enumerate(passages, start=1):
        if phrase not in p.text.lower():
            [checked] = guard.check(f"{claim} [{n}]", passages)
            scores.append((checked.support, n))
    return min(scores)[1]


@pytest.fixture(scope="module")
def guard(embedder):
    return GroundingGuard(embedder)


@pytest.mark.parametrize("question,claim,phrase", SUPPORTED, ids=[c[2] for c in SUPPORTED])
def test_a_paraphrase_of_the_cited_chunk_passes(seed_service, guard, question, claim, phrase):
    passages, n = _cited(seed_service, question, phrase)
    [checked] = guard.check(f"{claim} [{n}]", passages)
    print(f"\nsupported  {checked.support:.2f} dense {checked.dense:.2f} terms {checked.term_share:.2f}  {claim}")
    assert checked.passed, checked.detail


@pytest.mark.parametrize("question,claim,phrase", INVENTED, ids=[c[2] for c in INVENTED])
def test_a_claim_the_cited_chunk_does_not_make_fails(seed_service, guard, question, claim, phrase):
    passages, n = _cited(seed_service, question, phrase)
    [checked] = guard.check(f"{claim} [{n}]", passages)
    print(f"\ninvented   {checked.support:.2f} dense {checked.dense:.2f} terms {checked.term_share:.2f}  {claim}")
    assert not checked.passed, checked.detail


@pytest.mark.parametrize("question,claim,phrase", SUPPORTED, ids=[c[2] for c in SUPPORTED])
def test_a_true_claim_cited_to_the_wrong_chunk_fails(seed_service, guard, question, claim, phrase):
    passages, _ = _cited(seed_service, question, phrase)
    wrong = _least_related(guard, passages, claim, phrase)
    [checked] = guard.check(f"{claim} [{wrong}]", passages)
    print(f"\nmiscited   {checked.support:.2f} dense {checked.dense:.2f} terms {checked.term_share:.2f}  {claim}")
    assert not checked.passed, checked.detail


def test_citations_to_sources_never_given_are_dropped():
    [s] = parse("The plan was signed on Tuesday [2][9]. ", provided=4)
    assert s.cited == [2] and s.invalid == [9]
    assert s.text == "The plan was signed on Tuesday."


def test_markers_after_the_full_stop_belong_to_the_sentence_before():
    first, second = parse("- The plan was signed. [1, 3]\n- **Talks** covered trade [2].", provided=3)
    assert (first.text, first.cited) == ("The plan was signed.", [1, 3])
    assert (second.text, second.cited) == ("Talks covered trade.", [2])


def test_a_sentence_without_a_citation_is_not_kept(seed_service, guard):
    passages = seed_service.search("Who signed the action plan?", k=8)
    [checked] = guard.check("Ishaq Dar and Murat Nurtleu signed the action plan.", passages)
    assert not checked.passed and checked.reason == "no valid citation"


def test_single_asterisks_from_the_model_are_dropped_like_double_ones():
    [s] = parse("The *action plan* covers *trade* and 5 * 3 things [1].", provided=1)
    assert s.text == "The action plan covers trade and 5 3 things." and "*" not in s.text

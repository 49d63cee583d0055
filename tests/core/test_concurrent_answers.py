"""Answers under load: the answering threads share the service (search, the lexical index, the
embedder, the stemmer and its cache); eight threads asking mixed questions at once get exactly
the answers the same questions get one at a time."""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from retrieval.text import terms
from tests.conftest import DEV_SET, SEEDS

QUESTIONS = [json.loads(line)["question"] for line in DEV_SET.read_text().splitlines() if line.strip()] + [
    "Did Shehbaz Sharif meet the Kazakh foreign minister?",
    "When was the action plan signed?",
    "Who came with the Kazakh minister?",
    "What figure was given for bilateral trade?",
    "What did the meetings address?",
]


def answered(service, question: str) -> str:
    """All an answer says (its id and timings left out: they differ on every call)."""
    return service.ask(question).model_copy(update={"id": "", "timings_ms": {}}).to_json()


def run_concurrently(service, threads: int, per_thread: int) -> None:
    serial = {q: answered(service, q) for q in QUESTIONS}
    terms.stem.cache_clear()  # the threads stem afresh, at once
    plans = [random.Random(seed).choices(QUESTIONS, k=per_thread) for seed in range(threads)]
    start = threading.Barrier(threads)

    def ask_all(plan: list[str]) -> list[tuple[str, str]]:
        start.wait()
        return [(q, answered(service, q)) for q in plan]

    with ThreadPoolExecutor(threads) as pool:
        results = [pair for batch in pool.map(ask_all, plans) for pair in batch]
    assert len(results) == threads * per_thread
    wrong = [q for q, got in results if got != serial[q]]
    assert not wrong, f"{len(wrong)} answers differ from the serial ones, e.g. to {wrong[0]!r}"
    assert {q: answered(service, q) for q in QUESTIONS} == serial  # and nothing cached went wrong meanwhile


def test_eight_threads_of_mixed_questions_give_the_serial_answers(seed_service):
    run_concurrently(seed_service, threads=8, per_thread=25)


@pytest.mark.slow  # 1,600 answers
def test_eight_threads_of_200_mixed_questions_give_the_serial_answers(seed_service):
    run_concurrently(seed_service, threads=8, per_thread=200)


def test_stemming_on_four_threads_at_once_gives_the_serial_stems():
    """One Snowball stemmer shared by threads gave wrong stems and IndexErrors, and the cache in
    front of it kept a wrong stem ("meetings" -> "address") for the life of the process."""
    words = terms.tokens(" ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())))
    words = sorted({w.lower() for w in words}) * 6
    serial = {w: terms.stem.__wrapped__(w) for w in words}
    terms.stem.cache_clear()
    start = threading.Barrier(4)

    def stem_all(offset: int) -> list[tuple[str, str, str]]:
        start.wait()
        mine = words[offset:] + words[:offset]
        return [(w, terms.stem.__wrapped__(w), terms.stem(w)) for w in mine]

    with ThreadPoolExecutor(4) as pool:
        results = [r for batch in pool.map(stem_all, (0, 101, 202, 303)) for r in batch]
    terms.stem.cache_clear()
    assert [r for r in results if r[1] != serial[r[0]] or r[2] != serial[r[0]]] == []


def test_a_lone_surrogate_in_a_question_is_answered_not_a_type_error(seed_service):
    """A mention carrying "\\udcff" (a mangled character) raised TypeError in the tokenizer."""
    answer = seed_service.ask("Who signed the action plan \udcff?")
    assert not answer.refused and "Dar" in answer.text

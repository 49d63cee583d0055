"""Hostile text takes time in proportion to its length: no regex with nested or overlapping
quantifiers over unbounded input in sentence splitting, cleaning or Markdown unwrapping.

Each case times the same pathological shape at n and 4n characters: linear work takes ~4x as
long, quadratic work ~16x. Then a 200 KB instance must finish well under a (generous) bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from retrieval.sentences import split_sentences

SMALL = 4_000
BIG = 200_000


def _best_of(fn: Callable[[str], object], text: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - started)
    return best


def assert_linear(fn: Callable[[str], object], make: Callable[[int], str]) -> None:
    small = _best_of(fn, make(SMALL))
    large = _best_of(fn, make(4 * SMALL))
    # linear: ~4x; quadratic: ~16x. The additive slack absorbs timer noise at millisecond scale.
    assert large <= 7 * small + 0.03, f"n={SMALL}: {small:.4f}s, 4n: {large:.4f}s (superlinear)"
    big = _best_of(fn, make(BIG), runs=1)
    assert big < 2.0, f"{BIG:,} characters took {big:.1f}s"


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: unit * (n // len(unit))


SENTENCE_CASES = {
    "a run of dots, then a letter": lambda n: "." * n + "a",
    "dots between letters": _repeat("a."),
    "a run of closing quotes after a period": lambda n: "." + '"' * n + "a",
    "a run of spaces, then a letter": lambda n: "a" + " " * n + "b",
    "spaces and single line breaks": lambda n: "a" + " \n" * (n // 2) + "b",
    "wrapped lines after a long indent": lambda n: "A. " + " " * (n // 2) + "b\nc" * (n // 4),
    "ellipses and question marks": _repeat("…?!"),
}


@pytest.mark.parametrize("make", SENTENCE_CASES.values(), ids=SENTENCE_CASES.keys())
def test_sentence_splitting_is_linear(make):
    assert_linear(split_sentences, make)


def test_the_pathological_run_still_splits_sensibly():
    text = "Talks ended" + "." * 50_000 + " The next round is in May."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans][-1] == "The next round is in May."

"""Hostile text takes time in proportion to its length: no regex with nested or overlapping
quantifiers over unbounded input in sentence splitting, cleaning or Markdown unwrapping.

Each case times the same pathological shape at n and 4n characters: linear work takes ~4x as
long, quadratic work ~16x. Then a 200 KB instance must finish well under a (generous) bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from retrieval.text.sentences import split_sentences

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


def _clean(text: str):
    from retrieval.text.cleaning import clean_article

    return clean_article(text, "x.txt")


CLEANING_CASES = {
    "share labels chained on one line": _repeat("Share on Facebook "),
    "share labels at the end of a line": lambda n: "Talks went well." + " Share on Twitter" * (n // 17),
    "wide unicode spaces, then a letter": lambda n: "a" + "\u2003" * n + "b",
    "alternating unicode and ascii spaces": lambda n: "a" + "\u2003 " * (n // 2) + "b",
    "a long related-links line": lambda n: "Related: " + "x" * n,
    "dots and closing quotes": _repeat('."'),
    "scroll prompts nested in each other": lambda n: "scroll to " * (n // 20) + "top " * (n // 20),
    "many short lines": _repeat("Share\nISLAMABAD:\n"),
    "capitals without a dateline": lambda n: "A" * n + " x",
}


@pytest.mark.parametrize("make", CLEANING_CASES.values(), ids=CLEANING_CASES.keys())
def test_cleaning_is_linear(make):
    assert_linear(_clean, make)


def _markdown(text: str):
    from retrieval.sources.loaders import markdown_to_text

    return markdown_to_text(text)


MARKDOWN_CASES = {
    "unclosed bold": _repeat("**a "),
    "unclosed italics": _repeat("*a "),
    "unclosed underscores": _repeat("_a "),
    "unclosed link brackets": _repeat("["),
    "link openings": _repeat("[a]("),
    "image openings": _repeat("!["),
    "unclosed autolinks": _repeat("<http://"),
    "blank lines": _repeat("\n"),
    "reference definition openings": _repeat("[a\n"),
    "a heading with a long gap": lambda n: "# a" + " " * n + "b",
    "a rule-like line": lambda n: "- " * (n // 2) + "x",
    "indented fence-like lines": _repeat("  \n"),
    "backticks": _repeat("`a"),
}


@pytest.mark.parametrize("make", MARKDOWN_CASES.values(), ids=MARKDOWN_CASES.keys())
def test_markdown_unwrapping_is_linear(make):
    assert_linear(_markdown, make)


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_a_hostile_file_reads_cleans_and_chunks_in_well_under_a_second(tmp_path, suffix):
    from retrieval.sources.loaders import load_document
    from retrieval.text.chunking import chunk_document

    shapes = [*SENTENCE_CASES.values(), *CLEANING_CASES.values(), *MARKDOWN_CASES.values()]
    body = "\n\n".join(make(BIG // len(shapes)) for make in shapes)
    path = tmp_path / f"hostile{suffix}"
    path.write_text("Talks in Islamabad\n\nThe two sides met on Monday. " + body, encoding="utf-8")
    started = time.perf_counter()
    doc = load_document(path, tmp_path)
    chunks = chunk_document(doc.meta, doc.text)
    took = time.perf_counter() - started
    assert chunks and took < 2.0, f"{len(body):,} characters took {took:.1f}s"

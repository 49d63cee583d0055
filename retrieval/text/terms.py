"""Word-level terms for lexical search and term overlap: tokenised, stop words out, Snowball-stemmed."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&'’\-]*|\d+(?:[.,]\d+)*")
_BRITISH = {
    "defence": "defense", "licence": "license", "offence": "offense", "programme": "program",
    "centre": "center", "labour": "labor", "favour": "favor", "honour": "honor", "neighbour": "neighbor",
}  # fmt: skip
_ISE = re.compile(r"^(\w{3,})is(e|ed|es|ing|ation|ations)$")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your yours yourself
    yourselves said says say told according also well one two may might must shall us upon via within without
    per whether yet ever even get got make made much many still""".split()
)
# Words that shape a question but say nothing about its topic.
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how did does do was were is are tell give list describe explain
    summarise summarize anything something happen happened happens know known current currently position
    positions role roles hold holds come came comes kind sort type exactly specifically""".split()
)

# A Snowball stemmer keeps the word it is working on in its own fields: one shared by the answering
# threads gives wrong stems (and IndexErrors) when two stem at once. Each thread gets its own.
_local = threading.local()


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


@lru_cache(maxsize=200_000)  # thread-safe, and it only ever stores what a thread's own stemmer returned
def stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.strip("'-")
    word = _BRITISH.get(word, word)
    match = _ISE.match(word)
    if match:
        word = f"{match.group(1)}iz{match.group(2)}"
    return _stemmer().stemWord(word)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def terms(text: str) -> list[str]:
    """Stemmed content terms in order. An all-caps acronym that is also a stop word ("IT") is kept."""
    out: list[str] = []
    for token in tokens(text):
        lower = token.lower()
        if lower in STOPWORDS:
            if token.isupper() and len(token) >= 2:
                out.append(lower + "_")  # "IT" the sector, not "it" the pronoun
            continue
        if len(lower) < 2 and not lower.isdigit():
            continue
        out.append(stem(lower))
    return out


def query_terms(text: str) -> list[str]:
    """Terms of a question without the words that only make it a question."""
    kept = [t for t in tokens(text) if t.lower() not in QUESTION_WORDS or t.isupper()]
    return terms(" ".join(kept))

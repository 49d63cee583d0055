"""Statements, not sentences: the candidates an answer is made of, at the level of clauses, each
with its source span; and groups of statements that say the same thing across sources.

Made once from the retrieved passages' scored sentences (`evidence.EvidenceSentence`); the parse is
the expensive part, so only the statements chosen for display are parsed (to resolve a leading
"It"). Both the verdicts (`verdict.py`) and the open-question summaries (`summary.py`) and the brief
read these.

What is shown is a span of the source or a compression of one that changes no fact or figure:
attributions to documents ("according to a press release", "read a declaration published here by
the Foreign Office") and connectives ("Meanwhile,") are dropped; a long sentence is also offered as
its clauses (cut at "; ", " — ", ", while ", ", and" + a new subject)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from briefbot.answering.evidence import EvidenceSentence
from briefbot.answering.nlp import EnglishReader, Parse, Token, english
from retrieval.text.terms import terms


@dataclass
class Statement:
    text: str  # as shown: the whole sentence or one clause of it, a substring of the source text
    evidence: EvidenceSentence  # the source sentence it was cut from (passage, offsets, scores)
    start: int  # offsets of `text` in the cleaned document (inside evidence.start..end)
    end: int
    score: float = 0.0  # relevance to the question or facet
    facets: frozenset[str] = frozenset()  # which of frame.FACETS it serves
    part: int = 0  # which part of a two-part question it answers best (0: the whole question)
    lead_score: float = 0.0  # how well it answers the question as the lead (relevance and facets)

    @property
    def source_id(self) -> str:
        return self.evidence.source_id

    @property
    def words(self) -> int:
        return len(self.text.split())

    @cached_property
    def terms(self) -> frozenset[str]:
        return frozenset(terms(self.text))

    @property
    def whole(self) -> bool:
        """The whole source sentence (not one of its clauses)."""
        return self.start <= self.evidence.start and self.end >= self.evidence.end


@dataclass
class Group:
    """Statements that say the same thing: shown once, with every source's citation, in the
    cleanest wording (`best`)."""

    best: Statement
    members: list[Statement] = field(default_factory=list)  # best included

    @property
    def source_ids(self) -> list[str]:
        return list(dict.fromkeys(m.source_id for m in self.members))

    @property
    def score(self) -> float:
        return max(m.score for m in self.members)


def say_the_same(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> bool:
    """Two statements' content words (terms): most of the shorter one's in the longer one, and a fair
    share of the longer one's in the shorter (so a short statement is not lost to a long one that
    merely shares its topic words)."""
    if min(len(a), len(b)) < 3:
        return False
    shared = len(a & b)
    return shared / min(len(a), len(b)) >= 0.6 and shared / max(len(a), len(b)) >= 0.4


# Attributions to a document or an unnamed source: dropped, the statement stands on its own.
_LEADING = re.compile(
    r"^(?:(?:according to|as per|citing)\s+[^,]{3,80},\s*|(?:meanwhile|moreover|however|furthermore|in addition|"
    r"additionally|also|earlier|separately|besides|notably|importantly|indeed|still|further),\s*)",
    re.I,
)
_TRAILING = re.compile(
    r",?\s*(?:according to|as per|read|reads|said|says)\s+(?:an?|the)\s+(?:[\w-]+\s+){0,6}?"
    r"(?:press release|statement|declaration|report|official hand|sources?|spokesperson|readout|communiqu[eé])"
    r"(?:\s+(?:from|of|by|published|issued)\s+[^.;]{0,80})?(?=[.;]?\s*$)",
    re.I,
)
_AFTER_ATTRIBUTION = re.compile(r"^(?:a|an|the)\s+[\w\s-]{0,40}?(?:said|added|noted)\s+that\s+", re.I)
_CLAUSE_CUTS = re.compile(
    r";\s+|\s+—\s+|\s+–\s+|,\s+(?=(?:while|whereas|but|although|as well as)\s)"
    r"|\s+(?=as\s+(?:the|both)\s+(?:two\s+)?\w+\s+(?:\w+ed|are|were|have|had)\b)"
    r"|,\s+(?=and\s+(?:the|he|she|they|it|its|his|her|their|[A-Z]\w+)\s+\w+(?:ed|s)\b)",
)
# Rhetoric: what a statement says about how important something is, not what happened.
RHETORIC = re.compile(
    r"milestone|\breflects?\b|\bhistoric\b|new (?:exciting )?chapter|important step|renewed thrust|testament to|"
    r"awareness raising|\bgame[- ]changer\b|\blandmark\b",
    re.I,
)
PRONOUN_START = re.compile(r"^(?:It|He|She|They|This|These|That|Those|Its|His|Her|Their)\b")
_END = re.compile(r"[.!?…]['\"”’)]*$")


# An opening phrase that only sets the scene ("At the end of the official talks, "): dropped when it
# holds no date, figure or name.
_SCENE = re.compile(
    r"^(?:At|In|On|Following|After|Before|During|Earlier|Later|Amid|With|Under|Over|Since|As part of)\s+[^,]{3,70},\s+"
    r"(?=[A-Za-z])"
)
# A non-restrictive "who/which" clause between commas: background, dropped when it holds no figure.
_ASIDE = re.compile(r",\s+(?:who|which)\s+(?:is|was|are|were|has|had)\s+[^,;]{3,80},")


# A sentence opening on a conjunction ("But ...", "And while ..."): the conjunction goes.
_CONJUNCTION = re.compile(r"^(?:But|And|So|Yet|Even so,?|Now,)\s+(?=\S)")
# The document a statement is read from, opening it: "Per Meta's blog post, ", "In a statement, ".
_DOCUMENT_OPENING = re.compile(
    r"^(?:Per|In)\s+(?:(?:a|an|the|its|his|her|their)\s+|[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,3}['’]s?\s+)"
    r"(?:[\w-]+\s+){0,2}?(?:blog post|statement|press release|filing|letter|complaint|announcement|post)"
    r"(?:\s+(?:on|to|with)\s+[^,]{1,40})?,\s*(?=\S)"
)
# An attribution to a pronoun or a document, ending it: '..., he said.', '..., the CPPA wrote in a
# press release.', "..., according to the complaint." (a named speaker stays: who said it is news).
_PRONOUN_SAID = re.compile(
    r"(?<=[,”\"’])\s+(?:he|she|they)\s+(?:said|says|added|adds|noted|wrote|told\s+(?:\w+\s+)?\w+)"
    r"\s*\.?$"
)
_WROTE_IN = re.compile(
    r"(?<=[,”\"’])\s+(?:the\s+)?[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,3}\s+(?:wrote|said|says|stated)\s+in\s+"
    r"(?:a|an|its|the|their)\s+(?:[\w-]+\s+){0,2}?(?:press release|statement|blog post|filing|letter|report)\s*\.?$"
)
_ACCORDING = re.compile(
    r",?\s+according to (?:the|a|an)\s+(?:[\w-]+\s+){0,2}?(?:complaint|filing|lawsuit|suit|indictment|documents?|"
    r"court (?:filings?|documents?|papers))\s*\.?$"
)
# A parenthesis of two words or more holding no figure: an aside ("(i.e. the ad-free subscription)").
_PARENTHESIS = re.compile(r"\s*\((?=[^()]*\s)[^()\d]{3,80}\)")


def _unattributed(text: str) -> str:
    """The sentence without a pronoun's or a document's attribution at its end; a quotation then
    ends on its own full stop ('"... in the story," he said.' -> '"... in the story."')."""
    for pattern in (_PRONOUN_SAID, _WROTE_IN, _ACCORDING):
        m = pattern.search(text)
        if not m or m.start() < len(text) / 3:
            continue
        head = text[: m.start()].rstrip()
        quoted = re.search(r'([,.!?]?)([”"’]+)$', head)
        if quoted:  # the quotation closes where the attribution began: on its own full stop
            body = head[: quoted.start()].rstrip(",;: ")
            return body + (quoted.group(1) if quoted.group(1) in ("!", "?") else ".") + quoted.group(2)
        return re.sub(r"[,;:]+$", "", head)
    return text


def compress(text: str) -> str:
    """The sentence without attributions to documents or pronouns, opening connectives and
    conjunctions, scene-setting opening phrases, asides in parentheses and background asides (none
    holding a date, figure or name)."""
    out = _LEADING.sub("", text.strip())
    out = _DOCUMENT_OPENING.sub("", _CONJUNCTION.sub("", out))
    out = _unattributed(_PARENTHESIS.sub("", out))
    scene = _SCENE.match(out)
    if scene and not re.search(r"\d|\b[A-Z][a-z]+\b", scene.group(0)[scene.group(0).find(" ") :]):
        out = out[scene.end() :]
    out = _ASIDE.sub(lambda m: m.group(0) if re.search(r"\d", m.group(0)) else "", out)
    out = _TRAILING.sub("", out).rstrip(" ,;")
    if out and not _END.search(out):
        out += "."
    return _capitalised(out) if out else text


def clauses(text: str, min_words: int = 6) -> list[str]:
    """A sentence's clauses, each a sentence of its own (capitalised, full stop), when it has more
    than one that stands alone; [] otherwise."""
    parts = [p.strip(" ,;") for p in _CLAUSE_CUTS.split(text) if p and p.strip(" ,;")]
    parts = [re.sub(r"^(?:and|but|while|whereas|although|as)\s+", "", p) for p in parts]
    good = [p for p in parts if len(p.split()) >= min_words]
    if len(good) < 2:
        return []
    return [_capitalised(p) + ("" if _END.search(p) else ".") for p in good]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def statements_of(sentences: list[EvidenceSentence], long_words: int = 24) -> list[Statement]:
    """Each sentence as a statement (compressed); a long one that has clauses standing alone as
    those clauses instead (a key point in fewer words)."""
    out = []
    for ev in sentences:
        text = compress(ev.text)
        parts = clauses(text) if len(text.split()) > long_words else []
        if not parts:
            out.append(Statement(text, ev, ev.start, ev.end, ev.score))
            continue
        for part in parts:
            at = ev.text.find(part[1:-1]) if len(part) > 2 else -1
            start = ev.start + max(at - 1, 0) if at >= 0 else ev.start
            out.append(Statement(part, ev, start, start + len(part), ev.score))
    return out


def resolve_leading_pronoun(statement: Statement, reader: EnglishReader | None = None) -> str:
    """ "It provides closer cooperation..." with what "It" points to, when the sentence before it in
    the article has a noun phrase as its subject ("The action plan provides ..."); "He stressed ..."
    with the person that sentence is about ("The Prime Minister stressed ..."); the text unchanged
    when it begins with no pronoun, "" when nothing clear precedes it (then: choose another)."""
    m = re.match(r"^(It|They|He|She)\s", statement.text)
    if not m:
        return statement.text if not PRONOUN_START.match(statement.text) else ""
    ev = statement.evidence
    before = ev.passage.text[: max(0, ev.start - ev.passage.start)].rstrip()
    previous = re.split(r"(?<=[.!?])\s+", before)[-1] if before else ""
    if not previous:
        return ""
    parse = (reader or english()).parse(previous)
    root = next((t for t in parse.tokens if t.dep == "ROOT"), None)
    subject = root and next((c for c in parse.children(root.i) if c.dep in ("nsubj", "nsubjpass")), None)
    if m.group(1) in ("He", "She"):
        phrase = _person_of(parse, subject)
        return _capitalised(phrase) + statement.text[len(m.group(1)) :] if phrase else ""
    if subject is None:
        # "signed ... the action plan": the object the previous sentence is about
        subject = next((t for t in parse.tokens if t.dep in ("dobj", "nsubjpass") and t.pos == "NOUN"), None)
    if subject is None or subject.pos not in ("NOUN", "PROPN"):
        return ""
    a, b = parse.subtree(subject.i)
    phrase = parse.span_text(a, b)
    if len(phrase.split()) > 6 or (m.group(1) == "They") != (subject.tag in ("NNS", "NNPS")):
        phrase = " ".join(t.text for t in parse.tokens[a:b] if t.i >= subject.i - 2 and t.i <= subject.i)
        if not phrase:
            return ""
    if phrase[:1].islower() and not phrase.lower().startswith(("the ", "a ", "an ")):
        phrase = "the " + phrase
    return _capitalised(phrase) + statement.text[len(m.group(1)) :]


def _person_of(parse: Parse, subject: Token | None) -> str:
    """Whom "he" or "she" after this sentence points to: its subject when that names someone (a
    person's name or a title such as "the Prime Minister", at most six words), else the one person
    it names; "" when that is not clear."""
    if subject is not None and (subject.ent_type == "PERSON" or subject.pos == "PROPN"):
        a, b = parse.subtree(subject.i)
        phrase = parse.span_text(a, b)
        if len(phrase.split()) <= 6:
            return phrase
    people = list(dict.fromkeys(e.text for e in parse.entities if e.label == "PERSON"))
    return people[0] if len(people) == 1 else ""


# Nationality words that, placed after a title ("President Kazakh"), mark word-by-word translation.
_DEMONYMS = (
    "Kazakh|Pakistani|Afghan|Chinese|Indian|Iranian|Turkish|Russian|Uzbek|Kyrgyz|Tajik|Turkmen|"
    "American|British|French|German|Japanese|Saudi|Emirati|Qatari|Egyptian|Azerbaijani|Georgian"
)
_TITLE_THEN_DEMONYM = re.compile(
    rf"\b(?:President|Minister|counterpart|Affairs|delegation|Ministry)\s+(?:{_DEMONYMS})\b(?!\s+[A-Z])"
)
_WORD = re.compile(r"[A-Za-z]+")
_GLUE = {"of", "and", "the", "to", "in", "for", "by"}


def garble_reasons(text: str) -> list[str]:
    """Signs of word-by-word machine translation."""
    reasons = []
    words = [w.lower() for w in _WORD.findall(text)]
    for i, w in enumerate(words[:-1]):
        nxt = words[i + 1 : i + 3]
        # "understanding of understanding", "the the": a word echoed across a small function word
        if len(w) > 3 and (nxt[0] == w or (len(nxt) == 2 and nxt[0] in _GLUE and nxt[1] == w)):
            reasons.append(f'"{w}" repeated')
            break
    if _TITLE_THEN_DEMONYM.search(text):
        reasons.append("nationality placed after a title")
    return reasons

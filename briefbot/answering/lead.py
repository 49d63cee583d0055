"""The answer's first sentence: the statement the question asks for, built from one source span.

A name for "who/which", a date (its year resolved from the article's date) for "when", a figure
for "how many/how much", Yes for a yes/no question the evidence bears out. The span is the clause
of the best evidence sentence that holds it, so the lead keeps an exact citation; a short prefix
("Sam Bankman-Fried:", "Yes:", "2025-09-09:") states the answer itself where the clause does not
open with it."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from briefbot.answering.dates import DateMention, find_dates
from briefbot.answering.evidence import EvidenceSentence
from briefbot.answering.nlp import english
from briefbot.answering.question import Question
from retrieval.text.terms import QUESTION_WORDS, STOPWORDS, terms

_SPACE = re.compile(r"\s+")
# A proper name: capitalised words, joined by "of", "de", "&", "-" ("Bank of America", "AT&T").
_NAME = re.compile(
    r"(?<![\w'’-])(?:[A-Z][\w'’&.-]*[\w&]|[A-Z])(?:\s+(?:(?:of|de|del|van|von|al|bin|the|&)\s+)?"
    r"(?:[A-Z][\w'’&.-]*[\w&]|[A-Z]\.?))*"
)
_NOT_NAMES = {
    "the", "a", "an", "but", "and", "or", "in", "on", "at", "for", "as", "it", "he", "she", "they", "we", "i",
    "this", "that", "these", "those", "his", "her", "their", "its", "there", "here", "after", "before", "while",
    "when", "if", "then", "so", "yet", "also", "however", "meanwhile", "still", "now", "today", "yesterday",
    "tomorrow", "last", "next", "mr", "mrs", "ms", "dr", "sir", "according", "read", "more", "related",
    "photo", "image", "video", "getty", "images", "ap", "reuters", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "one", "two", "three", "first", "second", "new", "some",
    "many", "other", "what", "which", "who", "how", "why", "where", "all", "both", "each", "every", "no", "not",
}  # fmt: skip
_FIGURE = re.compile(
    r"(?:[$€£¥₹]|\bRs\.?\s?|\bUSD\s?)?\d[\d,.]*(?:\s?(?:%|per\s?cent|percent|million|billion|trillion|bn|m\b|"
    r"thousand|crore|lakh))?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|a|several|dozens? of|hundreds? of)"
    r"\s+(?:hundred|thousand|million|billion|trillion|per\s?cent|percent)\b",
    re.I,
)
# Words of office: a name made only of these is a role, not the person ("Deputy Prime Minister").
_ROLE_WORDS = {
    "minister", "ministers", "prime", "deputy", "foreign", "president", "vice", "senator", "secretary", "chief",
    "ambassador", "governor", "general", "affairs", "ministry", "ministries", "state", "federal", "national",
    "chairman", "chair", "ceo", "director", "head", "spokesperson", "spokesman", "official", "officials",
    "premier", "king", "queen", "prince", "minister's", "counterpart", "delegation", "government", "office",
}  # fmt: skip
# Where a long sentence may be cut into clauses: semicolons, dashes, ", while", ", which", "; and"...
_CLAUSE_BREAK = re.compile(r";\s+|\s+[—–]\s+|,\s+(?=(?:while|whereas|which|but|although|though|as well as)\b)")
_TITLES = {"ceo", "cto", "cfo", "coo", "chair", "chairman", "chairwoman", "president", "minister", "secretary", "senator", "founder",
           "cofounder", "co-founder", "coach", "director", "spokesperson", "spokesman", "governor", "judge"}  # fmt: skip
# Words of a body, not a person: "who" questions prefer people.
_BODY_WORDS = {"ministry", "affairs", "department", "government", "office", "council", "committee", "agency",
               "commission", "parliament", "assembly", "court", "party", "police", "army", "forces"}  # fmt: skip
LONG_SENTENCE_WORDS = 32


@dataclass
class Lead:
    text: str  # the sentence as shown (prefix + clause)
    evidence: EvidenceSentence  # the clause it is built on (exact span, for the citation)
    answer: str = ""  # the name, date, figure or Yes it states


def clause(ev: EvidenceSentence, keep: str = "", question_terms: frozenset[str] = frozenset()) -> EvidenceSentence:
    """A long sentence cut to the clause that holds `keep` (or that shares most terms with the
    question); a short one as it is. The span stays exact: start/end move with the cut."""
    if len(ev.text.split()) <= LONG_SENTENCE_WORDS:
        return ev
    raw = ev.passage.text[ev.start - ev.passage.start : ev.end - ev.passage.start]
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(raw)] + [len(raw)]
    pieces = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1) if raw[cuts[i] : cuts[i + 1]].strip()]
    if len(pieces) < 2:
        return ev
    low_keep = keep.lower()

    def value(piece: tuple[int, int]) -> float:
        text = raw[piece[0] : piece[1]]
        hit = 2.0 if low_keep and low_keep in text.lower() else 0.0
        own = set(terms(text))
        return hit + (len(own & question_terms) / (len(question_terms) or 1))

    best = max(range(len(pieces)), key=lambda i: value(pieces[i]))
    lo, hi = pieces[best]
    # a clause too short to stand alone takes its neighbour
    if len(raw[lo:hi].split()) < 8:
        if best + 1 < len(pieces):
            hi = pieces[best + 1][1]
        elif best > 0:
            lo = pieces[best - 1][0]
    piece = raw[lo:hi]
    lead_ws = len(piece) - len(piece.lstrip())
    piece = piece.strip().rstrip(",;:—– ")
    if not piece:
        return ev
    start = ev.start + lo + lead_ws
    text = _SPACE.sub(" ", piece)
    if text[0].islower():
        text = text[0].upper() + text[1:]
    if text[-1] not in ".!?\"”'’)":
        text += "."
    return replace(ev, text=text, start=start, end=start + len(piece), terms=frozenset(terms(piece)), also=[])


def names_in(text: str, keep_titles: bool = False) -> list[str]:
    """Proper names in a sentence, possessives dropped ("Google's" -> "Google"); a person's title
    dropped too ("Fed Chair Paul Volcker" -> "Paul Volcker") unless `keep_titles`."""
    out = []
    for m in _NAME.finditer(text):
        name = re.sub(r"['’]s?$", "", m.group(0)).strip(" .&-")
        words = name.split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        while words and words[-1].lower() in ("of", "de", "the", "and", "&"):
            words = words[:-1]
        if not words:
            continue
        # "Quora CEO Adam D'Angelo", "Fed Chair Paul Volcker": the person after the title
        cut = -1 if keep_titles else max((i for i, w in enumerate(words[:-1]) if w.lower() in _TITLES), default=-1)
        if 0 <= cut < len(words) - 1 and words[cut + 1][:1].isupper():
            words = words[cut + 1 :]
        name = " ".join(words)
        if len(words) == 1 and re.match(r"^[A-Z][a-z]+-[a-z]", name):
            continue  # "Spider-themed", "AI-powered": an adjective, not a name
        if len(name) >= 2 and not name.isdigit():
            out.append(name)
    return out


def _is_role(name: str) -> bool:
    return all(w.lower() in _ROLE_WORDS or w.lower() in ("of", "the", "&") for w in name.split())


def best_entity(question: Question, ranked: list[EvidenceSentence], floor: float, exclude: list[str],
                depth: int = 40) -> str:  # fmt: skip
    """The name the strongest evidence agrees on, not one the question itself gives: each
    sentence above `floor` votes for its names with its score; names met in several sources count
    more; a short form ("Bankman-Fried") counts for the full name it is part of."""
    asked = question.text.lower()
    excluded = [e.lower() for e in exclude if e]
    votes: dict[str, float] = defaultdict(float)
    sources: dict[str, set[str]] = defaultdict(set)
    forms: dict[str, str] = {}
    for s in ranked[:depth]:
        if s.score < floor:
            break
        for name in dict.fromkeys(names_in(s.text)):
            key = name.lower()
            if key in asked or any(key in e or e in key for e in excluded) or key in STOPWORDS:
                continue
            if all(w in QUESTION_WORDS or w in STOPWORDS for w in key.split()) or _is_role(name):
                continue
            weight = s.score
            if question.kind == "who":  # a person: a full name rather than a place or a body
                if any(w.lower() in _BODY_WORDS for w in name.split()):
                    weight *= 0.2
                elif len(name.split()) == 1:
                    weight *= 0.5
            votes[key] += weight
            sources[key].add(s.source_id)
            forms.setdefault(key, name)
    if not votes:
        return ""
    total: dict[str, float] = {}
    for key in votes:
        longer = [k for k in votes if k != key and f" {key} " in f" {k} "]
        if longer:
            continue  # counted with its full form below
        parts = [k for k in votes if k == key or f" {k} " in f" {key} "]
        docs = set().union(*(sources[k] for k in parts))
        total[key] = sum(votes[k] for k in parts) * (1.0 + 0.5 * (len(docs) - 1))
    best = max(total, key=lambda k: total[k])
    return forms[best]


def entity_lead(question: Question, ranked: list[EvidenceSentence], floor: float, exclude: list[str],
                qterms: frozenset[str]) -> Lead | None:  # fmt: skip
    """The name the question asks for. "Who is the individual ...?" or "Which company ...?" asks for
    an identity: the name the evidence as a whole agrees on. "Who signed / came with ...?" asks who
    did something: a name from the best two sentences, which say it."""
    identity = question.kind == "which" or re.match(r"^who(?:m|se)?\s+(?:is|was|are|were)\b", question.core, re.I)
    name = best_entity(question, ranked, floor, exclude, depth=40 if identity else 2)
    if not name:
        return None
    holder = next((s for s in ranked if name.lower() in s.text.lower()), None)
    if holder is None:
        return None
    span = clause(holder, name, qterms)
    opening = " ".join(span.text.split()[:12]).lower()
    text = span.text if name.lower() in opening else f"{name}: {lower_first(span.text)}"
    return Lead(text, span, name)


def date_lead(ranked: list[EvidenceSentence], floor: float, qterms: frozenset[str]) -> Lead | None:
    """The best sentence that dates something, its date resolved against the article's own. A
    relative date ("on Tuesday") in an undated article takes the year from another source's report
    of the same fact when one among the best sentences is dated."""
    dated: list[tuple[EvidenceSentence, DateMention]] = []
    for s in ranked[:12]:
        if s.score < floor:
            break
        mentions = find_dates(s.text, s.passage.meta.published)
        if mentions:
            best = max(mentions, key=lambda m: (m.year is not None, m.day is not None, m.month is not None))
            dated.append((s, best))
    if not dated:
        return None
    s, mention = dated[0]
    if mention.year is None:  # unresolved: a near report with a year, if any
        s, mention = next(((e, m) for e, m in dated if m.year is not None), dated[0])
    span = clause(s, mention.text, qterms)
    if mention.resolved_from:  # "on Tuesday" in a report dated 2025-09-10 -> 2025-09-09
        return Lead(f"{mention.label}: {lower_first(span.text)}", span, mention.label)
    return Lead(span.text, span, mention.label)


def figure_lead(ranked: list[EvidenceSentence], floor: float, subject_terms: frozenset[str],
                qterms: frozenset[str]) -> Lead | None:  # fmt: skip
    """The best sentence that states a figure about the question's subject, or None."""
    for s in ranked[:12]:
        if s.score < floor:
            break
        figures = [m.group(0) for m in _FIGURE.finditer(s.text) if not _is_year(m.group(0))]
        if not figures:
            continue
        if subject_terms and len(subject_terms & (s.terms | s.context_terms)) < max(1, -(-2 * len(subject_terms) // 3)):
            continue
        span = clause(s, figures[0], qterms)
        return Lead(span.text, span, figures[0])
    return None


# A question that asserts something did not happen, or that reports conflict ("Did X fail to...?",
# "Was the coverage inconsistent...?"): the sources report what happened, so evidence of the event
# without a negation of its own answers it No.
_ASSERTS_NEGATION = re.compile(
    r"\b(?:not|no|never|fail(?:s|ed|ing)?|lack(?:s|ed|ing)?|without|unlike|neither|nor)\b|n['’]t\b", re.I
)
_ASSERTS_CONFLICT = re.compile(r"\b(?:inconsisten\w*|contradict\w*|disagree\w*|at odds|conflict(?:s|ed|ing)?)\b", re.I)
_NEGATED = re.compile(r"\b(?:not|no|never|without|neither|nor|fail(?:s|ed)?|lack(?:s|ed)?)\b|n['’]t\b", re.I)


def yes_no_lead(question: Question, ranked: list[EvidenceSentence], qterms: frozenset[str]) -> Lead:
    """Yes when the best evidence bears the question out; No when the question asserts a negation
    or a conflict that the evidence does not state (it reports the event, and reports agree)."""
    best = clause(ranked[0], "", qterms)
    said = "Yes"
    if _ASSERTS_CONFLICT.search(question.core):
        said = "No"
    elif _ASSERTS_NEGATION.search(question.core) and not any(_NEGATED.search(s.text) for s in ranked[:2]):
        said = "No"
    return Lead(f"{said}: {lower_first(best.text)}", best, said)


_LIST_SEPARATOR = re.compile(r",\s|\sand\s|;\s")


def list_lead(ranked: list[EvidenceSentence], qterms: frozenset[str], ratio: float = 0.75) -> Lead:
    """ "Which areas...?", "Who came with...?": of the sentences close to the best, the one that
    enumerates the most (the list itself rather than a sentence about it)."""
    close = [s for s in ranked[:6] if s.score >= ratio * ranked[0].score]
    best = max(close, key=lambda s: (min(len(_LIST_SEPARATOR.findall(s.text)), 8), s.score))
    span = clause(best, "", qterms)
    return Lead(span.text, span)


def plain_lead(ranked: list[EvidenceSentence], qterms: frozenset[str]) -> Lead:
    best = clause(ranked[0], "", qterms)
    return Lead(best.text, best)


def _is_year(text: str) -> bool:
    return bool(re.fullmatch(r"(?:19|20)\d\d", text.strip()))


def lower_first(text: str) -> str:
    """ "The trial started" -> "the trial started", to follow a prefix ("Yes: the trial..."); names
    and acronyms ("FTX", "Google") stay."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[1:].islower() and first.lower() in STOPWORDS:
        return text[0].lower() + text[1:]
    return text


# The entity labels (spaCy's NER) that can answer each asked type.
_LABELS = {
    "person": {"PERSON"},
    "organisation": {"ORG"},
    "place": {"GPE", "LOC", "FAC"},
    "other": {"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "NORP", "LAW"},
}
_FINALISTS = 4  # sentences parsed for names (a few ms each; the rest are searched for the names found)


def named_lead(question: Question, answer_type: str, ranked: list[EvidenceSentence], floor: float,
               exclude: list[str], qterms: frozenset[str]) -> Lead | None:  # fmt: skip
    """Say the name, then show it: "Murat Nurtleu. <the cited clause that names him>". The name is
    an entity of the type asked (a person for "who", an organisation for "which company"), found by
    the parser's named-entity reader in the best few sentences, not given by the question, and
    weighed by how much of the strong evidence (and how many sources) names it."""
    labels = _LABELS.get(answer_type, _LABELS["other"])
    identity = question.kind == "which" or re.match(
        r"^(?:who(?:m|se)?\s+(?:is|was|are|were)|(?:what|which)\s+(?:is|was)\s+the\s+names?)\b", question.core, re.I
    )
    # "who is the individual ...?" asks for the identity the evidence agrees on; "who signed ...?"
    # for whoever the best sentences say did it
    finalists = [s for s in ranked[: _FINALISTS if identity else 1] if s.score >= floor * 0.8] or ranked[:1]
    asked = question.text.lower()
    excluded = [e.lower() for e in exclude if e]
    candidates: dict[str, str] = {}
    depth_for_names = ranked[:40]
    for parse in english().parse_many([s.text for s in finalists]):
        for e in parse.entities:
            # from its first proper noun: "Loading Google", "Using Caroline Ellison" are a word too long
            first = next((i for i in range(e.start, e.end) if parse.tokens[i].pos == "PROPN"), e.start)
            text = parse.span_text(first, e.end) if first > e.start else e.text
            name = _without_title(re.sub(r"^(?:the|a|an)\s+|['’]s?$", "", text.strip(), flags=re.I).strip(" .,"))
            while name and name.split()[0].lower() in _NOT_NAMES | STOPWORDS and len(name.split()) > 1:
                name = name.split(" ", 1)[1]  # "Whereas Google" -> "Google"
            key = name.lower()
            if e.label not in labels and labels == {"PERSON"} and e.end - e.start <= 3:
                # a person met by surname alone is often read as an organisation ("Bankman-Fried's"):
                # a person when the evidence gives the full name ("Sam Bankman-Fried")
                full = _full_form(name, depth_for_names)
                if full != name and _person_like(full):
                    name, key = full, full.lower()
                else:
                    continue
            elif e.label not in labels:
                continue
            if len(name) < 2 or _is_role(name) or key in asked:
                continue
            if any(key == x or key in x for x in excluded) or all(w in STOPWORDS for w in key.split()):
                continue
            if e.label == "PERSON" and re.search(rf"(?<![\w-]){re.escape(key.split()[-1])}(?![\w-])", asked):
                continue  # the question names this person ("Dar's counterpart"): not the answer
            candidates.setdefault(key, name)
    if not candidates:
        return None
    depth = ranked[:40] if identity else finalists
    weight: dict[str, float] = {}
    for key, name in candidates.items():
        # a person is met by surname too ("Bankman-Fried" for "Sam Bankman-Fried")
        short = name.split()[-1] if labels == {"PERSON"} and len(name.split()) > 1 else name
        mention = re.compile(rf"(?<![\w-]){re.escape(short)}(?![\w-])")
        holders = [s for s in depth if mention.search(s.text) and s.score >= floor * 0.6]
        sources = {s.source_id for s in holders}
        weight[key] = sum(s.score for s in holders) * (1.0 + 0.5 * max(0, len(sources) - 1))
    for key in list(weight):  # "Bankman-Fried" counts for "Sam Bankman-Fried", not "Trump Tower" for "Trump"
        longer = [k for k in weight if k != key and k.endswith(" " + key)]
        if longer:
            best_longer = max(longer, key=lambda k: weight[k])
            weight[best_longer] = max(weight[best_longer], weight.pop(key))
    key = max(weight, key=lambda k: weight[k])
    if weight[key] <= 0:
        return None
    name = _full_form(candidates[key], ranked[:40])
    holder = next((s for s in ranked if name.lower() in s.text.lower()), None) or next(
        (s for s in ranked if key in s.text.lower()), None
    )
    if holder is None:
        return None
    if not identity and labels == {"PERSON"}:  # "who signed ...?": everyone the sentence says did it
        name = " and ".join([name, *co_agents(english().parse(holder.text), name)])
    span = clause(holder, name.split(" and ")[0], qterms)
    return Lead(f"{name}. {span.text}", span, name)


def co_agents(parse, name: str) -> list[str]:
    """The other people who do what `name` does in the sentence: subjects of the same verb ("Dar ...
    and his counterpart, Murat Nurtleu signed") and the people coordinated with it ("Dar and his
    counterpart, Murat Nurtleu"), each by their name (an appositive's name for "his counterpart")."""
    at = parse.text.find(name)
    own = next((t for t in parse.tokens if at >= 0 and t.idx < at + len(name) <= t.end), None)
    if own is None:
        return []
    last = name.split()[-1]
    top = own
    while top.dep == "conj":  # up to the first conjunct, then every conjunct below it
        top = parse.tokens[top.head]
    coordinated = {top.i}
    for t in parse.tokens:  # conjuncts follow their head, so one pass in order finds the chain
        if t.dep == "conj" and t.head in coordinated:
            coordinated.add(t.i)
    fellow_subjects = {
        t.i for t in parse.tokens if own.dep.startswith("nsubj") and t.dep == own.dep and t.head == own.head
    }
    found: list[str] = []
    for i in sorted((coordinated | fellow_subjects) - {own.i}):
        for h in [*(c.i for c in parse.children(i) if c.dep == "appos"), i]:  # "his counterpart, <name>"
            words = [t for t in parse.children(h) if t.dep == "compound" and t.pos == "PROPN"] + [parse.tokens[h]]
            person = _without_title(" ".join(t.text for t in sorted(words, key=lambda t: t.i)))
            if person and _person_like(person) and person.split()[-1] != last and person not in found:
                found.append(person)
                break
    return found


_LINKS = {"for", "of", "the", "and", "&"}


def _without_title(name: str) -> str:
    """ "Prime Minister Shehbaz Sharif" -> "Shehbaz Sharif"; "Kazakh Minister for Foreign Affairs"
    -> "" (a post, no name): titles, the nationality before them and their "for/of" phrases go."""
    words = name.split()
    i = 0
    while i < len(words):
        low = words[i].lower()
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if low in _ROLE_WORDS or low in _LINKS or low in _TITLES or nxt in _ROLE_WORDS or nxt in _TITLES:
            i += 1
            continue
        break
    rest = words[i:]
    if not rest or all(w.lower() in _ROLE_WORDS or w.lower() in _LINKS for w in rest):
        return ""
    return " ".join(rest)


def _person_like(name: str) -> bool:
    """Two or three capitalised words, none a title or a body ("Sam Bankman-Fried", not "FTX Trading")."""
    words = name.split()
    return (
        2 <= len(words) <= 3
        and all(w[:1].isupper() for w in words)
        and not any(w.lower() in _BODY_WORDS or w.lower() in _ROLE_WORDS for w in words)
    )


def _full_form(name: str, sentences: list[EvidenceSentence]) -> str:
    """ "Nurtleu" -> "Murat Nurtleu" when a sentence gives the longer form (capitalised words
    right before it, not a title)."""
    pattern = re.compile(rf"((?:[A-Z][\w'’.-]+\s+){{1,2}}){re.escape(name)}\b")
    for s in sentences:
        for m in pattern.finditer(s.text):
            words = [w for w in m.group(1).split() if w.lower() not in _ROLE_WORDS and w.lower() not in _NOT_NAMES]
            if words and len(words) == len(m.group(1).split()):
                return " ".join(words + [name])
    return name


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip
_WORD_OF = {n: w for w, n in _NUMBER_WORDS.items()}


def counted_lead(noun: str, ranked: list[EvidenceSentence], floor: float, qterms: frozenset[str]) -> Lead | None:
    """ "How many days was the visit?" -> "Two days: <the clause>"; "How many joint working groups
    met?" -> "Two: information technology and agriculture. <the clause>": a number the best
    sentences give for the noun asked about, else the items they list for it, counted. Read from
    the parse: a number modifying the noun ("two-day visit", "three agreements"), or the
    coordinated objects of the noun's preposition ("groups on IT and agriculture")."""
    if not noun:
        return None
    finalists = [s for s in ranked[:6] if s.score >= floor * 0.8]
    for s, parse in zip(finalists, english().parse_many([s.text for s in finalists])):
        toks = parse.tokens
        for t in toks:
            if t.lemma.lower() != noun and t.text.lower().lstrip("-") != noun:
                continue
            number = next((u for u in toks if u.head == t.i and u.dep == "nummod"), None)
            if number is None and t.dep == "compound" and t.pos == "NUM":  # "two -day visit"
                number = next((u for u in toks if u.head == t.head and u.dep == "nummod"), None)
            if number is None and t.i > 0 and toks[t.i - 1].pos == "NUM":
                number = toks[t.i - 1]
            if number is not None:
                unit = noun if number.text.lower() in ("one", "1") else _plural(noun)
                said = f"{number.text} {unit}"
                span = clause(s, number.text, qterms)
                return Lead(f"{said[0].upper()}{said[1:]}: {lower_first(span.text)}", span, said)
            items = _listed(parse, t.i)
            if len(items) >= 2:
                count = _WORD_OF.get(len(items), str(len(items)))
                listed = ", ".join(items[:-1]) + " and " + items[-1]
                span = clause(s, items[0], qterms)
                return Lead(f"{count.capitalize()}: {listed}. {span.text}", span, count)
    return None


def _listed(parse, i: int) -> list[str]:
    """The coordinated items a noun is "on/of/for/in": "groups on [IT] and [agriculture]"."""
    toks = parse.tokens
    for prep in (u for u in toks if u.head == i and u.dep == "prep"):
        first = next((u for u in toks if u.head == prep.i and u.dep == "pobj"), None)
        if first is None:
            continue
        heads = [first]
        frontier = [first.i]
        while frontier:
            node = frontier.pop()
            for u in toks:
                if u.head == node and u.dep == "conj":
                    heads.append(u)
                    frontier.append(u.i)
        if len(heads) >= 2:
            return [_phrase(parse, h.i) for h in sorted(heads, key=lambda h: h.i)]
    return []


def _phrase(parse, i: int) -> str:
    """A noun with its compounds and modifiers ("information technology"), without conjuncts or
    bracketed asides."""
    toks = parse.tokens
    lo = i
    while lo > 0 and toks[lo - 1].head == i and toks[lo - 1].dep in ("compound", "amod", "nmod"):
        lo -= 1
    return parse.span_text(lo, i + 1)


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun if noun.endswith("s") else noun + "s"

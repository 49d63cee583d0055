"""Reading a question: what kind of answer it wants, what it is about, and whom it attributes.

Pure text work, no store: the composer uses it to open an answer with the kind of statement the
question asks for (a name, a date, a figure, Yes/No), and to word a refusal that names what is
missing ("The sources give no figure for bilateral trade.")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefbot.answering.nlp import english
from retrieval.text.terms import query_terms

_AUX = {"do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "can", "could", "will",
        "would", "should", "shall", "may", "might", "must"}  # fmt: skip
_BE = {"is", "are", "was", "were"}
_WH = ("what", "which", "who", "whom", "whose", "when", "where", "why", "how")
# "Considering the reports of A and B, which ...": the clause before the question proper.
_LEAD_IN = re.compile(
    r"^(?:considering|based on|given|according to|between|after|before|following|in light of|from)\b[^?]*?,\s*"
    r"(?=(?:and\s+)?(?:" + "|".join(_WH + tuple(_AUX)) + r")\b)",
    re.I,
)
_QUANTITY = re.compile(
    r"^(?:how\s+(?:many|much|long|large|big|far|often|old)\b|(?:what|which)\s+(?:is|was|are|were)\s+the\s+"
    r"(?:value|amount|number|volume|size|total|figure|sum|cost|price|share|percentage|rate|level|count)\b)",
    re.I,
)
_WHEN = re.compile(r"^(?:when\b|(?:what|which)\s+(?:date|day|year|month|time)\b|by when\b)", re.I)
_AGREED = re.compile(r"\b(?:agree[ds]?|signed|sign|deals?|accords?|agreements?|mou?s?|memorand\w*)\b", re.I)
_NEXT = re.compile(r"\b(?:next|comes? after|upcoming|forthcoming|happens? now|plans?|planned|future)\b", re.I)
_COMPARE = re.compile(
    r"\b(?:agree|disagree|differ|different|difference|same|consistent|inconsistent|contradict\w*|compare\w*|"
    r"both|alike|similar|change[ds]?)\b",
    re.I,
)
_ENTITY_NOUN = re.compile(
    r"^(?:which|what)\s+(?:(?!(?:is|was|are|were|did|does|do|has|have|had|will)\b)\w+\s+){0,3}?(?P<noun>company|companies|individual|person|people|player|team|"
    r"firm|organi[sz]ation|country|city|outlet|publication|platform|product|brand|app|service|chatbot|"
    r"minister|official|leader|executive|ceo|founder|athlete|club|group|entity|figure|celebrity|artist|"
    r"singer|actor|star|coach|quarterback|state|nation|agency|bank|network|model|device|game|film|show|"
    r"event|tournament|party|body|institution|university|school|league|manufacturer|retailer)\b",
    re.I,
)
_PLURAL_WHICH = re.compile(
    r"^(?:which|what)\s+(?:\w+\s+)?(?!(?:is|was|has|does|as)\b)\w+s\b(?!\s+(?:is|was|has)\b)", re.I
)

# Attribution of a statement to an outlet: "an article from The Verge", "a Bloomberg report",
# "reported by Reuters", "according to 'Fortune'", "TechCrunch's coverage".
_NAME = r"['\"‘“]?(?:[A-Z0-9][\w.&'’-]*)(?:\s+(?:of\s+|&\s+|\|\s+|-\s+)?[A-Z0-9][\w.&'’:-]*)*['\"’”]?"
_KIND = r"(?:article|report|piece|review|story|coverage|analysis|publication|op-ed|editorial|column)s?"
# The first four name the outlet for certain; "according to Eddy Cue" may quote a person and in
# "the Brenner Base Tunnel report" the name may be the topic, so the last three count as an outlet
# only when no source mentions the name at all.
_ATTRIBUTION = [
    re.compile(p)
    for p in (
        rf"\b{_KIND}\s+(?:from|by|in|published by|published in)\s+(?:the\s+)?(?P<n>{_NAME})",
        rf"\banother\s+(?:one\s+)?(?:from|by|in)\s+(?:the\s+)?(?P<n>{_NAME})",
        rf"\b(?:reported by|published by|covered by|reports? from)\s+(?:both\s+)?(?:the\s+)?(?P<n>{_NAME})",
        rf"\b(?:an?)\s+(?P<n>{_NAME})\s+{_KIND}\b",  # "a Bloomberg article"
        rf"\baccording to\s+(?:both\s+)?(?:the\s+)?(?P<n>{_NAME})",  # an outlet, or a person quoted
        rf"\b(?:the)\s+(?P<n>{_NAME})\s+{_KIND}\b",
        rf"(?P<n>{_NAME})['’]s?\s+{_KIND}\b",
    )
]
_CERTAIN = 4
_AND_NAME = re.compile(rf"\s+and\s+(?:the\s+)?(?P<n>{_NAME})")  # "according to Fortune and Reuters"
_NOT_OUTLET = re.compile(
    r"^(?:the\s+)?(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"week|first|second|third|latest|recent|same|other|former|latter|two|both|\d)\b",
    re.I,
)

# Verbs whose past tense a refusal needs ("what did X propose" -> "what X proposed").
_IRREGULAR = {
    "come": "came", "go": "went", "say": "said", "meet": "met", "make": "made", "take": "took", "give": "gave",
    "get": "got", "hold": "held", "lead": "led", "tell": "told", "see": "saw", "do": "did", "have": "had",
    "win": "won", "lose": "lost", "pay": "paid", "buy": "bought", "sell": "sold", "bring": "brought",
    "think": "thought", "find": "found", "leave": "left", "send": "sent", "spend": "spent", "build": "built",
    "know": "knew", "begin": "began", "run": "ran", "write": "wrote", "speak": "spoke", "keep": "kept",
    "put": "put", "set": "set", "cut": "cut", "become": "became", "seek": "sought", "fall": "fell",
    "arrive": "arrived", "sign": "signed", "attend": "attended", "agree": "agreed",
}  # fmt: skip
_PARTICIPLE = re.compile(r"^\w{3,}(?:ed|en)$|^(?:held|met|made|led|told|said|signed|given|taken|built|sent|"
                         r"paid|sold|bought|won|lost|done|seen|known|begun|written|spoken|kept|set|put|cut)$")  # fmt: skip
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "his", "her", "its", "their", "our", "two",
                "both", "each", "any", "some", "kazakh", "pakistani"}  # fmt: skip


_PREPOSITIONS = {"on", "in", "at", "with", "to", "for", "from", "about", "by", "during", "before", "after",
                 "over", "into", "against", "between", "regarding", "without", "under"}  # fmt: skip


@dataclass(frozen=True)
class Question:
    text: str  # as asked, whitespace-normalised
    core: str  # the question proper, without a leading "Considering ...," clause
    kind: str  # yesno | who | which | when | where | quantity | agreed | why | next | compare | list | open
    outlets: tuple[str, ...] = ()  # outlets the question attributes statements to
    certain_outlets: tuple[str, ...] = ()  # those named as a source for certain ("a report by X")

    @property
    def wants_entity(self) -> bool:
        return self.kind in ("who", "which")


def read_question(text: str) -> Question:
    text = " ".join(text.split())
    core = _LEAD_IN.sub("", text, count=1).strip()
    core = re.sub(r"^and\s+", "", core, flags=re.I)
    attributed = _attributions(text)
    return Question(text=text, core=core, kind=_kind(core), outlets=tuple(dict.fromkeys(n for n, _ in attributed)),
                    certain_outlets=tuple(dict.fromkeys(n for n, certain in attributed if certain)))  # fmt: skip


def _kind(core: str) -> str:
    low = core.lower().rstrip("?. ")
    first = low.split(" ", 1)[0] if low else ""
    if first in _AUX:
        if _COMPARE.search(low) and re.search(r"\b(?:sources|reports|articles|outlets|both)\b", low):
            return "compare"
        return "yesno"
    if _QUANTITY.match(low):
        return "quantity"
    if _WHEN.match(low):
        return "when"
    if first == "where":
        return "where"
    if first == "why":
        return "why"
    if first in ("who", "whom", "whose"):
        return "who"
    if re.match(r"^how\s+(?:do|does|did)\b.*\b(?:differ|compare)\b", low) or (
        _COMPARE.search(low) and re.search(r"\b(?:two|both)\s+(?:sources|reports|articles)\b", low)
    ):
        return "compare"
    if first in ("what", "which"):
        if _ENTITY_NOUN.match(low) and not _PLURAL_WHICH.match(low):
            return "which"
        if re.search(
            r"\bnext\b|\bhappens?\b.*\b(?:before|after|now)\b|\bupcoming\b|\bexpected\b|\bplanned\b|"
            r"\bwill happen\b|\bdue\b|\bpending\b|\bopen items?\b|\bremains? to be\b",
            low,
        ):
            return "next"
        if _AGREED.search(low) and re.match(r"^what\s+(?:was|were|has been|have been|did)\b", low):
            return "agreed"
        if _PLURAL_WHICH.match(low) or re.match(r"^what\s+(?:are|were)\b", low):
            return "list"
    if first in ("list", "name"):
        return "list"
    return "open"


_COMPARE_WORDS = {"agre", "disagre", "differ", "report", "sourc", "articl", "outlet", "compar", "same", "consist",
                  "inconsist", "contradict", "similar", "alik", "chang", "account", "stori", "version"}  # fmt: skip


def names_nothing_to_compare(question: Question) -> bool:
    """ "How do the two reports differ?": a compare question with no topic of its own."""
    if question.kind != "compare":
        return False
    return not [t for t in query_terms(question.core) if t not in _COMPARE_WORDS and not t.isdigit()]


def attributed_outlets(text: str, certain_only: bool = False) -> list[str]:
    """Outlet names the question attributes statements to, as written ("The Wall Street Journal")."""
    return list(dict.fromkeys(name for name, certain in _attributions(text) if certain or not certain_only))


def _attributions(text: str) -> list[tuple[str, bool]]:
    """(outlet name, named for certain) for each attribution in the text, in pattern order."""
    matches = [(m, i < _CERTAIN) for i, pattern in enumerate(_ATTRIBUTION) for m in pattern.finditer(text)]
    for m, certain in list(matches):
        if m.end("n") == m.end():  # the name ends the phrase: "according to Fortune and Reuters"
            more = _AND_NAME.match(text, m.end())
            if more and not pattern_kind_follows(text, more.end()):
                matches.append((more, certain))
    found: list[tuple[str, bool]] = []
    for m, certain in matches:
        if _inside_quotation(text, m.start("n")) or _quoted_person(text, m):
            continue
        name = re.sub(r"['’]s?$", "", m.group("n").strip(" '\"‘’“”")).strip()
        for part in re.split(r"\s+and\s+|,\s*", name):
            part = part.strip(" '\"‘’“”")
            if part and not _NOT_OUTLET.match(part):
                found.append((part, certain))
    return found


_QUOTES = "'\"‘’“”"


def _inside_quotation(text: str, at: int) -> bool:
    """Whether `at` falls inside a quoted title ("the 'NBA Rookie of the Year Odds' article")."""
    if at < len(text) and text[at] in _QUOTES:
        return False  # the name opens its own quotation: "the 'Fortune' article"
    before = text[max(0, at - 80) : at]
    opened = [i for i, c in enumerate(before) if c in _QUOTES and (i == 0 or not before[i - 1].isalpha())]
    closed = [i for i, c in enumerate(before) if c in _QUOTES and i > 0 and before[i - 1].isalpha()]
    return bool(opened) and (not closed or opened[-1] > closed[-1])


def _quoted_person(text: str, m: re.Match) -> bool:
    """ "according to Megan Grey in 'The Age'": a person quoted by an outlet, not the outlet."""
    return re.match(r"\s+(?:in|of|at|from|for|to)\s+(?:the\s+)?['\"‘“]?[A-Z]", text[m.end("n") :]) is not None


def pattern_kind_follows(text: str, at: int) -> bool:
    """Whether "article", "report"... follows: "X and a Y report" is read by the other patterns."""
    return re.match(rf"\s+{_KIND}\b", text[at:]) is not None


def outlet_key(name: str) -> str:
    """An outlet name reduced for matching: "The Verge" ~ "the verge", "CNBC" ~ "Cnbc | World ..."."""
    name = re.sub(r"^the\s+", "", name.strip().lower())
    return " ".join(re.findall(r"[a-z0-9]+", name))


def outlet_known(name: str, outlets: list[str]) -> bool:
    """Whether `name` is one of `outlets` (the store's), allowing "CNBC" for "Cnbc | World Business..."."""
    key = outlet_key(name)
    if not key:
        return True
    for outlet in outlets:
        other = outlet_key(outlet)
        if not other:
            continue
        if key == other or f" {key} " in f" {other} " or f" {other} " in f" {key} ":
            return True
    return False


def subject_of(question: Question) -> str:
    """What the question is about, as a noun phrase for a refusal ("bilateral trade")."""
    low = question.core.rstrip("?.! ").strip()
    stripped = re.sub(
        r"^(?:how\s+(?:many|much)(?:\s+\w+)?\s+(?:is|are|was|were|did|does|do|has|have|will)?|"
        r"(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?:value|amount|number|volume|size|total|figure|sum|cost|"
        r"price|share|percentage|rate|level|count)\s+(?:of|for)|(?:what|which|who|when|where|why|how)\s+"
        r"(?:is|are|was|were|did|does|do|has|have|will)?)\s*",
        "",
        low,
        flags=re.I,
    )
    return stripped or low


def indirect(question: Question) -> str:
    """The question as an indirect one for "The sources don't say ...": "what the Prime Minister
    proposed", "where the signing took place", "how many days the visit was", "whether Dar met
    Nurtleu". Word order and the verb's tense come from the parse (the auxiliary, its verb, the
    subject between them) and the verb's lemma; "" when it cannot tell."""
    try:
        parse = english().parse(question.core.rstrip("?.! "))
    except Exception:  # noqa: BLE001 - the pipeline cannot load: the word-order reading below
        return _indirect_by_words(question)
    said = _indirect_parsed(parse)
    return said if said is not None else _indirect_by_words(question)


def _indirect_parsed(parse) -> str | None:
    toks = [t for t in parse.tokens if not (t.pos == "PUNCT" and t.i == len(parse.tokens) - 1)]
    if len(toks) < 2:
        return None
    first = toks[0].text.lower()
    if first in _AUX:
        opener, rest_at = "whether", 0
    elif first in _WH:
        rest_at = 1
        if first in ("how", "what", "which", "whose") and toks[1].text.lower() not in _AUX:
            # the wh-phrase runs to its noun or adjective: "how many days", "which areas", "how long"
            while rest_at < len(toks) and toks[rest_at].text.lower() not in _AUX and toks[rest_at].pos not in ("VERB",):
                rest_at += 1
                if (
                    toks[rest_at - 1].pos in ("NOUN", "PROPN", "ADJ")
                    and rest_at < len(toks)
                    and toks[rest_at].pos in ("AUX", "VERB")
                ):
                    break
        opener = _texts(toks[:rest_at])[0]
        opener = opener[:1].lower() + opener[1:]
    else:
        return None
    rest = toks[rest_at:]
    if not rest:
        return None
    if rest[0].text.lower() not in _AUX:
        return f"{opener} {' '.join(_texts(rest))}"  # "who signed the plan": already in order
    aux = rest[0]
    low_aux = aux.text.lower()
    tail = rest[1:]
    if not tail:
        return f"{opener} {low_aux}"
    verb = next((t for t in tail if t.i == aux.head and (t.pos in ("VERB", "AUX") or aux.dep in ("aux", "auxpass"))),
                None)  # fmt: skip
    if verb is None and low_aux in _BE:  # "was the plan signed (in Astana)": the participle
        verb = next((t for t in tail if t.tag == "VBN" and t.pos == "VERB" and (t.head == aux.i or t.dep == "ROOT")),
                    None)  # fmt: skip
    if verb is None and low_aux in _BE:  # a copula: "how many days was the visit", "is the plan final"
        head = next((t for t in tail if t.dep in ("nsubj", "nsubjpass", "expl")), None)
        if head is not None:
            lo, hi = parse.subtree(head.i)
            # a predicate the parser hung on the subject ("the reports consistent about", "the link operating")
            hi = next((t.i for t in tail if head.i < t.i < hi and t.dep in ("amod", "acl")
                       and (t.pos == "ADJ" or t.tag in ("VBG", "VBN"))), hi)  # fmt: skip
        elif first in _AUX:  # "are the two reports consistent ...": the subject runs to the adjective
            at = next((t.i for t in tail[1:] if t.pos == "ADJ"), None)
            if at is None:
                return None
            lo, hi = tail[0].i, at
        else:
            return f"{opener} {' '.join(_texts(tail))} {low_aux}"
        subject = [t for t in tail if lo <= t.i < hi]
        others = [t for t in tail if not lo <= t.i < hi]
        return f"{opener} {' '.join(_texts(subject))} {low_aux} {' '.join(_texts(others))}".rstrip()
    if verb is None:
        return None
    helpers = [t for t in tail if t.i < verb.i and t.head == verb.i and t.dep in ("aux", "auxpass", "neg")]
    subject = [t for t in tail if t.i < verb.i and t not in helpers]
    after = [t for t in tail if t.i > verb.i]
    if not subject and first not in _AUX:
        return f"{opener} {' '.join(_texts(rest))}"  # "how many agreements will be signed": in order
    if low_aux in ("do", "does", "did"):
        lemma = verb.lemma.lower()
        form = _past(lemma) if low_aux == "did" else (_third_person(lemma) if low_aux == "does" and
                                                     _singular(subject) else lemma)  # fmt: skip
        parts = [*_texts(subject), form, *_texts(after)]
    else:  # "was the plan signed" -> "the plan was signed"; "where will it be held" -> "where it will be held"
        parts = [*_texts(subject), low_aux, *_texts(helpers), verb.text, *_texts(after)]
    if not subject:
        return None
    return f"{opener} {' '.join(parts)}"


def _texts(tokens) -> list[str]:
    """The tokens as written (their own spacing), as one piece: ["the President's arrival"]."""
    tokens = list(tokens)
    if not tokens:
        return []
    text = "".join(t.text + t.whitespace for t in tokens[:-1]) + tokens[-1].text
    return [text.strip()]


def _singular(subject) -> bool:
    heads = [t for t in subject if t.dep in ("nsubj", "nsubjpass")]
    head = heads[0] if heads else (subject[-1] if subject else None)
    if head is None:
        return True
    if any(t.dep == "conj" for t in subject):
        return False
    return head.tag not in ("NNS", "NNPS") and head.text.lower() not in ("they", "we", "you", "i")


def _indirect_by_words(question: Question) -> str:
    words = question.core.rstrip("?.! ").split()
    if len(words) < 2:
        return ""
    first = words[0].lower()
    if first in _AUX:
        return "whether " + _declarative(words[0], words[1:], yes_no=True)
    wh = [words[0].lower()]
    rest = words[1:]
    if wh[0] in ("how", "what", "which", "whose") and rest and rest[0].lower() not in _AUX:
        wh.append(rest[0])  # "how many", "which areas"
        rest = rest[1:]
    if rest and rest[0].lower() in _AUX:
        aux, tail = rest[0], rest[1:]
        if not tail:
            return " ".join(wh + [aux.lower()])
        return " ".join(wh) + " " + _declarative(aux, tail)
    return " ".join(wh + rest)  # "who signed the plan": already in order


def _declarative(aux: str, tail: list[str], yes_no: bool = False) -> str:
    """ "did" + ["the", "PM", "propose", "a", "corridor"] -> "the PM proposed a corridor"."""
    low_aux = aux.lower()
    if low_aux in _BE:
        # "was the plan signed" -> "the plan was signed"; "is the value of trade" -> "the value of trade is"
        if len(tail) == 1 or _PARTICIPLE.match(tail[0].lower()):
            return " ".join([low_aux] + tail)  # "what was agreed (on gas)"
        for i, w in enumerate(tail):
            if i > 0 and _PARTICIPLE.match(w.lower()):
                return " ".join(tail[:i] + [low_aux] + tail[i:])
        if yes_no:  # "was the reporting consistent" -> "the reporting was consistent"
            return " ".join(tail[:-1] + [low_aux] + tail[-1:])
        return " ".join(tail + [low_aux])
    if low_aux in ("do", "does", "did"):
        at = _verb_index(tail)
        if at is None:
            return " ".join(tail)
        verb = tail[at].lower()
        if low_aux == "did":
            verb = _past(verb)
        elif low_aux == "does":
            verb = _third_person(verb)
        return " ".join(tail[:at] + [verb] + tail[at + 1 :])
    # modal or perfect: "will the president visit" -> "the president will visit"
    lowered = [w.lower() for w in tail]
    verb_at = lowered.index("be") if "be" in lowered[1:] else _verb_index(tail)
    if verb_at is None:
        return " ".join([low_aux] + tail)
    return " ".join(tail[:verb_at] + [low_aux] + tail[verb_at:])


def _verb_index(tail: list[str]) -> int | None:
    """Where the main verb is: the word before the first determiner or preposition that follows
    the subject ("the PM | propose | a corridor"), else the last word ("the plan | cover")."""
    start = next((i for i, w in enumerate(tail) if w.lower() not in _DETERMINERS), None)
    if start is None or start == len(tail) - 1:
        return None
    if tail[start][:1].isupper():  # a named subject: the verb is the first lower-case word after it
        return next((j for j in range(start + 1, len(tail)) if tail[j][:1].islower()), None)
    for j in range(start + 2, len(tail)):
        if tail[j].lower() in _DETERMINERS or tail[j].lower() in _PREPOSITIONS:
            return j - 1
    return len(tail) - 1


def _past(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ied"
    return verb + "ed"


def _third_person(verb: str) -> str:
    if verb == "have":
        return "has"
    if re.search(r"(?:s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"

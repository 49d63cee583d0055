"""Open questions and briefs scored by key points ("nuggets"), as TREC's RAG track scores answers.

An open-question set is JSON Lines: `id`, `question`, `kind` (agreed, said, open, happened, terms,
compare, overview, unanswerable; or `brief`, whose `question` is a brief's topic), `sources`, and
`nuggets`: [{text, vital, any: [[term, ...], ...]}]. A nugget is covered when every group in `any`
has at least one of its terms in the answer (case-insensitive substring). Scored per item: the
share of vital and of all nuggets covered, words, duplicate pairs (two statements of one answer
sharing most of their content words), and whether it refused."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from briefbot.answer import Answer
from briefbot.evaluation.questions import EvalDataError
from retrieval.text.terms import terms

UNANSWERABLE = "unanswerable"
BRIEF = "brief"
_MARKS = re.compile(r"\[\d+\]")
_WORDS = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.,%$-]*")


@dataclass(frozen=True)
class Nugget:
    text: str
    any: tuple[tuple[str, ...], ...]
    vital: bool = False

    def covered_by(self, text: str) -> bool:
        low = text.lower()
        return bool(self.any) and all(any(term.lower() in low for term in group) for group in self.any)


@dataclass(frozen=True)
class OpenQuestion:
    id: str
    question: str
    kind: str
    nuggets: tuple[Nugget, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.kind != UNANSWERABLE


@dataclass
class OpenResult:
    id: str
    question: str
    kind: str
    answer: str
    refused: bool
    words: int
    statements: int
    duplicate_pairs: int
    vital: int = 0  # vital nuggets in the set
    vital_covered: int = 0
    nuggets: int = 0
    covered: int = 0
    missed: list[str] = field(default_factory=list)
    latency_ms: float = 0.0


def is_open_set(path: Path) -> bool:
    """True when the file's first record carries `nuggets` (an open-question set)."""
    try:
        with open(path, encoding="utf-8") as f:
            first = next((line for line in f if line.strip()), "")
        return "nuggets" in json.loads(first)
    except (OSError, ValueError):
        return False


def load_open_questions(path: Path) -> list[OpenQuestion]:
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalDataError(f"Cannot read the question file {path}: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            nuggets = tuple(
                Nugget(str(g["text"]), tuple(tuple(str(t) for t in grp) for grp in g["any"]), bool(g.get("vital")))
                for g in rec.get("nuggets") or []
            )
            out.append(OpenQuestion(str(rec.get("id") or f"o{n}"), str(rec["question"]), str(rec.get("kind") or ""),
                                    nuggets, tuple(rec.get("sources") or ())))  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalDataError(f"{path}:{n}: not an open question with nuggets ({exc}).") from exc
    return out


def plain(text: str) -> str:
    return " ".join(_MARKS.sub("", text).split())


def word_count(text: str) -> int:
    return len(_WORDS.findall(plain(text)))


def content_words(text: str) -> frozenset[str]:
    return frozenset(t for t in terms(plain(text)) if not t.isdigit() or len(t) > 1)


def same_content(a: str, b: str, share: float = 0.6, mutual: float = 0.4) -> bool:
    """Two statements that share most of their content words: `share` of the shorter one's, and
    `mutual` of the longer one's (a short statement whose few words recur in a long one on the same
    topic, "The last visit was in 2003" beside a sentence on the visit, says something else)."""
    wa, wb = content_words(a), content_words(b)
    if min(len(wa), len(wb)) < 3:
        return False
    shared = len(wa & wb)
    return shared / min(len(wa), len(wb)) >= share and shared / max(len(wa), len(wb)) >= mutual


def duplicate_pairs(statements: list[str]) -> int:
    return sum(same_content(a, b) for i, a in enumerate(statements) for b in statements[i + 1 :])


def answer_statements(answer: Answer) -> list[str]:
    return [s.text for s in answer.sentences]


def score_text(q: OpenQuestion, text: str, statements: list[str], refused: bool, latency_ms: float = 0.0) -> OpenResult:
    shown = "" if refused else text
    vital = [n for n in q.nuggets if n.vital]
    return OpenResult(
        id=q.id, question=q.question, kind=q.kind, answer=text, refused=refused, words=word_count(text),
        statements=len(statements), duplicate_pairs=duplicate_pairs(statements), vital=len(vital),
        vital_covered=sum(n.covered_by(shown) for n in vital), nuggets=len(q.nuggets),
        covered=sum(n.covered_by(shown) for n in q.nuggets),
        missed=[n.text for n in q.nuggets if not n.covered_by(shown)], latency_ms=round(latency_ms, 1),
    )  # fmt: skip


def score_answer(q: OpenQuestion, answer: Answer, latency_ms: float = 0.0) -> OpenResult:
    return score_text(q, answer.text, answer_statements(answer), answer.refused, latency_ms)


def brief_body(markdown: str) -> str:
    """A brief as `briefbot brief` prints it, from its title to the Sources list (not included)."""
    head, _, _ = markdown.partition("\n## Sources")
    return head


def brief_items(markdown: str) -> list[str]:
    """The statements of a brief's body: the bottom line's sentences and every bullet."""
    items = []
    section = ""
    for line in brief_body(markdown).splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line.startswith("- "):
            items.append(re.sub(r"^\*\*[^*]+\*\* — ", "", line[2:]))
        elif section == "Bottom line" and line.strip():
            items += [s for s in re.split(r"(?<=[.\]])\s+(?=[A-Z])", line) if s.strip()]
    return items


def score_brief(q: OpenQuestion, markdown: str, latency_ms: float = 0.0) -> OpenResult:
    body = brief_body(markdown)
    return score_text(q, body, brief_items(markdown), refused=False, latency_ms=latency_ms)


def summarize_open(results: list[OpenResult]) -> dict:
    answerable = [r for r in results if r.kind not in (UNANSWERABLE, BRIEF)]
    unanswerable = [r for r in results if r.kind == UNANSWERABLE]
    briefs = [r for r in results if r.kind == BRIEF]
    vital = sum(r.vital for r in answerable)
    total = sum(r.nuggets for r in answerable)
    shown = [r for r in answerable if not r.refused]
    return {
        "questions": len(answerable) + len(unanswerable),
        "vital_recall": round(sum(r.vital_covered for r in answerable) / vital, 3) if vital else None,
        "all_recall": round(sum(r.covered for r in answerable) / total, 3) if total else None,
        "words_mean": round(sum(r.words for r in shown) / len(shown), 1) if shown else None,
        "words_max": max((r.words for r in shown), default=None),
        "duplicate_pairs": sum(r.duplicate_pairs for r in answerable),
        "unanswerable_refused": f"{sum(r.refused for r in unanswerable)}/{len(unanswerable)}",
        "answerable_refused": f"{sum(r.refused for r in answerable)}/{len(answerable)}",
        "latency_ms_mean": round(sum(r.latency_ms for r in answerable + unanswerable) / len(answerable + unanswerable), 1)
        if answerable or unanswerable else None,
        "briefs": [
            {"topic": r.question, "vital_recall": round(r.vital_covered / r.vital, 3) if r.vital else None,
             "all_recall": round(r.covered / r.nuggets, 3) if r.nuggets else None, "words": r.words,
             "duplicate_items": r.duplicate_pairs, "missed": r.missed}
            for r in briefs
        ],
    }  # fmt: skip


def format_open_table(summary: dict) -> str:
    rows = [
        ("vital key-point recall", summary["vital_recall"]),
        ("all key-point recall", summary["all_recall"]),
        ("words per answer (mean)", summary["words_mean"]),
        ("words per answer (max)", summary["words_max"]),
        ("duplicate pairs", summary["duplicate_pairs"]),
        ("unanswerable refused", summary["unanswerable_refused"]),
        ("answerable refused", summary["answerable_refused"]),
        ("latency ms (mean)", summary["latency_ms_mean"]),
    ]
    lines = [f"open questions: {summary['questions']}"]
    lines += [f"  {name:<28} {'-' if v is None else v}" for name, v in rows]
    for b in summary["briefs"]:
        lines.append(f"brief {b['topic']!r}: vital {b['vital_recall']} all {b['all_recall']} "
                     f"words {b['words']} duplicate items {b['duplicate_items']}")  # fmt: skip
        lines += [f"  missed: {m}" for m in b["missed"]]
    return "\n".join(lines)


def results_json(results: list[OpenResult]) -> list[dict]:
    return [asdict(r) for r in results]

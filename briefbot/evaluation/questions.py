"""The questions of an evaluation: the dev format (JSON Lines: id, question, kind,
must_mention_any, expect_sources) read here; MultiHop-RAG read by briefbot.evaluation.multihop into the same
EvalQuestion."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from briefbot.errors import BriefbotError

KINDS = ("factoid", "list", "summary", "unanswerable")


class EvalDataError(BriefbotError):
    """A question or corpus file cannot be read or is not in a known format."""


@dataclass
class EvalQuestion:
    id: str
    question: str
    kind: str = "factoid"  # factoid | list | summary | unanswerable (MultiHop: its question_type)
    must_mention_any: list[list[str]] = field(default_factory=list)
    expect_sources: list[str] = field(default_factory=list)  # source ids (file names)
    gold_answer: str = ""

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def load_dev_questions(path: Path) -> list[EvalQuestion]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalDataError(f"Cannot read the question file {path}: {exc.strerror or exc}") from exc
    if "".join(lines).lstrip().startswith("["):
        raise EvalDataError(
            f"{path} is a JSON array, not JSON Lines; MultiHop-RAG queries go with "
            f"`briefbot eval --corpus CORPUS --queries {path}`."
        )
    questions: list[EvalQuestion] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{path}:{n}: not a JSON object ({exc.msg}).") from exc
        if not isinstance(rec, dict) or not str(rec.get("question") or "").strip():
            if isinstance(rec, dict) and "query" in rec:
                raise EvalDataError(
                    f"{path} looks like MultiHop-RAG queries: use `briefbot eval --corpus CORPUS --queries {path}`."
                )
            raise EvalDataError(f"{path}:{n}: each line needs a 'question'.")
        kind = str(rec.get("kind") or "factoid")
        if kind not in KINDS:
            raise EvalDataError(f"{path}:{n}: kind '{kind}' is not one of {', '.join(KINDS)}.")
        groups = rec.get("must_mention_any") or []
        if not all(isinstance(g, list) for g in groups):
            raise EvalDataError(f"{path}:{n}: must_mention_any is a list of lists of terms.")
        questions.append(
            EvalQuestion(
                id=str(rec.get("id") or f"line{n}"),
                question=str(rec["question"]),
                kind=kind,
                must_mention_any=[[str(t) for t in g] for g in groups],
                expect_sources=[str(s) for s in rec.get("expect_sources") or []],
            )
        )
    if not questions:
        raise EvalDataError(f"{path} holds no questions.")
    return questions

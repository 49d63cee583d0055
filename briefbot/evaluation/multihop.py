"""The MultiHop-RAG format (Tang & Yang, 2024): a corpus JSON of news articles and a JSON of queries.

- corpus: a list of {title, body, source, url, published_at, ...} (a JSON array, or one object a line)
- queries: a list of {query, answer, question_type, evidence_list: [{title, url, fact, ...}]};
  question_type "null_query" means the corpus does not answer it (answer "Insufficient information.").

The articles become Markdown files with YAML front matter (title, source, url, published), ingested
like any other source into a collection of their own, named by a hash of the corpus, so a second run
over the same corpus re-embeds nothing. Evidence is matched to articles by url, else by title."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from briefbot.evaluation.questions import EvalDataError, EvalQuestion
from briefbot.service import BriefingService
from briefbot.settings import Settings

# Part of the collection name: bump it when the way articles are written out changes.
WRITER_VERSION = "1"
NULL_QUERY = "null_query"
# Gold answers that are no use as must-mention terms (comparison and null queries).
_NON_TERMS = {"yes", "no", "insufficient information", "insufficient information."}


@dataclass(frozen=True)
class Article:
    index: int
    title: str
    body: str
    source: str = ""
    url: str = ""
    published: str = ""  # YYYY-MM-DD, or ""

    @property
    def file_name(self) -> str:
        """Also the article's source_id once ingested (its path relative to the ingest root)."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:48].rstrip("-")
        return f"{self.index:05d}-{slug or 'article'}.md"


def read_records(path: Path, what: str) -> list[dict]:
    """A JSON array of objects, or JSON Lines."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalDataError(f"Cannot read the {what} file {path}: {exc.strerror or exc}") from exc
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records = json.loads(text)
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise EvalDataError(f"{path} is not valid JSON or JSON Lines ({exc}).") from exc
    if isinstance(records, dict):  # {"data": [...]} and the like
        lists = [v for v in records.values() if isinstance(v, list)]
        records = lists[0] if len(lists) == 1 else []
    if not records or not all(isinstance(r, dict) for r in records):
        raise EvalDataError(f"{path}: expected a list of {what} objects, found none.")
    return records


def load_corpus(path: Path) -> list[Article]:
    articles: list[Article] = []
    for i, rec in enumerate(read_records(path, "corpus")):
        body = str(rec.get("body") or rec.get("text") or "").strip()
        title = " ".join(str(rec.get("title") or "").split())
        if not body:
            raise EvalDataError(f"{path}: article {i} ({title or 'untitled'}) has no body.")
        articles.append(
            Article(
                index=i,
                title=title,
                body=body,
                source=" ".join(str(rec.get("source") or rec.get("outlet") or "").split()),
                url=str(rec.get("url") or "").strip(),
                published=_iso_day(str(rec.get("published_at") or rec.get("published") or "")),
            )
        )
    return articles


def load_queries(path: Path, articles: list[Article]) -> tuple[list[EvalQuestion], list[str]]:
    """The queries as EvalQuestions whose expected sources are the evidence articles' file names.
    Returns the questions and warnings (evidence that matches no article)."""
    by_url = {_norm_url(a.url): a for a in articles if a.url}
    by_title = {_norm_title(a.title): a for a in articles if a.title}
    questions: list[EvalQuestion] = []
    warnings: list[str] = []
    for i, rec in enumerate(read_records(path, "query")):
        text = " ".join(str(rec.get("query") or rec.get("question") or "").split())
        if not text:
            raise EvalDataError(f"{path}: query {i} has no 'query' text.")
        qtype = str(rec.get("question_type") or "")
        answer = " ".join(str(rec.get("answer") or "").split())
        null = qtype == NULL_QUERY
        expected: list[str] = []
        for ev in rec.get("evidence_list") or []:
            article = by_url.get(_norm_url(str(ev.get("url") or ""))) or by_title.get(
                _norm_title(str(ev.get("title") or ""))
            )
            if article is None:
                warnings.append(f"query {i}: evidence '{ev.get('title') or ev.get('url')}' is not in the corpus")
            elif article.file_name not in expected:
                expected.append(article.file_name)
        mention = [] if null or answer.lower() in _NON_TERMS or not answer else [[answer]]
        questions.append(
            EvalQuestion(
                id=str(rec.get("id") or f"q{i + 1:04d}"),
                question=text,
                kind="unanswerable" if null else (qtype or "answerable"),
                must_mention_any=mention,
                expect_sources=[] if null else expected,
                gold_answer=answer,
            )
        )
    return questions, warnings


def corpus_key(articles: list[Article]) -> str:
    """A short digest of the corpus as it will be written: same corpus, same collection."""
    h = hashlib.sha256(WRITER_VERSION.encode())
    for a in articles:
        h.update(json.dumps([a.file_name, a.title, a.source, a.url, a.published, a.body]).encode("utf-8"))
    return h.hexdigest()[:16]


def write_documents(articles: list[Article], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in articles:
        path = folder / a.file_name
        path.write_text(to_markdown(a), encoding="utf-8")
        paths.append(path)
    return paths


def to_markdown(a: Article) -> str:
    # JSON strings are valid YAML double-quoted scalars, so any title or url survives intact.
    fields = {"title": a.title, "source": a.source, "url": a.url, "published": a.published}
    head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items() if v)
    return f"---\n{head}\n---\n\n{a.body}\n"


@dataclass
class PreparedCorpus:
    service: BriefingService  # over the corpus's own collection
    questions: list[EvalQuestion]
    collection: str
    articles: int
    chunks_added: int
    chunks_total: int
    warnings: list[str]


def prepare(
    settings: Settings,
    corpus_path: Path,
    queries_path: Path | None,
    *,
    embedder=None,
    limit: int | None = None,
) -> PreparedCorpus:
    """Ingest the corpus into collection eval-<hash> (a no-op when it is already there) and read the
    queries (none when `queries_path` is None: an open-question set brings its own). The articles are written to a temporary folder under the data dir, removed afterwards."""
    from briefbot.factory import build_service

    articles = load_corpus(corpus_path)
    questions, warnings = load_queries(queries_path, articles) if queries_path else ([], [])
    if limit:
        questions = questions[:limit]
    collection = f"eval-{corpus_key(articles)}"
    corpus_settings = settings.model_copy(update={"collection": collection})
    service = build_service(corpus_settings, embedder=embedder, ingest_if_empty=False)
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    # one folder per corpus, the same every run: a file source is known by its folder, so a run from
    # a folder of another name would add the corpus again instead of finding it unchanged
    folder = data_dir / f"{collection}-corpus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        write_documents(articles, folder)
        report = service.ingest([folder], prune=True, progress=False, warn=warnings.append)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return PreparedCorpus(
        service=service,
        questions=questions,
        collection=collection,
        articles=len(articles),
        chunks_added=report.chunks_added,
        chunks_total=report.chunks_total,
        warnings=warnings,
    )


def _iso_day(value: str) -> str:
    m = re.match(r"\s*(\d{4}-\d{2}-\d{2})", value)
    return m.group(1) if m else ""


def _norm_url(url: str) -> str:
    url = url.strip().lower()
    url = re.sub(r"^https?://(www\.)?", "", url)
    return url.split("#")[0].rstrip("/")


def _norm_title(title: str) -> str:
    return " ".join(title.lower().split())

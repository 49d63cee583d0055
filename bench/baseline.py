"""The naive RAG baseline briefbot is measured against.

Same cleaned documents and the same MiniLM embedder, then the textbook minimum: fixed 1000-character
chunks (no sentence boundaries, no overlap), dense search only (its own Chroma collection), the top 4
chunks, and as the answer the first sentence of each of them, each cited to its chunk. It never
refuses. It offers what briefbot.evaluation's scorer needs: ask, search, passages."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from briefbot.answer import Answer, AnswerSentence, Citation, SourceRef
from retrieval.errors import BadSourceFile
from retrieval.index.store import ChunkStore
from retrieval.sources.loaders import iter_source_files, load_document
from retrieval.text.chunking import content_hash
from retrieval.types import Chunk, Passage

_FIRST_SENTENCE = re.compile(r"\S.*?(?:[.!?](?=[\s\"'”’)]|$)|$)", re.S)


class NaiveBaseline:
    def __init__(
        self,
        client,
        embedder,
        *,
        collection: str = "baseline-fixed1000",
        chunk_chars: int = 1000,
        top_k: int = 4,
        max_sentence_chars: int = 400,
    ) -> None:
        self.embedder = embedder
        self.store = ChunkStore(client, collection, embedder.name)
        self.chunk_chars = chunk_chars
        self.top_k = top_k
        self.max_sentence_chars = max_sentence_chars

    # ----- ingest
    def ingest(self, paths: list[Path], batch: int = 256) -> int:
        chunks: list[Chunk] = []
        for item in iter_source_files(paths):
            if isinstance(item, BadSourceFile):
                continue
            path, root = item
            try:
                doc = load_document(path, root)
            except BadSourceFile:
                continue
            chunks.extend(self.chunk(doc.meta, doc.text))
        for lo in range(0, len(chunks), batch):
            part = chunks[lo : lo + batch]
            self.store.add(part, self.embedder.embed([c.text for c in part]))
        return len(chunks)

    def chunk(self, meta, text: str) -> list[Chunk]:
        doc_hash = content_hash(text)
        out = []
        for position, start in enumerate(range(0, len(text), self.chunk_chars)):
            body = text[start : start + self.chunk_chars]
            if not body.strip():
                continue
            cid = hashlib.sha256(f"{meta.source_id}\n{position}\n{body}".encode()).hexdigest()[:32]
            out.append(Chunk(cid, body, meta, position, start, start + len(body), doc_hash))
        return out

    # ----- the scorer's interface
    def search(self, question: str, k: int) -> list[Passage]:
        return self.store.query(self.embedder.embed([question])[0], k)

    def passages(self) -> list[Passage]:
        return self.store.all_passages()

    def ask(self, question: str) -> Answer:
        started = time.perf_counter()
        vector = self.embedder.embed([question])[0]
        embedded = time.perf_counter()
        passages = self.store.query(vector, self.top_k)
        retrieved = time.perf_counter()
        numbers: dict[str, int] = {}
        sources: list[SourceRef] = []
        sentences: list[AnswerSentence] = []
        seen: set[str] = set()
        for p in passages:
            m = _FIRST_SENTENCE.search(p.text)
            if not m:
                continue
            raw = m.group(0)[: self.max_sentence_chars]
            text = " ".join(raw.split())
            if not text or text in seen:
                continue
            seen.add(text)
            sid = p.meta.source_id
            if sid not in numbers:
                numbers[sid] = len(numbers) + 1
                sources.append(
                    SourceRef(
                        number=numbers[sid],
                        source_id=sid,
                        title=p.meta.title,
                        outlet=p.meta.outlet,
                        url=p.meta.url,
                        published=p.meta.published,
                    )
                )
            start = p.start + m.start()
            citation = Citation(
                number=numbers[sid], chunk_id=p.chunk_id, source_id=sid, start=start, end=start + len(raw), quote=text
            )
            sentences.append(AnswerSentence(text=text, citations=[citation]))
        done = time.perf_counter()
        return Answer(
            question=question,
            sentences=sentences,
            sources=sources,
            timings_ms={
                "embed": round((embedded - started) * 1000, 1),
                "retrieve": round((retrieved - started) * 1000, 1),
                "compose": round((done - retrieved) * 1000, 1),
                "total": round((done - started) * 1000, 1),
            },
        )

"""The Chroma-backed chunk store. Takes a Chroma client; embedded (PersistentClient) and server
(HttpClient) share one ClientAPI, so nothing here cares which one it got."""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from briefbot.errors import EmbeddingModelMismatch, StoreError
from retrieval.types import Chunk, DocumentMeta, Passage

log = logging.getLogger(__name__)


def embedded_client(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
    except Exception as exc:  # chromadb raises many kinds; all mean the same thing to the admin
        raise StoreError(f"Cannot open the Chroma store at {path}: {exc}") from exc


def server_client(host: str, port: int, *, ssl: bool = False, headers: dict[str, str] | None = None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        client = chromadb.HttpClient(
            host=host,
            port=port,
            ssl=ssl,
            headers=headers or None,
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        client.heartbeat()
        return client
    except Exception as exc:
        raise StoreError(
            f"Cannot reach the Chroma server at {host}:{port} ({exc}). Is `chroma run` up, "
            "and BRIEFBOT_CHROMA_HOST/BRIEFBOT_CHROMA_PORT right?"
        ) from exc


@dataclass(frozen=True)
class SourceSummary:
    meta: DocumentMeta
    chunks: int


def _date_ordinal(iso: str) -> int:
    """2025-09-10 -> 20250910 (Chroma compares numbers, not strings); 0 when unknown."""
    digits = iso.replace("-", "")[:8]
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def encode_vectors(vectors: np.ndarray) -> str:
    """Sentence vectors ride along in the chunk's metadata as base64 float16 (Chroma keeps scalars)."""
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def decode_vectors(text: str, rows: int) -> np.ndarray | None:
    if not text or rows <= 0:
        return None
    flat = np.frombuffer(base64.b64decode(text), dtype=np.float16).astype(np.float32)
    return flat.reshape(rows, -1) if flat.size % rows == 0 else None


def _metadata(chunk: Chunk, sentence_vectors: np.ndarray | None) -> dict[str, Any]:
    m = chunk.meta
    return {
        "source_id": m.source_id,
        "title": m.title,
        "outlet": m.outlet,
        "url": m.url,
        "published": m.published,
        "published_ord": _date_ordinal(m.published),
        "dateline": m.dateline,
        "position": chunk.position,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": chunk.content_hash,
        "sentences": json.dumps([list(span) for span in chunk.sentences]),
        "sentence_vectors": encode_vectors(sentence_vectors) if sentence_vectors is not None else "",
    }


def _meta_from(md: dict[str, Any]) -> DocumentMeta:
    return DocumentMeta(
        source_id=str(md.get("source_id", "")),
        title=str(md.get("title", "")),
        outlet=str(md.get("outlet", "")),
        url=str(md.get("url", "")),
        published=str(md.get("published", "")),
        dateline=str(md.get("dateline", "")),
    )


def _passage(chunk_id: str, text: str, md: dict[str, Any], **scores) -> Passage:
    spans = [tuple(span) for span in json.loads(md.get("sentences") or "[]")]
    return Passage(
        chunk_id=chunk_id,
        text=text,
        meta=_meta_from(md),
        position=int(md.get("position", 0)),
        start=int(md.get("start", 0)),
        end=int(md.get("end", 0)),
        sentences=spans,
        sentence_vectors=decode_vectors(str(md.get("sentence_vectors", "")), len(spans)),
        **scores,
    )


class ChunkStore:
    """One Chroma collection of chunks. The collection records the embedding model that built it."""

    def __init__(self, client, collection: str, embedding_model: str) -> None:
        self.client = client
        self.embedding_model = embedding_model
        try:
            self._col = client.get_or_create_collection(
                collection,
                metadata={"embedding_model": embedding_model, "generation": "0"},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(f"Cannot open collection '{collection}': {exc}") from exc
        built_with = (self._col.metadata or {}).get("embedding_model")
        if built_with and built_with != embedding_model:
            raise EmbeddingModelMismatch(
                f"The store was built with embedding model '{built_with}', but this is "
                f"'{embedding_model}'. Re-ingest: `briefbot ingest --rebuild`."
            )
        self.name = collection
        self.local_changes = 0  # writes through this object, so readers in this process see them at once
        try:
            self._max_batch = int(client.get_max_batch_size())
        except Exception:
            self._max_batch = 1000

    # ----- writes
    def add(
        self,
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
        sentence_vectors: Sequence[np.ndarray | None] | None = None,
    ) -> None:
        """Upsert, split into batches the client accepts (its get_max_batch_size)."""
        self.local_changes += 1
        sentence_vectors = sentence_vectors or [None] * len(chunks)
        for lo in range(0, len(chunks), self._max_batch):
            part = chunks[lo : lo + self._max_batch]
            self._col.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=np.asarray(embeddings[lo : lo + self._max_batch], dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[
                    _metadata(c, v)
                    for c, v in zip(part, sentence_vectors[lo : lo + self._max_batch])
                ],
            )

    def delete(self, ids: Iterable[str]) -> None:
        self.local_changes += 1
        ids = list(ids)
        for lo in range(0, len(ids), self._max_batch):
            self._col.delete(ids=ids[lo : lo + self._max_batch])

    def bump_generation(self) -> None:
        """Mark the collection changed, so every process rebuilds its lexical index."""
        self.local_changes += 1
        meta = dict(self._col.metadata or {})
        meta["embedding_model"] = self.embedding_model
        meta["generation"] = f"{time.time_ns()}"
        self._col.modify(metadata=meta)

    # ----- reads
    def generation(self) -> str:
        col = self.client.get_collection(self.name)
        return f"{(col.metadata or {}).get('generation', '0')}:{col.count()}"

    def count(self) -> int:
        return self._col.count()

    def ids_by_source(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for ids, metas, _ in self._scan(include=["metadatas"]):
            for cid, md in zip(ids, metas):
                out.setdefault(str(md.get("source_id", "")), set()).add(cid)
        return out

    def all_passages(self) -> list[Passage]:
        passages: list[Passage] = []
        for ids, metas, docs in self._scan(include=["metadatas", "documents"]):
            passages.extend(_passage(cid, doc, md) for cid, md, doc in zip(ids, metas, docs))
        return passages

    def sources(self) -> list[SourceSummary]:
        counts: dict[str, int] = {}
        metas: dict[str, DocumentMeta] = {}
        for ids, mds, _ in self._scan(include=["metadatas"]):
            for md in mds:
                sid = str(md.get("source_id", ""))
                counts[sid] = counts.get(sid, 0) + 1
                metas.setdefault(sid, _meta_from(md))
        return [SourceSummary(metas[s], counts[s]) for s in sorted(counts)]

    def query(self, embedding: np.ndarray, k: int, where: dict | None = None) -> list[Passage]:
        if k <= 0:
            return []
        res = self._col.query(
            query_embeddings=np.asarray([embedding], dtype=np.float32),
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for cid, doc, md, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]
        ):
            out.append(_passage(cid, doc, md, dense=1.0 - float(dist)))
        return out

    def _scan(self, include: list[str], page: int = 5000):
        offset = 0
        while True:
            res = self._col.get(include=include, limit=page, offset=offset)
            ids = res["ids"]
            if not ids:
                return
            yield ids, res.get("metadatas") or [{}] * len(ids), res.get("documents") or [""] * len(ids)
            if len(ids) < page:
                return
            offset += page

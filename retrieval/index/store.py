"""The Chroma-backed chunk store. Takes a Chroma client; embedded (PersistentClient) and server
(HttpClient) share one ClientAPI, so little here cares which one it got.

Readers survive writers in other processes (an ingest, a rebuild):
- a chunk deleted by another process can still come back from this process's vector index with
  no metadata; such hits are skipped;
- an embedded store keeps each collection's vector index in memory, so when another process
  finishes an ingest (the collection's generation marker changes) the store reopens Chroma on
  the same folder to read the index as it is on disk now;
- a rebuild swaps a new collection in under the same name; a handle to the old one is reopened
  by name (waiting out the moment of the swap).
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import EmbeddingModelMismatch, StoreError
from retrieval.index.sets import DEFAULT_SET
from retrieval.types import Chunk, DocumentMeta, Passage

log = logging.getLogger(__name__)


def embedded_client(path: Path, *, instance: int = 0):
    """A PersistentClient on `path`. Chroma shares one instance (and its in-memory vector indexes)
    per folder name in a process; `instance` > 0 names the same folder differently ("path/./.")
    to get a fresh instance that reads the indexes from disk again."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(path) + "/." * instance,
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
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
    added: float = 0.0  # when its current chunks were last written (Unix time; 0 in older stores)


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


def _metadata(chunk: Chunk, sentence_vectors: np.ndarray | None, added: float = 0.0) -> dict[str, Any]:
    m = chunk.meta
    return {
        "added": added,
        "source_id": m.source_id,
        "title": m.title,
        "outlet": m.outlet,
        "url": m.url,
        "published": m.published,
        "published_ord": _date_ordinal(m.published),
        "dateline": m.dateline,
        "source_set": m.source_set,
        "kind": m.kind,
        "author": m.author,
        "origin": m.origin,
        "position": chunk.position,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": chunk.content_hash,
        "sentences": json.dumps([list(span) for span in chunk.sentences]),
        "pages": json.dumps([list(page) for page in chunk.pages]) if chunk.pages else "",
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
        source_set=str(md.get("source_set") or DEFAULT_SET),  # stored before sets existed: public
        kind=str(md.get("kind", "")),
        author=str(md.get("author", "")),
        origin=str(md.get("origin", "") or ""),
    )


def _passage(chunk_id: str, text: str | None, md: dict[str, Any] | None, **scores) -> Passage | None:
    """The passage, or None when its metadata is gone (deleted by another process meanwhile)."""
    if not md or text is None:
        return None
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
        pages=[(int(o), int(n)) for o, n in json.loads(md.get("pages") or "[]")],
        **scores,
    )


_INSTANCE_COUNTER = itertools.count()
_INSTANCE_NAMES = 16


def _next_instance() -> int:
    """1..16 in turn, process-wide, so a refresh never picks up an instance that another store in
    this process opened earlier (and that would still hold an older index)."""
    return next(_INSTANCE_COUNTER) % _INSTANCE_NAMES + 1


# Chroma saves a collection's vector index every `sync_threshold` writes; a process that opens the
# collection replays the writes since (~0.4 CPU-s for Chroma's default 1,000 at 10k chunks) before
# its first query. Saving every 200 writes costs nothing measurable at ingest (a 10k-chunk write:
# 9.2 vs 9.5 CPU-s) and makes the first open ~0.04 CPU-s.
HNSW_SYNC_THRESHOLD = 200
COUNT_EVERY_SECONDS = 1.0  # how stale generation()'s chunk count may be when no marker changed
_SWAP_WAIT_SECONDS = 5.0  # how long a reader waits for a collection being swapped in by a rebuild
_RETIRED_KEEP = 1  # reader clients kept open after a refresh, for questions still using them


def _is_missing(exc: BaseException) -> bool:
    """Chroma's way of saying the collection (or this handle's id) no longer exists: dropped after a
    rebuild's swap, its segments may be gone before its name is ("Missing metadata segment")."""
    text = str(exc)
    return (
        type(exc).__name__ in ("NotFoundError", "InvalidCollectionException")
        or "does not exist" in text
        or "Missing metadata segment" in text
    )


class ChunkStore:
    """One Chroma collection of chunks. The collection records the embedding model that built it."""

    def __init__(self, client, collection: str, embedding_model: str, *, check_model: bool = True) -> None:
        self.client = client
        self.embedding_model = embedding_model
        self.name = collection
        self._check_model = check_model
        self._lock = threading.RLock()
        self._instance = 0  # which name of the embedded folder self.client uses (see embedded_client)
        self._retired: list = []  # clients replaced by a refresh, closed a refresh later
        try:
            self._col = self._restore_interrupted_swap() or client.get_or_create_collection(
                collection,
                metadata={"embedding_model": embedding_model, "generation": "0"},
                configuration={"hnsw": {"space": "cosine", "sync_threshold": HNSW_SYNC_THRESHOLD}},
                embedding_function=None,
            )
        except Exception as exc:
            raise StoreError(f"Cannot open collection '{collection}': {exc}") from exc
        self._checked(self._col)
        self._marker = self._generation_marker(self._col)
        self._count, self._counted_at = 0, 0.0  # generation()'s chunk count
        self._counted_for: tuple[Any, str] | None = None
        try:
            self._max_batch = int(client.get_max_batch_size())
        except Exception:
            self._max_batch = 1000

    def _checked(self, col):
        built_with = (col.metadata or {}).get("embedding_model")
        if self._check_model and built_with and built_with != self.embedding_model:
            raise EmbeddingModelMismatch(
                f"The store was built with embedding model '{built_with}', but this is "
                f"'{self.embedding_model}'. Re-ingest: `briefbot ingest --rebuild`."
            )
        return col

    @staticmethod
    def _generation_marker(col) -> str:
        return str((col.metadata or {}).get("generation", "0"))

    # ----- staying attached to the collection that bears the name
    def _call(self, what: str, op):
        """op(collection), reopened by name once when the handle's collection is gone (a rebuild
        swapped another in); any other Chroma failure becomes one StoreError line."""
        col = self._col
        try:
            try:
                return op(col)
            except Exception as exc:
                if _is_missing(exc):
                    return op(self._reopen(col))
                if "Error finding id" not in str(exc):
                    raise
                # another process deleted chunks after this process last reloaded its vector index
                with self._lock:
                    self._refresh_reader()
                return op(self._col)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(_failure_message(what, exc)) from exc

    def _named(self):
        """The collection that bears the name now, waiting out a rebuild's swap."""
        deadline = time.monotonic() + _SWAP_WAIT_SECONDS
        while True:
            try:
                return self.client.get_collection(self.name, embedding_function=None)
            except Exception as exc:
                if not _is_missing(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"The collection '{self.name}' does not exist (any more): run `briefbot ingest`."
                    ) from exc
                time.sleep(0.05)

    def _reopen(self, stale):
        with self._lock:
            if self._col is stale or self._col.id == stale.id:
                self._col = self._checked(self._named())
                log.info("collection '%s' was replaced (a rebuild): reopened it", self.name)
            return self._col

    def _refresh_reader(self) -> None:
        """Another process finished writing: reopen an embedded store so the vector index is read
        from disk again (this process's copy still has deleted chunks and lacks new ones)."""
        try:
            settings = self.client.get_settings()
        except Exception:
            return
        if not getattr(settings, "is_persistent", False) or not settings.persist_directory:
            return  # a Chroma server serves every client the same index
        base = settings.persist_directory.removesuffix("/." * self._instance)
        instance = _next_instance()
        client = embedded_client(Path(base), instance=instance)
        col = self._checked(client.get_collection(self.name, embedding_function=None))
        old = self.client
        self.client, self._col, self._instance = client, col, instance
        self._retired.append(old)
        while len(self._retired) > _RETIRED_KEEP:
            try:
                self._retired.pop(0).close()
            except Exception as exc:  # a close that fails leaves an idle instance behind, nothing more
                log.debug("closing a retired Chroma client: %s", exc)
        log.info("collection '%s' changed in another process: vector index reloaded", self.name)

    # ----- writes
    def add(
        self,
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
        sentence_vectors: Sequence[np.ndarray | None] | None = None,
    ) -> None:
        """Upsert, split into batches the client accepts (its get_max_batch_size)."""
        sentence_vectors = sentence_vectors or [None] * len(chunks)
        added = round(time.time(), 3)
        for lo in range(0, len(chunks), self._max_batch):
            part = chunks[lo : lo + self._max_batch]
            self._call(
                "writing chunks",
                lambda col: col.upsert(
                    ids=[c.chunk_id for c in part],
                    embeddings=np.asarray(embeddings[lo : lo + self._max_batch], dtype=np.float32),
                    documents=[c.text for c in part],
                    metadatas=[
                        _metadata(c, v, added) for c, v in zip(part, sentence_vectors[lo : lo + self._max_batch])
                    ],
                ),
            )

    def label(self, ids: Iterable[str], source_set: str) -> None:
        """Put chunks in `source_set` (their other metadata, text and vectors stay)."""
        ids = list(ids)
        for lo in range(0, len(ids), self._max_batch):
            part = ids[lo : lo + self._max_batch]
            self._call(
                "labelling chunks with their set",
                lambda col: col.update(ids=part, metadatas=[{"source_set": source_set}] * len(part)),
            )

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for lo in range(0, len(ids), self._max_batch):
            self._call("deleting chunks", lambda col: col.delete(ids=ids[lo : lo + self._max_batch]))

    def save_vector_index_often(self) -> None:
        """A collection made before HNSW_SYNC_THRESHOLD (Chroma's default, 1,000) gets it: the writes
        from now on are saved every HNSW_SYNC_THRESHOLD. Best effort: a Chroma that refuses keeps its own."""
        try:
            hnsw = (self._col.configuration or {}).get("hnsw") or {}
            if hnsw.get("sync_threshold", HNSW_SYNC_THRESHOLD) > HNSW_SYNC_THRESHOLD:
                self._col.modify(configuration={"hnsw": {"sync_threshold": HNSW_SYNC_THRESHOLD}})
        except Exception as exc:
            log.debug("could not lower the collection's sync threshold: %s", exc)

    def bump_generation(self) -> None:
        """Mark the collection changed, so every process rebuilds its lexical index."""
        marker = f"{time.time_ns()}"

        def bump(col):
            meta = dict(col.metadata or {})
            meta["embedding_model"] = self.embedding_model
            meta["generation"] = marker
            col.modify(metadata=meta)

        self._call("marking the collection changed", bump)
        with self._lock:
            self._marker = marker  # this process wrote it: its own index is current

    # ----- rebuild: a new collection built aside, then swapped in under the name
    def staging(self) -> ChunkStore:
        """An empty collection beside this one, for `ingest --rebuild` (a leftover one is dropped)."""
        name = f"{self.name}__rebuild"
        self._drop(name)
        return ChunkStore(self.client, name, self.embedding_model)

    def replace_with(self, staging: ChunkStore) -> None:
        """Give `staging`'s collection this store's name, then drop the old collection. Readers
        find no collection by the name only between two renames, and wait that out."""
        retired = f"{self.name}__old"
        self._drop(retired)
        try:
            with self._lock:
                try:
                    current = self.client.get_collection(self.name, embedding_function=None)
                except Exception as exc:
                    if not _is_missing(exc):
                        raise
                    current = None
                if current is not None:
                    current.modify(name=retired)
                staging._col.modify(name=self.name)
                self._col = self.client.get_collection(self.name, embedding_function=None)
                self._marker = self._generation_marker(self._col)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(_failure_message("swapping in the rebuilt collection", exc)) from exc
        staging.name = self.name
        self._drop(retired)

    def _restore_interrupted_swap(self):
        """A rebuild killed between its two renames leaves the old collection under its retired
        name and none under the real one: put it back."""
        try:
            self.client.get_collection(self.name, embedding_function=None)
            return None
        except Exception as exc:
            if not _is_missing(exc):
                raise
        try:
            old = self.client.get_collection(f"{self.name}__old", embedding_function=None)
        except Exception as exc:
            if not _is_missing(exc):
                raise
            return None
        old.modify(name=self.name)
        log.warning("collection '%s' restored after an interrupted rebuild", self.name)
        return self.client.get_collection(self.name, embedding_function=None)

    def _drop(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:
            if not _is_missing(exc):
                raise StoreError(_failure_message(f"dropping collection '{name}'", exc)) from exc

    # ----- reads
    def generation(self) -> str:
        """Changes whenever any process changed the collection (or swapped in another one)."""
        with self._lock:
            col = self._named()
            if col.id != self._col.id:
                self._col = self._checked(col)
            marker = self._generation_marker(col)
            if marker != self._marker:
                try:
                    self._refresh_reader()
                except Exception as exc:  # keep answering from the index at hand
                    log.warning("could not reload the vector index after another process's ingest: %s", exc)
                self._marker = marker
            col = self._col
            # The chunk count catches writes no marker announced (an ingest killed before its end).
            # Counting costs ~9 ms at 100k chunks, so it is re-read at most every COUNT_EVERY
            # seconds, and at once when the collection or its marker changed.
            now = time.monotonic()
            counted_for = (col.id, marker)
            if self._counted_for != counted_for or now - self._counted_at >= COUNT_EVERY_SECONDS:
                self._count = self._call("counting chunks", lambda c: c.count())
                self._counted_for, self._counted_at = counted_for, now
            count = self._count
        return f"{col.id}:{marker}:{count}"

    def count(self) -> int:
        return self._call("counting chunks", lambda col: col.count())

    def ids_by_source(self) -> dict[str, set[str]]:
        return {sid: set().union(*by_set.values()) for sid, by_set in self.ids_by_source_and_set().items()}

    def ids_by_source_and_set(self) -> dict[str, dict[str, set[str]]]:
        """source id -> set label -> its chunk ids ("" labels chunks stored before sets existed)."""
        out: dict[str, dict[str, set[str]]] = {}
        for (sid, _origin), by_set in self.ids_by_origin_and_set().items():
            for label, ids in by_set.items():
                out.setdefault(sid, {}).setdefault(label, set()).update(ids)
        return out

    def ids_by_origin_and_set(self) -> dict[tuple[str, str], dict[str, set[str]]]:
        """(source id, origin) -> set label -> its chunk ids. A file's origin is the folder it was
        ingested from ("" for links and the like, and for files stored before origins existed)."""
        out: dict[tuple[str, str], dict[str, set[str]]] = {}
        for ids, metas, _ in self._scan(include=["metadatas"]):
            for cid, md in zip(ids, metas):
                if md:
                    key = (str(md.get("source_id", "")), str(md.get("origin", "") or ""))
                    by_set = out.setdefault(key, {})
                    by_set.setdefault(str(md.get("source_set") or ""), set()).add(cid)
        return out

    def has_unlabelled(self, known_sets: Iterable[str]) -> bool:
        """Whether some chunk carries none of `known_sets` as its set: stored before sets existed
        (no label), when `known_sets` are all the labels a scan found."""
        known = sorted(set(known_sets)) or [DEFAULT_SET]
        res = self._call(
            "reading chunks", lambda col: col.get(where={"source_set": {"$nin": known}}, include=[], limit=1)
        )
        return bool(res["ids"])

    def passages(self, ids: Iterable[str]) -> list[Passage]:
        """The stored chunks with these ids (an id not stored is left out)."""
        ids = list(ids)
        out: list[Passage] = []
        for lo in range(0, len(ids), self._max_batch):
            part = ids[lo : lo + self._max_batch]
            res = self._call("reading chunks", lambda col: col.get(ids=part, include=["metadatas", "documents"]))
            out.extend(p for p in map(_passage, res["ids"], res["documents"], res["metadatas"]) if p is not None)
        return out

    def all_passages(self) -> list[Passage]:
        passages: list[Passage] = []
        for ids, metas, docs in self._scan(include=["metadatas", "documents"]):
            passages.extend(p for p in map(_passage, ids, docs, metas) if p is not None)
        return passages

    def sources(self, sets: Iterable[str] | None = None) -> list[SourceSummary]:
        """Each source with its chunk count; with `sets`, only the chunks in those sets count."""
        allowed = None if sets is None else frozenset(sets)
        counts: dict[tuple[str, str], int] = {}  # by (source id, origin): one name in two folders is two sources
        metas: dict[tuple[str, str], DocumentMeta] = {}
        added: dict[tuple[str, str], float] = {}
        for _ids, mds, _ in self._scan(include=["metadatas"]):
            for md in mds:
                if not md:
                    continue
                if allowed is not None and str(md.get("source_set") or DEFAULT_SET) not in allowed:
                    continue
                key = (str(md.get("source_id", "")), str(md.get("origin", "") or ""))
                counts[key] = counts.get(key, 0) + 1
                metas.setdefault(key, _meta_from(md))
                added[key] = max(added.get(key, 0.0), float(md.get("added") or 0.0))
        return [SourceSummary(metas[k], counts[k], added[k]) for k in sorted(counts)]

    def query(self, embedding: np.ndarray, k: int, where: dict | None = None) -> list[Passage]:
        if k <= 0:
            return []
        res = self._call(
            "searching",
            lambda col: col.query(
                query_embeddings=np.asarray([embedding], dtype=np.float32),
                n_results=k,
                where=where or None,
                include=["documents", "metadatas", "distances"],
            ),
        )
        out = []
        for cid, doc, md, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]):
            passage = _passage(cid, doc, md, dense=1.0 - float(dist))
            if passage is not None:  # deleted by another process since this index was loaded
                out.append(passage)
        return out

    def _scan(self, include: list[str], page: int = 5000):
        offset = 0
        while True:
            res = self._call("reading chunks", lambda col: col.get(include=include, limit=page, offset=offset))
            ids = res["ids"]
            if not ids:
                return
            yield ids, res.get("metadatas") or [{}] * len(ids), res.get("documents") or [""] * len(ids)
            if len(ids) < page:
                return
            offset += page


def _failure_message(what: str, exc: BaseException) -> str:
    """One line for a Chroma failure, with what to do about it."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(reason) > 300:
        reason = reason[:299] + "…"
    text = reason.lower()
    # a full disk shows as ENOSPC/EFBIG (os error 28/27), SQLite's "disk is full", or, from Chroma's
    # compactor, "Error in compaction" with the cause hidden
    if any(s in text for s in ("full", "no space", "file too large", "quota", "disk i/o error", "os error 28",
                               "os error 27", "compaction")):  # fmt: skip
        hint = "the disk may be full: free some space, then run `briefbot ingest` again (it repairs the store)"
    elif any(s in text for s in ("connect", "timed out", "timeout", "unreachable")):
        hint = "is the Chroma server up (BRIEFBOT_CHROMA_HOST/PORT)? Then run the command again"
    else:
        hint = "run the command again; an interrupted ingest is repaired by the next one"
    return f"The Chroma store failed while {what} ({reason}); {hint}."

"""The lexical side of search: BM25 over stored chunks (bm25s, Snowball-stemmed terms) and the
document frequencies the answer composer weighs question terms by. Built from a list of passages
(every chunk of the store, or any subset of them).

An index over the whole store is also kept on disk beside it (`LexicalIndexFiles`), one folder per
store generation, written by ingest, so a new process or replica loads it (memory-mapped arrays and
one JSON file) instead of re-reading and re-tokenising every chunk. A missing, stale or unreadable
folder is rebuilt from the store on first use, and written for the next process."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import logging
import math
import mmap
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np

from retrieval.text.terms import terms
from retrieval.types import DocumentMeta, Passage

if TYPE_CHECKING:
    from retrieval.index.store import ChunkStore

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import

FORMAT = 2  # of the files on disk; a folder of another format is ignored (rebuilt)
_META_FIELDS = tuple(f.name for f in dataclasses.fields(DocumentMeta))  # every field: the set, the kind...


class LexicalIndex:
    """BM25 over every stored chunk, plus the document frequencies the answer composer weighs terms by.

    Sentence vectors are held compactly: one float16 matrix (the values the store keeps), each
    passage's `sentence_vectors` a view into it; `sentence_vectors(i)` gives them as float32."""

    def __init__(self, passages: list[Passage]) -> None:
        corpus = [terms(p.text) for p in passages]
        df: Counter[str] = Counter()
        for doc in corpus:
            df.update(set(doc))
        bm25 = bm25s.BM25()
        if passages:
            bm25.index(corpus, show_progress=False)
            data, indices, indptr = (bm25.scores[k] for k in ("data", "indices", "indptr"))
            bm25_terms = sorted(bm25.vocab_dict, key=bm25.vocab_dict.__getitem__)
        else:
            data, indices, indptr = np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64)
            bm25_terms = []
        vectors, rows = _pack_vectors(passages)
        passages = [
            Passage(**{**p.__dict__, "sentence_vectors": _rows(vectors, rows, i)}) for i, p in enumerate(passages)
        ]
        vocab = sorted(df)
        self._setup(passages, vocab, np.array([df[t] for t in vocab], dtype=np.int64),
                    (data, indices, indptr), bm25_terms, vectors, rows)  # fmt: skip

    def _setup(self, passages, vocab, df, csc, bm25_terms, vectors, rows) -> None:
        self.passages = passages
        self.n_docs = len(passages)
        self._df = dict(zip(vocab, df.tolist()))
        self._vocab = set(vocab)
        self._sorted_vocab = vocab
        self._data, self._indices, self._indptr = csc
        self._bm25_ids = {t: i for i, t in enumerate(bm25_terms or ())}
        self._vectors, self._rows = vectors, rows
        self._metas: list[DocumentMeta] | None = None
        ids = passages.chunk_ids if isinstance(passages, StoredPassages) else [p.chunk_id for p in passages]
        self.position = {cid: i for i, cid in enumerate(ids)}
        metas = passages.metas if isinstance(passages, StoredPassages) else {p.meta for p in passages}
        # the outlets the sources come from (as stored), for "the sources include no report from X"
        self.outlets = sorted({m.outlet for m in metas if m.outlet})

    def idf(self, term: str) -> float:
        """Rarity of a term, or of its commonest longer form; a term the corpus lacks is rarest."""
        df = self._df.get(term) or max((self._df[t] for t in self._completions(term)), default=0)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def known(self, term: str) -> bool:
        """The corpus has the term, or a longer form of it ("agre" -> "agreement")."""
        return term in self._vocab or bool(self._completions(term, limit=1))

    def _completions(self, term: str, limit: int = 50) -> list[str]:
        if len(term) < 4:
            return []
        out: list[str] = []
        i = bisect.bisect_left(self._sorted_vocab, term)
        while i < len(self._sorted_vocab) and len(out) < limit and self._sorted_vocab[i].startswith(term):
            out.append(self._sorted_vocab[i])
            i += 1
        return out

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 of every chunk for the query (0 where the mask excludes it)."""
        q = [t for t in dict.fromkeys(terms(query)) if t in self._vocab]
        scores = np.zeros(self.n_docs, dtype=np.float32)
        if not q or not self.passages:
            return scores
        # bm25s's precomputed per-(chunk, term) scores, a CSC column per term: summed term by term
        # as bm25s.get_scores does (a column lists each chunk once, so a plain indexed add is exact)
        for t in q:
            col = self._bm25_ids.get(t)
            if col is not None:
                lo, hi = int(self._indptr[col]), int(self._indptr[col + 1])
                scores[self._indices[lo:hi]] += self._data[lo:hi]
        return np.where(mask, scores, 0.0) if mask is not None else scores

    @property
    def metas(self) -> list[DocumentMeta]:
        """Each passage's DocumentMeta, in passage order, without making the passages of an index
        loaded from disk (iterating `passages` makes every one: ~0.4 s at 17k chunks, once)."""
        if self._metas is None:
            if isinstance(self.passages, StoredPassages):
                self._metas = [self.passages.metas[m] for m in self.passages.meta_rows()]
            else:
                self._metas = [p.meta for p in self.passages]
        return self._metas

    def sentence_vectors(self, i: int) -> np.ndarray | None:
        """Passage i's sentence vectors as float32 (the stored float16 values, exactly)."""
        v = self.passages[i].sentence_vectors
        return None if v is None else np.asarray(v, dtype=np.float32)

    @staticmethod
    def top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k best (index, score) pairs with a score above 0, best first."""
        if not len(scores):
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    # ----- on disk
    def save(self, folder: Path) -> None:
        """Write the index into `folder` (which must not exist yet)."""
        folder.mkdir(parents=True)
        metas: dict[DocumentMeta, int] = {}
        texts = [p.text.encode("utf-8") for p in self.passages]
        numbers = np.array(
            [(metas.setdefault(p.meta, len(metas)), p.position, p.start, p.end) for p in self.passages], dtype=np.int64
        ).reshape(-1, 4)
        spans = [np.asarray(p.sentences, dtype=np.int64).reshape(-1) for p in self.passages]
        doc = {
            "metas": [[getattr(m, f) for f in _META_FIELDS] for m in metas],
            "chunk_ids": [p.chunk_id for p in self.passages],
            "pages": {str(i): [list(x) for x in p.pages] for i, p in enumerate(self.passages) if p.pages},
            "vocab": self._sorted_vocab,
        }
        (folder / "index.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        (folder / "texts.bin").write_bytes(b"".join(texts))
        arrays = {
            "numbers": numbers,
            "text_offsets": _offsets([len(t) for t in texts]),
            "spans": np.concatenate(spans) if spans else np.zeros(0, np.int64),
            "span_offsets": _offsets([len(x) for x in spans]),
            "df": np.array([self._df[t] for t in self._sorted_vocab], dtype=np.int64),
            "bm25_column": np.array([self._bm25_ids.get(t, -1) for t in self._sorted_vocab], dtype=np.int64),
            "bm25_data": np.asarray(self._data),
            "bm25_indices": np.asarray(self._indices),
            "bm25_indptr": np.asarray(self._indptr),
            "vectors": np.asarray(self._vectors),
            "vector_rows": np.asarray(self._rows),
        }
        for name, array in arrays.items():
            np.save(folder / f"{name}.npy", array, allow_pickle=False)
        (folder / "format.json").write_text(json.dumps({"format": FORMAT, "n_docs": self.n_docs}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The index saved in `folder`. Its arrays and texts are memory-mapped (shared by every
        process that loads the same folder, read from disk as they are used) and a passage is made
        when it is first asked for. Raises on anything unexpected."""
        fmt = json.loads((folder / "format.json").read_text())
        if fmt.get("format") != FORMAT:
            raise ValueError(f"format {fmt.get('format')}, expected {FORMAT}")
        doc = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        a = {
            path.stem: np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
            for path in folder.glob("*.npy")
        }
        passages = StoredPassages(
            doc["chunk_ids"], [DocumentMeta(**{f: str(v) for f, v in zip(_META_FIELDS, m)}) for m in doc["metas"]], a["numbers"],
            _map_bytes(folder / "texts.bin"), a["text_offsets"], a["spans"], a["span_offsets"],
            a["vectors"], a["vector_rows"], pages=doc.get("pages", {}),
        )  # fmt: skip
        if len(passages) != fmt.get("n_docs"):
            raise ValueError("the passages do not match the index")
        vocab = doc["vocab"]
        columns = a["bm25_column"].tolist()
        index = cls.__new__(cls)
        index._setup(
            passages, vocab, np.asarray(a["df"]), (a["bm25_data"], a["bm25_indices"], a["bm25_indptr"]),
            None, a["vectors"], a["vector_rows"],
        )  # fmt: skip
        index._bm25_ids = {t: c for t, c in zip(vocab, columns) if c >= 0}
        return index


class StoredPassages(Sequence):
    """The passages of an index loaded from disk, each made (and kept) when first asked for: a
    search reads a few dozen of them, so a process does not pay for all of them to answer."""

    def __init__(self, chunk_ids, metas, numbers, texts, text_offsets, spans, span_offsets, vectors, vector_rows,
                 pages: dict[str, list] | None = None):  # fmt: skip
        self.chunk_ids = chunk_ids
        self._pages = pages or {}  # a PDF chunk's page starts, by passage number (as text)
        self.metas = metas
        self._numbers, self._texts, self._text_offsets = numbers, texts, text_offsets
        self._spans, self._span_offsets = spans, span_offsets
        self._vectors, self._vector_rows = vectors, vector_rows
        self._made: list[Passage | None] = [None] * len(chunk_ids)
        n = len(chunk_ids)
        if not (len(numbers) == n and len(text_offsets) == len(span_offsets) == len(vector_rows) == n + 1):
            raise ValueError("passage arrays disagree")

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        p = self._made[i]
        if p is None:
            p = self._made[i] = self._make(i if i >= 0 else i + len(self))
        return p

    def meta_rows(self) -> list[int]:
        """Each passage's index into `metas`."""
        return self._numbers[:, 0].tolist()

    def _make(self, i: int) -> Passage:
        meta, position, start, end = self._numbers[i].tolist()
        lo, hi = int(self._text_offsets[i]), int(self._text_offsets[i + 1])
        s_lo, s_hi = int(self._span_offsets[i]), int(self._span_offsets[i + 1])
        spans = self._spans[s_lo:s_hi].tolist()
        return Passage(
            chunk_id=self.chunk_ids[i], text=self._texts[lo:hi].decode("utf-8"), meta=self.metas[meta],
            position=position, start=start, end=end, sentences=list(zip(spans[::2], spans[1::2])),
            sentence_vectors=_rows(self._vectors, self._vector_rows, i),
            pages=[(int(o), int(n)) for o, n in self._pages.get(str(i), [])],
        )  # fmt: skip


def _offsets(lengths: list[int]) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _map_bytes(path: Path):
    """The file's bytes, memory-mapped (an empty file is empty bytes: mmap refuses length 0)."""
    if path.stat().st_size == 0:
        return b""
    with open(path, "rb") as fh:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def _pack_vectors(passages: list[Passage]) -> tuple[np.ndarray, np.ndarray]:
    """Every passage's sentence vectors in one float16 matrix (what the store keeps) and the row
    offsets of each passage: half the memory of float32 rows, no per-array overhead."""
    counts = [0 if p.sentence_vectors is None else len(p.sentence_vectors) for p in passages]
    rows = np.zeros(len(passages) + 1, dtype=np.int64)
    np.cumsum(counts, out=rows[1:])
    dim = next(
        (p.sentence_vectors.shape[1] for p in passages if p.sentence_vectors is not None and len(p.sentence_vectors)), 0
    )
    vectors = np.zeros((int(rows[-1]), dim), dtype=np.float16)
    for i, p in enumerate(passages):
        if counts[i]:
            vectors[rows[i] : rows[i + 1]] = p.sentence_vectors
    return vectors, rows


def _rows(vectors: np.ndarray, rows: np.ndarray, i: int) -> np.ndarray | None:
    lo, hi = int(rows[i]), int(rows[i + 1])
    return vectors[lo:hi] if hi > lo else None


class LexicalIndexFiles:
    """The lexical index of each store generation, on disk under `root/<collection>/`: written by
    ingest, loaded by every process that searches, rebuilt by the first one that finds it missing.
    A folder is written aside and renamed into place, so a reader sees a whole folder or none."""

    KEEP = 2  # generations kept per collection (a process may still be loading the previous one)

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, collection: str, generation: str) -> Path:
        key = hashlib.sha256(generation.encode()).hexdigest()[:24]
        return self.root / _safe_name(collection) / f"v{FORMAT}-{key}"

    def load(self, collection: str, generation: str) -> LexicalIndex | None:
        folder = self.folder(collection, generation)
        if not folder.is_dir():
            return None
        try:
            return LexicalIndex.load(folder)
        except Exception as exc:  # a damaged or foreign folder: rebuilt from the store
            log.warning("lexical index at %s unreadable (%s: %s); rebuilding it", folder, type(exc).__name__, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def save(self, index: LexicalIndex, collection: str, generation: str) -> None:
        """Best effort: a read-only or full disk only costs the next process a rebuild."""
        folder = self.folder(collection, generation)
        if folder.exists():
            return
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
            try:
                index.save(tmp / "index")
                os.rename(tmp / "index", folder)
            except OSError:
                if not folder.exists():
                    raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            self._prune(folder)
        except OSError as exc:
            log.warning("could not write the lexical index to %s: %s", folder, exc)

    def _prune(self, keep: Path) -> None:
        """Drop all but the newest KEEP folders (and temporary ones over an hour old)."""
        now = time.time()
        siblings = []
        for path in keep.parent.iterdir():
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if path.name.startswith(".tmp-"):
                if now - mtime > 3600:
                    shutil.rmtree(path, ignore_errors=True)
            elif path != keep:
                siblings.append((mtime, path))
        for _, path in sorted(siblings, reverse=True)[self.KEEP - 1 :]:
            shutil.rmtree(path, ignore_errors=True)


def _safe_name(collection: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in collection) or "_"


def index_for(store: ChunkStore, generation: str, files: LexicalIndexFiles | None) -> tuple[LexicalIndex, str]:
    """The lexical index of `store` at `generation`: loaded from `files` when there, else built from
    every stored chunk (and written for the next process, if the store did not change meanwhile).
    Returns (index, "loaded" | "built")."""
    if files is not None:
        started = time.perf_counter()
        index = files.load(store.name, generation)
        if index is not None:
            log.debug(
                "lexical index loaded: %d chunks in %.0f ms", index.n_docs, (time.perf_counter() - started) * 1000
            )
            return index, "loaded"
    index = LexicalIndex(store.all_passages())
    if files is not None and store.generation() == generation:
        files.save(index, store.name, generation)
    return index, "built"

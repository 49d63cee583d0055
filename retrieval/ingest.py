"""Ingest: sources -> cleaned text -> sentence chunks -> embeddings -> store.

A source is anything that loads into a LoadedDocument under a stable source id: a file under the
folders given (`ingest`), or a link, a feed item or a file shared in Slack (`ingest_documents`,
with a loader that the caller supplies: the ingestor knows nothing of HTTP). Chunk ids derive
from content, and each source's new chunks are written before its stale ones are deleted, so a
re-run after a crash or kill at any point converges on exactly the clean result; a source that
fails to load leaves the store as it was, and a write that fails takes back what it had added."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from retrieval.errors import StoreError, one_line
from retrieval.index.embedder import Embedder, chunk_vector
from retrieval.index.lexical import LexicalIndexFiles, index_for
from retrieval.index.lock import write_lock
from retrieval.index.sets import DEFAULT_SET, BadSetName, folder_set
from retrieval.index.store import ChunkStore
from retrieval.sources.loaders import (  # noqa: F401  (SourceDocument: re-exported for callers)
    DEFAULT_MAX_BYTES,
    BadSourceFile,
    LoadedDocument,
    SourceDocument,
    is_remote_source,
    iter_source_files,
    load_document,
    origin_of,
    source_id_of,
)
from retrieval.text.chunking import MAX_CHUNK_CHARS, OVERLAP_SENTENCES, SENTENCES_PER_CHUNK, chunk_document
from retrieval.types import Chunk, IngestedSource, IngestReport

log = logging.getLogger(__name__)

Key = tuple[str, str]  # a source's identity: (source id, origin); origin is a file's folder, "" for others


@dataclass
class ChunkingOptions:
    sentences_per_chunk: int = SENTENCES_PER_CHUNK
    overlap: int = OVERLAP_SENTENCES
    max_chars: int = MAX_CHUNK_CHARS


@dataclass
class _Pending:
    """Chunks waiting to be embedded, and the stale ids to delete once a file's new chunks are in."""

    chunks: list[Chunk] = field(default_factory=list)
    deletions: list[set[str]] = field(default_factory=list)
    labels: list[tuple[set[str], str]] = field(default_factory=list)  # (kept chunk ids, their new set)
    embedded: int = 0  # chunks embedded so far in this ingest, for the progress bar
    reusable: set[str] = field(default_factory=set)  # stored chunks of edited files: their sentence vectors
    known: dict[str, np.ndarray] = field(default_factory=dict)  # sentence text -> its stored vector


class Ingestor:
    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        *,
        chunking: ChunkingOptions | None = None,
        max_file_bytes: int = DEFAULT_MAX_BYTES,
        lock_path: Path | None = None,
        batch_size: int = 256,
        lexical_files: LexicalIndexFiles | None = None,
    ) -> None:
        self.store = store
        self.lexical_files = lexical_files  # where the lexical index of each generation is written
        self.embedder = embedder
        self.chunking = chunking or ChunkingOptions()
        self.max_file_bytes = max_file_bytes
        self.lock_path = lock_path
        self.batch_size = batch_size

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        prune: bool = False,
        rebuild: bool = False,
        warn: Callable[[str], None] | None = None,
        progress: bool | None = None,
        source_set: str | None = None,
    ) -> IngestReport:
        """Index `paths`, each file into `source_set` when given, else into the set its folder names
        (retrieval/index/sets.py), else `public`. rebuild=True builds a new collection from them alone, beside the current
        one, and swaps it in under the same name once complete (questions are answered from the
        old one meanwhile); the write lock is held throughout, so a second writer is refused
        before anything is touched."""
        paths = [Path(p) for p in paths]
        files = partial(self._file_sources, paths, source_set)
        # prune covers the folders this run reads (a file given by name covers nothing) and its set
        scope = _PruneScope(frozenset(origin_of(p) for p in paths if p.is_dir()), source_set) if prune else None
        return self._locked(files, prune=scope, rebuild=rebuild, warn=warn, progress=progress)

    def ingest_documents(
        self,
        documents: Iterable[SourceDocument],
        *,
        warn: Callable[[str], None] | None = None,
        progress: bool | None = False,
        source_set: str | None = None,
        move: bool = True,
    ) -> IngestReport:
        """Index sources that are not files under a folder (links, feed items, files shared in
        Slack) into `source_set`, under the same write lock and with the same guarantees as
        `ingest`. Without `source_set`, a source already stored stays in its set (a new one goes to
        `public`); with it, a source stored in another set is moved there (logged) when `move`,
        else refused with its chunks kept."""
        items = [
            SourceDocument(d.source_id, d.label, partial(_load_in_set, d.load, source_set), d.origin) for d in documents
        ]
        return self._locked(lambda: items, prune=None, rebuild=False, warn=warn, progress=progress, move=move)

    def _locked(
        self,
        sources: Callable[[], Iterable[SourceDocument | BadSourceFile]],
        *,
        prune: _PruneScope | None,
        rebuild: bool,
        warn: Callable[[str], None] | None,
        progress: bool | None,
        move: bool = True,
    ) -> IngestReport:
        """Under the write lock: the sources listed, ingested (into a new collection swapped in
        when `rebuild`), then the lexical index of the result written for every reader."""
        warn = warn or (lambda message: log.warning("%s", message))
        lock = write_lock(self.lock_path) if self.lock_path else contextlib.nullcontext()
        with lock:
            items = list(sources())
            if not rebuild:
                report = self._ingest(self.store, items, prune, warn, progress, move)
            else:
                staging = self.store.staging()
                scope = prune or _PruneScope(frozenset(), None)
                prior = self.store.ids_by_origin_and_set()  # a source keeps its set through a rebuild
                report = self._ingest(staging, items, scope, warn, progress, move, prior)
                self.store.replace_with(staging)
                log.info("rebuilt collection '%s': %d chunks", self.store.name, report.chunks_total)
            self.write_lexical_index()
            return report

    def _file_sources(self, paths: list[Path], source_set: str | None):
        """Each file under `paths` as a source to load, into `source_set` when given, else the set
        its folder names, else `public` (a folder naming no valid set fails that file alone)."""
        for item in iter_source_files(paths):
            if isinstance(item, BadSourceFile):
                yield item
                continue
            path, root = item
            origin = origin_of(root)
            load = partial(load_document, path, root, max_bytes=self.max_file_bytes)
            yield SourceDocument(
                source_id_of(path, root), str(path), partial(_load_in_set, load, source_set, path, root, origin), origin
            )

    def write_lexical_index(self) -> None:
        """The lexical index of the store as it is now, on disk for every process that searches it
        (nothing to do when it is there already)."""
        if self.lexical_files is None:
            return
        generation = self.store.generation()
        if not self.lexical_files.folder(self.store.name, generation).is_dir():
            started = time.perf_counter()
            index, _ = index_for(self.store, generation, None)
            self.lexical_files.save(index, self.store.name, generation)
            log.info("lexical index written: %d chunks in %.1f s", index.n_docs, time.perf_counter() - started)

    def _ingest(
        self,
        store: ChunkStore,
        items: list,
        prune: _PruneScope | None,
        warn,
        progress,
        move: bool = True,
        prior: dict[Key, dict[str, set[str]]] | None = None,
    ) -> IngestReport:
        """`prior`: the sets sources were in before (a rebuild's old collection), when not `store`'s."""
        started = time.perf_counter()
        report = IngestReport()
        stored = store.ids_by_origin_and_set()
        existing = {key: set().union(*by_set.values()) for key, by_set in stored.items()}
        store.save_vector_index_often()
        seen: set[Key] = set()
        pending = _Pending()
        bar = _progress_bar(len(items), progress)
        try:
            for item in items:
                bar.update(1)
                if isinstance(item, BadSourceFile):
                    report.files_skipped += 1
                    report.files_failed += 1
                    self._fail(report, warn, str(item))
                    continue
                key = (item.source_id, item.origin)
                if key in seen:  # the same link twice, a feed's items sharing a link: one source
                    log.info("%s: given more than once in this batch; ingested once", one_line(item.label))
                    continue
                report.files_seen += 1
                try:
                    doc = item.load()
                    key = (doc.meta.source_id, item.origin)
                    if key in seen:
                        log.info("%s: given more than once in this batch; ingested once", one_line(item.label))
                        report.files_seen -= 1
                        continue
                    key = _adopt_legacy(key, doc, stored, existing, seen, item.label)
                    target = self._target_set(doc, key, prior or stored, move, item.label, report, warn)
                    doc.meta = dataclasses.replace(doc.meta, source_set=target, origin=item.origin)
                    chunks = chunk_document(
                        doc.meta,
                        doc.text,
                        sentences_per_chunk=self.chunking.sentences_per_chunk,
                        overlap=self.chunking.overlap,
                        max_chars=self.chunking.max_chars,
                        pages=doc.pages,
                    )
                except BadSourceFile as exc:
                    report.files_skipped += 1
                    seen.add(key)
                    if exc.kind != BadSourceFile.FAILED:  # emptied, or a link not followed: its old chunks go
                        self._warn(report, warn, str(exc) + self._drop_all(key, existing, pending, report))
                    else:  # keep what it had: a bad read loses nothing
                        report.files_failed += 1
                        self._fail(report, warn, str(exc))
                    continue
                except BadSetName as exc:  # never filed under a wider set than meant: not ingested
                    report.files_skipped += 1
                    report.files_failed += 1
                    seen.add(key)
                    self._fail(
                        report,
                        warn,
                        f"{' '.join(item.label.split())}: its folder names no valid set ({exc}); skipped it",
                    )
                    continue
                except Exception as exc:  # one source's surprise never stops the others
                    report.files_skipped += 1
                    report.files_failed += 1
                    seen.add(key)
                    log.debug("ingest of %s failed", item.label, exc_info=True)
                    self._fail(report, warn, _failure(item.label, exc))
                    continue
                for message in doc.warnings:
                    self._warn(report, warn, message)
                seen.add(key)
                if not chunks:
                    report.files_skipped += 1
                    dropped = self._drop_all(key, existing, pending, report)
                    self._warn(report, warn, f"{one_line(item.label)}: no text left after cleaning; skipped{dropped}.")
                    continue
                new_ids = {c.chunk_id for c in chunks}
                old_ids = existing.get(key, set())
                # chunks kept from the last ingest but labelled with another set (or none) move to this one
                mislabelled = set().union(*(ids for label, ids in stored.get(key, {}).items() if label != target))
                relabel = mislabelled & new_ids
                if relabel:
                    pending.labels.append((relabel, target))
                    report.chunks_relabelled += len(relabel)
                report.sources.append(
                    IngestedSource(doc.meta, len(chunks), changed=new_ids != old_ids or bool(relabel))
                )
                if new_ids == old_ids:
                    if relabel:
                        report.files_indexed += 1
                    else:
                        report.files_unchanged += 1
                    continue
                report.files_indexed += 1
                pending.reusable |= old_ids  # an edit: sentences it kept keep their vectors
                fresh = [c for c in chunks if c.chunk_id not in old_ids]
                pending.chunks.extend(fresh)
                report.chunks_added += len(fresh)
                stale = old_ids - new_ids
                if stale:
                    pending.deletions.append(stale)
                    report.chunks_removed += len(stale)
                if len(pending.chunks) >= self.batch_size:
                    self._flush(store, pending, bar, report)
            if prune is None:  # with prune, the sources not read are deleted below
                self._label_unlabelled(stored, seen, pending, report)
            self._flush(store, pending, bar, report)
            if prune is not None:
                gone = sorted(key for key in set(existing) - seen if prune.covers(key, stored[key]))
                for key in gone:
                    store.delete(existing[key])
                    report.chunks_removed += len(existing[key])
                if gone:
                    log.info(
                        "pruned %d sources no longer present: %s", len(gone), ", ".join(sid for sid, _ in gone[:5])
                    )
        finally:
            bar.close()
        if report.chunks_added or report.chunks_removed or report.chunks_relabelled:
            store.bump_generation()
        report.chunks_total = store.count()
        report.seconds = time.perf_counter() - started
        return report

    def _target_set(self, doc, key: Key, stored, move: bool, label: str, report: IngestReport, warn) -> str:
        """The set a source is filed under: the one asked for (`--set`, a `set-NAME` folder, the
        Slack conversation's set), else the set it is stored in, else `public`. A source never
        changes set silently: a move is logged and said, or (move=False) refused, keeping its chunks."""
        requested = doc.meta.source_set
        current = sorted({label or DEFAULT_SET for label in stored.get(key, {})})
        if not requested:
            return current[0] if len(current) == 1 else DEFAULT_SET
        others = [name for name in current if name != requested]
        if others:
            was = ", ".join(f"'{name}'" for name in others)
            if not move:
                log.warning("%s: in source set %s; not moved to '%s'", one_line(label), was, requested)
                raise BadSourceFile(
                    label, f"is already in source set {was}; not moved to '{requested}'",
                    f"an admin moves it with `briefbot ingest --set {requested} {one_line(label)}`",
                )  # fmt: skip
            self._warn(report, warn, f"{one_line(label)}: moved from source set {was} to '{requested}'")
        return requested

    @staticmethod
    def _label_unlabelled(stored: dict[Key, dict[str, set[str]]], seen: set[Key], pending: _Pending,
                          report: IngestReport) -> None:  # fmt: skip
        """Chunks of sources this run did not read that were stored before sets existed: labelled
        `public`, which they already counted as, so that searches limited to sets find them."""
        unlabelled = set().union(*(by_set.get("", set()) for key, by_set in stored.items() if key not in seen))
        if unlabelled:
            pending.labels.append((unlabelled, DEFAULT_SET))
            report.chunks_relabelled += len(unlabelled)
            log.info("%d chunks stored before source sets existed labelled '%s'", len(unlabelled), DEFAULT_SET)

    @staticmethod
    def _drop_all(key: Key, existing: dict[Key, set[str]], pending: _Pending, report: IngestReport) -> str:
        """Queue the deletion of every chunk a source had; the note to add to its warning."""
        stale = existing.get(key, set())
        if not stale:
            return ""
        pending.deletions.append(stale)
        report.chunks_removed += len(stale)
        return f"; removed the {len(stale)} chunks it had in the store"

    def _flush(self, store: ChunkStore, pending: _Pending, bar, report: IngestReport) -> None:
        if pending.reusable:  # read before this flush deletes any of them
            for p in store.passages(pending.reusable):
                for (start, end), vector in zip(
                    p.sentences, p.sentence_vectors if p.sentence_vectors is not None else []
                ):
                    pending.known[" ".join(p.text[start - p.start : end - p.start].split())] = vector
            pending.reusable.clear()
        try:
            for lo in range(0, len(pending.chunks), self.batch_size):
                part = pending.chunks[lo : lo + self.batch_size]
                sentence_vectors = self._embed_sentences(part, pending.known, report)
                store.add(part, np.asarray([chunk_vector(v) for v in sentence_vectors]), sentence_vectors)
                log.debug("stored %d chunks", len(part))
                pending.embedded += len(part)
                bar.set_postfix_str(f"{pending.embedded} chunks embedded", refresh=False)
        except StoreError:
            raise  # the store itself failed (a full disk, a server gone): the next ingest converges
        except BaseException:  # the embedder, an interrupt: the store works, take back what was added
            self._take_back(store, pending.chunks)
            raise
        for ids, source_set in pending.labels:
            store.label(ids, source_set)
        for stale in pending.deletions:
            store.delete(stale)
        pending.chunks.clear()
        pending.deletions.clear()
        pending.labels.clear()

    @staticmethod
    def _take_back(store: ChunkStore, chunks: list[Chunk]) -> None:
        """A flush stopped part-way (not by the store): remove the new chunks it may have added
        (none of them was in the store before), so no source is left half written."""
        try:
            store.delete(c.chunk_id for c in chunks)
        except Exception as exc:
            log.warning("could not take back a failed write (%s); the next ingest repairs it", type(exc).__name__)

    def _embed_sentences(
        self, chunks: list[Chunk], known: dict[str, np.ndarray], report: IngestReport
    ) -> list[np.ndarray]:
        """Each distinct sentence embedded once (neighbouring chunks share their overlap); a sentence
        an edited file already had keeps its stored vector (`known`, by its text) instead."""
        index: dict[tuple[str, int, int], int] = {}
        texts: list[str] = []
        for c in chunks:
            for start, end in c.sentences:
                key = (c.meta.source_id, start, end)
                if key not in index:
                    index[key] = len(texts)
                    local = c.text[start - c.start : end - c.start]
                    texts.append(" ".join(local.split()))
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        fresh = dict(zip(missing, self.embedder.embed(missing))) if missing else {}
        report.sentences_embedded += len(missing)
        report.sentences_reused += len(set(texts)) - len(missing)
        vectors = np.array([fresh[t] if t in fresh else known[t] for t in texts], dtype=np.float32).reshape(
            -1, self.embedder.dimension
        )
        return [vectors[[index[(c.meta.source_id, s, e)] for s, e in c.sentences]] for c in chunks]

    @staticmethod
    def _warn(report: IngestReport, warn, message: str) -> None:
        report.warnings.append(message)
        warn(message)

    @classmethod
    def _fail(cls, report: IngestReport, warn, message: str) -> None:
        report.failures.append(message)
        cls._warn(report, warn, message)


def _load_in_set(
    load: Callable[[], LoadedDocument],
    source_set: str | None,
    path: Path | None = None,
    root: Path | None = None,
    origin: str = "",
) -> LoadedDocument:
    """The document `load` reads, asking for `source_set`; without one, for the set its folder
    names (a file under a folder root); else "" (the ingest keeps a stored source's set, or files
    it as `public`). A folder naming no valid set: BadSetName."""
    target = source_set or (folder_set(path, root) if path is not None and root is not None else None) or ""
    doc = load()
    doc.meta = dataclasses.replace(doc.meta, source_set=target, origin=origin)
    return doc


@dataclass(frozen=True)
class _PruneScope:
    """What a `--prune` may delete: file sources from the folders this run reads (and in its set,
    when one is given); links, feed items and Slack files never."""

    folders: frozenset[str]
    source_set: str | None

    def covers(self, key: Key, by_set: dict[str, set[str]]) -> bool:
        sid, origin = key
        if is_remote_source(sid):
            return False
        sets = {label or DEFAULT_SET for label in by_set}
        if self.source_set is not None and sets != {self.source_set}:
            return False
        if origin:
            return origin in self.folders
        # stored before origins existed: only when it is in the set this run writes
        return sets == {self.source_set or DEFAULT_SET}


def _adopt_legacy(
    key: Key,
    doc: LoadedDocument,
    stored: dict[Key, dict[str, set[str]]],
    existing: dict[Key, set[str]],
    seen: set[Key],
    label: str,
) -> Key:
    """A file stored before origins existed (same id, no origin) is taken over by the first folder
    that reads it again into the same set: its chunks become this source's old chunks (replaced,
    their vectors reused), so a re-ingest after the upgrade duplicates nothing. Read with no set
    named while the old one is in a restricted set, it is refused: which folder it came from is
    not known, and neither a public copy nor overwriting the restricted one is safe."""
    sid, origin = key
    legacy = (sid, "")
    if not origin or key in stored or legacy not in stored or legacy in seen:
        return key
    sets = {name or DEFAULT_SET for name in stored[legacy]}
    if not doc.meta.source_set and sets != {DEFAULT_SET}:
        shown = ", ".join(f"'{name}'" for name in sorted(sets))
        raise BadSourceFile(
            label, f"a source named {sid} is stored in source set {shown} from before sources were known by their "
            "folder; not ingested", "say which set this folder's files go to: `briefbot ingest --set NAME FOLDER`",
        )  # fmt: skip
    if sets != {doc.meta.source_set or DEFAULT_SET}:
        return key
    stored[key] = stored.pop(legacy)
    existing[key] = existing.pop(legacy)
    seen.add(legacy)
    return key


def _failure(label: str, exc: BaseException) -> str:
    """One line naming the source and why it failed."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(reason) > 200:
        reason = reason[:199] + "…"
    return f"{one_line(label)}: could not be ingested ({reason}); skipped it, the other files go on"


def _progress_bar(total: int, enabled: bool | None):
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    # delay: a bar appears only when an ingest takes more than a moment
    return tqdm(total=total, unit="file", desc="ingest", delay=1.0, disable=not enabled, file=sys.stderr)

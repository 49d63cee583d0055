"""Adding sources beyond the sources folder: links, feeds and files handed over one at a time
(the CLI, `briefbot watch`, the Slack bot). Knows nothing about Slack.

Links and files are fetched / read *before* the store's write lock is taken, so a slow site never
holds the lock; the ingest itself goes through the one Ingestor, with its lock and guarantees.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from briefbot.errors import BriefbotError
from retrieval.errors import BadSourceFile
from retrieval.index.store import ChunkStore, SourceSummary
from retrieval.ingest import Ingestor
from retrieval.sources.feeds import FeedReader, FeedStates
from retrieval.sources.fetch import Fetcher, FetchRefused, normalise_url
from retrieval.sources.loaders import SourceDocument, document_from_bytes
from retrieval.sources.web import load_link
from retrieval.types import IngestedSource, IngestReport

log = logging.getLogger(__name__)

FILE_FORMATS = {  # a file handed over by name (a Slack upload): its suffix says how to read it
    "pdf": "pdf", "docx": "docx", "txt": "text", "md": "markdown", "markdown": "markdown", "html": "html", "htm": "html",
}  # fmt: skip


class SourceNotAdded(BriefbotError):
    """A link or file that could not be added; str() says why, naming it."""


@dataclass
class FeedResult:
    url: str
    title: str = ""
    not_modified: bool = False
    report: IngestReport = field(default_factory=IngestReport)

    @property
    def added(self) -> list[IngestedSource]:
        return [s for s in self.report.sources if s.changed]


class Intake:
    def __init__(
        self,
        ingestor: Ingestor,
        fetcher: Fetcher,
        store: ChunkStore,
        *,
        feed_states: FeedStates | None = None,
        feed_max_items: int = 50,
        max_file_bytes: int,
    ) -> None:
        self.ingestor = ingestor
        self.fetcher = fetcher
        self.store = store
        self.feeds = FeedReader(fetcher, max_items=feed_max_items)
        self.feed_states = feed_states or FeedStates(None)
        self.max_file_bytes = max_file_bytes

    # -- links

    def link_sources(self, urls: list[str]) -> list[SourceDocument]:
        """Links as sources for a batch ingest, each fetched and read now (before the ingest takes
        the write lock); one that fails is passed on to fail in the ingest, named with its reason."""
        out = []
        given: set[str] = set()
        for url in urls:
            try:
                sid = normalise_url(url)
            except FetchRefused:
                sid = url.strip()
            if sid in given:  # the same link twice (or two spellings of it): fetched and ingested once
                continue
            given.add(sid)
            out.append(_read_now(SourceDocument(sid, url.strip(), partial(load_link, url, self.fetcher))))
        return out

    def add_link(self, url: str, *, source_set: str | None = None) -> IngestedSource:
        """Fetch one link, then ingest it (into `source_set`, default public). Raises SourceNotAdded
        (or StoreBusy) with the reason."""
        try:
            doc = load_link(url, self.fetcher)
        except BadSourceFile as exc:
            raise SourceNotAdded(str(exc)) from None
        return self._one(SourceDocument.loaded(doc, url), source_set)

    # -- files handed over (Slack)

    def add_file(
        self,
        data: bytes,
        filename: str,
        *,
        source_id: str,
        url: str = "",
        title: str = "",
        source_set: str | None = None,
    ) -> IngestedSource:
        """A file's bytes, read by its suffix (.pdf, .docx, .txt, .md, .html). Raises SourceNotAdded."""
        suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        fmt = FILE_FORMATS.get(suffix)
        if fmt is None:
            raise SourceNotAdded(f"{filename}: briefbot reads PDF, Word (.docx), text, Markdown and HTML files, not "
                                 f"'{suffix or 'no suffix'}' files")  # fmt: skip
        if len(data) > self.max_file_bytes:
            raise SourceNotAdded(f"{filename}: is over the {self.max_file_bytes / 1e6:.0f} MB limit")
        try:
            doc = document_from_bytes(data, fmt, source_id=source_id, label=filename, url=url, known={"title": title})
        except BadSourceFile as exc:
            raise SourceNotAdded(str(exc)) from None
        return self._one(SourceDocument.loaded(doc, filename), source_set)

    def _one(self, source: SourceDocument, source_set: str | None) -> IngestedSource:
        """One source into `source_set`; one stored in another set is refused, not moved (moving
        is an admin's explicit `briefbot ingest --set NAME LINK`)."""
        report = self.ingestor.ingest_documents(
            [source], warn=lambda m: log.info("%s", m), source_set=source_set, move=False
        )
        if report.failures or not report.sources:
            raise SourceNotAdded(report.failures[0] if report.failures else f"{source.label}: nothing to index")
        added = report.sources[0]
        log.info(
            "source %s: %s, %d chunks", "added" if added.changed else "unchanged", added.meta.source_id, added.chunks
        )
        return added

    # -- feeds

    def ingest_feed(
        self,
        url: str,
        *,
        only_new: bool = True,
        warn: Callable[[str], None] | None = None,
        source_set: str | None = None,
    ) -> FeedResult:
        """Fetch a feed and ingest its items. only_new: a conditional request and only the items not
        ingested before (`watch`); otherwise every item in the feed (`ingest --feed`). Items that
        fail are tried again on the next poll. Raises SourceNotAdded when the feed itself fails."""
        try:
            key = normalise_url(url)
            state = self.feed_states.get(key)
            poll = self.feeds.poll(key, state if only_new else None)
        except FetchRefused as exc:
            raise SourceNotAdded(str(exc)) from None
        result = FeedResult(key, poll.title, poll.not_modified)
        if poll.not_modified:
            return result
        if poll.items:
            documents = [_read_now(self.feeds.document(item, poll.title)) for item in poll.items]
            result.report = self.ingestor.ingest_documents(documents, warn=warn, source_set=source_set)
        done = {s.meta.source_id for s in result.report.sources}
        state.seen += [
            item.source_id for item in poll.items if item.source_id in done and item.source_id not in state.seen
        ]
        if not result.report.failures:  # else fetch it whole again next time, to retry the failed items
            state.etag, state.last_modified = poll.etag, poll.last_modified
        self.feed_states.put(key, state)
        return result

    # -- what is there

    def latest(self, n: int = 10, sets: frozenset[str] | None = None) -> tuple[list[SourceSummary], int]:
        """The `n` sources most recently added or changed, and how many there are in all (with
        `sets`, only sources in those sets)."""
        rows = self.store.sources(sets)
        rows.sort(key=lambda r: (r.added, r.meta.published or "", r.meta.source_id), reverse=True)
        return rows[:n], len(rows)


def _read_now(source: SourceDocument) -> SourceDocument:
    """The source loaded at once (a fetch does not hold the store's write lock); a failure is
    kept for the ingest to report like any other."""
    try:
        doc = source.load()
    except Exception as exc:  # BadSourceFile or a surprise: the ingest names it, the others go on
        failure = exc

        def fail():
            raise failure

        return SourceDocument(source.source_id, source.label, fail)
    return SourceDocument(source.source_id, source.label, lambda: doc)

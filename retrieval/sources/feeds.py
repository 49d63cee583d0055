"""RSS and Atom feeds -> sources to ingest, one per item, read by feedparser.

A feed is fetched like any link (retrieval.sources.fetch: same safety checks), conditionally when its
ETag / Last-Modified are known. Each item becomes a SourceDocument whose id is the item's link
(normalised), so an article reached through a feed and by its link is one source. The item's
full text comes from the feed when the feed carries it (content:encoded, Atom content), else from
its link (a summary alone is not ingested: an item whose link fails is tried again next poll); the feed's title is the outlet and the item's title, date and author fill what the
article does not say itself.

`FeedStates` keeps, per feed, the validators of the last fetch and the items already ingested
(in a small JSON file), so `briefbot watch` fetches an unchanged feed for a 304 and ingests only
new items.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.errors import BadSourceFile
from retrieval.sources.fetch import Fetcher, FetchRefused, normalise_url
from retrieval.sources.loaders import LoadedDocument, SourceDocument, document_from_bytes
from retrieval.sources.web import load_link

log = logging.getLogger(__name__)

FEED_FORMATS = ("feed", "xml")
FULL_TEXT_WORDS = 80  # an item whose feed text is at least this long is read from the feed itself
SEEN_KEEP = 2_000  # item ids remembered per feed
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class FeedState:
    etag: str = ""
    last_modified: str = ""
    seen: list[str] = field(default_factory=list)  # source ids of items ingested, oldest first


class FeedStates:
    """Per-feed state in a JSON file, written atomically. Thread-safe within a process."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._states: dict[str, FeedState] = {}
        if self.path and self.path.exists():
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                self._states = {url: FeedState(**value) for url, value in raw.items()}
            except (OSError, ValueError, TypeError) as exc:
                log.warning("feed state %s unreadable (%s): starting afresh", self.path, exc)

    def get(self, url: str) -> FeedState:
        with self._lock:
            state = self._states.get(url, FeedState())
            return FeedState(state.etag, state.last_modified, list(state.seen))

    def put(self, url: str, state: FeedState) -> None:
        with self._lock:
            state.seen = state.seen[-SEEN_KEEP:]
            self._states[url] = state
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = {u: s.__dict__ for u, s in self._states.items()}
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".feeds-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
            os.replace(tmp, self.path)


@dataclass
class FeedItem:
    source_id: str
    link: str
    title: str
    published: str  # ISO date or ""
    author: str
    html: str  # the fullest text the feed carries for it (HTML), or ""


@dataclass
class FeedPoll:
    url: str
    title: str = ""
    not_modified: bool = False
    items: list[FeedItem] = field(default_factory=list)  # the items to ingest (new ones, when asked)
    etag: str = ""
    last_modified: str = ""


class FeedReader:
    def __init__(self, fetcher: Fetcher, *, max_items: int = 50) -> None:
        self.fetcher = fetcher
        self.max_items = max_items

    def poll(self, url: str, state: FeedState | None = None) -> FeedPoll:
        """The feed's items; with a state, a conditional request and only the items not seen.
        Raises FetchRefused (naming the feed) when it cannot be fetched or is not a feed."""
        import feedparser

        url = normalise_url(url)
        state = state or FeedState()
        fetched = self.fetcher.get(url, accept=FEED_FORMATS, etag=state.etag, last_modified=state.last_modified)
        poll = FeedPoll(
            url, etag=fetched.etag or state.etag, last_modified=fetched.last_modified or state.last_modified
        )
        if fetched.not_modified:
            poll.not_modified = True
            return poll
        parsed = feedparser.parse(fetched.content, response_headers={"content-location": fetched.url})
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: "")() or "no items"
            raise FetchRefused(url, f"is not an RSS or Atom feed ({' '.join(str(reason).split())[:120]})",
                               "give the URL of the feed itself (often /rss or /feed)")  # fmt: skip
        poll.title = " ".join(str(parsed.feed.get("title", "")).split())
        seen = set(state.seen)
        for entry in parsed.entries[: self.max_items]:
            item = _item(entry, url)
            if item is not None and item.source_id not in seen:  # items sharing a link or GUID: the first
                seen.add(item.source_id)
                poll.items.append(item)
        return poll

    def document(self, item: FeedItem, feed_title: str) -> SourceDocument:
        """The item as a source to ingest: read from the feed's own full text, else from its link."""
        known = {"title": item.title, "published": item.published, "author": item.author, "outlet": feed_title}

        def load() -> LoadedDocument:
            words = len(_TAGS.sub(" ", item.html).split())
            if words >= FULL_TEXT_WORDS:
                return _from_feed_text(item, known)
            if not item.link:  # a summary is not the article, and there is no article to fetch
                raise BadSourceFile(
                    item.source_id, f"has no usable link to its article and only {words} words of summary in the feed",
                    "not ingested; the feed must link to the article (http or https) or carry its full text",
                    kind=BadSourceFile.SKIPPED,
                )  # fmt: skip
            # a summary is not the article: an item whose link fails is tried again next poll
            return load_link(item.link, self.fetcher, kind="feed", known=known)

        return SourceDocument(item.source_id, item.link or item.source_id, load)


def _from_feed_text(item: FeedItem, known: dict) -> LoadedDocument:
    page = f"<html><body><article><h1>{_escape(item.title)}</h1>{item.html}</article></body></html>"
    return document_from_bytes(
        page.encode("utf-8"), "html", source_id=item.source_id, label=item.link or item.source_id, kind="feed",
        url=item.link, known=known,
    )  # fmt: skip


def _item(entry, feed_url: str) -> FeedItem | None:
    link = str(entry.get("link", "") or "")
    try:
        source_id = normalise_url(link) if link else ""
    except FetchRefused:
        source_id = ""
    if not source_id:
        guid = str(entry.get("id", "") or entry.get("title", "")).strip()
        if not guid:
            return None
        source_id = f"{feed_url}#{guid}"
        link = ""
    contents = entry.get("content") or []
    html = max((str(c.get("value", "")) for c in contents), key=len, default="")
    summary = str(entry.get("summary", "") or "")
    if len(summary) > len(html):
        html = summary
    return FeedItem(
        source_id=source_id,
        link=source_id if link else "",
        title=" ".join(str(entry.get("title", "")).split()),
        published=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        author=" ".join(str(entry.get("author", "") or "").split()),
        html=html,
    )


def _date(parsed) -> str:
    if not parsed:
        return ""
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC).date().isoformat()
    except (OverflowError, ValueError, TypeError):
        return ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

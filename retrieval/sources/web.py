"""A link -> LoadedDocument: fetched safely (retrieval.sources.fetch), read by the same loaders as files.

A web page becomes an article by trafilatura (title, site name, author, date from the page's
metadata); a link to a PDF or Word document is read as one. A page that is not an article (a
login wall, a page with no text to speak of) is refused with the reason. The source id is the
link as given, normalised, so the same link ingested again replaces its own chunks.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from retrieval.errors import BadSourceFile
from retrieval.sources.fetch import Fetched, Fetcher, FetchRefused
from retrieval.sources.loaders import LoadedDocument, document_from_bytes

LINK_FORMATS = ("html", "text", "markdown", "pdf", "docx")
MIN_ARTICLE_WORDS = 40  # a press release has more; a login or consent page has less
LOGIN_WALL_WORDS = 150  # a page asking for a password with fewer words than this is a login wall
_PASSWORD_FIELD = re.compile(rb"<input\b[^>]*\btype\s*=\s*[\"']?password", re.I)


def load_link(url: str, fetcher: Fetcher, *, kind: str = "web", known: dict | None = None) -> LoadedDocument:
    """Fetch `url` and read it as an article. Raises BadSourceFile naming the link."""
    try:
        fetched = fetcher.get(url, accept=LINK_FORMATS)
    except FetchRefused as exc:
        raise BadSourceFile(exc.url, exc.problem, exc.hint) from None
    return document_from_fetched(fetched, kind=kind, known=known)


def document_from_fetched(fetched: Fetched, *, kind: str = "web", known: dict | None = None) -> LoadedDocument:
    label = fetched.requested
    fmt = fetched.format
    known = dict(known or {})
    known.setdefault("outlet", site_of(fetched.url))
    asks_password = fmt == "html" and bool(_PASSWORD_FIELD.search(fetched.content))
    try:
        doc = document_from_bytes(
            fetched.content, fmt, source_id=fetched.requested, label=label, kind=kind, url=fetched.url, known=known
        )
    except BadSourceFile as exc:
        if asks_password:
            raise _login_wall(label) from None
        raise BadSourceFile(label, exc.problem, exc.hint) from None  # what it had indexed is kept
    if fmt == "html":
        words = len(doc.text.split())
        if asks_password and words < LOGIN_WALL_WORDS:
            raise _login_wall(label)
        if words < MIN_ARTICLE_WORDS:
            raise BadSourceFile(
                label, f"is not an article: only {words} words of text on the page (a login or consent page, "
                "a paywall, or a page of links?)", "give the link of the article itself, or save it as a file",
            )  # fmt: skip
    return doc


def site_of(url: str) -> str:
    """The site a link is on, for citations when the page names no outlet: "dawn.com"."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _login_wall(label: str) -> BadSourceFile:
    return BadSourceFile(label, "asks to sign in (a login wall) instead of showing an article",
                         "save the article as a file and ingest that")  # fmt: skip

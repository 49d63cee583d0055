"""Fetching a link safely, for ingest: httpx, with every hop checked before it is made.

- http and https only; at most `max_redirects` redirects, each followed by hand and checked again;
- the host is resolved here and every address it resolves to must be public (not loopback,
  private, link-local, the cloud metadata address 169.254.169.254, carrier-grade NAT, multicast,
  reserved...) unless `allow_private` is set (or the host is in `allow_hosts`); the connection is
  then made to the address that was checked (the URL carries the IP; Host header and TLS server
  name carry the name), so a DNS answer that changes between check and connect cannot slip a
  private address in;
- a size cap read as the body streams, counted after decoding: gzip and deflate are undone here,
  layer by layer (`Content-Encoding: gzip, gzip`), with zlib's `max_length`, so a few kilobytes
  that inflate to gigabytes are stopped at the cap (a Content-Length over it is refused before
  reading);
- a time cap per read, and a wall-clock deadline for the whole exchange, response headers and
  redirects included (`deadline.WallClockLimit` shuts the socket down when it passes);
- the content type checked against what the caller can read.

Every refusal is a `FetchRefused` whose text says what was refused and why, naming the URL.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from retrieval.errors import RetrievalError
from retrieval.sources.deadline import WallClockLimit
from retrieval.sources.loaders import DEFAULT_MAX_BYTES

USER_AGENT = "briefbot/0.1 (+ingest of a link an official shared)"

# content types -> the format the loaders read them as
CONTENT_FORMATS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "markdown",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/feed+json": "feed",
    "application/xml": "xml",
    "text/xml": "xml",
}


# declared types that say nothing about the content: the body is sniffed instead. A specific type
# that briefbot does not read (image/png...) is refused, whatever the body looks like.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})


class FetchRefused(RetrievalError):
    """A link that was not (or could not be) fetched; str() is one line naming it and why."""

    def __init__(self, url: str, problem: str, hint: str = "") -> None:
        self.url = url
        self.problem = problem
        self.hint = hint
        super().__init__(f"{_shown(url)}: {problem}" + (f"; {hint}" if hint else ""))

    def __reduce__(self):
        return (type(self), (self.url, self.problem, self.hint))


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False  # tests reach their loopback servers with it
    allow_hosts: frozenset[str] = frozenset()  # host names trusted even when they resolve privately
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = 15.0  # connect / per read
    total_seconds: float = 60.0  # the whole fetch, redirects included
    max_redirects: int = 5


@dataclass
class Fetched:
    requested: str  # the URL as asked for (normalised)
    url: str  # where the content came from, after redirects
    status: int
    content_type: str  # media type only, lower case ("text/html")
    content: bytes = b""
    etag: str = ""
    last_modified: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def format(self) -> str:
        """What the loaders read it as ("html", "pdf", ...), by content type, then by its first bytes."""
        fmt = CONTENT_FORMATS.get(self.content_type, "")
        head = self.content[:512].lstrip()
        if self.content.startswith(b"%PDF-"):
            return "pdf"
        if fmt in ("", "text") and self.content.startswith(b"PK\x03\x04") and self.url.lower().endswith(".docx"):
            return "docx"
        if fmt in ("xml", "text", "") and (b"<rss" in head or b"<feed" in head or b"<rdf:RDF" in head):
            return "feed"
        if self.content_type in GENERIC_TYPES and head[:15].lower().startswith((b"<!doctype html", b"<html")):
            return "html"  # no type, or a generic one: the body says what it is
        return fmt


Resolver = Callable[[str, int], Iterable[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def normalise_url(url: str) -> str:
    """The URL as a stable source id: scheme and host lower case, default port and fragment
    dropped, an empty path made "/". Raises FetchRefused for what is not an http(s) URL."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(text, f"is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(
            text, f"is not an http(s) link (scheme '{scheme or 'none'}')", "give an http:// or https:// URL"
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchRefused(text, "has no host name", "give a full URL, e.g. https://example.org/news/1")
    if any(ch.isspace() for ch in text):
        raise FetchRefused(text, "contains spaces", "give the URL as copied from the address bar")
    try:  # an international domain name goes on the wire in its ASCII form
        host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchRefused(text, "has a host name that is not valid", "check the link") from None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    if parts.username or parts.password:
        raise FetchRefused(text, "carries a user name or password", "give the link without credentials")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def blocked_reason(address: str) -> str | None:
    """Why an IP address may not be fetched from (None: a public address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # an IPv4 address carried inside IPv6 (mapped, 6to4 2002::/16, Teredo) is judged as itself
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    if str(ip) == "169.254.169.254" or str(ip) == "fd00:ec2::254":
        return "the cloud metadata address"
    if ip.is_unspecified:
        return "not a public address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


class Fetcher:
    """GETs links under a FetchPolicy. One instance can be shared by threads."""

    def __init__(self, policy: FetchPolicy | None = None, *, resolver: Resolver = system_resolver) -> None:
        self.policy = policy or FetchPolicy()
        self.resolver = resolver

    def get(
        self,
        url: str,
        *,
        accept: Iterable[str] | None = None,
        etag: str = "",
        last_modified: str = "",
    ) -> Fetched:
        """The content at `url`. `accept`: the formats the caller reads (see CONTENT_FORMATS);
        anything else is refused with its content type. `etag`/`last_modified` make the request
        conditional: an unchanged resource comes back with status 304 and no content."""
        requested = normalise_url(url)
        policy = self.policy
        deadline = time.monotonic() + policy.total_seconds
        current = requested
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        timeout = httpx.Timeout(policy.timeout)
        with (
            WallClockLimit(policy.total_seconds) as limit,
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
        ):
            for _hop in range(policy.max_redirects + 1):
                target, host_header, sni = self._pinned(current, requested)
                request_headers = {**headers, "Host": host_header}
                extensions: dict = {"trace": limit.trace}
                if sni:
                    extensions["sni_hostname"] = sni
                try:
                    with client.stream("GET", target, headers=request_headers, extensions=extensions) as response:
                        if response.status_code in (301, 302, 303, 307, 308):
                            location = response.headers.get("location", "")
                            if not location:
                                raise FetchRefused(requested, f"redirect ({response.status_code}) without a Location")
                            current = _redirect_target(requested, urljoin(current, location))
                            continue
                        return self._read(response, requested, current, accept, deadline)
                except httpx.HTTPError as exc:
                    raise self._failed(requested, exc, limit) from None
                except httpx.InvalidURL as exc:  # httpx reads a redirect's Location even when not following it
                    raise FetchRefused(requested, f"redirects to an address that is not a valid link ({_short(str(exc))})",
                                       "give the final URL") from None  # fmt: skip

            raise FetchRefused(requested, f"redirects more than {policy.max_redirects} times", "give the final URL")

    def _failed(self, requested: str, exc: httpx.HTTPError, limit: WallClockLimit) -> FetchRefused:
        """Why an exchange failed: the whole-exchange deadline (which shut the socket), a read
        timeout, or the connection."""
        if limit.expired:
            return FetchRefused(requested, f"took over {limit.seconds:g} s in all (stopped)", "try again later")
        if isinstance(exc, httpx.TimeoutException):
            return FetchRefused(requested, f"timed out (over {self.policy.timeout:g} s without an answer)",
                                "try again later")  # fmt: skip
        return FetchRefused(requested, f"could not be fetched ({type(exc).__name__}: {_short(str(exc))})",
                            "check the link and try again")  # fmt: skip

    # -- one hop

    def _pinned(self, url: str, requested: str) -> tuple[str, str, str | None]:
        """(the URL with the checked IP as host, the Host header, the TLS server name)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            literal = ipaddress.ip_address(host)
            addresses = [str(literal)]
        except ValueError:
            try:
                addresses = list(self.resolver(host, port))
            except (OSError, UnicodeError) as exc:
                raise FetchRefused(requested, f"host {host} cannot be resolved ({_short(str(exc))})",
                                   "check the link") from None  # fmt: skip
            if not addresses:
                raise FetchRefused(requested, f"host {host} cannot be resolved", "check the link") from None
        trusted = self.policy.allow_private or host in self.policy.allow_hosts
        if not trusted:
            for address in addresses:
                reason = blocked_reason(address)
                if reason:
                    via = "" if url == requested else f" (redirected to {_shown(url)})"
                    raise FetchRefused(
                        requested, f"{host} is {reason} ({address}){via}: not fetched",
                        "briefbot fetches public web pages only (BRIEFBOT_FETCH_ALLOW_PRIVATE / "
                        "BRIEFBOT_FETCH_ALLOW_HOSTS to allow an internal host)",
                    )  # fmt: skip
        address = addresses[0]
        netloc = f"[{address}]" if ":" in address else address
        netloc += f":{port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        return pinned, host_header, host if parts.scheme == "https" else None

    def _read(self, response: httpx.Response, requested: str, url: str, accept, deadline: float) -> Fetched:
        policy = self.policy
        status = response.status_code
        meta = dict(
            requested=requested, url=url, status=status,
            content_type=response.headers.get("content-type", "").split(";", 1)[0].strip().lower(),
            etag=response.headers.get("etag", ""), last_modified=response.headers.get("last-modified", ""),
            headers={k.lower(): v for k, v in response.headers.items()},
        )  # fmt: skip
        if status == 304:
            return Fetched(**meta)
        if status in (401, 403, 407):
            raise FetchRefused(requested, f"asks to sign in (HTTP {status}): a login wall or a paywall",
                               "save the article as a file and ingest that")  # fmt: skip
        if status >= 400:
            raise FetchRefused(requested, f"answered HTTP {status} {response.reason_phrase}".rstrip(), "check the link")
        if status >= 300:
            raise FetchRefused(requested, f"answered HTTP {status} without a page")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise FetchRefused(requested, f"is {_size(int(declared))}, over the {_size(policy.max_bytes)} limit",
                               "raise BRIEFBOT_FETCH_MAX_BYTES if it is really an article")  # fmt: skip
        chunks: list[bytes] = []
        total = 0
        for chunk in decoded_body(response, requested, policy.max_bytes, deadline):
            total += len(chunk)
            if total > policy.max_bytes:
                raise FetchRefused(requested, f"is over the {_size(policy.max_bytes)} limit (stopped reading)",
                                   "raise BRIEFBOT_FETCH_MAX_BYTES if it is really an article")  # fmt: skip
            if time.monotonic() > deadline:
                raise FetchRefused(requested, f"took over {policy.total_seconds:g} s to download", "try again later")
            chunks.append(chunk)
        fetched = Fetched(content=b"".join(chunks), **meta)
        if accept is not None:
            accepted = set(accept)
            if fetched.format not in accepted:
                shown = fetched.content_type or "no content type"
                raise FetchRefused(requested, f"is {shown}, not something briefbot reads here",
                                   _format_hint(fetched.format, accepted))  # fmt: skip
        return fetched


def _redirect_target(requested: str, location: str) -> str:
    """Where a redirect leads, normalised; a refusal names the link given, and where it led."""
    try:
        return normalise_url(location)
    except FetchRefused as exc:
        raise FetchRefused(requested, f"redirects to {_shown(location)}, which {exc.problem}", exc.hint) from None


DECODE_STEP = 1 << 16  # bytes inflated at a time: memory stays bounded whatever the ratio


def decoded_body(response: httpx.Response, requested: str, limit: int, deadline: float) -> Iterator[bytes]:
    """The body with its Content-Encoding undone as it streams (the raw bytes, not httpx's
    decoder: that inflates a whole read at once, unbounded). Every layer's output is capped at
    `limit`, and a layer yields at most DECODE_STEP bytes at a time."""
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",") if c.strip()]
    stream: Iterator[bytes] = response.iter_raw()
    for coding in reversed(codings):  # the last coding applied is undone first
        if coding == "identity":
            continue
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise FetchRefused(requested, f"is sent with an encoding briefbot does not read ({coding})",
                               "try again later, or save the page as a file")  # fmt: skip
        stream = _inflate(stream, coding, requested, limit, deadline)
    return stream


def _inflate(chunks: Iterator[bytes], coding: str, requested: str, limit: int, deadline: float) -> Iterator[bytes]:
    """One gzip or deflate layer undone with zlib's `max_length`, its output counted against `limit`."""
    inflater = None
    out = 0
    for chunk in chunks:
        data = chunk
        while data:
            if inflater is None:
                inflater = zlib.decompressobj(_wbits(coding, data))
            try:
                piece = inflater.decompress(data, DECODE_STEP)
            except zlib.error as exc:
                raise FetchRefused(requested, f"sent a damaged {coding} body ({exc})", "try again later") from None
            data = inflater.unconsumed_tail
            if inflater.eof:  # gzip may hold several members, one after another
                data, inflater = inflater.unused_data, None
            elif not data and len(piece) == DECODE_STEP:
                data = b""  # the input is in, its output may not all be out yet: ask again
                piece += inflater.decompress(b"", DECODE_STEP)
            out += len(piece)
            if out > limit:
                raise FetchRefused(requested, f"is over the {_size(limit)} limit once decompressed (stopped reading)",
                                   "raise BRIEFBOT_FETCH_MAX_BYTES if it is really an article")  # fmt: skip
            if time.monotonic() > deadline:
                raise FetchRefused(requested, "took too long to decompress (stopped)", "try again later")
            if piece:
                yield piece


def _wbits(coding: str, head: bytes) -> int:
    if coding != "deflate":
        return 16 + zlib.MAX_WBITS  # gzip
    # "deflate" is meant as zlib-wrapped, but some servers send a raw deflate stream
    wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


def _format_hint(fmt: str, accepted: set[str]) -> str:
    if fmt == "feed" and "feed" not in accepted:
        return "it is a feed: add it with `briefbot ingest --feed URL` (or BRIEFBOT_FEEDS)"
    if "feed" in accepted and len(accepted) == 1:
        return "give the URL of an RSS or Atom feed"
    return "give a link to a web page, a PDF or a Word document"


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(url: str) -> str:
    return _short(url, 300)

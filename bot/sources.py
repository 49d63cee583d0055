"""Adding sources from Slack: `/source add <url>`, `/source list`, and a file (PDF, Word, text,
Markdown, HTML) shared with the bot in a DM or in a message that mentions it.

Only users in BRIEFBOT_SLACK_SOURCE_ADMINS may add. Listeners ack at once and hand the work to
one worker thread of its own (one ingest at a time, as the store's write lock wants it), never to
the pool that answers questions. The ingest itself is the core's (briefbot.intake): fetched or
read first, then written under the store's write lock; a source that fails leaves nothing.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import render
from bot.delivery import ResponseUrl
from bot.render import Message
from briefbot.errors import EXPECTED_ERRORS, BriefbotError, StoreBusy
from retrieval.sources.deadline import WallClockLimit
from retrieval.sources.fetch import decoded_body

log = logging.getLogger(__name__)

USAGE = "Usage: /source add <link to an article, a PDF or a Word file>, or /source list"
NOT_ADMIN = (
    "Sorry, only briefbot's source admins can add sources. Ask one of them, or the person who runs briefbot, "
    "to add it for you."
)
NO_ADMINS = (
    "Adding sources from Slack is turned off: the person who runs briefbot can name source admins "
    "(BRIEFBOT_SLACK_SOURCE_ADMINS)."
)
UNAVAILABLE = "Adding sources is not available in this briefbot."
FAILED = "Sorry, something went wrong while adding this source. The person who runs briefbot can find it in the log."
BUSY = "Another ingest is writing to the sources right now; try again in a minute."


class Reply(Protocol):
    def done(self, message: Message) -> None: ...

    def failed(self, text: str) -> None: ...


class ThreadReply:
    """A file shared in a message: the outcome goes to the message's thread."""

    def __init__(self, client: WebClient, *, channel: str, thread_ts: str) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts

    def done(self, message: Message) -> None:
        self.client.chat_postMessage(
            channel=self.channel, thread_ts=self.thread_ts, text=message.text, blocks=message.blocks,
            link_names=False, unfurl_links=False, unfurl_media=False,
        )  # fmt: skip

    def failed(self, text: str) -> None:
        self.done(render.short_message(text))


class CommandReply:
    """`/source add`: the outcome in the channel (by the bot token, else the response_url); a
    refusal only for the person who asked."""

    def __init__(self, client: WebClient, *, channel: str, user: str, response_url: ResponseUrl) -> None:
        self.client, self.channel, self.user, self.response_url = client, channel, user, response_url

    def done(self, message: Message) -> None:
        try:
            self.client.chat_postMessage(
                channel=self.channel, text=message.text, blocks=message.blocks,
                link_names=False, unfurl_links=False, unfurl_media=False,
            )  # fmt: skip
        except SlackApiError as exc:  # e.g. not_in_channel in a private channel
            log.info(
                "could not post in %s (%s): replying through the response_url", self.channel, exc.response.get("error")
            )
            self.response_url.send(message, response_type="in_channel")

    def failed(self, text: str) -> None:
        message = render.short_message(text)
        if not self.response_url.send(message, response_type="ephemeral"):
            self.client.chat_postEphemeral(
                channel=self.channel, user=self.user, text=message.text, blocks=message.blocks
            )


@dataclass(frozen=True)
class SlackFiles:
    """Where shared files may be downloaded from with the bot token: Slack's file host and the
    configured API (a fake one in tests), each by scheme, host and port; never anywhere else, never
    through a redirect. The body is decoded with the fetcher's bounded decoder, within `timeout`
    in all."""

    token: str
    origins: frozenset[tuple[str, str, int]]
    max_bytes: int
    timeout: float = 30.0

    @classmethod
    def for_api(cls, token: str, api_url: str, max_bytes: int) -> SlackFiles:
        return cls(token, frozenset({_origin("https://files.slack.com/"), _origin(api_url)}), max_bytes)

    def download(self, url: str) -> bytes:
        origin = _origin(url)
        if origin not in self.origins:
            shown = f"{origin[0]}://{origin[1]}:{origin[2]}"
            raise BriefbotError(f"the file's download address is not Slack's ({shown}); not downloaded")
        chunks, total = [], 0
        deadline = time.monotonic() + self.timeout
        with (
            WallClockLimit(self.timeout) as limit,
            httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client,
        ):
            try:
                with client.stream(
                    "GET", url, headers={"Authorization": f"Bearer {self.token}"}, extensions={"trace": limit.trace}
                ) as response:
                    if response.status_code != 200:
                        raise BriefbotError(f"Slack answered HTTP {response.status_code} for the file")
                    html = response.headers.get("content-type", "").startswith("text/html")
                    if html and not url.lower().endswith((".html", ".htm")):
                        raise BriefbotError(
                            "Slack sent a web page instead of the file: a sign-in page (does the app have "
                            "files:read?), or a file that is itself a web page under another name (save it as .html)"
                        )
                    for chunk in decoded_body(response, url, self.max_bytes, deadline):
                        total += len(chunk)
                        if total > self.max_bytes:
                            raise BriefbotError(f"the file is over the {self.max_bytes / 1e6:.0f} MB limit")
                        chunks.append(chunk)
            except httpx.HTTPError as exc:
                late = f"took over {self.timeout:g} s" if limit.expired else type(exc).__name__
                raise BriefbotError(f"the file could not be downloaded from Slack ({late})") from None
        return b"".join(chunks)


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL: what a token may be sent to is all three, not the host alone."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or {"https": 443, "http": 80}.get(scheme, -1)


SEVERAL_SETS = (
    "This conversation reads several restricted source sets, so briefbot cannot tell which one a "
    "new source belongs to. Add it in a channel that reads one of them."
)


class SourceDesk:
    """Who may add sources, and the one worker that adds them."""

    def __init__(self, intake, admins: frozenset[str], files: SlackFiles | None) -> None:
        self.intake = intake  # briefbot.intake.Intake, or None when the service cannot ingest
        self.admins = admins
        self.files = files
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefbot-sources")

    def refusal(self, user: str) -> str | None:
        if self.intake is None:
            return UNAVAILABLE
        if not self.admins:
            return NO_ADMINS
        if user not in self.admins:
            return NOT_ADMIN
        return None

    # -- work, off the request path

    def add_link(self, url: str, user: str, reply: Reply, source_set: str) -> None:
        self._worker.submit(self._run, lambda: self.intake.add_link(url, source_set=source_set), user, reply, url)

    def add_file(self, client: WebClient, file_id: str, user: str, reply: Reply, source_set: str) -> None:
        self._worker.submit(self._run, lambda: self._file(client, file_id, source_set), user, reply, file_id)

    def list_message(self, sets: frozenset[str], limit: int = 10) -> Message:
        """The latest sources in `sets`, for `/source list` (read-only: it does not wait behind an
        ingest)."""
        latest, total = self.intake.latest(limit, sets)
        return render.source_list_message(latest, total)

    def _file(self, client: WebClient, file_id: str, source_set: str):
        info = client.files_info(file=file_id)["file"]
        name = info.get("name") or file_id
        if self.files is None:
            raise BriefbotError("files cannot be downloaded here (no bot token)")
        data = self.files.download(info.get("url_private_download") or info.get("url_private") or "")
        return self.intake.add_file(
            data,
            name,
            source_id=f"slack://file/{file_id}",
            url=info.get("permalink", ""),
            title=info.get("title", ""),
            source_set=source_set,
        )

    def _run(self, work, user: str, reply: Reply, what: str) -> None:
        try:
            added = work()
        except StoreBusy:
            log.info("source %s not added: the store is busy", what)
            _quietly(reply.failed, BUSY)
        except EXPECTED_ERRORS as exc:
            log.info("source %s not added: %s", what, exc)
            _quietly(reply.failed, f"Could not add this source: {exc}")
        except SlackApiError as exc:
            log.info("source %s not added: Slack said %s", what, exc.response.get("error"))
            _quietly(reply.failed, f"Could not read the file from Slack ({exc.response.get('error')}).")
        except Exception:
            log.exception("adding source %s failed", what)
            _quietly(reply.failed, FAILED)
        else:
            log.info("source %s by %s: %s (%d chunks)", "added" if added.changed else "unchanged", user,
                     added.meta.source_id, added.chunks)  # fmt: skip
            _quietly(reply.done, render.source_added_message(added.meta, added.chunks, changed=added.changed, by=user))

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Finish what is queued (tests, shutdown)."""
        self._worker.submit(lambda: None).result(timeout)

    def shutdown(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


def _quietly(step, arg) -> None:
    try:
        step(arg)
    except Exception:
        log.exception("could not tell the user about a source")

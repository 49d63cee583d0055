"""Where an answer goes: a thread or DM (placeholder, then chat.update) or a slash command's reply.

A target has four steps, called in this order by the answering job:
`start()` posts "Searching the sources..."; `finish(answer)` replaces it with the answer (split
into several messages, or attached as a file, when it exceeds Slack's limits); `fail(text)` shows
a short error only the asker sees; `notice(text)` is a polite one-off (e.g. "not enabled here").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot import render
from bot.render import Message
from briefbot.answer import Answer

if TYPE_CHECKING:  # the model only: the bot needs none of the brief builder's retrieval imports
    from bot.canvas import Canvases
    from briefbot.answering.brief import Brief
    from briefbot.answering.digest import Digest

log = logging.getLogger(__name__)

MAX_FALLBACK_PAGES = 10  # pages posted when a file cannot be attached
MAX_PAGES = 3  # more messages than this and the answer goes out as a file instead
METADATA_EVENT = "briefbot_answer"
LONG_NOTE = "The answer is too long for Slack: this is its beginning. Ask in a thread with @briefbot for the full text as a file."
TRUNCATED = "(The answer goes on beyond what fits here; a narrower question gives a shorter answer.)"
GENERIC_ERROR = "Sorry, something went wrong while answering. The details are in the bot's log."
BRIEF_ERROR = "Sorry, something went wrong while preparing the brief. The details are in the bot's log."
BRIEF_FILE_NOTE = "The full brief, every item with its citations, is in the attached file `{filename}`."
BRIEF_CANVAS_NOTE = "The full brief, every item with its citations, is in this channel's canvas."
# When the file cannot be attached, the message that announced it is corrected to say where the text went.
PAGES_NOTE = "The answer is long: it follows in full in the next messages."
PAGES_CUT_NOTE = "The answer is long: its first {pages} parts follow in the next messages; a narrower question gives a shorter answer."
BRIEF_PAGES_NOTE = "The full brief, every item with its citations, follows in this thread."
BRIEF_PAGES_CUT_NOTE = (
    "The first {pages} parts of the full brief follow in this thread; a narrower topic gives a shorter brief."
)
BRIEF_TRUNCATED = "(The brief goes on beyond what fits here; a narrower topic gives a shorter brief.)"
BRIEF_INVITE_NOTE = "Invite @briefbot to this channel (/invite @briefbot) to get the full brief as a Markdown file."
REPLY_LINK_GONE = (
    "Slack no longer takes replies to your {command} (its reply link lasts 30 minutes and 5 replies), "
    "so briefbot sends the {what} here, where only you can see it."
)


def answer_metadata(answer: Answer) -> dict:
    """Message metadata on every answer: lets a later follow-up in the thread find this question."""
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {"answer_id": answer.id, "question": render.clip(answer.question, 1000)},
    }


Item = TypeVar("Item", contravariant=True)


class Target(Protocol[Item]):
    """Where a job's result goes (an Answer, or a Brief for `/brief`), in the four steps above."""

    def start(self) -> None: ...

    def finish(self, item: Item) -> None: ...

    def fail(self, text: str) -> None: ...

    def notice(self, text: str) -> None: ...


class ResponseUrl:
    """A slash command's or button's response_url: good for 5 posts within 30 minutes."""

    MAX_USES = 5
    MAX_AGE = 30 * 60 - 30  # a little margin before Slack's 30 minutes

    def __init__(self, url: str | None, *, timeout: int = 10, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url or None
        self.uses = 0
        self._clock = clock
        self._born = clock()
        self._lock = threading.Lock()
        self._timeout = timeout

    def usable(self) -> bool:
        return bool(self.url) and self.uses < self.MAX_USES and self._clock() - self._born < self.MAX_AGE

    def send(self, message: Message, *, response_type: str, replace_original: bool = False) -> bool:
        """True when Slack took the message; False when the URL is spent, expired or refused."""
        with self._lock:
            if not self.url or not self.usable():
                return False
            self.uses += 1
        body = {
            "response_type": response_type,
            "replace_original": replace_original,
            "text": message.text,
            "blocks": message.blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        try:
            client = WebhookClient(
                self.url,
                timeout=self._timeout,
                retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=2)],
            )
            response = client.send_dict(body)
        except Exception as exc:  # network trouble: the caller falls back to the bot token
            log.warning("response_url post failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning("response_url refused the message: HTTP %s %s", response.status_code, response.body[:200])
            return False
        return True


@dataclass(frozen=True)
class Attachment:
    filename: str
    title: str
    content: str


def plan(answer: Answer, *, asked_by: str | None, show_question: bool) -> tuple[list[Message], str | None]:
    """The messages to post and, for very long answers, the text of the file to attach."""
    pages = render.render_answer(answer, asked_by=asked_by, show_question=show_question)
    if len(pages) <= MAX_PAGES:
        return pages, None
    note = f"The answer is long: the full text is in the attached file `{render.answer_filename(answer)}`."
    head = render.render_head(answer, note, asked_by=asked_by, show_question=show_question)
    return [head], render.plain_text(answer)


class ChannelTarget:
    """A mention in a channel (answered in its thread) or a direct message (answered in the DM)."""

    def __init__(
        self,
        client: WebClient,
        *,
        channel: str,
        user: str,
        thread_ts: str | None = None,
        asked_by: str | None = None,
        show_question: bool = False,
        question: str | None = None,
    ) -> None:
        self.client = client
        self.channel = channel
        self.user = user
        self.thread_ts = thread_ts
        self.asked_by = asked_by
        self.show_question = show_question
        self.question = question
        self.ts: str | None = None  # the placeholder's ts once posted

    # -- steps

    def start(self) -> None:
        message = render.searching_message(self.question if self.show_question else None, self.asked_by)
        response = self.post(message, thread_ts=self.thread_ts)
        self.ts = response["ts"]

    def finish(self, answer: Answer) -> None:
        pages, file_text = plan(answer, asked_by=self.asked_by, show_question=self.show_question)
        first, rest = pages[0], pages[1:]
        self.show(first, answer_metadata(answer))
        follow_thread = self.thread_ts or (self.ts if self.show_question else None)
        for page in rest:
            self.post(page, thread_ts=follow_thread)
        if file_text is not None:
            fallback = render.render_answer(answer, asked_by=self.asked_by, show_question=self.show_question)
            self._upload(answer, file_text, follow_thread, fallback=fallback)

    def fail(self, text: str) -> None:
        if self.ts:
            try:
                self.client.chat_delete(channel=self.channel, ts=self.ts)
                self.ts = None
            except SlackApiError as exc:
                log.warning("could not delete the placeholder: %s", exc.response.get("error"))
        try:
            self._ephemeral(render.short_message(text))
        except SlackApiError as exc:
            log.warning("could not post an ephemeral error: %s", exc.response.get("error"))
            message = render.short_message(text)
            if self.ts:
                self.client.chat_update(channel=self.channel, ts=self.ts, text=message.text, blocks=message.blocks)
            else:
                self.post(message, thread_ts=self.thread_ts)

    def notice(self, text: str) -> None:
        try:
            self._ephemeral(render.short_message(text))
        except SlackApiError as exc:
            log.warning("could not post an ephemeral notice: %s", exc.response.get("error"))

    # -- Slack calls

    def post(self, message: Message, *, thread_ts: str | None, metadata: dict | None = None):
        return self.client.chat_postMessage(
            channel=self.channel,
            thread_ts=thread_ts,
            text=message.text,
            blocks=message.blocks,
            metadata=metadata,
            link_names=False,  # a plain "@channel" in a source stays plain text
            unfurl_links=False,
            unfurl_media=False,
        )

    def restate(self, message: Message, metadata: dict) -> None:
        """Replace the message already posted (best effort: the text that follows matters more)."""
        if not self.ts:
            return
        try:
            self.show(message, metadata)
        except SlackApiError as exc:
            log.warning("could not correct the message's note: %s", exc.response.get("error"))

    def show(self, message: Message, metadata: dict) -> None:
        """The placeholder replaced by `message` (chat.update), or, without one, `message` posted."""
        if self.ts:
            self.client.chat_update(
                channel=self.channel,
                ts=self.ts,
                text=message.text,
                blocks=message.blocks,
                metadata=metadata,
                link_names=False,
            )
        else:
            self.ts = self.post(message, thread_ts=self.thread_ts, metadata=metadata)["ts"]

    def _ephemeral(self, message: Message) -> None:
        self.client.chat_postEphemeral(
            channel=self.channel,
            user=self.user,
            thread_ts=self.thread_ts,
            text=message.text,
            blocks=message.blocks,
            link_names=False,
        )

    def _upload(self, answer: Answer, text: str, thread_ts: str | None, fallback: list[Message]) -> None:
        self.attach(
            Attachment(render.answer_filename(answer), render.clip(f"briefbot: {answer.question}", 200), text),
            thread_ts=thread_ts,
            fallback=fallback,
            fallback_head=lambda note: render.render_head(
                answer, note, asked_by=self.asked_by, show_question=self.show_question
            ),
            metadata=answer_metadata(answer),
            notes=(PAGES_NOTE, PAGES_CUT_NOTE, TRUNCATED),
        )

    def attach(
        self,
        file: Attachment,
        *,
        thread_ts: str | None,
        fallback: list[Message],
        fallback_head: Callable[[str], Message],
        metadata: dict,
        notes: tuple[str, str, str],
        fallback_thread: str | None = None,
    ) -> None:
        """Attach `file` in the thread; when Slack will not take it (e.g. no files:write), the
        message that announced it is restated with a note (`notes`: all pages follow / the first
        pages follow / the text goes on) and up to MAX_FALLBACK_PAGES of `fallback` are posted."""
        try:
            self.client.files_upload_v2(
                channel=self.channel,
                thread_ts=thread_ts,
                content=file.content,
                filename=file.filename,
                title=file.title,
            )
        except Exception as exc:
            log.warning("file upload failed (%s); posting the text in pages", _error_name(exc))
            all_pages, first_pages, goes_on = notes
            cut = len(fallback) > MAX_FALLBACK_PAGES
            self.restate(fallback_head(first_pages.format(pages=MAX_FALLBACK_PAGES) if cut else all_pages), metadata)
            thread = fallback_thread or thread_ts
            for page in fallback[:MAX_FALLBACK_PAGES]:
                self.post(page, thread_ts=thread)
            if cut:
                self.post(render.short_message(goes_on), thread_ts=thread)


class SlashTarget(ChannelTarget):
    """`/ask`: in the channel (placeholder posted with the bot token, then updated), or only for
    the asker (`ephemeral`: the ack said "Searching...", the answer replaces it via response_url).
    When the bot may not post in the channel (a private channel it is not in, a DM between
    people) or the response_url is spent, the other path is taken; when the answer cannot go
    through the response_url (expired, used up, refused), it comes from the bot token, only for
    the asker, after a short note saying why."""

    def __init__(
        self,
        client: WebClient,
        *,
        channel: str,
        user: str,
        response_url: ResponseUrl,
        ephemeral: bool,
        question: str,
    ) -> None:
        super().__init__(client, channel=channel, user=user, asked_by=user, show_question=True, question=question)
        self.response_url = response_url
        self.ephemeral = ephemeral
        self.via_url = ephemeral  # no bot-token placeholder in the channel

    def start(self) -> None:
        if self.ephemeral:
            return  # the ack itself carried "Searching the sources..."
        try:
            super().start()
        except SlackApiError as exc:
            log.info(
                "cannot post in %s (%s): answering through the response_url", self.channel, exc.response.get("error")
            )
            self.via_url = True

    def finish(self, answer: Answer) -> None:
        if not self.via_url:
            return super().finish(answer)
        pages = render.render_answer(answer, asked_by=self.user, show_question=True)
        if len(pages) > MAX_PAGES:  # no file upload without the bot in the channel: the head only
            pages = [render.render_head(answer, LONG_NOTE, asked_by=self.user, show_question=True)]
        response_type = "ephemeral" if self.ephemeral else "in_channel"
        told = False
        for i, page in enumerate(pages):
            if self.response_url.send(page, response_type=response_type, replace_original=self.ephemeral and i == 0):
                continue
            # spent, expired or refused: the bot token can still show it to the asker, who is told why
            if not told:
                self.tell_reply_link_gone("/ask", "answer")
                told = True
            self.client.chat_postEphemeral(channel=self.channel, user=self.user, text=page.text, blocks=page.blocks)

    def tell_reply_link_gone(self, command: str, what: str) -> None:
        log.info("response_url spent or expired for %s in %s: posting with the bot token", command, self.channel)
        note = render.short_message(REPLY_LINK_GONE.format(command=command, what=what))
        try:
            self.client.chat_postEphemeral(channel=self.channel, user=self.user, text=note.text, blocks=note.blocks)
        except SlackApiError as exc:  # the answer itself is still tried
            log.warning("could not post the reply-link note: %s", exc.response.get("error"))

    def fail(self, text: str) -> None:
        if not self.via_url:
            return super().fail(text)
        message = render.short_message(text)
        if not self.response_url.send(message, response_type="ephemeral", replace_original=self.ephemeral):
            super().notice(text)

    def notice(self, text: str) -> None:
        if not self.response_url.send(render.short_message(text), response_type="ephemeral"):
            super().notice(text)


def brief_metadata(brief: Brief) -> dict:
    """Metadata on a brief: an @briefbot follow-up in its thread is read against the topic."""
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {"answer_id": brief.id, "question": render.clip(brief.topic, 1000), "kind": "brief"},
    }


class BriefTarget:
    """`/brief topic`: "Preparing the brief..." posted with the bot token, replaced by the summary
    (chat.update), then the full brief attached as a Markdown file in the same channel (or thread).
    Without a file (no files:write, uploads blocked) the full brief follows in the summary's
    thread as messages. When the bot may not post in the channel, the summary goes through the
    response_url instead, with a note on how to get the file. Built on a slash command's target
    (its posting, its response_url, its errors and notices)."""

    def __init__(
        self,
        client: WebClient,
        *,
        channel: str,
        user: str,
        response_url: ResponseUrl,
        topic: str,
        thread_ts: str | None = None,
        canvases: Canvases | None = None,
    ) -> None:
        self.canvases = canvases  # the channel's canvas, where the workspace allows it
        self.slash = SlashTarget(client, channel=channel, user=user, response_url=response_url, ephemeral=False,
                                 question=topic)  # fmt: skip
        self.slash.thread_ts = thread_ts  # slash commands carry none; kept for a brief asked in a thread
        self.client, self.channel, self.user, self.topic = client, channel, user, topic

    def start(self) -> None:
        slash = self.slash
        try:
            slash.ts = slash.post(render.preparing_message(self.topic, slash.asked_by), thread_ts=slash.thread_ts)["ts"]
        except SlackApiError as exc:
            log.info(
                "cannot post in %s (%s): the brief goes through the response_url",
                self.channel,
                exc.response.get("error"),
            )
            slash.via_url = True

    def finish(self, brief: Brief) -> None:
        slash = self.slash
        if slash.via_url:
            message = render.render_brief(
                brief, asked_by=self.user, file_note=None if brief.empty else BRIEF_INVITE_NOTE
            )
            if not slash.response_url.send(message, response_type="in_channel"):
                slash.tell_reply_link_gone("/brief", "brief")
                self.client.chat_postEphemeral(
                    channel=self.channel, user=self.user, text=message.text, blocks=message.blocks
                )
            return
        link = self.canvases.publish(self.channel, brief.to_markdown()) if self.canvases and not brief.empty else None
        if link:
            message = render.render_brief(brief, asked_by=self.user, file_note=BRIEF_CANVAS_NOTE, canvas_url=link)
            slash.show(message, brief_metadata(brief))
            return
        filename = render.brief_filename(brief)
        note = None if brief.empty else BRIEF_FILE_NOTE.format(filename=filename)
        message = render.render_brief(brief, asked_by=self.user, file_note=note)
        slash.show(message, brief_metadata(brief))
        if not brief.empty:
            self._upload_brief(brief, filename)

    def fail(self, text: str) -> None:
        self.slash.fail(text)

    def notice(self, text: str) -> None:
        self.slash.notice(text)

    def _upload_brief(self, brief: Brief, filename: str) -> None:
        slash = self.slash
        slash.attach(
            Attachment(filename, render.brief_title(brief), brief.to_markdown(full=True)),
            thread_ts=slash.thread_ts,
            fallback_thread=slash.thread_ts or slash.ts,
            fallback=render.render_brief_pages(brief),
            fallback_head=lambda note: render.render_brief(brief, asked_by=self.user, file_note=note),
            metadata=brief_metadata(brief),
            notes=(BRIEF_PAGES_NOTE, BRIEF_PAGES_CUT_NOTE, BRIEF_TRUNCATED),
        )


class DigestTarget(BriefTarget):
    """`/brief <topic> since <date>`: "Preparing the brief..." replaced by the digest (one message,
    every key point cited), the channel's canvas updated with it where the workspace allows."""

    def finish(self, digest: Digest) -> None:  # type: ignore[override]
        slash = self.slash
        metadata = {
            "event_type": METADATA_EVENT,
            "event_payload": {"answer_id": digest.id, "question": render.clip(digest.topic, 1000), "kind": "digest"},
        }
        if slash.via_url:
            message = render.render_digest(digest, asked_by=self.user)
            if not slash.response_url.send(message, response_type="in_channel"):
                slash.tell_reply_link_gone("/brief", "digest")
                self.client.chat_postEphemeral(
                    channel=self.channel, user=self.user, text=message.text, blocks=message.blocks
                )
            return
        link = self.canvases.publish(self.channel, digest.to_markdown()) if self.canvases and not digest.empty else None
        slash.show(render.render_digest(digest, asked_by=self.user, canvas_url=link), metadata)


def _error_name(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__

"""`/source add <url>`, `/source list`, and files shared with the bot (see bot/sources.py).

Acks at once: the ack carries the usage, a refusal, or "Adding ..." (only for the asker); the
ingest runs on the source worker and its outcome is posted in the channel (or the thread of the
message that shared a file)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.delivery import ChannelTarget, ResponseUrl
from bot.deps import Bot, is_dm, slash_command_text
from bot.render import escape, short_message
from bot.sources import SEVERAL_SETS, UNAVAILABLE, USAGE, CommandReply, SourceDesk, ThreadReply

log = logging.getLogger(__name__)


def register(app: App, bot: Bot) -> None:
    @app.command("/source")
    def on_source(ack: Ack, command: dict, client: WebClient) -> None:
        text = slash_command_text(ack, command, bot, USAGE)
        if text is None:
            return
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        verb, _, rest = text.partition(" ")
        verb, rest = verb.lower(), rest.strip()
        response_url = ResponseUrl(command.get("response_url"))
        if verb == "list":
            if bot.sources is None or bot.sources.intake is None:
                ack(
                    text=short_message("Listing sources is not available in this briefbot.").text,
                    response_type="ephemeral",
                )
                return
            ack()
            sets = bot.sets.of(channel, is_dm=is_dm(channel))
            bot.answerer.background(_send_list, bot, sets, client, channel, user, response_url)
            return
        if verb != "add" or not rest:
            ack(text=short_message(USAGE).text, response_type="ephemeral")
            return
        adding = where_to_add(bot, user, channel, dm=is_dm(channel))
        if isinstance(adding, str):
            log.info("/source add by %s in %s refused: %s", user, channel, adding)
            ack(text=short_message(adding).text, response_type="ephemeral")
            return
        desk, home = adding
        url = rest.split()[0]
        ack(text=f"Adding {escape(url)} ... I will post here when it is in.", response_type="ephemeral")
        reply = CommandReply(client, channel=channel, user=user, response_url=response_url)
        desk.add_link(url, user, reply, home)


def where_to_add(bot: Bot, user: str, channel: str, *, dm: bool) -> tuple[SourceDesk, str] | str:
    """(the source desk, the set a source added here goes into), or why `user` may not add one here."""
    desk = bot.sources
    if desk is None:
        return UNAVAILABLE  # this bot was started without a way to add sources
    refusal = desk.refusal(user)
    if refusal:
        return refusal
    home = bot.sets.home(channel, is_dm=dm)
    return (desk, home) if home is not None else SEVERAL_SETS


def _send_list(
    bot: Bot, sets: frozenset[str], client: WebClient, channel: str, user: str, response_url: ResponseUrl
) -> None:
    assert bot.sources is not None  # checked before the job was queued
    message = bot.sources.list_message(sets)
    if not response_url.send(message, response_type="ephemeral"):
        client.chat_postEphemeral(channel=channel, user=user, text=message.text, blocks=message.blocks)


def shared_files(event: dict) -> list[dict]:
    """The files a message carries (a message with files, or a mention with files attached)."""
    return [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]


def on_files(bot: Bot, event: dict, client: WebClient) -> None:
    """Files shared with the bot (DM, or a message mentioning it): each ingested, the outcome in the
    message's thread; a person who may not add sources is told so, politely, once."""
    channel, user, ts = event.get("channel", ""), event.get("user", ""), event.get("ts", "")
    thread_ts = event.get("thread_ts") or ts
    if not (channel and ts):
        return
    if not bot.seen.first(f"files:{channel}:{ts}"):
        return  # the same message again (app_mention and message events, retries)
    target = ChannelTarget(client, channel=channel, user=user, thread_ts=thread_ts)
    dm = is_dm(channel, event.get("channel_type"))
    adding = bot.access.refusal(user=user, channel=channel, is_dm=dm) or where_to_add(bot, user, channel, dm=dm)
    if isinstance(adding, str):
        log.info("files from %s in %s not added: %s", user, channel, adding)
        bot.answerer.notify(target, adding)
        return
    desk, home = adding
    reply = ThreadReply(client, channel=channel, thread_ts=thread_ts)
    for file in shared_files(event):
        desk.add_file(client, file["id"], user, reply, home)

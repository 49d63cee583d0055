"""`@briefbot question` in a channel (answered in the thread) and direct messages (answered in the DM).

Events are acked by Bolt before these run; they only check, build a target and queue the job.
Follow-ups ("and on trade?") are read against the thread's (or the DM's) earlier question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.answering import Job
from bot.delivery import ChannelTarget
from bot.deps import HELP, Bot, is_dm
from bot.listeners.sources import on_files, shared_files
from bot.render import slack_to_plain
from bot.threads import dm_context, thread_context

log = logging.getLogger(__name__)


def register(app: App, bot: Bot) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, context: BoltContext, client: WebClient) -> None:
        if shared_files(event):  # "@briefbot" with a file attached: add it as a source
            on_files(bot, event, client)
            return
        _question(bot, event, context, client, dm=False)

    @app.event("message")
    def on_message(event: dict, context: BoltContext, client: WebClient) -> None:
        # Only direct messages: in channels the bot answers when mentioned (app_mention above).
        if not is_dm(event.get("channel"), event.get("channel_type")):
            return
        if shared_files(event) and event.get("subtype") in (None, "file_share") and not event.get("bot_id"):
            on_files(bot, event, client)  # a file sent to the bot: add it as a source
            return
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, other bots
        _question(bot, event, context, client, dm=True)


def _question(bot: Bot, event: dict, context: BoltContext, client: WebClient, *, dm: bool) -> None:
    channel, user, ts = event.get("channel", ""), event.get("user", ""), event.get("ts", "")
    if not (channel and ts):
        return
    # One answer per message, however many events carry it (app_mention + message, retries).
    if not bot.seen.first(f"message:{channel}:{ts}"):
        log.info("message %s in %s already handled", ts, channel)
        return
    thread_ts = event.get("thread_ts")
    reply_in = thread_ts or (None if dm else ts)
    target = ChannelTarget(client, channel=channel, user=user, thread_ts=reply_in)
    refusal = bot.access.refusal(user=user, channel=channel, is_dm=dm)
    if refusal:
        log.info("question from %s in %s refused by the allow-lists", user, channel)
        bot.answerer.notify(target, refusal)
        return
    bot_user_id = context.bot_user_id
    question = slack_to_plain(event.get("text", ""), bot_user_id)
    if not question:
        bot.answerer.notify(target, HELP)
        return
    earlier: Callable[[], str | None] | None
    if thread_ts:

        def earlier() -> str | None:
            return thread_context(client, channel, thread_ts, ts, bot_user_id)
    elif dm:

        def earlier() -> str | None:
            return dm_context(client, channel, ts, bot_user_id)
    else:
        earlier = None
    sets = bot.sets.of(channel, is_dm=dm)
    bot.answerer.submit(Job(question=question, user=user, channel=channel, target=target, sets=sets, context=earlier))

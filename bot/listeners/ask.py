"""`/ask question`: answered in the channel (or only for the asker when BRIEFBOT_SLACK_EPHEMERAL is set)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answering import Job
from bot.delivery import ResponseUrl, SlashTarget
from bot.deps import Bot, is_dm, slash_command_text
from bot.render import SEARCHING

log = logging.getLogger(__name__)

USAGE = 'Usage: /ask QUESTION, e.g. "/ask What was agreed on connectivity?"'


def register(app: App, bot: Bot) -> None:
    @app.command("/ask")
    def on_ask(ack: Ack, command: dict, client: WebClient) -> None:
        question = slash_command_text(ack, command, bot, USAGE)
        if question is None:
            return
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        if bot.ephemeral:
            ack(text=SEARCHING, response_type="ephemeral")  # only the asker sees it; the answer replaces it
        else:
            ack()
        target = SlashTarget(
            client,
            channel=channel,
            user=user,
            response_url=ResponseUrl(command.get("response_url")),
            ephemeral=bot.ephemeral,
            question=question,
        )
        sets = bot.sets.of(channel, is_dm=is_dm(channel))
        bot.answerer.submit(Job(question=question, user=user, channel=channel, target=target, sets=sets))

"""`/brief topic`: a pre-visit brief posted in the channel, with the full brief as a Markdown file.

Acks at once (the ack carries nothing, or the usage / a refusal, only for the asker); the brief
is built off the request path and replaces a "Preparing the brief..." message. Slash commands
carry no thread, so the brief goes to the channel. `BRIEFBOT_SLACK_EPHEMERAL` does not apply:
a file cannot be shown to one person only.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answering import BriefJob
from bot.delivery import BriefTarget, ResponseUrl
from bot.deps import Bot, is_dm, slash_command_text

log = logging.getLogger(__name__)

USAGE = "Usage: /brief <visit, country or topic>, e.g. /brief President Tokayev's visit to Pakistan"


def register(app: App, bot: Bot) -> None:
    @app.command("/brief")
    def on_brief(ack: Ack, command: dict, client: WebClient) -> None:
        topic = slash_command_text(ack, command, bot, USAGE)
        if topic is None:
            return
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        ack()
        target = BriefTarget(
            client, channel=channel, user=user, response_url=ResponseUrl(command.get("response_url")), topic=topic
        )
        sets = bot.sets.of(channel, is_dm=is_dm(channel))
        bot.answerer.submit_brief(BriefJob(topic=topic, user=user, channel=channel, target=target, sets=sets))

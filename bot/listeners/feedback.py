"""The 👍/👎 buttons under every answer: the vote is stored, the voter gets a quiet thank-you."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.delivery import ChannelTarget, ResponseUrl
from bot.deps import Bot, is_dm
from bot.render import FEEDBACK_DOWN, FEEDBACK_UP, short_message

log = logging.getLogger(__name__)

NOT_HERE = "That answer was not posted in this conversation; your vote is not recorded."
THANKS = {
    "up": "Thanks, your 👍 is recorded.",
    "down": "Thanks, your 👎 is recorded. A follow-up question in the thread may help.",
}


def register(app: App, bot: Bot) -> None:
    @app.action(re.compile(f"^({FEEDBACK_UP}|{FEEDBACK_DOWN})$"))
    def on_vote(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        vote = "up" if action.get("action_id") == FEEDBACK_UP else "down"
        user = (body.get("user") or {}).get("id", "")
        channel = (body.get("channel") or {}).get("id", "")
        answer_id = str(action.get("value", ""))[:64]
        if not answer_id:
            return
        thread_ts = (body.get("message") or {}).get("thread_ts") or None
        refusal = bot.access.refusal(user=user, channel=channel, is_dm=is_dm(channel))
        if refusal:  # the allow-lists apply to votes as to questions: not recorded
            log.info("feedback on %s from %s in %s refused by the allow-lists", answer_id, user, channel)
            bot.answerer.background(_thank, client, body.get("response_url"), channel, user, thread_ts, refusal)
            return
        if bot.feedback.add_vote(answer_id, user=user, vote=vote, channel=channel) is None:
            log.warning("feedback on %s from %s in %s refused: the answer was posted in another channel",
                        answer_id, user, channel)  # fmt: skip
            bot.answerer.background(_thank, client, body.get("response_url"), channel, user, thread_ts, NOT_HERE)
            return
        log.info("feedback %s on %s from %s", vote, answer_id, user)
        bot.answerer.background(_thank, client, body.get("response_url"), channel, user, thread_ts, THANKS[vote])


def _thank(
    client: WebClient, response_url: str | None, channel: str, user: str, thread_ts: str | None, text: str
) -> None:
    if ResponseUrl(response_url).send(short_message(text), response_type="ephemeral"):
        return
    if channel:  # the response_url is spent or refused: the bot token can still say it
        ChannelTarget(client, channel=channel, user=user, thread_ts=thread_ts).notice(text)

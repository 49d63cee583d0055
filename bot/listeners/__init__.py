"""Listeners, one module per kind of request. Each has `register(app, bot)`; each acks first and
hands the slow work to `bot.answerer`. `/brief` (issue 4) will get its own module here."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Bot
from bot.listeners import ask, feedback, mentions


def register_all(app: App, bot: Bot) -> None:
    mentions.register(app, bot)
    ask.register(app, bot)
    feedback.register(app, bot)

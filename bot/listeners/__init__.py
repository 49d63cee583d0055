"""Listeners, one module per kind of request. Each has `register(app, bot)`; each acks first and
hands the slow work to `bot.answerer`."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Bot
from bot.listeners import ask, brief, feedback, mentions, sources


def register_all(app: App, bot: Bot) -> None:
    mentions.register(app, bot)
    ask.register(app, bot)
    brief.register(app, bot)
    feedback.register(app, bot)
    sources.register(app, bot)

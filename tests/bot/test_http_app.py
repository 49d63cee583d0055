"""The bot end to end in HTTP mode: signed requests in, the real core, Slack's Web API faked on the wire."""

from __future__ import annotations

import time

from bot.render import FEEDBACK_DOWN, FEEDBACK_UP, SEARCHING, all_text
from tests.bot.conftest import bot_settings, start_bot, stop_bot
from tests.fakes.slack_api import BOT_USER_ID


def final_answer(fake, channel: str = "C0GENERAL", timeout: float = 60) -> dict:
    """The first chat.update in `channel`: the placeholder replaced by the answer."""
    calls = fake.wait_for(lambda s: [c for c in s.calls("chat.update") if c.params["channel"] == channel], timeout)
    return calls[0].params


def test_mention_is_answered_in_its_thread_with_citations(running_bot):
    fake, slack = running_bot.fake, running_bot.slack
    reply, ts = slack.mention("Who signed the action plan?")
    assert reply.status == 200
    placeholder = fake.wait_calls("chat.postMessage")[0].params
    assert placeholder["channel"] == "C0GENERAL" and placeholder["thread_ts"] == ts
    assert placeholder["text"] == SEARCHING
    answer = final_answer(fake)
    placeholder_ts = next(m["ts"] for m in fake.messages["C0GENERAL"] if m.get("thread_ts") == ts)
    assert answer["ts"] == placeholder_ts
    text = all_text(answer["blocks"])
    assert "Nurtleu" in text and "[1]" in text
    assert "*Sources*" in text and "Action plan" in text
    buttons = [b for b in answer["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [b["action_id"] for b in buttons] == [FEEDBACK_UP, FEEDBACK_DOWN]
    assert answer["metadata"]["event_payload"]["question"] == "Who signed the action plan?"
    running_bot.idle()
    assert len(fake.calls("chat.postMessage")) == 1  # one placeholder, updated in place

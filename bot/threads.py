"""The earlier question of a thread (or DM), for follow-ups such as "and on trade?"."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery import METADATA_EVENT
from bot.render import slack_to_plain
from briefbot.answering.followup import resolve_follow_up

log = logging.getLogger(__name__)

DM_CONTEXT_SECONDS = 30 * 60  # in a DM without threads, an earlier question older than this is not context


def stands_alone(question: str) -> bool:
    """True for a full question; False for a fragment like "and on trade?" that needs context."""
    return resolve_follow_up(question, "x?") == question.strip()


def earlier_question(messages: list[dict], before_ts: str, bot_user_id: str | None) -> str | None:
    """The question a follow-up posted at `before_ts` refers to: the newest earlier question that
    stands alone (so "and on energy?" after "and on trade?" still reads against the first one).

    Earlier questions are our own answers' metadata (the question they answered) and people's
    messages (their text, bot mention dropped). Other bots' messages are ignored."""
    questions: list[str] = []
    for message in sorted(messages, key=lambda m: float(m.get("ts", 0))):
        if float(message.get("ts", 0)) >= float(before_ts):
            continue
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == METADATA_EVENT:
            question = str((metadata.get("event_payload") or {}).get("question") or "")
        elif message.get("bot_id") or message.get("subtype"):
            continue
        else:
            question = slack_to_plain(message.get("text", ""), bot_user_id)
        if question.strip():
            questions.append(question.strip())
    if not questions:
        return None
    standalone = [q for q in questions if stands_alone(q)]
    return standalone[-1] if standalone else questions[0]


def thread_context(
    client: WebClient, channel: str, thread_ts: str, before_ts: str, bot_user_id: str | None
) -> str | None:
    """The thread's earlier question, from conversations.replies (None when it cannot be read)."""
    try:
        response = client.conversations_replies(channel=channel, ts=thread_ts, limit=100, include_all_metadata=True)
    except SlackApiError as exc:
        log.warning("conversations.replies failed: %s; answering without context", exc.response.get("error"))
        return None
    return earlier_question(response.get("messages") or [], before_ts, bot_user_id)


def dm_context(client: WebClient, channel: str, before_ts: str, bot_user_id: str | None) -> str | None:
    """In a DM, the last question of the last half hour (conversations.history)."""
    oldest = f"{max(0.0, float(before_ts) - DM_CONTEXT_SECONDS):.6f}"
    try:
        response = client.conversations_history(
            channel=channel, latest=before_ts, oldest=oldest, limit=20, inclusive=False, include_all_metadata=True
        )
    except SlackApiError as exc:
        log.warning("conversations.history failed: %s; answering without context", exc.response.get("error"))
        return None
    return earlier_question(response.get("messages") or [], before_ts, bot_user_id)

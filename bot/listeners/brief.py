"""`/brief topic`: a pre-visit brief posted in the channel, with the full brief as the channel's
canvas (where the workspace allows canvases) or a Markdown file.

Acks at once (the ack carries nothing, or the usage / a refusal, only for the asker); the brief
is built off the request path and replaces a "Preparing the brief..." message. Slash commands
carry no thread, so the brief goes to the channel. `BRIEFBOT_SLACK_EPHEMERAL` does not apply:
a file cannot be shown to one person only.

Also, watched topics (docs/digests.md): `/brief watch <topic> [daily|weekly|until YYYY-MM-DD]`,
`/brief watches`, `/brief unwatch <topic>`; and `/brief <topic> since YYYY-MM-DD`, what's new.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answering import BriefJob, DigestJob
from bot.delivery import BriefTarget, DigestTarget, ResponseUrl
from bot.deps import Bot, is_dm, slash_command_text
from bot.render import escape, mention, short_message
from briefbot.errors import EXPECTED_ERRORS
from briefbot.watches import date_start, parse_date, parse_schedule

log = logging.getLogger(__name__)

USAGE = (
    "Usage: /brief <visit, country or topic>, e.g. /brief President Tokayev's visit to Pakistan. "
    "Also: /brief <topic> since YYYY-MM-DD (what's new), /brief watch <topic> [daily|weekly|until YYYY-MM-DD], "
    "/brief watches, /brief unwatch <topic>"
)
_SINCE = re.compile(r"^(?P<topic>.*\S)\s+since\s+(?P<day>\S+)$", re.I | re.S)
NO_WATCHES = "No topics are watched in this channel. /brief watch <topic> [daily|weekly|until YYYY-MM-DD] adds one."
NOT_WATCHED = "No watch on {topic} in this channel (/brief watches lists them)."
UNWATCHED = "Stopped watching {topic} in this channel."
NO_DIGESTS = "Watched topics are not available on this briefbot (it runs without the digest scheduler)."


def register(app: App, bot: Bot) -> None:
    @app.command("/brief")
    def on_brief(ack: Ack, command: dict, client: WebClient) -> None:
        text = slash_command_text(ack, command, bot, USAGE)
        if text is None:
            return
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        word, _, rest = text.partition(" ")
        verb = word.lower()
        if verb in ("watch", "watches", "unwatch") and (rest.strip() or verb == "watches"):
            return _watch_command(ack, bot, command, verb, rest)
        response_url = ResponseUrl(command.get("response_url"))
        sets = bot.sets.of(channel, is_dm=is_dm(channel))
        since = _SINCE.match(text)
        if since:
            try:
                start = date_start(parse_date(since["day"]))
            except EXPECTED_ERRORS as exc:
                return _tell(ack, str(exc))
            ack()
            digest_target = DigestTarget(client, channel=channel, user=user, response_url=response_url,
                                  topic=since["topic"], canvases=bot.canvases)  # fmt: skip
            bot.answerer.submit_digest(DigestJob(topic=since["topic"], since=start, user=user, channel=channel,
                                                 target=digest_target, sets=sets))  # fmt: skip
            return
        ack()
        target = BriefTarget(client, channel=channel, user=user, response_url=response_url, topic=text,
                             canvases=bot.canvases)  # fmt: skip
        bot.answerer.submit_brief(BriefJob(topic=text, user=user, channel=channel, target=target, sets=sets))


def _tell(ack: Ack, text: str) -> None:
    message = short_message(text)
    ack(text=message.text, blocks=message.blocks, response_type="ephemeral")


def _watch_command(ack: Ack, bot: Bot, command: dict, verb: str, rest: str) -> None:
    digests = bot.digests
    if digests is None:
        return _tell(ack, NO_DIGESTS)
    channel, user = command.get("channel_id", ""), command.get("user_id", "")
    watches = digests.watches
    if verb == "watches":
        found = watches.all(channel)
        if not found:
            return _tell(ack, NO_WATCHES)
        lines = [f"Watched in this channel (digests from {digests.hour}:00):"]
        lines += [f"• {w.topic} ({w.schedule})" for w in found]
        return _tell(ack, "\n".join(lines))
    if verb == "unwatch":
        removed = watches.remove(channel, rest)
        log.info("watch on %r in %s %s by %s", rest, channel, "removed" if removed else "not found", user)
        return _tell(ack, (UNWATCHED if removed else NOT_WATCHED).format(topic=" ".join(rest.split())))
    now = digests.clock()
    try:
        topic, cadence, until = parse_schedule(rest, now.date())
    except EXPECTED_ERRORS as exc:
        return _tell(ack, str(exc))
    ack()
    sets = bot.sets.of(channel, is_dm=is_dm(channel))
    response_url = ResponseUrl(command.get("response_url"))

    def add() -> None:  # reads the store: off the request path
        since = digests.service.ingested_until(sets=sets)
        watch = watches.add(channel, topic, cadence, until=until, since=since, now=now)
        log.info("watch %d on %r in %s (%s) by %s", watch.id, topic, channel, watch.schedule, user)
        text = (f"{mention(user) or 'Someone'} set a watch on *{escape(topic)}* here: a digest of what's new, {watch.schedule}, "
                f"from {digests.hour}:00. /brief unwatch {escape(topic)} stops it.")  # fmt: skip
        message = short_message(text)
        message.blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}]
        if not response_url.send(message, response_type="in_channel"):
            digests.client.chat_postEphemeral(channel=channel, user=user, text=message.text, blocks=message.blocks)

    bot.answerer.background(add)

"""What the listeners share: built once by `bot.app.create_app`, passed to each `register()`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.answering import Answerer
from bot.dedupe import SeenKeys
from bot.feedback import FeedbackStore
from bot.render import short_message, slack_to_plain

if TYPE_CHECKING:
    from bot.canvas import Canvases
    from bot.digests import DigestScheduler
    from bot.sources import SourceDesk

NOT_ENABLED_CHANNEL = (
    "Sorry, briefbot is not enabled in this channel. Ask the person who runs briefbot to add it, "
    "or ask me in a direct message."
)
NOT_ENABLED_USER = "Sorry, briefbot is not enabled for your account. Ask the person who runs briefbot to add you."
HELP = 'Ask me a question about the sources, e.g. "@briefbot What was agreed on connectivity?" or "/ask Who signed the action plan?".'


@dataclass(frozen=True)
class Access:
    """Optional allow-lists. Empty means everyone / every channel. Direct messages are governed by
    the user list only (a DM's channel ID is per person, not something an admin lists)."""

    channels: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()

    def refusal(self, *, user: str | None, channel: str | None, is_dm: bool) -> str | None:
        if self.users and (user or "") not in self.users:
            return NOT_ENABLED_USER
        if self.channels and not is_dm and (channel or "") not in self.channels:
            return NOT_ENABLED_CHANNEL
        return None


@dataclass(frozen=True)
class ChannelSets:
    """Which source sets a conversation's answers may come from (BRIEFBOT_SLACK_CHANNEL_SETS): its
    channel ID if listed, else `dm` for a direct message if listed, else `default`
    (BRIEFBOT_SLACK_DEFAULT_SETS). Every question, thread follow-up, `/brief` and vote there obeys it."""

    channels: Mapping[str, frozenset[str]] = field(default_factory=dict)
    default: frozenset[str] = frozenset({"public"})

    def of(self, channel: str | None, *, is_dm: bool) -> frozenset[str]:
        if channel and channel in self.channels:
            return self.channels[channel]
        if is_dm and "dm" in self.channels:
            return self.channels["dm"]
        return self.default

    def home(self, channel: str | None, *, is_dm: bool) -> str | None:
        """The set a source added in this conversation goes into: its one set; of several, the one
        that is not public (material shared where restricted sets are read stays restricted);
        None when that leaves a choice, so nothing is filed under a wider set than meant."""
        sets = self.of(channel, is_dm=is_dm)
        if len(sets) == 1:
            return next(iter(sets))
        restricted = sets - {"public"}
        return next(iter(restricted)) if len(restricted) == 1 else None


@dataclass
class Bot:
    answerer: Answerer
    feedback: FeedbackStore
    seen: SeenKeys
    access: Access = field(default_factory=Access)
    sets: ChannelSets = field(default_factory=ChannelSets)
    ephemeral: bool = False  # /ask answers only for the asker
    signing_secret: str = field(default="", repr=False)  # HTTP mode checks signatures before Bolt does
    sources: SourceDesk | None = None  # /source and shared files
    canvases: Canvases | None = None  # the brief as the channel's canvas (BRIEFBOT_SLACK_CANVAS)
    digests: DigestScheduler | None = None  # watched topics (/brief watch); started by `serve`


def is_dm(channel: str | None, channel_type: str | None = None) -> bool:
    return channel_type == "im" or (channel or "").startswith("D")


def slash_command_text(ack, command: dict, bot: Bot, usage: str) -> str | None:
    """A slash command's text, or None after acking (only for the asker) with the refusal for a
    channel or user not allowed, or with `usage` when the text is empty."""
    channel, user = command.get("channel_id", ""), command.get("user_id", "")
    refusal = bot.access.refusal(user=user, channel=channel, is_dm=is_dm(channel))
    if refusal:
        ack(text=refusal, response_type="ephemeral")
        return None
    text = slack_to_plain(command.get("text", ""))
    if not text:
        message = short_message(usage)  # escaped: "<topic>" is not a Slack link
        ack(text=message.text, blocks=message.blocks, response_type="ephemeral")
        return None
    return text

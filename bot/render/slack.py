"""Slack's side of rendering: its limits, escaping (everything from a source or a user goes
through `escape()`), splitting text to fit, the blocks every message uses, and `Message`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefbot import formatting
from briefbot.answer import Answer, SourceRef
from briefbot.answering.brief import Brief
from briefbot.formatting import capitalised

# Slack's documented limits (https://docs.slack.dev/reference/block-kit/blocks).
SECTION_LIMIT = 3000  # characters in a section's text (and a context element's text)
MAX_BLOCKS = 50  # blocks in one message
CONTEXT_ELEMENTS = 10  # elements in one context block
TEXT_LIMIT = 40_000  # a message's top-level text; Slack truncates beyond it
# Slack also rejects a message whose blocks hold too much text altogether (`msg_blocks_too_long`,
# undocumented, seen near 12,000 characters): our pages stay well below.
MESSAGE_CHARS = 8_000
FALLBACK_CHARS = 3_000  # what we put in `text` next to blocks (notifications, screen readers)
TITLE_CHARS = 200
OUTLET_CHARS = 100
URL_CHARS = 1_000

FEEDBACK_UP = "briefbot_feedback_up"
FEEDBACK_DOWN = "briefbot_feedback_down"
SEARCHING = "Searching the sources..."

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")


# ---------------------------------------------------------------- escaping


def escape(text: str) -> str:
    """Text for mrkdwn: `&`, `<`, `>` become entities (Slack's own escaping rule), and `*`, which
    Slack cannot escape, becomes the look-alike `∗` (U+2217) so `*text*` never turns bold."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", "\u2217")


def safe_url(url: str) -> str | None:
    """An http(s) URL fit to sit inside `<url|label>`, or None (other schemes, spaces, junk)."""
    url = (url or "").strip()
    if not re.match(r"^https?://[^\s/?#]+", url, re.I) or len(url) > URL_CHARS:
        return None
    if any(ch.isspace() for ch in url):
        return None
    # `|` and `>` would end the link early; `<` and `&` are escaped as Slack asks.
    url = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return url.replace("&", "&amp;")


def link(url: str, label: str) -> str:
    """`<url|label>` when the URL is a safe http(s) URL, else just the escaped label."""
    target = safe_url(url)
    text = escape(label)
    return f"<{target}|{text}>" if target else text


def mention(user_id: str | None) -> str:
    """`<@U123>` for a well-formed user ID (IDs come from Slack's payload, never from text)."""
    return f"<@{user_id}>" if user_id and _USER_ID.match(user_id) else ""


def clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def slack_to_plain(text: str, bot_user_id: str | None = None) -> str:
    """What a person typed, from Slack's wire format: the bot's own mention dropped, other
    mentions/channels/links turned into readable words, entities unescaped."""

    def token(match: re.Match) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return ""
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return label or target.removeprefix("mailto:")

    plain = _SLACK_TOKEN.sub(token, text or "")
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(plain.split())


# ---------------------------------------------------------------- splitting


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at line breaks, then spaces, never inside an
    `&amp;`-style entity."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
            tail = _ENTITY_TAIL.search(window)
            if tail:
                cut = tail.start()
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def pack_lines(lines: list[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Lines joined with newlines into as few texts of <= `limit` characters as possible."""
    texts: list[str] = []
    current = ""
    for line in lines:
        for piece in split_text(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                texts.append(current)
                current = piece
    if current:
        texts.append(current)
    return texts


# ---------------------------------------------------------------- blocks


def mrkdwn(text: str) -> dict:
    """A mrkdwn text object with `verbatim`: Slack then does not auto-link bare URLs or channel
    names, nor parse mentions, in the text; only the `<...>` we build (a source's link, the
    asker's mention) stay live. A source saying "see https://evil.example" shows it as typed."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> dict:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts]}


def context_blocks(lines: list[str]) -> list[dict]:
    """Lines in context blocks: <= 3000 characters per element, <= 10 elements per block."""
    elements = pack_lines(lines)
    return [context(*elements[i : i + CONTEXT_ELEMENTS]) for i in range(0, len(elements), CONTEXT_ELEMENTS)]


def source_line(source: SourceRef) -> str:
    """`[n] <url|Title> · outlet-or-file · date`, every part escaped."""
    label, *rest = source.line_parts()
    parts = [link(source.url, clip(label, TITLE_CHARS))]
    parts += [escape(clip(part, OUTLET_CHARS)) for part in rest]
    return f"[{source.number}] " + " · ".join(parts)


def mode_label(answer: Answer | Brief) -> str:
    """ "Written by <model>, citations checked" or "Offline summary", escaped."""
    return escape(capitalised(formatting.mode_label(answer.mode, clip(answer.model, 80))))


@dataclass
class Message:
    text: str
    blocks: list[dict]


def short_message(text: str) -> Message:
    """A one-line notice (placeholder, error, refusal of access), escaped."""
    body = escape(clip(text, SECTION_LIMIT))
    return Message(text=body, blocks=[section(body)])


def searching_message(question: str | None = None, asked_by: str | None = None) -> Message:
    blocks = []
    if question is not None:
        who = mention(asked_by)
        asked = f"{who} asked: " if who else "Question: "
        blocks += context_blocks([asked + escape(clip(question, 2_000))])
    blocks.append(context(":mag: " + SEARCHING))
    return Message(text=SEARCHING, blocks=blocks)


def all_text(blocks: list[dict]) -> str:
    """Every mrkdwn/plain text in blocks, for size checks and tests."""
    out = []
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            out.append(block["text"].get("text", ""))
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                out.append(element["text"].get("text", ""))
            elif isinstance(element.get("text"), str):
                out.append(element["text"])
    return "\n".join(out)

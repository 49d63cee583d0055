"""A digest ("what's new on a topic since...") as one Slack message: the header, since when, the
key points each with its [n], what they change against the earlier digest, the new sources, a
link to the channel's canvas when it holds the digest, and 👍/👎. A digest has at most a few key
points: the message holds all of it (the canvas is its lasting copy)."""

from __future__ import annotations

from bot.render.answer import feedback_buttons
from bot.render.brief import HEADER_CHARS, clip_escaped
from bot.render.slack import (
    FALLBACK_CHARS,
    Message,
    clip,
    context,
    context_blocks,
    escape,
    link,
    mention,
    pack_lines,
    section,
    source_line,
)

POINT_CHARS = 600
WATCH_NOTE = "Watched in this channel ({schedule}). /brief unwatch {topic} stops it."


def digest_header(topic: str) -> dict:
    text = clip_escaped(f"What's new: {topic}", HEADER_CHARS)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": False}}


def nothing_new_message(digest) -> Message:
    text = escape(clip(digest.nothing_new, 1_000))
    return Message(text=text, blocks=[context(f":zzz: {text}")])


def render_digest(
    digest, *, asked_by: str | None = None, canvas_url: str | None = None, watch_note: str = ""
) -> Message:
    """The whole digest in one message (few points, each clipped)."""
    if digest.empty:
        return nothing_new_message(digest)
    count = len(digest.sources)
    who = mention(asked_by)
    since = f"New since {escape(digest.since_label)}: {count} source{'s' if count != 1 else ''}"
    head = [digest_header(digest.topic)] + context_blocks([f"{since}" + (f" · asked by {who}" if who else "")])
    lines = ["*Key points*"]
    for p in digest.points:
        marks = "".join(f"[{n}]" for n in p.numbers)
        lines.append(f"• {escape(clip(p.text, POINT_CHARS))} {marks}".rstrip())
    body = [section(t) for t in pack_lines(lines)]
    if digest.changes:
        changed = ["*What changed against the earlier digest*"]
        for c in digest.changes:
            marks = "".join(f"[{n.number}]" for n in c.citations)
            changed.append(
                f"• Now: {escape(clip(c.text, POINT_CHARS))} {marks} _(earlier: {escape(clip(c.earlier, 300))})_"
            )
        body += [section(t) for t in pack_lines(changed)]
    sources = context_blocks(["*New sources*"] + [source_line(s) for s in digest.sources[:20]])
    notes = [escape(clip(watch_note, 500))] if watch_note else []
    if canvas_url:
        notes.append("In full in this channel's canvas: " + link(canvas_url, "Open the canvas"))
    footer = context_blocks(notes + [f"Offline summary · digest {escape(clip(digest.id, 64))}"])
    blocks = head + body + sources + footer + [feedback_buttons(digest)]
    first = digest.points[0].text if digest.points else ""
    fallback = clip(f"What's new: {escape(digest.topic)}. {escape(first)}", FALLBACK_CHARS)
    return Message(text=fallback, blocks=blocks)

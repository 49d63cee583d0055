"""An Answer as Slack messages: its blocks by role, pages that fit, the head shown when the full
text goes out as a file, the plain-text file itself, and the feedback buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.render.slack import (
    FALLBACK_CHARS,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    MAX_BLOCKS,
    MESSAGE_CHARS,
    Message,
    all_text,
    clip,
    context,
    context_blocks,
    escape,
    mention,
    mode_label,
    pack_lines,
    section,
    source_line,
    split_text,
)
from briefbot import formatting
from briefbot.answer import Answer


def feedback_buttons(answer) -> dict:
    """👍/👎 under an answer, a brief or a digest: the vote names it by its `id`."""

    def button(action_id: str, emoji: str, label: str) -> dict:
        return {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": emoji, "emoji": True},
            "value": answer.id,
            "accessibility_label": label,
        }

    return {
        "type": "actions",
        "block_id": f"feedback:{answer.id}"[:255],
        "elements": [
            button(FEEDBACK_UP, "👍", "Helpful"),
            button(FEEDBACK_DOWN, "👎", "Not helpful"),
        ],
    }


@dataclass
class Parts:
    """An answer's blocks by role, so pages and the "attached as a file" head can be cut from them."""

    header: list[dict] = field(default_factory=list)
    body: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    footer: list[dict] = field(default_factory=list)
    fallback: str = ""


def answer_parts(answer: Answer, *, asked_by: str | None = None, show_question: bool = False) -> Parts:
    parts = Parts()
    if show_question:
        who = mention(asked_by)
        asked = f"{who} asked: " if who else "Question: "
        parts.header = context_blocks([asked + escape(clip(answer.question, 2_000))])
    if answer.refused:
        refusal = answer.refusal or "The sources don't say."
        parts.body = [section(t) for t in pack_lines([":grey_question: " + escape(refusal)])]
        if answer.related_topics:
            topics = "; ".join(escape(clip(t, 200)) for t in answer.related_topics[:10])
            parts.body += context_blocks([f"Closest topics the sources cover: {topics}"])
        parts.fallback = escape(refusal)
    else:

        def cited(s) -> str:
            return (escape(s.text) + " " + "".join(f"[{n}]" for n in s.numbers)).rstrip()

        if answer.points:  # an open question: the lead that answers, then its key points as a list
            lead = " ".join(cited(s) for s in answer.sentences if s.kind != "point")
            lines = [lead, *["• " + cited(p) for p in answer.points]]
        else:
            lines = ["• " + cited(s) for s in answer.sentences] or ["(no answer text)"]
        parts.body = [section(t) for t in pack_lines(lines)]
        if answer.sources:
            parts.sources = context_blocks(["*Sources*"] + [source_line(s) for s in answer.sources])
        parts.fallback = escape(answer.text)
    footer = mode_label(answer) + f" · answer {escape(answer.id)}"
    notes = [escape(n) for n in (answer.freshness, answer.note) if n]
    parts.footer = context_blocks(notes + [footer]) + [feedback_buttons(answer)]
    parts.fallback = clip(parts.fallback, FALLBACK_CHARS) or "briefbot answer"
    return parts


def paginate(parts: Parts) -> list[Message]:
    """The answer as messages of <= 50 blocks and <= MESSAGE_CHARS characters each, header
    first, sources and footer last."""
    pages: list[list[dict]] = []
    current: list[dict] = []
    used = 0
    for block in parts.header + parts.body + parts.sources + parts.footer:
        size = block_chars(block)
        if current and (len(current) == MAX_BLOCKS or used + size > MESSAGE_CHARS):
            pages.append(current)
            current, used = [], 0
        current.append(block)
        used += size
    if current:
        pages.append(current)
    total = len(pages)
    messages = []
    for i, page in enumerate(pages, 1):
        text = parts.fallback if i == 1 else f"(continued, {i}/{total}) " + parts.fallback
        messages.append(Message(text=clip(text, FALLBACK_CHARS), blocks=page))
    return messages


def block_chars(block: dict) -> int:
    return len(all_text([block]))


def render_answer(answer: Answer, *, asked_by: str | None = None, show_question: bool = False) -> list[Message]:
    """The answer as one message, or several when it exceeds Slack's limits."""
    return paginate(answer_parts(answer, asked_by=asked_by, show_question=show_question))


def render_head(answer: Answer, note: str, *, asked_by: str | None = None, show_question: bool = False) -> Message:
    """One message for an answer too long to post: its beginning, `note` (e.g. "the full text is
    in the attached file"), as many sources as fit, and the footer, within every limit."""
    parts = answer_parts(answer, asked_by=asked_by, show_question=show_question)
    fixed = parts.header + [context(escape(note))] + parts.footer
    budget = MESSAGE_CHARS - sum(block_chars(b) for b in fixed)
    room = MAX_BLOCKS - len(fixed)

    def fit(blocks: list[dict], share: int) -> list[dict]:
        nonlocal budget, room
        kept: list[dict] = []
        for block in blocks:
            size = block_chars(block)
            if room == 0 or size > min(budget, share):
                break
            kept.append(block)
            budget, room, share = budget - size, room - 1, share - size
        return kept

    body = fit(parts.body, budget // 2 + 1)
    if not body and parts.body:  # the first section alone is too long: cut it
        first = parts.body[0]["text"]["text"]
        body = [section(split_text(first, max(200, budget // 2))[0] + " …")]
        budget -= block_chars(body[0])
        room -= 1
    sources = fit(parts.sources, budget)
    blocks = parts.header + body + [fixed[len(parts.header)]] + sources + parts.footer
    return Message(text=parts.fallback, blocks=blocks)


def plain_text(answer: Answer) -> str:
    """The answer as a plain-text file (not mrkdwn: shown as typed), like the CLI prints it."""
    lines = [f"Question: {answer.question}", ""]
    if answer.refused:
        lines.append(answer.refusal)
        if answer.related_topics:
            lines.append("Closest topics the sources cover: " + "; ".join(answer.related_topics))
    elif answer.points:
        lines.append(" ".join(s.rendered() for s in answer.sentences if s.kind != "point"))
        lines += [f"  - {p.rendered()}" for p in answer.points]
    else:
        lines += [s.rendered() for s in answer.sentences]
    if answer.sources:
        lines += ["", "Sources"]
        for s in answer.sources:
            lines.append(formatting.source_line(s, url=True))
    for note in (answer.freshness, answer.note):
        if note:
            lines += ["", note]
    lines += ["", f"({formatting.mode_label(answer.mode, answer.model)}; answer {answer.id})"]
    return "\n".join(lines) + "\n"


def answer_filename(answer: Answer) -> str:
    return f"briefbot-answer-{re.sub(r'[^A-Za-z0-9_-]', '', answer.id)[:40] or 'x'}.txt"

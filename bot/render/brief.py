"""A pre-visit brief as Slack messages: the summary posted in the channel (top items of each
section), the full brief's pages when no file can be attached, and its file name and title."""

from __future__ import annotations

import re

from bot.render.answer import Parts, block_chars, feedback_buttons, paginate
from bot.render.slack import (
    CONTEXT_ELEMENTS,
    FALLBACK_CHARS,
    MAX_BLOCKS,
    MESSAGE_CHARS,
    SECTION_LIMIT,
    TITLE_CHARS,
    Message,
    clip,
    context,
    context_blocks,
    escape,
    link,
    mention,
    mode_label,
    pack_lines,
    section,
    source_line,
    split_text,
)

# ---------------------------------------------------------------- briefs (/brief)
# A brief in Slack is a summary: the header, the bottom line, each section's heading with its
# item count, the sources and the footer. The full brief goes along as a Markdown file
# (`Brief.to_markdown(full=True)`: the full evidence after the sources), or, when no file can be attached, as `render_brief_pages`.

BRIEF_PREPARING = "Preparing the brief..."
HEADER_CHARS = 150  # a header block's plain_text limit
NOTHING_IN_SOURCES = "Nothing in the sources"


def clip_escaped(text: str, limit: int) -> str:
    """`escape(clip(text))` that is itself at most `limit` characters (entities make text longer)."""
    budget = limit
    while True:
        out = escape(clip(text, budget))
        if len(out) <= limit or budget <= 1:
            return out[:limit] if len(out) > limit else out
        budget -= len(out) - limit


def brief_filename(brief) -> str:
    """`brief-<slug>.md`: the topic in lower-case ASCII words joined by dashes (the brief's id
    when the topic has no such letters)."""
    import unicodedata

    ascii_topic = unicodedata.normalize("NFKD", brief.topic or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_topic.lower()).strip("-")[:60].rstrip("-")
    return f"brief-{slug or re.sub(r'[^A-Za-z0-9]', '', brief.id)[:40] or 'topic'}.md"


def brief_title(brief) -> str:
    """The file's title (Slack shows it as typed: not mrkdwn)."""
    return clip(f"Pre-visit brief: {brief.topic}", TITLE_CHARS)


def brief_header(topic: str) -> dict:
    text = clip_escaped(f"Pre-visit brief: {topic}", HEADER_CHARS)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": False}}


def preparing_message(topic: str, asked_by: str | None = None) -> Message:
    """The placeholder shown while the brief is built (replaced by `render_brief`)."""
    who = mention(asked_by)
    asked = f"{who} asked for a brief on: " if who else "Brief on: "
    blocks = context_blocks([asked + escape(clip(topic, 2_000))])
    blocks.append(context(":hourglass_flowing_sand: " + BRIEF_PREPARING))
    return Message(text=BRIEF_PREPARING, blocks=blocks)


def item_count(count: int) -> str:
    if count == 0:
        return NOTHING_IN_SOURCES
    return f"{count} item" if count == 1 else f"{count} items"


BRIEF_TOP_ITEMS = 2  # items of each section shown in the channel (the attached brief has them all)
BRIEF_TOP_ITEM_CHARS = 200


def brief_section_line(section) -> str:
    """`*What was agreed* — 4 items` (or `— Nothing in the sources`), then the section's top items
    with their [n], each clipped (the full text is in the attached brief)."""
    lines = [f"*{escape(clip(section.title, TITLE_CHARS))}* — {item_count(len(section.items))}"]
    for item in section.items[:BRIEF_TOP_ITEMS]:
        marks = "".join(f"[{n}]" for n in item.numbers)
        lines.append(f"• {escape(clip(item.text, BRIEF_TOP_ITEM_CHARS))} {marks}".rstrip())
    return "\n".join(lines)


def brief_footer(brief) -> list[dict]:
    notes = [escape(clip(n, 2_000)) for n in (brief.freshness, brief.note) if n]
    return context_blocks(notes + [mode_label(brief) + f" · brief {escape(clip(brief.id, 64))}"])


def render_brief(
    brief, *, asked_by: str | None = None, file_note: str | None = None, canvas_url: str | None = None
) -> Message:
    """The brief as one message within every Slack limit: header, who asked, the bottom line
    with its [n], each section's heading and item count, `file_note` (e.g. "the full brief is in
    the attached file"; a link to `canvas_url`, the canvas holding it, follows the note), as many sources as fit,
    the footer and 👍/👎."""
    head = [brief_header(brief.topic)]
    who = mention(asked_by)
    if who:
        head += context_blocks([f"Requested by {who}"])
    topic = escape(clip(brief.topic, 500))
    footer = brief_footer(brief) + [feedback_buttons(brief)]
    if brief.empty:
        body = [section(f":grey_question: {NOTHING_IN_SOURCES} on {topic}.")]
        return Message(text=f"Pre-visit brief: {NOTHING_IN_SOURCES.lower()} on {topic}.", blocks=head + body + footer)

    others = [s for s in brief.sections if s.key != "bottom_line"]
    headings = [section(t) for t in pack_lines([brief_section_line(s) for s in others])] if others else []
    canvas = f" {link(canvas_url, 'Open the canvas')}" if canvas_url else ""
    shown = escape(clip(file_note, 1_000)) + canvas if file_note else ""
    note = [context(shown)] if shown else []
    # The bottom line takes what the rest leaves, keeping room for a few sources; cut, it says so.
    rest = sum(block_chars(b) for b in head + headings + note + footer)
    room_for_bottom = max(500, min(2 * SECTION_LIMIT, MESSAGE_CHARS - rest - 1_000))
    bottom_text = escape(brief.bottom_line)
    if len(bottom_text) > room_for_bottom:
        bottom_text = split_text(bottom_text, room_for_bottom - 40)[0] + " … (in full in the brief)"
    bottom = [section(t) for t in pack_lines(["*Bottom line*", bottom_text])]
    fixed = head + bottom + headings + note + footer
    # Sources: one line each while the message stays within its size and block limits.
    budget = MESSAGE_CHARS - sum(block_chars(b) for b in fixed) - 100
    room = MAX_BLOCKS - len(fixed)
    lines = ["*Sources*"]
    used = len(lines[0])
    for n, source in enumerate(brief.sources):
        line = source_line(source)
        rest = len(brief.sources) - n
        if used + len(line) + 1 > budget or len(pack_lines(lines + [line])) > room * CONTEXT_ELEMENTS:
            lines.append(f"… and {rest} more in the full brief" if n else f"{rest} sources, listed in the full brief")
            break
        lines.append(line)
        used += len(line) + 1
    sources = context_blocks(lines) if brief.sources and room > 0 else []
    if len(sources) > room:
        sources = sources[:room]
    blocks = head + bottom + headings + note + sources + footer
    fallback = clip(f"Pre-visit brief: {topic}. {escape(brief.bottom_line)}", FALLBACK_CHARS)
    return Message(text=fallback, blocks=blocks)


def brief_item_line(section, item) -> str:
    """One item of the full brief in mrkdwn: escaped, with its [n] and any note."""
    prefix = f"*{escape(clip(item.group, 100))}* — " if section.key == "timeline" and item.group else ""
    note = f" _({escape(clip(item.note, 300))})_" if item.note else ""
    return f"• {prefix}{escape(item.rendered())}{note}"


def render_brief_pages(brief) -> list[Message]:
    """The whole brief in mrkdwn, every item with its citations, as pages within Slack's limits
    (for when the Markdown file cannot be attached)."""
    parts = Parts(header=[brief_header(brief.topic)])
    for sec in brief.sections:
        lines = [f"*{escape(clip(sec.title, TITLE_CHARS))}*"]
        if not sec.items:
            lines.append(f"{NOTHING_IN_SOURCES}.")
        elif sec.key == "bottom_line":
            lines.append(escape(brief.bottom_line))
        else:
            group = None
            for item in sec.items:
                if sec.key == "cooperation" and item.group and item.group != group:
                    group = item.group
                    lines.append(f"_{escape(clip(group, 100))}_")
                lines.append(brief_item_line(sec, item))
        parts.body += [section(t) for t in pack_lines(lines)]
    if brief.sources:  # one element per context block, so that pages can be cut between them
        parts.sources = [context(t) for t in pack_lines(["*Sources*"] + [source_line(s) for s in brief.sources])]
    parts.footer = brief_footer(brief)
    parts.fallback = clip(f"Pre-visit brief: {escape(brief.topic)}", FALLBACK_CHARS)
    return paginate(parts)

"""Answer -> Slack messages. Pure functions: no I/O, no Slack client, unit-tested on their own.

Everything that comes from a source or a user goes through `escape()` before it reaches mrkdwn,
so text such as `<!channel>`, `<@U123>` or `<http://x|click>` is shown as typed and can never
ping anyone or forge a link. The only `<...>` sequences in our output are the ones built here:
links to a source's http(s) URL and the asker's user mention. Every mrkdwn text object is
`verbatim`, so Slack does not turn a bare URL or channel name in a source into a link either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefbot import formatting
from briefbot.answer import Answer, SourceRef
from briefbot.brief import Brief
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
    return [
        context(*elements[i : i + CONTEXT_ELEMENTS]) for i in range(0, len(elements), CONTEXT_ELEMENTS)
    ]


def source_line(source: SourceRef) -> str:
    """`[n] <url|Title> · outlet-or-file · date`, every part escaped."""
    label, *rest = source.line_parts()
    parts = [link(source.url, clip(label, TITLE_CHARS))]
    parts += [escape(clip(part, OUTLET_CHARS)) for part in rest]
    return f"[{source.number}] " + " · ".join(parts)


def mode_label(answer: Answer | Brief) -> str:
    """"Written by <model>, citations checked" or "Offline summary", escaped."""
    return escape(capitalised(formatting.mode_label(answer.mode, clip(answer.model, 80))))


def feedback_buttons(answer: Answer) -> dict:
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


@dataclass
class Message:
    text: str
    blocks: list[dict]


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
        lines = ["• " + escape(s.text) + " " + "".join(f"[{n}]" for n in s.numbers) for s in answer.sentences]
        lines = [line.rstrip() for line in lines] or ["(no answer text)"]
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


def answer_filename(answer: Answer) -> str:
    return f"briefbot-answer-{re.sub(r'[^A-Za-z0-9_-]', '', answer.id)[:40] or 'x'}.txt"


# ---------------------------------------------------------------- briefs (/brief)
# A brief in Slack is a summary: the header, the bottom line, each section's heading with its
# item count, the sources and the footer. The full brief goes along as a Markdown file
# (`Brief.to_markdown()`), or, when no file can be attached, as `render_brief_pages`.

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


def render_brief(brief, *, asked_by: str | None = None, file_note: str | None = None) -> Message:
    """The brief as one message within every Slack limit: header, who asked, the bottom line
    with its [n], each section's heading and item count, `file_note` (e.g. "the full brief is in
    the attached file"), as many sources as fit, and the footer."""
    head = [brief_header(brief.topic)]
    who = mention(asked_by)
    if who:
        head += context_blocks([f"Requested by {who}"])
    topic = escape(clip(brief.topic, 500))
    footer = brief_footer(brief)
    if brief.empty:
        body = [section(f":grey_question: {NOTHING_IN_SOURCES} on {topic}.")]
        return Message(text=f"Pre-visit brief: {NOTHING_IN_SOURCES.lower()} on {topic}.", blocks=head + body + footer)

    others = [s for s in brief.sections if s.key != "bottom_line"]
    headings = [section(t) for t in pack_lines([brief_section_line(s) for s in others])] if others else []
    note = [context(escape(clip(file_note, 1_000)))] if file_note else []
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


# ---------------------------------------------------------------- sources added from Slack


def source_summary_line(meta, chunks: int | None = None) -> str:
    """`<url|Title> · outlet · date · kind`, escaped, for a source just added or listed
    (`meta`: its DocumentMeta)."""
    from briefbot.compose import source_ref

    ref = source_ref(0, meta)
    label, *rest = ref.line_parts()
    if not ref.kind_label and meta.kind:  # a plain file: say so
        rest.append(meta.kind)
    parts = [link(ref.url, clip(label, TITLE_CHARS))] + [escape(clip(part, OUTLET_CHARS)) for part in rest]
    if chunks is not None:
        parts.append(f"{chunks} chunk{'s' if chunks != 1 else ''}")
    return " · ".join(parts)


def source_added_message(meta, chunks: int, *, changed: bool, by: str | None = None) -> Message:
    line = source_summary_line(meta, chunks)
    who = mention(by)
    if changed:
        text = f"{who} added a source: {line}" if who else f"Added a source: {line}"
    else:
        text = f"Already in the sources, unchanged: {line}"
    # every part is escaped already (titles <= 200, outlets <= 100, links <= 1,000 characters)
    return Message(text=text, blocks=[section(text)])


def source_list_message(rows, total: int) -> Message:
    """`/source list`: the latest sources (rows: SourceSummary), newest first."""
    if not rows:
        return short_message("No sources yet: add one with /source add <link>, or share a PDF or Word file with me.")
    head = f"*Latest sources* ({len(rows)} of {total})"
    lines = [f"• {source_summary_line(r.meta, r.chunks)}" for r in rows]
    blocks = [section(head)] + [section(text) for text in pack_lines(lines)]
    return Message(text=f"Latest sources ({len(rows)} of {total})", blocks=blocks[:MAX_BLOCKS])

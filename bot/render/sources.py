"""Sources added from Slack: the line naming a source, the "added" message, `/source list`."""

from __future__ import annotations

from bot.render.slack import (
    MAX_BLOCKS,
    OUTLET_CHARS,
    TITLE_CHARS,
    Message,
    clip,
    escape,
    link,
    mention,
    pack_lines,
    section,
    short_message,
)

# ---------------------------------------------------------------- sources added from Slack


def source_summary_line(meta, chunks: int | None = None) -> str:
    """`<url|Title> · outlet · date · kind`, escaped, for a source just added or listed
    (`meta`: its DocumentMeta)."""
    from briefbot.answering.citations import source_ref

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

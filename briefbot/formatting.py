"""How an answer or a brief names its sources and says who wrote it, in plain text: one place for
the CLI, the brief's Markdown and Slack's plain-text fallbacks (Slack's rich blocks escape and
link the same parts: bot/render.py)."""

from __future__ import annotations

from briefbot.answer import SourceRef


def mode_label(mode: str, model: str) -> str:
    """ "written by gpt-4o-mini, citations checked" for a model's answer, else "offline summary"."""
    if mode == "llm":
        return f"written by {model or 'a language model'}, citations checked"
    return "offline summary"


def source_line(ref: SourceRef, *, url: bool = False) -> str:
    """`[n] Title · outlet-or-file · date · kind`, and the link when `url` and the source has one."""
    parts = ref.line_parts() + ([ref.url] if url and ref.url else [])
    return f"[{ref.number}] " + " · ".join(parts)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]

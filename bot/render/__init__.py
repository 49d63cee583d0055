"""Answers, briefs and source notices -> Slack messages. Pure functions: no I/O, no Slack client, unit-tested on their own.

Everything that comes from a source or a user goes through `escape()` before it reaches mrkdwn,
so text such as `<!channel>`, `<@U123>` or `<http://x|click>` is shown as typed and can never
ping anyone or forge a link. The only `<...>` sequences in our output are the ones built here:
links to a source's http(s) URL and the asker's user mention. Every mrkdwn text object is
`verbatim`, so Slack does not turn a bare URL or channel name in a source into a link either.

    slack.py    limits, escaping, splitting, blocks, Message (what every message uses)
    answer.py   an Answer: blocks by role, pages, the file head, plain text, feedback buttons
    brief.py    a brief: the channel summary, the pages, file name and title
    digest.py   a digest (what's new on a topic): one message
    sources.py  sources added from Slack, and `/source list`
"""

from bot.render.answer import (  # noqa: F401
    Parts,
    answer_filename,
    answer_parts,
    block_chars,
    feedback_buttons,
    paginate,
    plain_text,
    render_answer,
    render_head,
)
from bot.render.brief import (  # noqa: F401
    BRIEF_PREPARING,
    BRIEF_TOP_ITEM_CHARS,
    BRIEF_TOP_ITEMS,
    HEADER_CHARS,
    NOTHING_IN_SOURCES,
    brief_filename,
    brief_footer,
    brief_header,
    brief_item_line,
    brief_section_line,
    brief_title,
    clip_escaped,
    item_count,
    preparing_message,
    render_brief,
    render_brief_pages,
)
from bot.render.digest import WATCH_NOTE, nothing_new_message, render_digest  # noqa: F401
from bot.render.slack import (  # noqa: F401
    _ENTITY_TAIL,
    _SLACK_TOKEN,
    _USER_ID,
    CONTEXT_ELEMENTS,
    FALLBACK_CHARS,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    MAX_BLOCKS,
    MESSAGE_CHARS,
    OUTLET_CHARS,
    SEARCHING,
    SECTION_LIMIT,
    TEXT_LIMIT,
    TITLE_CHARS,
    URL_CHARS,
    Message,
    all_text,
    clip,
    context,
    context_blocks,
    escape,
    link,
    mention,
    mode_label,
    mrkdwn,
    pack_lines,
    safe_url,
    searching_message,
    section,
    short_message,
    slack_to_plain,
    source_line,
    split_text,
)
from bot.render.sources import (  # noqa: F401
    source_added_message,
    source_list_message,
    source_summary_line,
)

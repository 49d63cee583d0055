"""`/brief topic` end to end: signed form-encoded commands in, the real core, Slack's Web API
faked on the wire (chat.postMessage, chat.update, the three-step file upload); and the brief's
Slack rendering on its own, within Slack's limits."""

from __future__ import annotations

import shutil
import time

import pytest

from bot import render
from bot.listeners.brief import USAGE
from bot.render import BRIEF_PREPARING, HEADER_CHARS, all_text, escape
from bot.threads import earlier_question
from briefbot.answer import Citation, SourceRef
from briefbot.answering.brief import SECTIONS, Brief, BriefItem, BriefSection, empty_brief
from tests.bot.conftest import bot_settings, start_bot, stop_bot
from tests.bot.test_render import within_limits
from tests.conftest import SEEDS
from tests.fakes.slack_api import BOT_USER_ID

TOPIC = "President Tokayev's visit to Pakistan"
RAW_MARKUP = ("<!channel>", "<@U123>", "<http://x|click>")

# A source whose title and lead sentence carry Slack markup, worded so that it is what a brief
# puts first (an agreement signed): the bottom line and the sources list both show it.
MARKUP_ARTICLE = """Velmora and Ostrava sign <!channel> fisheries accord <@U123>

Velmora:

The harbour ministers of Velmora and Ostrava signed a fisheries accord <!channel> <@U123> <http://x|click> in Velmora on Monday.
The fisheries accord was agreed after two days of talks between the Velmora and Ostrava delegations on night fishing.
Both harbour ministers said a joint fisheries patrol would be set up next year under the accord.
"""


def command(bot, text: str, **kw):
    return bot.slack.command(text, command="/brief", **kw)


def brief_message(fake, channel: str = "C0GENERAL", timeout: float = 60) -> dict:
    """The chat.update that replaced "Preparing the brief..." in `channel`."""
    calls = fake.wait_for(lambda s: [c for c in s.calls("chat.update") if c.params["channel"] == channel], timeout)
    return calls[0].params


def uploaded_markdown(fake) -> tuple[dict, dict, str]:
    """(files.getUploadURLExternal params, files.completeUploadExternal params, the file's text)."""
    complete = fake.wait_calls("files.completeUploadExternal")[0].params
    [url_call] = fake.calls("files.getUploadURLExternal")
    [upload] = fake.calls("upload")
    assert upload.params["file_id"] == complete["files"][0]["id"]
    return url_call.params, complete, fake.uploads[upload.params["file_id"]].decode("utf-8")


# ---------------------------------------------------------------- end to end


def test_brief_acks_at_once_then_posts_the_summary_and_attaches_the_markdown_brief(running_bot, bot_service):
    fake = running_bot.fake
    reply = command(running_bot, TOPIC)
    assert reply.status == 200 and reply.seconds < 1.5, reply
    assert reply.body == ""  # the ack shows nothing: the brief goes to the channel

    placeholder = fake.wait_calls("chat.postMessage")[0].params
    assert placeholder["channel"] == "C0GENERAL" and not placeholder.get("thread_ts")
    assert placeholder["text"] == BRIEF_PREPARING
    assert f"<@U0ASKER> asked for a brief on: {escape(TOPIC)}" in all_text(placeholder["blocks"])

    update = brief_message(fake)
    posted_ts = fake.calls("chat.postMessage")[0]
    assert update["ts"] == fake.messages["C0GENERAL"][0]["ts"] and posted_ts
    blocks = update["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": f"Pre-visit brief: {escape(TOPIC)}", "emoji": False},
    }
    text = all_text(blocks)
    expected = bot_service.brief(TOPIC)  # the same store, the same brief
    assert not expected.empty
    assert f"*Bottom line*\n{escape(expected.bottom_line)}" in text and "[1]" in text
    for section in expected.sections[1:]:
        count = (
            f"{len(section.items)} items"
            if len(section.items) > 1
            else ("1 item" if section.items else "Nothing in the sources")
        )
        assert f"*{section.title}* — {count}" in text
    assert "*What was agreed* — " in text and "Action plan to stimulate links with Kazakhstan" in text
    assert "*Sources*" in text and "Offline summary · brief " in text
    assert "attached file `brief-president-tokayev-s-visit-to-pakistan.md`" in text
    # an @briefbot follow-up in the brief's thread reads against the topic
    assert earlier_question([fake.message("C0GENERAL", update["ts"])], "9999999999.000000", BOT_USER_ID) == TOPIC
    assert update["link_names"] is False
    within_limits(render.Message(text=update["text"], blocks=blocks))

    url_params, complete, markdown = uploaded_markdown(fake)
    assert url_params["filename"] == "brief-president-tokayev-s-visit-to-pakistan.md"
    assert int(url_params["length"]) == len(markdown.encode("utf-8"))
    assert complete["channel_id"] == "C0GENERAL" and not complete.get("thread_ts")
    assert complete["files"][0]["title"] == f"Pre-visit brief: {TOPIC}"
    assert markdown.startswith(f"# Pre-visit brief: {TOPIC}\n")
    for _, title in SECTIONS:
        assert f"\n## {title}\n" in markdown
    assert "\n## Sources\n" in markdown and "[1]" in markdown
    running_bot.idle()
    assert len(fake.calls("chat.postMessage")) == 1 and len(fake.calls("chat.update")) == 1


def test_brief_without_a_topic_gets_the_usage_only_for_the_asker(running_bot):
    fake = running_bot.fake
    for text in ("", "   "):
        reply = command(running_bot, text)
        assert reply.status == 200
        body = reply.json()
        assert body["response_type"] == "ephemeral"
        assert body["text"] == escape(USAGE)  # "<visit, country or topic>" shown as typed, not a link
        assert body["text"].startswith("Usage: /brief &lt;visit, country or topic&gt;, e.g. /brief President Tokayev")
    time.sleep(0.3)
    running_bot.idle()
    assert [c.method for c in fake.calls()] == ["auth.test"]


def test_a_topic_the_sources_do_not_cover_gets_the_short_nothing_in_the_sources_brief(running_bot):
    fake = running_bot.fake
    reply = command(running_bot, "The population of Mars")
    assert reply.status == 200 and reply.body == ""
    update = brief_message(fake)
    text = all_text(update["blocks"])
    assert "Pre-visit brief: The population of Mars" in text
    assert "Nothing in the sources on The population of Mars." in text
    assert "[1]" not in text and "*Sources*" not in text and "*Bottom line*" not in text
    running_bot.idle()
    assert not fake.calls("files.getUploadURLExternal") and not fake.calls("chat.postEphemeral")


@pytest.fixture(scope="module")
def markup_service(tmp_path_factory, embedder):
    """The seeds plus one article carrying Slack markup in its title and lead sentence."""
    from briefbot.factory import build_service
    from briefbot.settings import Settings

    sources = tmp_path_factory.mktemp("brief-markup-sources")
    for path in SEEDS.iterdir():
        shutil.copy(path, sources / path.name)
    (sources / "950_markup.txt").write_text(MARKUP_ARTICLE, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("brief-markup-store"), sources_dir=sources)
    return build_service(settings, embedder=embedder)


def test_slack_markup_in_a_source_is_posted_escaped(tmp_path, fake_slack, markup_service):
    running = start_bot(bot_settings(tmp_path, fake_slack), markup_service, fake_slack)
    try:
        fake_slack.script("files.getUploadURLExternal", {"ok": False, "error": "missing_scope"})  # pages as well
        command(running, "the Velmora Ostrava fisheries accord")
        update = brief_message(fake_slack)
        fake_slack.wait_calls("chat.postMessage", 2)
        running.idle()
    finally:
        stop_bot(running)
    text = all_text(update["blocks"]) + "\n" + update["text"]
    assert "signed a fisheries accord &lt;!channel&gt; &lt;@U123&gt; &lt;http://x|click&gt;" in text  # bottom line
    assert "Velmora and Ostrava sign &lt;!channel&gt; fisheries accord &lt;@U123&gt;" in text  # the source's title
    pages = [c.params for c in fake_slack.calls("chat.postMessage")[1:]]
    assert pages and "&lt;!channel&gt;" in all_text(pages[0]["blocks"])
    for call in fake_slack.calls():
        wire = str(call.params)
        for raw in RAW_MARKUP:
            assert raw not in wire, (call.method, raw)


def test_without_file_permission_the_full_brief_follows_in_the_thread(running_bot, bot_service):
    fake = running_bot.fake
    fake.script("files.getUploadURLExternal", {"ok": False, "error": "missing_scope"})
    command(running_bot, TOPIC)
    update = brief_message(fake)
    fake.wait_calls("chat.postMessage", 2)
    running_bot.idle()
    pages = [c.params for c in fake.calls("chat.postMessage")[1:]]
    assert all(p["thread_ts"] == update["ts"] for p in pages)
    text = "\n".join(all_text(p["blocks"]) for p in pages)
    expected = bot_service.brief(TOPIC)
    for section in expected.sections:
        assert f"*{section.title}*" in text
        for item in section.items:
            assert escape(item.rendered()) in text
    for page in pages:
        within_limits(render.Message(text=page["text"], blocks=page["blocks"]))


def test_a_replayed_brief_command_is_answered_once(running_bot):
    fake = running_bot.fake
    first = command(running_bot, TOPIC, trigger_id="888.1.same")
    replay = command(running_bot, TOPIC, trigger_id="888.1.same")
    assert first.status == 200 and replay.status == 200
    brief_message(fake)
    uploaded_markdown(fake)
    running_bot.idle()
    assert len(fake.calls("chat.postMessage")) == 1 and len(fake.calls("chat.update")) == 1
    assert len(fake.calls("files.completeUploadExternal")) == 1


def test_allow_lists_apply_to_brief(tmp_path, fake_slack, bot_service):
    settings = bot_settings(tmp_path, fake_slack, slack_allowed_channels="C0ALLOWED", slack_allowed_users="U0ASKER")
    running = start_bot(settings, bot_service, fake_slack)
    try:
        reply = command(running, TOPIC, channel="C0ALLOWED", user="U0STRANGER")
        assert reply.status == 200 and "not enabled for your account" in reply.json()["text"]
        reply = command(running, TOPIC, channel="C0ELSEWHERE")
        assert reply.status == 200 and "not enabled in this channel" in reply.json()["text"]
        command(running, TOPIC, channel="C0ALLOWED")
        brief_message(fake_slack, "C0ALLOWED")
        running.idle()
        assert {c.params["channel"] for c in fake_slack.calls("chat.postMessage")} == {"C0ALLOWED"}
    finally:
        stop_bot(running)


def test_an_error_reaches_the_asker_as_a_short_ephemeral_message(running_bot, caplog):
    fake = running_bot.fake
    fake.script("chat.update", {"ok": False, "error": "internal_error"})
    command(running_bot, TOPIC)
    notice = fake.wait_calls("chat.postEphemeral")[0].params
    running_bot.idle()
    assert notice["text"] == "Sorry, something went wrong while preparing the brief. The details are in the bot's log."
    assert notice["user"] == "U0ASKER" and notice["channel"] == "C0GENERAL"
    assert fake.calls("chat.delete")  # "Preparing the brief..." does not linger
    assert "internal_error" in caplog.text
    assert not fake.calls("files.getUploadURLExternal")


def test_where_the_bot_cannot_post_the_brief_goes_through_the_response_url(running_bot):
    fake = running_bot.fake
    fake.script("chat.postMessage", {"ok": False, "error": "not_in_channel"})
    command(running_bot, TOPIC, channel="G0PRIVATE", response_key="brief-private")
    posted = fake.wait_calls("response_url")[0].params
    running_bot.idle()
    assert posted["key"] == "brief-private" and posted["response_type"] == "in_channel"
    text = all_text(posted["blocks"])
    assert "*Bottom line*" in text and "[1]" in text and "Invite @briefbot" in text
    assert not fake.calls("files.getUploadURLExternal")


# ---------------------------------------------------------------- rendering alone


def cite(n: int) -> Citation:
    return Citation(number=n, chunk_id=f"c{n}", source_id=f"{n}.txt", start=0, end=10)


def huge_brief(topic: str = "Trade " * 60) -> Brief:
    """Long items in every section, 60 sources with long titles and URLs."""
    sentence = "The delegations reviewed cooperation in trade, energy and transport <!here> & more in detail. " * 12
    sections = [
        BriefSection(
            key=key,
            title=title,
            items=[
                BriefItem(
                    text=f"{sentence} ({key} {i})",
                    citations=[cite(i % 60 + 1)],
                    group="2025" if key == "timeline" else "",
                )
                for i in range(6)
            ],
        )
        for key, title in SECTIONS
    ]
    sources = [
        SourceRef(
            number=i,
            source_id=f"{i}.txt",
            title=f"Title {i} " + "x" * 190,
            outlet="Dawn",
            url=f"https://example.com/{'a' * 900}/{i}",
            published="2025-09-10",
        )
        for i in range(1, 61)
    ]
    return Brief(topic=topic, sections=sections, sources=sources, note="A note <!channel>.")


def test_a_huge_brief_fits_one_message_within_slack_limits():
    brief = huge_brief()
    message = render.render_brief(brief, asked_by="U0ASKER", file_note="The full brief is in the attached file.")
    within_limits(message)
    assert len(message.blocks[0]["text"]["text"]) <= HEADER_CHARS
    text = all_text(message.blocks)
    assert "*Bottom line*" in text and "— 6 items" in text
    assert "*Sources*" in text and "in the full brief" in text  # not all 60 fit
    assert "[2]" in text and "(agreed 0)" not in text  # each section's top items, clipped, with their [n]
    assert "<!here>" not in text and "<!channel>" not in text and "&lt;!here&gt;" in text
    pages = render.render_brief_pages(brief)
    assert len(pages) > 1
    for page in pages:
        within_limits(page)
        assert "<!here>" not in all_text(page.blocks)
    every = "\n".join(all_text(p.blocks) for p in pages)
    assert every.count("(timeline 5)") == 1 and "[60] " in every


def test_a_topic_with_markup_is_escaped_in_the_header_and_cut_to_fit():
    brief = empty_brief("<!channel> & " * 40)
    message = render.render_brief(brief)
    header = message.blocks[0]["text"]["text"]
    assert (
        len(header) <= HEADER_CHARS
        and "<" not in header
        and header.startswith("Pre-visit brief: &lt;!channel&gt; &amp;")
    )
    assert "<" not in all_text(message.blocks) + message.text


def test_brief_filenames_are_safe_slugs():
    assert render.brief_filename(empty_brief("President Tokayev's visit to Pakistan")) == (
        "brief-president-tokayev-s-visit-to-pakistan.md"
    )
    assert render.brief_filename(empty_brief("Visite à Almaty / 2025")) == "brief-visite-a-almaty-2025.md"
    odd = empty_brief("Токаев")
    assert render.brief_filename(odd) == f"brief-{odd.id}.md"
    assert len(render.brief_filename(empty_brief("word " * 100))) <= len("brief-.md") + 60


def test_section_counts_say_items_or_nothing():
    assert render.item_count(0) == "Nothing in the sources"
    assert render.item_count(1) == "1 item" and render.item_count(4) == "4 items"

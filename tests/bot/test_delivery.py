"""Delivery against the fake Web API with a real WebClient: long answers, response_url limits, threads."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.delivery import ChannelTarget, ResponseUrl, SlashTarget
from bot.render import MAX_BLOCKS, MESSAGE_CHARS, SECTION_LIMIT, Message, all_text
from bot.threads import earlier_question, stands_alone
from tests.bot.conftest import BOT_TOKEN
from tests.bot.test_render import make_answer


def client_for(fake) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake.api_url)


def huge_answer():
    sentence = "The delegations reviewed cooperation in trade, energy and transport in detail. " * 8
    return make_answer([sentence] * 95, sources=40)  # > 60k characters


def assert_within_limits(params: dict) -> None:
    assert len(params["blocks"]) <= MAX_BLOCKS and len(params["text"]) <= 40_000
    assert len(all_text(params["blocks"])) <= MESSAGE_CHARS
    for block in params["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT


def test_a_60k_answer_in_a_thread_goes_out_as_a_file_with_a_head_message(fake_slack):
    target = ChannelTarget(client_for(fake_slack), channel="C1", user="U1", thread_ts="1700000000.000001")
    target.start()
    answer = huge_answer()
    target.finish(answer)
    update = fake_slack.calls("chat.update")[0].params
    assert_within_limits(update)
    assert "attached file" in all_text(update["blocks"])
    complete = fake_slack.calls("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == "C1" and complete["thread_ts"] == "1700000000.000001"
    [uploaded] = fake_slack.uploads.values()
    text = uploaded.decode()
    assert text.count("The delegations reviewed") == 95 * 8 and "[40] Title 40" in text


def test_without_file_permission_the_answer_is_posted_in_pages(fake_slack):
    fake_slack.script("files.getUploadURLExternal", {"ok": False, "error": "missing_scope"})
    target = ChannelTarget(client_for(fake_slack), channel="C1", user="U1", thread_ts="1700000000.000001")
    target.start()
    target.finish(huge_answer())
    pages = fake_slack.calls("chat.postMessage")[1:]
    assert pages and all(p.params["thread_ts"] == "1700000000.000001" for p in pages)
    for page in pages:
        assert_within_limits(page.params)


def test_a_response_url_is_used_at_most_five_times_then_the_bot_token_takes_over(fake_slack):
    url = ResponseUrl(fake_slack.response_url("five"))
    message = Message(text="hi", blocks=[])
    assert [url.send(message, response_type="ephemeral") for _ in range(6)] == [True] * 5 + [False]
    assert len(fake_slack.calls("response_url")) == 5


def test_a_response_url_older_than_30_minutes_is_not_used(fake_slack):
    now = [1000.0]
    url = ResponseUrl(fake_slack.response_url("old"), clock=lambda: now[0])
    now[0] += 30 * 60
    assert url.send(Message(text="hi", blocks=[]), response_type="ephemeral") is False
    assert not fake_slack.calls("response_url")


def test_slash_answer_falls_back_to_the_bot_token_when_the_response_url_fails(fake_slack):
    fake_slack.response_url_status = 404
    target = SlashTarget(
        client_for(fake_slack),
        channel="C1",
        user="U1",
        ephemeral=True,
        response_url=ResponseUrl(fake_slack.response_url("gone")),
        question="Q?",
    )
    target.start()
    target.finish(make_answer(["Signed by Dar."]))
    assert fake_slack.calls("response_url")
    note, ephemeral = [c.params for c in fake_slack.calls("chat.postEphemeral")]
    assert note["user"] == "U1" and "Slack no longer takes replies to your /ask" in note["text"]
    assert ephemeral["user"] == "U1" and "Signed by Dar." in all_text(ephemeral["blocks"])


def test_work_that_outlives_the_response_url_is_posted_with_the_bot_token_and_the_user_is_told(fake_slack):
    now = [1000.0]
    url = ResponseUrl(fake_slack.response_url("slow"), clock=lambda: now[0])
    target = SlashTarget(
        client_for(fake_slack), channel="C1", user="U1", ephemeral=True, response_url=url, question="Who signed?"
    )
    target.start()
    now[0] += 31 * 60  # the answer took longer than Slack's 30 minutes
    target.finish(make_answer(["Signed by Dar."], question="Who signed?"))
    assert not fake_slack.calls("response_url")  # an expired URL is not even tried
    note, answer = [c.params for c in fake_slack.calls("chat.postEphemeral")]
    assert note["channel"] == "C1" and note["user"] == "U1"
    assert "reply link lasts 30 minutes" in note["text"] and "only you can see it" in note["text"]
    assert answer["user"] == "U1" and "Signed by Dar." in all_text(answer["blocks"])
    assert "Who signed?" in all_text(answer["blocks"])  # with the question it answers
    assert not fake_slack.calls("chat.postMessage")  # an ephemeral answer never lands in the channel


def test_earlier_question_skips_fragments_and_reads_our_answers_metadata():
    messages = [
        {"ts": "1.0", "user": "U1", "text": "<@UB> What was agreed on connectivity?"},
        {
            "ts": "2.0",
            "user": "UB",
            "bot_id": "B1",
            "text": "answer",
            "metadata": {
                "event_type": "briefbot_answer",
                "event_payload": {"question": "What was agreed on connectivity?"},
            },
        },
        {"ts": "3.0", "user": "U1", "text": "<@UB> and on trade?"},
        {"ts": "4.0", "user": "U9", "bot_id": "B9", "text": "Another bot: who won the match?"},
        {"ts": "5.0", "user": "U1", "text": "<@UB> and on energy?"},
    ]
    assert earlier_question(messages, "5.0", "UB") == "What was agreed on connectivity?"
    assert earlier_question(messages, "1.0", "UB") is None
    assert earlier_question(messages[2:3], "5.0", "UB") == "and on trade?"  # only fragments: the first
    assert stands_alone("Who signed the action plan?") and not stands_alone("and on trade?")


def test_the_pages_of_a_60k_answer_lose_nothing(fake_slack):
    fake_slack.script("files.getUploadURLExternal", {"ok": False, "error": "missing_scope"})
    target = ChannelTarget(client_for(fake_slack), channel="C1", user="U1", thread_ts="1700000000.000001")
    target.start()
    target.finish(huge_answer())
    pages = [c.params for c in fake_slack.calls("chat.postMessage")[1:]]
    text = "\n".join(all_text(p["blocks"]) for p in pages)
    assert text.count("The delegations reviewed") == 95 * 8 and "[40] <https://e.com/40|Title 40>" in text
    assert "goes on beyond what fits" not in text  # all of it fitted: no truncation notice
    first, corrected = [c.params for c in fake_slack.calls("chat.update")]
    assert "attached file" in all_text(first["blocks"])
    head = all_text(corrected["blocks"])  # the head no longer promises a file that is not coming
    assert "attached file" not in head and "follows in full in the next messages" in head
    assert_within_limits(corrected)


def test_a_60k_brief_is_one_summary_within_limits_plus_the_whole_brief_as_a_file_or_pages(fake_slack):
    from bot.delivery import BriefTarget
    from briefbot.answering.brief import SECTIONS
    from tests.bot.test_brief_command import huge_brief

    brief = huge_brief("Trade and transport")
    markdown = brief.to_markdown()
    assert len(markdown) > 60_000
    target = BriefTarget(
        client_for(fake_slack),
        channel="C1",
        user="U0ASKER",
        response_url=ResponseUrl(fake_slack.response_url("b")),
        topic=brief.topic,
    )
    target.start()
    target.finish(brief)
    assert_within_limits(fake_slack.calls("chat.update")[0].params)
    [uploaded] = fake_slack.uploads.values()
    assert uploaded.decode("utf-8") == markdown  # the whole brief, nothing cut

    fake_slack.script("files.getUploadURLExternal", {"ok": False, "error": "missing_scope"})
    target = BriefTarget(
        client_for(fake_slack),
        channel="C2",
        user="U0ASKER",
        response_url=ResponseUrl(fake_slack.response_url("b2")),
        topic=brief.topic,
    )
    target.start()
    target.finish(brief)
    pages = [c.params for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == "C2"][1:]
    for page in pages:
        assert_within_limits(page)
    text = "\n".join(all_text(p["blocks"]) for p in pages)
    for key, _ in SECTIONS:
        for i in range(6):
            assert text.count(f"({key} {i})") == 1, (key, i)  # every item, once
    # 60 sources with 1000-character URLs do not fit in 10 messages: the cut is said, not silent
    assert len(pages) == 11 and all_text(pages[-1]["blocks"]).startswith("(The brief goes on beyond what fits here")
    summary = [c.params for c in fake_slack.calls("chat.update") if c.params["channel"] == "C2"][-1]
    assert_within_limits(summary)
    assert "The first 10 parts of the full brief follow in this thread" in all_text(summary["blocks"])
    assert "attached file" not in all_text(summary["blocks"])

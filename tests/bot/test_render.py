"""Rendering is pure: hand-built Answers in, Block Kit out, within Slack's limits and escaped."""

from __future__ import annotations

import json

import pytest

from bot import render
from bot.render import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    all_text,
    escape,
    render_answer,
    slack_to_plain,
    source_line,
    split_text,
)
from briefbot.answer import Answer, AnswerSentence, Citation, SourceRef

HOSTILE = "Ping <!channel> and <@U123>, see <http://x|click> & <!here>"


def cite(n: int) -> Citation:
    return Citation(number=n, chunk_id=f"c{n}", source_id=f"{n}.txt", start=0, end=10)


def make_answer(sentences: list[str], sources: int = 2, **kw) -> Answer:
    return Answer(
        question=kw.pop("question", "What was agreed?"),
        sentences=[AnswerSentence(text=t, citations=[cite(i % sources + 1)]) for i, t in enumerate(sentences)],
        sources=[
            SourceRef(
                number=i,
                source_id=f"{i}.txt",
                title=f"Title {i}",
                outlet="Dawn",
                url=f"https://e.com/{i}",
                published="2025-09-10",
            )
            for i in range(1, sources + 1)
        ],
        **kw,
    )


def within_limits(message: render.Message) -> None:
    assert len(message.blocks) <= MAX_BLOCKS
    assert len(message.text) <= render.TEXT_LIMIT
    assert len(all_text(message.blocks)) <= render.MESSAGE_CHARS  # Slack's msg_blocks_too_long
    for block in message.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT
        if block["type"] == "context":
            assert len(block["elements"]) <= render.CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= SECTION_LIMIT for e in block["elements"])


def test_escape_neutralises_mentions_and_links():
    out = escape(HOSTILE)
    assert "<" not in out and ">" not in out
    assert out == "Ping &lt;!channel&gt; and &lt;@U123&gt;, see &lt;http://x|click&gt; &amp; &lt;!here&gt;"


def test_answer_layout_answer_sources_footer_buttons():
    answer = make_answer(["Pakistan and Kazakhstan signed a plan.", "Trade was discussed."])
    [message] = render_answer(answer)
    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["section", "context", "context", "actions"]
    assert (
        message.blocks[0]["text"]["text"] == "• Pakistan and Kazakhstan signed a plan. [1]\n• Trade was discussed. [2]"
    )
    sources = message.blocks[1]["elements"][0]["text"]
    assert sources.splitlines() == [
        "*Sources*",
        "[1] <https://e.com/1|Title 1> · Dawn · 2025-09-10",
        "[2] <https://e.com/2|Title 2> · Dawn · 2025-09-10",
    ]
    assert "Offline summary" in all_text([message.blocks[2]])
    assert [e["value"] for e in message.blocks[3]["elements"]] == [answer.id, answer.id]
    assert message.text.startswith("Pakistan and Kazakhstan signed a plan. [1]")


def test_llm_mode_names_the_model_and_shows_the_note():
    answer = make_answer(["A."], mode="llm", model="gpt-4o-mini", note="Checked <b>twice</b>")
    text = all_text(render_answer(answer)[0].blocks)
    assert "Written by gpt-4o-mini" in text and "Checked &lt;b&gt;twice&lt;/b&gt;" in text


def test_source_without_title_shows_the_file_and_without_url_is_not_linked():
    line = source_line(SourceRef(number=3, source_id="003_abc.txt"))
    assert line == "[3] 003_abc.txt · undated"
    line = source_line(SourceRef(number=1, source_id="a.txt", title="T", url="javascript:alert(1)"))
    assert line == "[1] T · a.txt · undated"


def test_untitled_source_is_named_by_its_dateline_not_its_file():
    line = source_line(SourceRef(number=2, source_id="002_7fc1.txt", dateline="ISLAMABAD", published="2025-09-10"))
    assert line == "[2] Untitled report from Islamabad · 002_7fc1.txt · 2025-09-10"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://e.com/a?b=1&c=2", "<https://e.com/a?b=1&amp;c=2|T>"),
        ("https://e.com/a|<!channel>", "<https://e.com/a%7C%3C!channel%3E|T>"),
        ("https://e.com/a b", "T"),
        ("ftp://e.com/a", "T"),
    ],
)
def test_source_links_cannot_be_forged(url, expected):
    assert render.link(url, "T") == expected


def test_hostile_text_everywhere_is_escaped():
    answer = make_answer([HOSTILE], sources=1, question=HOSTILE, note=HOSTILE)
    answer.sources[0].title = HOSTILE
    answer.sources[0].outlet = HOSTILE
    [message] = render_answer(answer, asked_by="U0ASKER", show_question=True)
    wire = json.dumps(message.blocks) + message.text
    for raw in ("<!channel>", "<@U123>", "<http://x|click>", "<!here>"):
        assert raw not in wire
    assert "<@U0ASKER> asked:" in all_text(message.blocks)  # the only mention is the one we built


def test_asked_by_must_look_like_a_user_id():
    answer = make_answer(["A."])
    text = all_text(render_answer(answer, asked_by="<!channel>", show_question=True)[0].blocks)
    assert text.startswith("Question: ") and "<!channel>" not in text


def test_refusal_looks_like_a_refusal():
    answer = Answer(
        question="GDP of Mars?",
        refused=True,
        refusal="The sources don't say what the GDP of Mars is.",
        related_topics=["Action plan", "Trade <talks>"],
    )
    [message] = render_answer(answer)
    text = all_text(message.blocks)
    assert "The sources don't say what the GDP of Mars is." in text
    assert "Closest topics the sources cover: Action plan; Trade &lt;talks&gt;" in text
    assert "[1]" not in text and "*Sources*" not in text
    assert message.text == "The sources don't say what the GDP of Mars is."


def test_a_60k_character_answer_is_split_within_every_limit():
    sentence = "The delegations reviewed cooperation in trade, energy & transport <in detail>. " * 8
    answer = make_answer([sentence] * 95, sources=40)  # ~60k characters of answer text
    assert len(answer.text) > 60_000
    pages = render_answer(answer)
    assert len(pages) >= 1
    for page in pages:
        within_limits(page)
    body = "\n".join(all_text(p.blocks) for p in pages)
    assert body.count("The delegations reviewed") == 95 * 8  # nothing lost
    assert "[40]" in body  # every source listed
    assert sum(b["type"] == "actions" for p in pages for b in p.blocks) == 1


def test_a_single_huge_sentence_is_cut_at_spaces_never_inside_an_entity():
    huge = ("&&&& word " * 1000).strip()
    pieces = split_text(escape(huge), 3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert all(not p.endswith("&am") and not p.startswith("p;") for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces) == escape(huge).replace(" ", "")
    no_spaces = escape("<" * 5000)
    pieces = split_text(no_spaces, 3000)
    assert all(len(p) <= 3000 and p.startswith("&lt;") and p.endswith("&lt;") for p in pieces)


def test_long_answer_head_fits_one_message():
    answer = make_answer(["x " * 1400] * 200, sources=60)
    head = render.render_head(answer, "full text attached")
    within_limits(head)
    assert "full text attached" in all_text(head.blocks)
    assert head.blocks[-1]["type"] == "actions"


@pytest.mark.parametrize(
    "wire, plain",
    [
        ("<@UBRIEFBOT> What was agreed?", "What was agreed?"),
        ("<@UBRIEFBOT> and on <#C123|trade>?", "and on #trade?"),
        ("<@UBRIEFBOT> did <@U999|amina> say &lt;yes&gt; &amp; no?", "did @amina say <yes> & no?"),
        ("see <https://e.com/x|the report> or <https://e.com/y>", "see the report or https://e.com/y"),
        ("<!channel> news?", "@channel news?"),
        ("   ", ""),
    ],
)
def test_slack_wire_text_becomes_the_question_typed(wire, plain):
    assert slack_to_plain(wire, "UBRIEFBOT") == plain


def test_a_lone_pair_of_asterisks_never_renders_bold():
    """Slack has no escape for `*`: text from a model or a source shows a look-alike instead."""
    assert escape("The *action plan* was signed") == "The \u2217action plan\u2217 was signed"
    [message] = render_answer(make_answer(["The *action plan* was signed."]))
    text = all_text(message.blocks)
    assert "*action plan*" not in text and "\u2217action plan\u2217" in text
    assert "*Sources*" in text  # our own formatting stays


def test_key_points_are_a_list_under_the_lead():
    answer = make_answer(["They signed an action plan of cooperation.", "It covers trade and defence.",
                          "Regular consultations are set up."])  # fmt: skip
    answer.sentences[0].kind = "lead"
    for s in answer.sentences[1:]:
        s.kind = "point"
    message = render_answer(answer)[0]
    body = all_text(message.blocks)
    lead_at = body.index("They signed an action plan of cooperation. [1]")
    assert "• They signed" not in body, "the lead is a sentence, not a list item"
    assert body.index("• It covers trade and defence. [2]") > lead_at
    assert "• Regular consultations are set up. [1]" in body
    text = render.plain_text(answer)
    assert "They signed an action plan of cooperation. [1]\n  - It covers trade and defence. [2]\n  - Regular" in text

"""Cleaning scraped article text: boilerplate out, metadata lines into DocumentMeta, body kept."""

from __future__ import annotations

import pytest

from retrieval.text.cleaning import clean_article, parse_date
from tests.conftest import SEEDS

SEED_000 = "000_69c16f647ae5ebe9.txt"
SEED_002 = "002_7fc1add390062dda.txt"
BOILERPLATE = [
    "(With application input)", "Leave a Comment", "Your email address will not be published",
    "Required fields are marked", "Scroll to Top", "date 2025-09-10",
]  # fmt: skip


def _seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def _real_paragraphs(raw: str) -> list[str]:
    """The seed's article paragraphs as written (long lines), less a leading date/dateline prefix."""
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if len(line.split()) > 15:
            out.append(line.removeprefix("date 2025-09-10 ").removeprefix("ISLAMABAD: "))
    return out


def test_seed_000_title_dateline_no_date_and_boilerplate_gone():
    raw = _seed(SEED_000)
    meta, body = clean_article(raw, SEED_000)
    assert meta.source_id == SEED_000
    assert meta.title == "Action plan to stimulate links with Kazakhstan"
    assert meta.published == "" and meta.outlet == "" and meta.url == ""
    assert meta.dateline == "ISLAMABAD"
    for phrase in BOILERPLATE + ["Islamabad:", meta.title]:
        assert phrase not in body
    assert body.split("\n\n") == _real_paragraphs(raw)
    assert len(body.split("\n\n")) == 16


def test_seed_002_date_dateline_stray_headline_dropped():
    raw = _seed(SEED_002)
    meta, body = clean_article(raw, SEED_002)
    assert (meta.title, meta.published, meta.dateline) == ("", "2025-09-10", "ISLAMABAD")
    assert "Kazakhstan DPM/FM arrives in Islamabad" in raw
    assert "Kazakhstan DPM/FM arrives in Islamabad" not in body
    assert body.startswith("Pakistan and Kazakhstan on Tuesday signed an action plan")
    assert "ISLAMABAD" not in body and "date 2025" not in body
    assert body.split("\n\n") == _real_paragraphs(raw)


def test_boilerplate_on_the_same_line_as_the_text_is_stripped_and_the_text_kept():
    raw = "Scroll to Top date 2025-09-10 ISLAMABAD: Pakistan and Kazakhstan signed a plan on Tuesday.\n"
    meta, body = clean_article(raw, "x.txt")
    assert (meta.published, meta.dateline) == ("2025-09-10", "ISLAMABAD")
    assert body == "Pakistan and Kazakhstan signed a plan on Tuesday."


def test_trailing_boilerplate_on_a_text_line_is_stripped():
    raw = "The talks ended on a positive note. Share this: \n\nThey will meet again in May. Leave a Comment\n"
    _, body = clean_article(raw, "x.txt")
    assert body == "The talks ended on a positive note.\n\nThey will meet again in May."


PAGE_FURNITURE = """Home » World » Asia
Share this:
Click to share on Twitter (Opens in new window)
Share on Facebook
Share on WhatsApp
Print
Related: Kazakhstan DPM/FM arrives in Islamabad
Read more: Pakistan, Uzbekistan sign rail deal
Also read | Trade talks resume
Sign up for our daily newsletter to get the news in your inbox.
We use cookies to improve your experience on our site. By continuing you accept our cookie policy.
Accept all cookies
Advertisement
(With input from APP)
(Reporting by Asif Shahzad; Editing by Jane Doe)
Copyright © 2025 Daily Example. All rights reserved.
Tags: Pakistan, Kazakhstan
Photo: APP
Leave a Reply
Name *
Email *
Website
Save my name, email, and website in this browser for the next time I comment.
Post Comment
Your email address will not be published. Required fields are marked *
Scroll to Top"""


def test_page_furniture_lines_are_removed_and_the_article_kept():
    article = "The two ministers met in Islamabad on Tuesday.\n\nThey agreed to expand trade."
    raw = "\n\n".join(line for line in PAGE_FURNITURE.splitlines()) + "\n\n" + article + "\n" + PAGE_FURNITURE
    _, body = clean_article(raw, "x.txt")
    assert body == article


@pytest.mark.parametrize(
    "sentence",
    [
        "He declined to leave a comment on the agreement.",
        "Print media in Pakistan covered the visit widely.",
        "Related-party transactions rose five percent last year.",
        "Share prices rose on the Karachi exchange after the talks.",
        "Copyright reform was also debated in parliament on Tuesday.",
        "With input from farmers, the ministry drafted a new plan for wheat exports to Central Asia.",
        "Image-conscious officials avoided the press after the meeting.",
    ],
)
def test_prose_that_resembles_boilerplate_is_kept(sentence):
    raw = f"The meeting was held on Monday.\n\n{sentence}\n\nIt ended at noon."
    _, body = clean_article(raw, "x.txt")
    assert sentence in body


@pytest.mark.parametrize(
    "line,iso",
    [
        ("date 2025-09-10", "2025-09-10"),
        ("Published: September 10, 2025", "2025-09-10"),
        ("Published on Sept. 10, 2025", "2025-09-10"),
        ("10 Sep 2025", "2025-09-10"),
        ("2025-09-10T08:30:00+05:00", "2025-09-10"),
        ("Posted on Wednesday, September 10th, 2025 at 9:30 am PKT", "2025-09-10"),
        ("Dated: 10th of September 2025", "2025-09-10"),
    ],
)
def test_date_lines_become_iso_dates_and_leave_the_body(line, iso):
    raw = f"Action plan signed\n\n{line}\n\nISLAMABAD: Pakistan and Kazakhstan signed an action plan on Tuesday."
    meta, body = clean_article(raw, "x.txt")
    assert meta.published == iso
    assert meta.title == "Action plan signed" and meta.dateline == "ISLAMABAD"
    assert body == "Pakistan and Kazakhstan signed an action plan on Tuesday."


def test_published_in_footer_gives_date_and_outlet():
    raw = "Pakistan and Kazakhstan signed an action plan on Tuesday.\n\nPublished in Dawn, September 11th, 2025\n"
    meta, body = clean_article(raw, "x.txt")
    assert (meta.published, meta.outlet) == ("2025-09-11", "Dawn")
    assert body == "Pakistan and Kazakhstan signed an action plan on Tuesday."


def test_an_updated_date_is_used_only_when_there_is_no_other():
    text = "Pakistan and Kazakhstan signed an action plan on Tuesday."
    only_updated, _ = clean_article(f"Updated: 12 Sep 2025\n\n{text}", "x.txt")
    both, _ = clean_article(f"Updated: 12 Sep 2025\n\nPublished: 10 Sep 2025\n\n{text}", "x.txt")
    assert (only_updated.published, both.published) == ("2025-09-12", "2025-09-10")


def test_impossible_dates_are_not_invented():
    meta, _ = clean_article("date 2025-13-45\n\nThe talks ended on Tuesday.", "x.txt")
    assert meta.published == ""
    assert parse_date("no date here") == "" and parse_date("on 31 February 2025") == ""
    assert parse_date("Sept. 9, 2025") == "2025-09-09"


def test_nothing_found_stays_empty():
    raw = "Pakistan and Kazakhstan signed an action plan on Tuesday. The visit lasted two days.\n"
    meta, body = clean_article(raw, "plain.txt")
    assert (meta.title, meta.outlet, meta.url, meta.published, meta.dateline) == ("", "", "", "", "")
    assert body == raw.strip()


@pytest.mark.parametrize(
    "head,dateline",
    [
        ("ISLAMABAD, Sept 10 (Reuters) - ", "ISLAMABAD"),
        ("NEW YORK: ", "NEW YORK"),
        ("LAHORE (APP): ", "LAHORE"),
        ("PAKISTAN - ", ""),  # a dash without a date or agency: a headline, not a dateline
    ],
)
def test_dateline_forms(head, dateline):
    meta, body = clean_article(f"{head}Pakistan and Kazakhstan signed a plan on Tuesday.", "x.txt")
    assert meta.dateline == dateline
    assert body.endswith("Pakistan and Kazakhstan signed a plan on Tuesday.")
    assert body.startswith("Pakistan") == bool(dateline)


def test_front_matter_wins_over_text():
    raw = "Title in the text\n\ndate 2025-09-10\n\nISLAMABAD: The talks ended on Tuesday."
    front = {"Title": "Front title", "source": "Dawn", "url": "https://dawn.example/1", "date": "11 Sep 2025"}
    meta, body = clean_article(raw, "x.md", front)
    assert (meta.title, meta.outlet, meta.url, meta.published) == (
        "Front title", "Dawn", "https://dawn.example/1", "2025-09-11"
    )  # fmt: skip
    assert meta.dateline == "ISLAMABAD"  # not in the front matter: the text's own stays
    assert body == "The talks ended on Tuesday."


def test_stray_headlines_dropped_but_short_real_sentences_and_lists_kept():
    raw = (
        "The plan was signed on Tuesday.\n\n"
        "Kazakhstan DPM/FM arrives in Islamabad\n\n"
        "It works.\n\n"
        "The plan covers:\n\n- trade and energy\n- culture and tourism\n\n"
        "Officials said more talks would follow in November."
    )
    _, body = clean_article(raw, "x.txt")
    assert body.split("\n\n") == [
        "The plan was signed on Tuesday.",
        "It works.",
        "The plan covers:",
        "trade and energy",
        "culture and tourism",
        "Officials said more talks would follow in November.",
    ]


def test_hard_wrapped_paragraphs_are_joined_and_a_heading_above_one_is_dropped():
    raw = (
        "Background\n"
        "The two sides discussed ways to boost trade and investment, cooperation\n"
        "in agriculture, information technology, education and culture. Talks\n"
        "Resumed in Astana was the headline of a local paper that same week.\n"
    )
    _, body = clean_article(raw, "x.txt")
    assert body == (
        "The two sides discussed ways to boost trade and investment, cooperation "
        "in agriculture, information technology, education and culture. Talks "
        "Resumed in Astana was the headline of a local paper that same week."
    )


def test_one_paragraph_per_line_without_blank_lines():
    first = "Pakistan and Kazakhstan on Tuesday signed an action plan of cooperation as the two countries resolved to deepen ties."
    second = (
        "The action plan provides a structured roadmap for intensified engagement in diverse fields, including trade."
    )
    raw = f"{first}\nKazakhstan DPM/FM arrives in Islamabad\n{second}\n"
    _, body = clean_article(raw, "x.txt")
    assert body == f"{first}\n\n{second}"


def test_whitespace_and_invisible_characters_are_normalised():
    raw = "\ufeffThe\u00a0talks   ended\u200b on Tuesday.\r\n\r\n\r\n\tThey resume in May.  \r\n"
    _, body = clean_article(raw, "x.txt")
    assert body == "The talks ended on Tuesday.\n\nThey resume in May."


def test_only_boilerplate_leaves_an_empty_body():
    meta, body = clean_article(PAGE_FURNITURE, "x.txt")
    assert body == "" and meta.source_id == "x.txt"

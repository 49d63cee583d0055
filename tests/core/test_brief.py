"""The pre-visit brief over the seed articles: structure, citations that hold, dates in order."""

from __future__ import annotations

import re

import pytest

from briefbot.answering.brief import NOTHING, SECTIONS
from briefbot.errors import InvalidQuestion
from briefbot.evaluation.nuggets import brief_body, brief_items, duplicate_pairs, same_content, word_count
from retrieval.text.terms import terms


@pytest.fixture(scope="module")
def brief(seed_service):
    return seed_service.brief("President Tokayev's visit to Pakistan")


@pytest.fixture(scope="module")
def chunks(seed_service):
    return {p.chunk_id: p for p in seed_service.passages()}


def _items(brief):
    return [(s.key, i) for s in brief.sections for i in s.items]


def test_every_section_is_present_in_order(brief):
    assert [s.key for s in brief.sections] == [k for k, _ in SECTIONS]
    markdown = brief.to_markdown()
    for _, title in SECTIONS + [("sources", "Sources")]:
        assert f"## {title}" in markdown
    assert not brief.empty
    for key in ("bottom_line", "agreed", "cooperation", "people", "timeline", "open_items"):
        assert brief.section(key).items, f"{key} is empty"


def test_every_item_cites_a_stored_chunk_that_supports_it(brief, chunks):
    numbers = {s.number for s in brief.sources}
    for key, item in _items(brief):
        assert item.citations, f"uncited item in {key}: {item.text}"
        for c in item.citations:
            assert c.number in numbers
            chunk = chunks[c.chunk_id]
            assert c.source_id == chunk.meta.source_id
            assert chunk.start <= c.start < c.end <= chunk.end
            supported = set(terms(chunk.text))
            quoted = set(terms(c.quote))
            assert len(quoted & supported) >= 0.8 * len(quoted), f"{c.quote!r} not in its chunk"
        if key != "differences":  # those quote two wordings; the others state what they cite
            own = set(terms(item.text))
            assert any(len(own & set(terms(c.quote))) >= 0.5 * len(own) for c in item.citations)


def test_timeline_is_in_date_order_and_has_2003_and_the_november_visit(brief):
    items = brief.section("timeline").items
    labels = [i.group for i in items]
    assert any("2003" in label for label in labels)
    # the November visit: on the timeline, or dated on its bullet in another section
    dated = [(i.group, i.text) for i in items] + [(i.note, i.text) for _, i in _items(brief) if i.note]
    assert any("November" in label and "visit" in text.lower() for label, text in dated)
    from briefbot.answering.dates import find_dates

    keys = []
    for item in items:
        mention = next(d for d in find_dates(item.text, "2025-09-10") if d.year or d.month)
        keys.append((mention.year or 0, mention.month or 0))
    assert keys == sorted(keys)
    assert labels.index(next(label for label in labels if "2003" in label)) == 0


def test_relative_dates_are_resolved_against_the_article_date_and_say_so(brief):
    tuesday = [
        i for _, i in _items(brief) if "Tuesday" in i.text and (i.group == "2025-09-09" or "2025-09-09" in i.note)
    ]
    assert tuesday, "the Tuesday signing is dated 2025-09-09"
    assert "2025-09-10" in tuesday[0].note


def test_open_items_name_the_agreements_to_finalise(brief):
    # the first open item may be the bottom line's (each point is said once): the two together
    open_items = brief.section("open_items").items
    text = " ".join(i.text for i in [*brief.section("bottom_line").items, *open_items]).lower()
    assert "finali" in text and any(w in text for w in ("mou", "memoranda", "agreements"))
    assert open_items and "finali" in open_items[0].text.lower(), "a really open item comes first"


def test_no_item_says_what_another_says(brief):
    """Bottom line included: two items sharing most of their content words are one point said twice."""
    items = [i.text for _, i in _items(brief)]
    assert len(items) == len(set(items))
    assert duplicate_pairs(items) == 0, [(a, b) for a in items for b in items if a < b and same_content(a, b)]


@pytest.fixture(scope="module")
def seed_brief(seed_service):
    return seed_service.brief("Kazakhstan")


def test_the_seed_brief_reads_in_two_minutes_and_covers_its_key_points(seed_brief):
    markdown = seed_brief.to_markdown()
    body = brief_body(markdown)
    assert word_count(body) <= 600
    assert duplicate_pairs(brief_items(markdown)) == 0
    low = body.lower()
    assert "consular" in low and ("defence" in low or "defense" in low), "the action plan's scope"
    assert "regular consultations" in low
    assert "astana" in low, "the delegation Pakistan proposed to send to Astana"
    assert "vice ministers for it and agriculture" in low or "vice-ministers of it and agriculture" in low
    assert "2025-09-09" in body and "2003" in body
    assert not any(re.match(r"(?:- )?(?:It|He) (?:provides|also institutes)", line) for line in body.splitlines())


def test_the_full_evidence_comes_after_the_sources(seed_brief):
    full = seed_brief.to_markdown(full=True)
    assert full.startswith(seed_brief.to_markdown().rstrip())
    after = full.split("## Sources", 1)[1]
    assert seed_brief.extra and all(f"## {s.title}" in after for s in seed_brief.extra)


def test_near_duplicates_from_two_outlets_appear_once_with_both_citations(brief):
    both = [i for _, i in _items(brief) if len({c.source_id for c in i.citations}) == 2]
    assert both, "expected at least one statement carried by both articles"


def test_garbled_translation_is_noted_after_the_sources_not_in_the_brief(brief):
    assert not any("garbled" in i.text for i in brief.section("differences").items)
    notes = [i for s in brief.extra if s.key == "wording" for i in s.items]
    assert any("garbled" in i.text for i in notes)
    assert "garbled" not in brief_body(brief.to_markdown())
    assert "garbled" in brief.to_markdown(full=True).split("## Sources", 1)[1]


def test_topic_without_evidence_gives_a_short_nothing_brief(seed_service):
    brief = seed_service.brief("Antarctic fisheries quotas")
    assert brief.empty and not brief.sources
    assert brief.to_markdown().count(NOTHING) == len(SECTIONS)


def test_empty_topic_is_a_usage_error(seed_service):
    with pytest.raises(InvalidQuestion):
        seed_service.brief("   ")

"""PDF and Word sources: from a folder, from a link; a scan without text is refused; citations of a
PDF name the page, in the CLI and in Slack."""

from __future__ import annotations

import pytest

from bot.render import all_text, render_answer
from briefbot.cli import format_answer
from briefbot.intake import SourceNotAdded
from tests import documents
from tests.intake import content
from tests.intake.conftest import stored

SCHOLARSHIPS = "How many Pakistani students will receive Kazakh government scholarships every year?"
AIR_ROUTE = "Which direct air route did Kazakhstan and Pakistan agree to open?"
TARIFFS = "What tariff does Uzbek cotton yarn pay in Pakistan under the preferential trade agreement?"


def test_a_two_page_pdf_link_is_ingested_and_each_answer_cites_its_page(site, intaking):
    added = intaking.intake.add_link(site.url("/statement.pdf"))
    meta = added.meta
    assert meta.kind == "pdf" and meta.url == site.url("/statement.pdf")
    assert meta.title == "Joint Statement: visit of the Foreign Minister of Kazakhstan"
    assert meta.author == "Ministry of Foreign Affairs" and meta.outlet == "127.0.0.1"

    on_page_2 = intaking.service.ask(SCHOLARSHIPS)
    assert not on_page_2.refused and "two hundred" in on_page_2.text
    first = on_page_2.sentences[0].citations[0]
    assert first.page == 2
    ref = on_page_2.sources[0]
    assert ref.pages == [2] and ref.kind == "pdf"
    assert "· PDF p. 2" in format_answer(on_page_2)
    assert "PDF p. 2" in all_text(render_answer(on_page_2)[0].blocks)

    on_page_1 = intaking.service.ask(AIR_ROUTE)
    assert not on_page_1.refused and "Almaty and Lahore" in on_page_1.text
    assert on_page_1.sentences[0].citations[0].page == 1
    assert 1 in on_page_1.sources[0].pages


def test_pdf_and_word_files_in_a_folder_are_ingested_beside_text(tmp_path, intaking):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "statement.pdf").write_bytes(content.statement_pdf())
    (folder / "note.docx").write_bytes(content.note_docx())
    (folder / "scan.pdf").write_bytes(documents.scanned_pdf())
    report = intaking.service.ingest([folder], progress=False)
    assert report.files_indexed == 2 and report.files_failed == 1
    assert any("scan.pdf: is a PDF with no text layer" in w and "OCR" in w for w in report.warnings)
    rows = {r.meta.source_id: r for r in intaking.service.sources()}
    assert set(rows) == {"statement.pdf", "note.docx"}
    assert rows["note.docx"].meta.kind == "docx" and rows["note.docx"].meta.author == "Trade Policy Wing"
    assert rows["note.docx"].meta.title == "Briefing note: the preferential trade agreement with Uzbekistan"
    answer = intaking.service.ask(TARIFFS)
    assert not answer.refused and "five per cent" in answer.text
    assert answer.sources[0].source_id == "note.docx"
    assert "· Word document" in format_answer(answer)
    pages = intaking.service.ask(SCHOLARSHIPS)
    assert pages.sources[0].source_id == "statement.pdf" and pages.sources[0].pages == [2]


def test_a_word_link_is_ingested_and_cited_by_its_link(site, intaking):
    added = intaking.intake.add_link(site.url("/note.docx"))
    assert added.meta.kind == "docx" and added.meta.url == site.url("/note.docx")
    answer = intaking.service.ask(TARIFFS)
    assert "five per cent" in answer.text and answer.sources[0].url == site.url("/note.docx")
    assert f"<{site.url('/note.docx')}|Briefing note" in all_text(render_answer(answer)[0].blocks)


def test_a_scanned_pdf_without_text_is_refused_with_what_to_do_and_nothing_is_stored(site, intaking):
    with pytest.raises(SourceNotAdded, match=r"no text layer \(2 pages of images: a scan\?\); run OCR"):
        intaking.intake.add_link(site.url("/scan.pdf"))
    assert intaking.service.count() == 0


def test_a_damaged_pdf_or_docx_is_refused_and_nothing_is_stored(intaking):
    broken = content.statement_pdf()[:300]
    with pytest.raises(SourceNotAdded, match="not a readable PDF|no pages|no text layer"):
        intaking.intake.add_file(broken, "broken.pdf", source_id="slack://file/F1")
    with pytest.raises(SourceNotAdded, match="not a readable Word document"):
        intaking.intake.add_file(b"PK\x03\x04 not really a zip", "broken.docx", source_id="slack://file/F2")
    with pytest.raises(SourceNotAdded, match="not 'xlsx' files"):
        intaking.intake.add_file(b"data", "sheet.xlsx", source_id="slack://file/F3")
    assert intaking.service.count() == 0
    assert stored(intaking.service, "slack://file/F1") == 0


def test_page_starts_follow_a_sentence_over_the_page_break():
    from retrieval.sources.loaders import document_from_bytes

    data = documents.pdf([
        ["The ministers met in Astana on Monday and agreed on a new", "freight route across the Caspian Sea."],
        ["They also signed a memorandum on banking, and the central banks", "will connect their payment systems."],
    ])  # fmt: skip
    doc = document_from_bytes(data, "pdf", source_id="a.pdf", label="a.pdf")
    assert len(doc.pages) == 2 and doc.pages[0] == (0, 1)
    second = doc.pages[1][0]
    assert doc.text[second:].startswith("They also signed")


def test_a_source_whose_write_stops_half_way_leaves_no_chunks(intaking):
    """The embedder fails on the second batch of a long document, after the first was stored:
    the chunks already written are taken back."""
    from retrieval.ingest import Ingestor, SourceDocument
    from retrieval.sources.loaders import document_from_bytes

    real = intaking.service.ingestor.embedder

    class FailsOnSecondBatch:
        name, dimension = real.name, real.dimension

        def __init__(self):
            self.calls = 0

        def embed(self, texts):
            self.calls += 1
            if self.calls == 2:
                raise MemoryError("out of memory while embedding")
            return real.embed(texts)

    ingestor = Ingestor(intaking.service.store, FailsOnSecondBatch(), batch_size=2)
    text = "\n\n".join(
        f"Paragraph {i} says the ministers met in city number {i} on a Monday. It rained." for i in range(30)
    )
    doc = document_from_bytes(text.encode(), "text", source_id="https://example.org/long", label="long")
    with pytest.raises(MemoryError):
        ingestor.ingest_documents([SourceDocument.loaded(doc)])
    assert intaking.service.count() == 0

"""PDF and Word files that would take the process down: a zip bomb inside a .docx is refused by
its members' declared sizes before anything is inflated (checked in a child capped at 1 GB of
address space), a PDF whose text takes too long to extract is stopped at the parse limit, and
a document's own title, however long, is stored short."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import textwrap
import time
import zipfile

import pytest

from briefbot.settings import PROJECT_ROOT
from retrieval.errors import BadSourceFile
from retrieval.sources import office
from retrieval.sources.loaders import document_from_bytes
from tests import documents

CAP = 1 << 30


def docx_bomb(inflated: int = 1 << 30) -> bytes:
    """A real .docx whose word/document.xml is `inflated` bytes of paragraphs (about 7 MB zipped)."""
    base = documents.docx(["A short note on the rail talks."], title="Note")
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                bomb.writestr(info.filename, source.read(info.filename))
        with bomb.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(source.read("word/document.xml").split(b"<w:body>")[0] + b"<w:body>")
            block = b"<w:p><w:r><w:t>lorem ipsum dolor</w:t></w:r></w:p>" * 20_000
            for _ in range(inflated // len(block)):
                member.write(block)
            member.write(b"</w:body></w:document>")
    return out.getvalue()


def test_a_docx_zip_bomb_is_refused_by_its_members_sizes_in_bounded_memory(tmp_path):
    """R5: a 3 MB .docx holding 3 GB of document.xml reached 4.27 GB RSS, then MemoryError."""
    path = tmp_path / "bomb.docx"
    path.write_bytes(docx_bomb())
    assert path.stat().st_size < 20_000_000  # under the file size cap: only the unzipped size tells
    code = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP}))
        from pathlib import Path
        from retrieval.errors import BadSourceFile
        from retrieval.sources.loaders import load_document
        try:
            load_document(Path({str(path)!r}), Path({str(tmp_path)!r}))
            print("read")
        except BadSourceFile as exc:
            print(exc)
        print("RSS", int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) // 1024)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    message, rss = result.stdout.strip().splitlines()[-2:]
    assert "bomb.docx: would unzip to" in message and "word/document.xml" in message and "zip bomb" in message
    assert int(rss.split()[1]) < 1024


def test_a_pdf_whose_text_takes_too_long_to_extract_is_stopped_at_the_limit(monkeypatch):
    """R7: text extraction grows faster than linear (a 50 MB text layer ran past 300 s); a PDF is
    now read in a worker process that is stopped at the parse limit (2 s here, 60 s by default)."""
    lines = ["The delegation discussed rail, trade and energy cooperation in detail today."] * 20_000
    data = documents.pdf([lines])  # a 1.5 MB text layer: several seconds of extraction
    monkeypatch.setattr(office, "PARSE_SECONDS", 2.0)
    started = time.monotonic()
    with pytest.raises(BadSourceFile, match=r"slow\.pdf: took over 2 s to read as a PDF \(stopped\)"):
        document_from_bytes(data, "pdf", source_id="slow.pdf", label="slow.pdf")
    assert time.monotonic() - started < 30  # stopped, not run to the end (a hang is the failure)


def test_a_pdf_and_a_docx_still_read_in_their_worker():
    pdf = document_from_bytes(
        documents.pdf([["The rail link to Termez opens in June, the ministry said on Monday."]], title="Rail"),
        "pdf", source_id="rail.pdf", label="rail.pdf",
    )  # fmt: skip
    assert "Termez" in pdf.text and pdf.meta.title == "Rail"
    word = document_from_bytes(
        documents.docx(["The ferry to Gwadar starts in May, officials said on Tuesday."], author="Desk"),
        "docx", source_id="ferry.docx", label="ferry.docx",
    )  # fmt: skip
    assert "Gwadar" in word.text and word.meta.author == "Desk"


def test_a_five_megabyte_title_is_stored_short():
    """R18: a DOCX with a 5 MB title stored it on every chunk (a 49 MB store) and printed it in answers."""
    rng = random.Random(21)  # words that do not compress away (a repeated word would look like a zip bomb)
    title = "Briefing " + " ".join("".join(rng.choices("abcdefghij", k=7)) for _ in range(650_000))
    short = documents.docx(["The ferry to Gwadar starts in May, officials said on Tuesday."], title="T", author="A")
    source = zipfile.ZipFile(io.BytesIO(short))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as long:  # python-docx itself writes at most 255
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                part = part.replace(b">T</dc:title>", f">{title}</dc:title>".encode())
                part = part.replace(b">A</dc:creator>", f">{title}</dc:creator>".encode())
            long.writestr(info.filename, part)
    data = out.getvalue()
    assert len(zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml")) > 2 * 5_000_000  # title and author
    doc = document_from_bytes(data, "docx", source_id="long.docx", label="long.docx")
    assert doc.meta.title.startswith("Briefing ") and len(doc.meta.title) <= 300
    assert len(doc.meta.author) <= 300


def aes_encrypted_pdf() -> bytes:
    """A PDF encrypted with AES-256 (its encryption dictionary; pypdf needs `cryptography` to open it)."""
    encrypt = (
        "<< /Filter /Standard /V 5 /R 6 /Length 256 /CF << /StdCF << /AuthEvent /DocOpen /CFM /AESV3 /Length 32 >> >> "
        f"/StmF /StdCF /StrF /StdCF /O <{'11' * 48}> /U <{'22' * 48}> /OE <{'33' * 32}> /UE <{'44' * 32}> /P -4 "
        f"/Perms <{'55' * 16}> >>"
    )
    objects = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        b"<< /Producer (an office suite) >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] >>",
        encrypt.encode(),
    ]
    trailer = b"/Info 2 0 R /Encrypt 5 0 R /ID [<" + b"66" * 16 + b"> <" + b"66" * 16 + b">] >>"
    return documents._pdf(objects).replace(b"/Info 2 0 R >>", trailer)


def test_an_aes_encrypted_pdf_is_said_to_be_encrypted():
    with pytest.raises(BadSourceFile) as refused:
        document_from_bytes(aes_encrypted_pdf(), "pdf", source_id="secret.pdf", label="secret.pdf")
    message = str(refused.value)
    assert "secret.pdf: is an encrypted (password-protected) PDF" in message and "cryptography" not in message

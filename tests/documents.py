"""Small PDF and Word documents made in the test run (no binary fixtures in the repo).

`pdf(pages)` writes a real PDF 1.4 with a text layer (Helvetica, one line per string), `scanned_pdf()`
one whose pages are only images (as a scanner makes them), `docx(...)` a Word file by python-docx.
"""

from __future__ import annotations

import io
import zlib


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 2 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


def pdf(pages: list[list[str]], *, title: str = "", author: str = "") -> bytes:
    """A PDF whose page i shows the lines pages[i], top to bottom."""
    n = len(pages)
    # 1 catalog, 2 info, 3 pages, 4 font, then (page, content) pairs
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(n))
    info = f"<< /Title ({_escape(title)}) /Author ({_escape(author)}) /Producer (briefbot tests) >>"
    objects = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        info.encode("latin-1"),
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
        for line in lines:
            ops.append(f"({_escape(line)}) Tj T*")
        ops.append("ET")
        content = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
            f"/Contents {6 + 2 * i} 0 R >>".encode()
        )
        objects.append(_stream(content))
    return _pdf(objects)


def scanned_pdf(pages: int = 2) -> bytes:
    """A PDF of page-sized grey images and no text at all, as a scanner without OCR makes it."""
    width, height = 64, 80
    pixels = zlib.compress(bytes((x * 3 + y) % 256 for y in range(height) for x in range(width)))
    kids = " ".join(f"{4 + 3 * i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        b"<< /Producer (a scanner) >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
    ]
    for i in range(pages):
        content, image = 5 + 3 * i, 6 + 3 * i  # the page itself is object 4 + 3 * i
        objects.append(
            f"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 {image} 0 R >> >> "
            f"/Contents {content} 0 R >>".encode()
        )
        objects.append(_stream(b"q 612 0 0 792 0 0 cm /Im1 Do Q"))
        objects.append(
            _stream(
                pixels,
                f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
                "/BitsPerComponent 8 /Filter /FlateDecode ",
            )
        )
    return _pdf(objects)


def docx(
    paragraphs: list[str], *, title: str = "", author: str = "", heading: str = "", table: list[list[str]] | None = None
) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()

"""The reader loads pages and text pages by bare PDFium calls (`pdfium.open_page`, `open_textpage`):
on every page of the test and corpus PDFs, turned ones included, they give the media box, the
/Rotate and the characters pypdfium2's own page objects give."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from pipeline.read.pdf.pdfium import (
    close_page,
    close_textpage,
    media_box,
    open_page,
    open_textpage,
    rotation,
)

ROOT = Path(__file__).resolve().parents[2]
PDFS = [
    p
    for p in sorted((ROOT / "tests" / "fixtures").rglob("*.pdf"))
    + sorted((ROOT.parent / "shared" / "corpus").rglob("*.pdf"))
    if p.name != "encrypted.pdf"
]


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.name)
def test_bare_pages_read_as_pypdfium2_pages(path: Path) -> None:
    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            bare = open_page(doc, i)
            bare_text = open_textpage(bare)
            try:
                assert media_box(bare) == page.get_mediabox()
                assert rotation(bare) == page.get_rotation()
                count = pdfium_c.FPDFText_CountChars(bare_text.raw)
                assert count == textpage.count_chars()
                units = (ctypes.c_ushort * (count + 1))()
                pdfium_c.FPDFText_GetText(bare_text.raw, 0, count, units)
                text = ctypes.string_at(units, 2 * count).decode("utf-16-le", "replace")
                assert text == textpage.get_text_range(0, count)
            finally:
                close_textpage(bare_text)
                close_page(bare)
                textpage.close()
                page.close()
    finally:
        doc.close()


def test_turned_pages_are_among_them() -> None:
    """The pages the check above covers include each /Rotate the fixtures hold (0, 90 and 270)."""
    turns = set()
    for path in PDFS:
        doc = pdfium.PdfDocument(path.read_bytes())
        for i in range(len(doc)):
            bare = open_page(doc, i)
            turns.add(rotation(bare))
            close_page(bare)
        doc.close()
    assert turns == {0, 90, 270}

"""Stage 1: bytes of one file → `Source` (folded lines with their line and page numbers).

The only stage that knows about file formats and encodings. Failures raise `ExtractionError`
with an `error_kind` of the contract and one sentence a person can act on.
"""

from __future__ import annotations

from pipeline.model import PDF_SUFFIXES, TEXT_SUFFIXES, ExtractionError, LayoutHints, Source
from pipeline.read.pdf import read_pdf
from pipeline.read.text import read_text


def read_bytes(data: bytes, source_path: str, hints: LayoutHints) -> Source:
    """Dispatch on the file name; a PDF is recognised by its magic bytes too. `hints` (the document
    types' table headers and sheet labels) are for the PDF reader."""
    lower = source_path.lower()
    if lower.endswith(PDF_SUFFIXES) or data[:5] == b"%PDF-":
        return read_pdf(data, source_path, hints)
    if lower.endswith(TEXT_SUFFIXES):
        return read_text(data, source_path)
    raise ExtractionError(
        "not_a_packet", f"{source_path}: is not a .pdf, .txt or .md file; export the packet as PDF or text."
    )

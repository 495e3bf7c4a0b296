"""Stage 1: bytes of one file → `Source` (folded lines with their line and page numbers).

The only stage that knows about file formats and encodings. Failures raise `ExtractionError`
with an `error_kind` of the contract and one sentence a person can act on.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from typing import NamedTuple

from pipeline.normalise import fold

TEXT_SUFFIXES = (".txt", ".md", ".text", ".markdown")
PDF_SUFFIXES = (".pdf",)


class ExtractionError(Exception):
    """A file that cannot become records; `kind` is the contract's `error_kind`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class Line(NamedTuple):
    no: int  # 1-based line number in the decoded text (for PDF: in the extracted text)
    text: str  # NFKC-folded
    page: int | None  # 1-based page number, PDF only


@dataclass
class Source:
    source_path: str
    sha256: str
    source_format: str  # "pdf" | "text"
    encoding: str | None
    page_count: int | None
    lines: list[Line] = field(default_factory=list)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Bytes → (text, encoding): BOMs first, then strict UTF-8, then CP932; never a silent mojibake."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ExtractionError(
                "unreadable", f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16."
            ) from exc
    # UTF-16 without a BOM: Japanese text in it has a NUL in every other byte of ASCII runs.
    if len(data) >= 4 and data.count(b"\x00") > len(data) // 4:
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text):
                return text, enc
        raise ExtractionError("unreadable", f"{name}: is binary data, not text (it is full of NUL bytes).")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        raise ExtractionError(
            "unreadable", f"{name}: is neither UTF-8, UTF-16 nor Shift_JIS (CP932) text; re-save it as UTF-8."
        ) from None
    if not _looks_like_text(text):
        raise ExtractionError(
            "unreadable", f"{name}: decodes as Shift_JIS but the result is not readable text."
        )
    return text, "cp932"


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for c in text if (ord(c) < 32 and c not in "\t\r\n\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad <= max(2, len(text) // 200)


def split_lines(text: str, page: int | None = None, start_no: int = 1) -> list[Line]:
    return [Line(i, fold(t), page) for i, t in enumerate(text.splitlines(), start=start_no)]


def read_text(data: bytes, source_path: str) -> Source:
    text, encoding = decode_text(data, source_path)
    if "\x00" in text or not _looks_like_text(text):
        raise ExtractionError("unreadable", f"{source_path}: holds binary data, not text.")
    if not text.strip():
        raise ExtractionError("not_a_packet", f"{source_path}: is empty.")
    return Source(source_path, sha256_bytes(data), "text", encoding, None, split_lines(text))


def read_bytes(data: bytes, source_path: str) -> Source:
    """Dispatch on the file name; a PDF is recognised by its magic bytes too."""
    lower = source_path.lower()
    if lower.endswith(PDF_SUFFIXES) or data[:5] == b"%PDF-":
        from pipeline.read_pdf import read_pdf

        return read_pdf(data, source_path)
    if lower.endswith(TEXT_SUFFIXES):
        return read_text(data, source_path)
    raise ExtractionError("not_a_packet", f"{source_path}: is not a .pdf, .txt or .md file.")

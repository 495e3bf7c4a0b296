"""What readers hand to parsers: a file's folded lines with their line and page numbers.

The base of every stage: readers produce `Source`, parsers consume `Line`s, and any stage may
raise `ExtractionError` with the contract's `error_kind` and one sentence a person can act on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

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


def _any_line(text: str) -> bool:
    return True


@dataclass(frozen=True)
class LayoutHints:
    """What the document types tell the PDF reader about the tables they print.

    The reader knows geometry only: whether a row of cells is a case-list header, and which words
    label a detail sheet's rows, is the documents' knowledge, handed down so that one rule (one
    header matcher, one threshold) serves the text parser and the PDF reader alike.
    """

    # cells of one printed row → column index of each field when the row reads as a table header
    header_map: Callable[[list[str]], dict[str, int] | None]
    # every row label a detail sheet may print, spaces removed
    sheet_labels: frozenset[str] = frozenset()
    # a line's text → False only when no cutting of it into cells reads as a header to `header_map`:
    # a test far cheaper than cutting the line every way and reading each (by default, none)
    may_be_header: Callable[[str], bool] = _any_line

"""A corpus text with OCR damage put into chosen lines, extracted: the packets of the OCR tests."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.extract import extract_bytes
from schemas import FileExtraction


def damaged(
    corpus_text: Callable[[str], tuple[str, bytes]], prefix: str, edits: list[tuple[int, str, str]]
) -> FileExtraction:
    """The corpus file with `old` replaced by `new` on line `no` (1-based), each checked to be there."""
    name, data = corpus_text(prefix)
    lines = data.decode("utf-8").split("\n")
    for no, old, new in edits:
        assert lines[no - 1].count(old) == 1, (no, old, lines[no - 1][:80])
        lines[no - 1] = lines[no - 1].replace(old, new)
    return extract_bytes("\n".join(lines).encode("utf-8"), name)

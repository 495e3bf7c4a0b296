"""Stage 3: document types, each a plug-in that knows how its documents look and how to parse them.

This package is the registry (`registry.py`: what a type declares, `register`, the registered
types in order) with the built-in types registered. A new type is a module here that declares a
`DocumentType`, its rules file `rules/documents/<doc_type>.toml`, and one line below.
"""

from __future__ import annotations

from pipeline.documents import council_item, deliberation_list, incident, outsourcing, review_status
from pipeline.documents.registry import (
    DocumentType,
    Parsed,
    get,
    layout_hints,
    recognitions,
    register,
    registered,
    registered_for,
    unregister,
)
from pipeline.model import Line
from pipeline.segment import Segment, segment

__all__ = [
    "DocumentType",
    "Parsed",
    "get",
    "layout_hints",
    "recognitions",
    "register",
    "registered",
    "registered_for",
    "segments",
    "unregister",
]

for _module in (deliberation_list, outsourcing, review_status, incident, council_item):
    register(_module.DOCUMENT_TYPE)


def segments(lines: list[Line]) -> list[Segment]:
    """A file's documents, each typed by the registered types' rules."""
    return segment(lines, recognitions())

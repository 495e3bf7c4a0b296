"""The registry of document types: what a type declares, and the types registered, in order.

A document type is a plug-in: a module (or package) under pipeline/documents/ that declares one
`DocumentType`: its `doc_type`, how a segment is recognised (the `[recognise]` table of
`rules/documents/<doc_type>.toml`, or the same table given inline), `parse(segment, document_id)
-> Parsed`, the FileExtraction record lists it fills, and what it tells the PDF reader about its
tables. Segmenting, extracting and the CLI's listings iterate the registered types; no other module
names one. `pipeline/documents/__init__.py` registers the built-in types.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pipeline.model import LayoutHints
from pipeline.rules import RuleError, document_rules
from pipeline.segment import Recognition, Segment
from schemas import FILE_TABLES, TABLES, Record

# A rule without an `order` is tried after every built-in type.
DEFAULT_ORDER = 100


@dataclass(frozen=True)
class Parsed:
    """What parsing one document yields: its records by FileExtraction list (a store table), and
    notices for the ingest summary."""

    records: Mapping[str, Sequence[Record]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentType:
    doc_type: str
    parse: Callable[[Segment, str], Parsed]
    # The FileExtraction record lists (store tables) its records go to.
    tables: tuple[str, ...]
    # How a segment is recognised, shaped as a rules file's `[recognise]` table (order, where,
    # pattern, title); None reads that table from rules/documents/<doc_type>.toml.
    recognise: Mapping[str, Any] | None = None
    # What the type tells the PDF reader about the tables it prints.
    layout_hints: Callable[[], LayoutHints] | None = None


_TYPES: dict[str, DocumentType] = {}


def register(kind: DocumentType) -> None:
    """Add a document type; its rules are read (and checked) when documents are first segmented."""
    if kind.doc_type == "unknown" or kind.doc_type in _TYPES:
        raise ValueError(f"the document type {kind.doc_type!r} is already taken")
    stray = [t for t in kind.tables if t not in FILE_TABLES]
    if stray:
        raise ValueError(
            f"{kind.doc_type}: {', '.join(stray)} is not a record list of FileExtraction "
            f"({', '.join(FILE_TABLES)})"
        )
    _TYPES[kind.doc_type] = kind
    _forget()


def unregister(doc_type: str) -> None:
    if _TYPES.pop(doc_type, None) is None:
        raise KeyError(f"no document type {doc_type!r} is registered")
    _forget()


@contextlib.contextmanager
def registered_for(kind: DocumentType) -> Iterator[DocumentType]:
    """`kind` registered for the duration of a `with` block (a test's own type), then removed."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind.doc_type)


def registered() -> tuple[DocumentType, ...]:
    """The registered types in the order they were registered."""
    return tuple(_TYPES.values())


def get(doc_type: str) -> DocumentType | None:
    return _TYPES.get(doc_type)


def check(kind: DocumentType, parsed: Parsed) -> None:
    """A type fills only the lists it declared, with that list's records."""
    for table, records in parsed.records.items():
        if table not in kind.tables:
            raise ValueError(f"{kind.doc_type} returned {table} records but declares {kind.tables}")
        model = TABLES[table]
        if not all(isinstance(r, model) for r in records):
            raise TypeError(f"{kind.doc_type} returned {table} records that are not {model.__name__}")


def _recognition(kind: DocumentType) -> tuple[int, Recognition]:
    if kind.recognise is None:
        source = f"rules/documents/{kind.doc_type}.toml [recognise]"
        rule = document_rules(kind.doc_type).get("recognise")
    else:
        source, rule = f"the rule registered for {kind.doc_type}", kind.recognise
    if not rule or not isinstance(rule.get("pattern"), str):
        raise RuleError(f"{source}: a `pattern` is required")
    where, order, title = rule.get("where", "any"), rule.get("order", DEFAULT_ORDER), rule.get("title")
    if where not in ("head", "any"):
        raise RuleError(f"{source}: where = {where!r}: must be head or any")
    if not isinstance(order, int):
        raise RuleError(f"{source}: order = {order!r}: must be an integer")
    try:
        return order, Recognition(
            kind.doc_type,
            re.compile(rule["pattern"]),
            where,
            re.compile(title) if isinstance(title, str) else None,
        )
    except re.error as exc:
        raise RuleError(f"{source}: {exc}") from exc


@cache
def recognitions() -> tuple[Recognition, ...]:
    """Every registered type's recognition, in the order they are tried (by `order`, then as registered)."""
    ranked = [(*_recognition(kind), n) for n, kind in enumerate(_TYPES.values())]
    return tuple(rec for _, rec, _ in sorted(ranked, key=lambda r: (r[0], r[2])))


HeaderMap = Callable[[list[str]], dict[str, int] | None]


def _no_header(cells: list[str]) -> dict[str, int] | None:
    return None


def _first_header(maps: Sequence[HeaderMap]) -> HeaderMap:
    def header_map(cells: list[str]) -> dict[str, int] | None:
        return next((found for m in maps if (found := m(cells)) is not None), None)

    return header_map


@cache
def layout_hints() -> LayoutHints:
    """What the registered types tell the PDF reader: a row is a table header when one type's
    `header_map` reads it so; a sheet's row labels are every type's labels."""
    hints = [kind.layout_hints() for kind in _TYPES.values() if kind.layout_hints is not None]
    maps = [h.header_map for h in hints]
    header_map = maps[0] if len(maps) == 1 else _first_header(maps) if maps else _no_header
    tests = [h.may_be_header for h in hints]
    return LayoutHints(
        header_map,
        frozenset().union(*(h.sheet_labels for h in hints)),
        tests[0] if len(tests) == 1 else _any_of(tests),
    )


def _any_of(tests: Sequence[Callable[[str], bool]]) -> Callable[[str], bool]:
    def may_be_header(text: str) -> bool:
        return any(test(text) for test in tests)

    return may_be_header


def _forget() -> None:
    recognitions.cache_clear()
    layout_hints.cache_clear()

"""What every check works on and hands back: one document's records, and `ExtractionCheck` rows.

A check is a pure function of the records a document yielded (never of its wording): it returns
one `ExtractionCheck` (passed or failed, with expected / found values and one sentence a person can
act on), or None when it does not apply to the document; such a check is not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from pipeline.rules import _toml
from schemas import (
    CaseMention,
    Document,
    ExtractionCheck,
    FileExtraction,
    Incident,
    InstitutionCount,
    OutsourcingEntry,
    SensitiveItem,
)


@cache
def rules() -> dict[str, Any]:
    return _toml("checks.toml")


@dataclass
class DocRecords:
    """One document and the rows it contributed, in the order the parsers produced them."""

    document: Document
    mentions: list[CaseMention] = field(default_factory=list)
    entries: list[OutsourcingEntry] = field(default_factory=list)
    counts: list[InstitutionCount] = field(default_factory=list)
    items: list[SensitiveItem] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def rows(self) -> list[CaseMention]:
        """The case list's rows (mentions kept from a detail sheet alone are not rows)."""
        return [m for m in self.mentions if m._listed]


def by_document(ex: FileExtraction) -> list[DocRecords]:
    out = {d.document_id: DocRecords(d) for d in ex.documents}
    for m in ex.case_mentions:
        out[m.document_id].mentions.append(m)
    for e in ex.outsourcing_entries:
        out[e.document_id].entries.append(e)
    for c in ex.institution_counts:
        out[c.document_id].counts.append(c)
    for s in ex.sensitive_items:
        out[s.document_id].items.append(s)
    for i in ex.incidents:
        out[i.document_id].incidents.append(i)
    return list(out.values())


CheckFn = Callable[[DocRecords], ExtractionCheck | None]


def result(
    records: DocRecords, name: str, passed: bool, expected: str, found: str, detail: str
) -> ExtractionCheck:
    return ExtractionCheck(
        document_id=records.document.document_id,
        check_name=name,
        passed=passed,
        expected=expected,
        found=found,
        detail=detail,
    )


class HasWarnings(Protocol):
    warnings: list[str]


def warn(record: HasWarnings, text: str) -> None:
    """A row-level problem on the row it concerns (once, however often the checks run)."""
    if text not in record.warnings:
        record.warnings = [*record.warnings, text]


def unreadable(record: HasWarnings, field_name: str) -> bool:
    """Whether the row prints `field_name` in a form the parser could not read: a warning
    `field: printed text: problem` with the printed text (not one that says the cell is absent)."""
    return any(
        len(parts) >= 3 and parts[1].strip()
        for w in record.warnings
        if (parts := w.split(": ", 2))[0] == field_name
    )


def runs(numbers: Iterable[int | None]) -> str:
    """Numbers in listed order, ascending runs shortened: `1..14, 5, 16..30`; `?` for no number."""
    parts: list[list[int | None]] = []
    for n in numbers:
        last = parts[-1][-1] if parts else None
        if n is not None and last is not None and n == last + 1:
            parts[-1].append(n)
        else:
            parts.append([n])
    return ", ".join("?" if p[0] is None else str(p[0]) if len(p) == 1 else f"{p[0]}..{p[-1]}" for p in parts)


def numbering_problems(numbers: list[int | None]) -> list[str]:
    """What keeps `numbers` from being 1..len(numbers) in order: gaps, repeats, strays, blanks."""
    n = len(numbers)
    seen = [k for k in numbers if k is not None]
    problems = []
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing:
        problems.append(f"{_list(missing)} missing")
    repeated = sorted({k for k in seen if seen.count(k) > 1})
    if repeated:
        problems.append(f"{_list(repeated)} repeated")
    beyond = sorted({k for k in seen if not 1 <= k <= n})
    if beyond:
        problems.append(f"{_list(beyond)} beyond the {n} rows read")
    if None in numbers:
        problems.append(f"{numbers.count(None)} without a number")
    if not problems and seen != list(range(1, n + 1)):
        problems.append("out of order")
    return problems


def _list(numbers: list[int]) -> str:
    return ", ".join(str(k) for k in numbers)


def count(n: int, word: str) -> str:
    """`1 row`, `30 rows`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def nos(mentions: Iterable[CaseMention]) -> str:
    """`No.3..5, 9`: the case numbers of some rows, as a person looks them up in the list."""
    return "No." + runs(m.seq_no for m in mentions)


def out_of_sequence(numbers: list[int | None]) -> list[int]:
    """Positions of numbers that agree with neither neighbour (`14, 5, 16`: the 5), or repeat an
    earlier one: the rows to warn about. A gap (`9, 11`) points at no row, so none is named; a
    neighbour without a number is no evidence either way."""
    out = []
    seen: set[int] = set()
    for i, k in enumerate(numbers):
        if k is None:
            continue
        prev = numbers[i - 1] if i > 0 else 0
        nxt = numbers[i + 1] if i + 1 < len(numbers) else None
        fits_prev = prev is None or k == prev + 1
        fits_next = nxt is not None and k == nxt - 1
        if k in seen or not (fits_prev or fits_next):
            out.append(i)
        seen.add(k)
    return out

"""Checks of the report types with lists and count tables: outsourcing_report and review_status_report.

The count tables and the lists of one report count the same things: the tables' 新たな… / …行わな
かった totals are the lengths of the outsourcing lists, and the review report's うち要配慮… columns
are the number of 有 flags per kind and 実施機関. A disagreement means a row or a digit was misread
(or the report disagrees with itself, which a person should know as well).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any

from pipeline.checks.base import (
    CheckFn,
    DocRecords,
    count,
    numbering_problems,
    out_of_sequence,
    result,
    rules,
    runs,
    unreadable,
    warn,
)
from pipeline.documents.review_status import flag_totals
from pipeline.documents.tables import CountTable, cell_key, check_count_table, is_total, unparsed_counts
from pipeline.rules import document_rules
from schemas import ExtractionCheck, InstitutionCount, OutsourcingEntry, SensitiveItem

Row = OutsourcingEntry | SensitiveItem


@cache
def _outsourcing_rules() -> dict[str, Any]:
    return document_rules("outsourcing_report")


def _rows(r: DocRecords) -> list[Row]:
    return [*r.entries] if r.document.doc_type == "outsourcing_report" else [*r.items]


def _list_of(row: Row) -> str:
    if isinstance(row, OutsourcingEntry):
        return row.section
    return row.review_category or "?"


def lists(rows: list[Row]) -> Iterator[tuple[str, list[Row]]]:
    """The printed lists, in order: a run of rows of one section or kind; numbering back at 1
    starts another list of the same kind (lists may restart per 実施機関 or per page caption)."""
    current: list[Row] = []
    for row in rows:
        if current and (
            _list_of(row) != _list_of(current[-1])
            or (row.seq_no == 1 and current[-1].seq_no is not None and current[-1].seq_no > 1)
        ):
            yield _list_of(current[0]), current
            current = []
        current.append(row)
    if current:
        yield _list_of(current[0]), current


def count_tables(counts: list[InstitutionCount]) -> list[CountTable]:
    """The count tables back from their long-form rows (a table's cells are consecutive)."""
    tables: list[CountTable] = []
    cells: dict[tuple[str, str], int | None] = {}
    for c in counts:
        t = tables[-1] if tables else None
        if t is None or t.name != c.table_name or (c.institution, c.metric) in cells:
            t = CountTable(c.table_name, [])
            tables.append(t)
            cells = {}
        if c.metric not in t.metrics:
            t.metrics.append(c.metric)
        if not t.rows or t.rows[-1][0] != c.institution:
            t.rows.append((c.institution, []))
        t.rows[-1][1].append(c.value)
        cells[(c.institution, c.metric)] = c.value
    return tables


def rows_read(r: DocRecords) -> ExtractionCheck:
    n = len(_rows(r))
    return result(
        r,
        "rows_read",
        n > 0,
        "at least 1 listed row",
        count(n, "row"),
        f"The report's lists have {count(n, 'row')}."
        if n
        else "No row of the report's lists was read: their layout is one the parser does not know.",
    )


def numbering_contiguous(r: DocRecords) -> ExtractionCheck | None:
    """Each list numbered 1..N in order."""
    parts = list(lists(_rows(r)))
    if not parts:
        return None
    expected, found, problems = [], [], []
    for name, rows in parts:
        numbers = [row.seq_no for row in rows]
        expected.append(f"{name} 1..{len(rows)}")
        found.append(f"{name} {runs(numbers)}")
        if bad := numbering_problems(numbers):
            problems.append(f"{name}: {', '.join(bad)}")
        for i in out_of_sequence(numbers):
            warn(rows[i], f"seq_no: {numbers[i]}: out of sequence in the list")
    detail = (
        "Every list is numbered from 1 without gaps or repeats."
        if not problems
        else "Lists not numbered 1..N: " + "; ".join(problems) + "; a row may be lost, merged or misnumbered."
    )
    return result(r, "numbering_contiguous", not problems, "; ".join(expected), "; ".join(found), detail)


def _list_totals(tables: list[CountTable], entries: list[OutsourcingEntry]) -> list[tuple[str, int, int]]:
    """(what, the count table's 合計, rows of the list) for the new / discontinued columns."""
    out = []
    for table in tables:
        totals = [inst for inst, _ in table.rows if is_total(inst)]
        if not totals:
            continue
        for section, words in _outsourcing_rules()["list_total_metric"].items():
            metric = next((m for m in table.metrics if any(cell_key(w) in m for w in words)), None)
            expected = table.value(totals[0], metric) if metric is not None else None
            if expected is not None:
                n = sum(1 for e in entries if e.section == section)
                out.append((f"{table.name} / {metric} ({section} list)", expected, n))
    return out


def _flag_counts(tables: list[CountTable], items: list[SensitiveItem]) -> list[tuple[str, int, int]]:
    """(kind / 実施機関 / flag, the count table's うち… count, 有 flags in the list)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    for it in items:
        for flag in ("sensitive", "ordinance_sensitive"):
            if getattr(it, flag) and it.review_category and it.institution:
                seen[(it.review_category, it.institution, flag)] += 1
    expected = flag_totals(tables)
    kinds = {k[0] for k in expected}
    return [
        (" / ".join(key), expected.get(key, 0), seen.get(key, 0))
        for key in sorted(expected.keys() | {k for k in seen if k[0] in kinds})
    ]


def counts_match_lists(r: DocRecords) -> ExtractionCheck | None:
    tables = count_tables(r.counts)
    if r.document.doc_type == "outsourcing_report":
        pairs = _list_totals(tables, r.entries)
    else:
        pairs = _flag_counts(tables, r.items)
    if not pairs:
        return None
    bad = [(what, want, got) for what, want, got in pairs if want != got]
    if not bad:
        same = f"{len(pairs)} counts equal to their lists"
        return result(r, "counts_match_lists", True, same, same, "The count tables agree with the lists.")
    return result(
        r,
        "counts_match_lists",
        False,
        "; ".join(f"{what}: {want}" for what, want, _ in bad),
        "; ".join(f"{what}: {got}" for what, _, got in bad),
        f"{len(bad)} of {len(pairs)} counts differ from what the lists hold: a list row or a table "
        "cell was lost or misread (or the report disagrees with itself).",
    )


def counts_add_up(r: DocRecords) -> ExtractionCheck | None:
    """Each count table agrees with itself: 合計 rows, `a+b-c` columns, every cell a number."""
    tables = count_tables(r.counts)
    if not tables:
        return None
    problems: list[str] = []
    inconsistent = 0
    for t in tables:
        found = check_count_table(t) + unparsed_counts([t])
        problems += found
        inconsistent += bool(found)
    n = len(tables)
    return result(
        r,
        "counts_add_up",
        not problems,
        f"{n} of {n} count tables consistent",
        f"{n - inconsistent} of {n} count tables consistent",
        "Every count table adds up."
        if not problems
        else "; ".join(problems) + ": a digit was misread (or the report's table is wrong).",
    )


def registration_number_form(r: DocRecords) -> ExtractionCheck | None:
    """Every 業務登録番号 of the printed form; none missing where the other rows have one."""
    entries = r.entries
    if not entries:
        return None
    # The parser's own rule (rules/documents/outsourcing_report.toml), which already warned the row.
    pattern = re.compile(rf"^{document_rules('outsourcing_report')['registration_number']['form']}$")
    share = float(rules()["common"]["column_min_share"])
    expect_numbers = sum(1 for e in entries if e.registration_numbers) >= share * len(entries)
    bad = []
    for e in entries:
        odd = [k for k in e.registration_numbers if not pattern.match(k)]
        if odd:
            pass
        elif unreadable(e, "registration_numbers"):
            pass
        elif e.registration_numbers or not expect_numbers:
            continue
        else:
            warn(e, "registration_numbers: : missing where the list's other rows have it")
        bad.append(f"{e.section} No.{e.seq_no}")
    n = len(entries)
    return result(
        r,
        "registration_number_form",
        not bad,
        f"{n} of {n} entries with numbers of the form 000000-000",
        f"{n - len(bad)} of {n} entries with numbers of the form 000000-000",
        "Every 業務登録番号 has the printed form."
        if not bad
        else f"業務登録番号 unread, missing or of another form: {', '.join(bad)} (see the rows' warnings).",
    )


def flags_read(r: DocRecords) -> ExtractionCheck | None:
    """Every 有/無 (○) cell read; an optional column no row of a list holds is not checked."""
    optional = set(rules()["reports"]["optional_flags"])
    checked = bad = 0
    where = []
    for name, rows in lists(_rows(r)):
        fields = (
            ["specific_personal_info"]
            if isinstance(rows[0], OutsourcingEntry)
            else ["sensitive", "ordinance_sensitive"]
        )
        for f in fields:
            values = [getattr(row, f) for row in rows]
            if f in optional and all(v is None for v in values):
                continue
            checked += len(rows)
            unread = [row for row, v in zip(rows, values, strict=True) if v is None]
            bad += len(unread)
            where += [f"{name} No.{row.seq_no} {f}" for row in unread]
    if not checked:
        return None
    return result(
        r,
        "flags_read",
        not bad,
        f"{checked} of {checked} 有/無 cells read",
        f"{checked - bad} of {checked} 有/無 cells read",
        "Every 有/無 cell was read."
        if not bad
        else f"有/無 cells not read: {', '.join(where)} (see the rows' warnings).",
    )


CHECKS: tuple[CheckFn, ...] = (
    rows_read,
    numbering_contiguous,
    counts_match_lists,
    counts_add_up,
    flags_read,
)
OUTSOURCING_CHECKS: tuple[CheckFn, ...] = (*CHECKS, registration_number_form)

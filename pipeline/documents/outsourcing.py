"""Stage 3: an outsourcing_report (個人情報業務委託の状況) → institution counts and outsourcing entries.

The document is a count table by 実施機関 followed by lists of new / discontinued / changed
businesses. Both are tables whose rows are tab-separated (or `|`-separated) cells; a list's header
is repeated on every page and is recognised by meaning (`rules/documents/outsourcing_report.toml`), so a new
ward's 保有課 / 所管課 or 終了年度 / 廃止年度 needs no code. The list a table belongs to comes
from its caption's meaning (新たに… / …行わなかった / …変更…), else from the header of its
reason column, never from the `(2)`/`(3)` numbering.

The table helpers (`row_cells`, `field_columns`, `CountTableReader`) live in pipeline/documents/tables.py:
the review-status report prints the same kind of count table, and council items the same rows.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from pipeline.documents.registry import DocumentType, Parsed
from pipeline.documents.tables import (
    CAPTION_NO,
    RULE_ROW,
    CountTableReader,
    cell,
    cell_key,
    count_records,
    field_columns,
    renumber,
    row_cells,
)
from pipeline.normalise.dates import read_year_cell
from pipeline.normalise.departments import split_departments
from pipeline.normalise.ocr import read_int, read_registration_numbers
from pipeline.normalise.text import clean, fold
from pipeline.rules import document_rules
from pipeline.segment import Segment
from schemas.records import InstitutionCount, OutsourcingEntry


@cache
def _rules() -> dict[str, Any]:
    return document_rules("outsourcing_report")


def section_of(caption: str, reason_header: str | None = None) -> str | None:
    """`new` | `discontinued` | `changed` from what a caption (else the reason column) says."""
    cap = cell_key(caption)
    for sec in _rules()["section"]:
        if any(cell_key(w) in cap for w in sec["caption"]):
            return str(sec["name"])
    if reason_header:
        head = cell_key(reason_header)
        for sec in _rules()["section"]:
            if any(cell_key(w) in head for w in sec["reason_header"]):
                return str(sec["name"])
    return None


def _year(
    cells: list[str], cols: dict[str, int], name: str, fiscal_year: int | None, warnings: list[str]
) -> int | None:
    raw = clean(cell(cells, cols, name))
    if raw is None:
        return None
    year, note = read_year_cell(raw, fiscal_year)
    if note is not None:
        warnings.append(note.warning(name))
    return year


def _specific(raw: str, warnings: list[str]) -> bool | None:
    text = clean(raw)
    if text is None:
        return False
    if text in _rules()["specific_marks"]["yes"]:
        return True
    if text in _rules()["specific_marks"]["no"]:
        return False
    warnings.append(f"specific_personal_info: {text}: not a mark of 有 or 無")
    return None


def _department(raw: str, municipality: str | None, warnings: list[str]) -> str | None:
    depts = split_departments(raw, municipality)
    names = depts.names
    warnings += [n.warning("department") for n in depts.notes]
    if len(names) > 1:
        warnings.append(f"department: {clean(raw)}: several departments, kept the first")
    return names[0] if names else None


def _unnumbered_row(cells: list[str], cols: dict[str, int]) -> bool:
    """A row whose number OCR lost (an empty first cell) but with its 課 and business named: kept,
    for `renumber` to read its number from the rows around it."""
    return not cell(cells, cols, "seq_no").strip() and all(
        cell(cells, cols, f).strip() for f in ("department", "business_name") if f in cols
    )


def _entry(
    cells: list[str], cols: dict[str, int], section: str, seg: Segment, document_id: str
) -> OutsourcingEntry:
    w: list[str] = []
    reg_raw = fold(cell(cells, cols, "registration_numbers"))
    form = _rules()["registration_number"]
    regs, notes = read_registration_numbers(reg_raw, form["form"], form["shown"])
    w += [n.warning("registration_numbers") for n in notes]
    if reg_raw.strip() and not regs:
        w.append(f"registration_numbers: {clean(reg_raw)}: not a registration number")
    seq_no, seq_note = read_int(cell(cells, cols, "seq_no"))
    w += [seq_note.warning("seq_no")] if seq_note else []
    return OutsourcingEntry(
        document_id=document_id,
        section=section,
        seq_no=seq_no,
        department=_department(cell(cells, cols, "department"), seg.municipality, w),
        registration_numbers=regs,
        business_name=clean(cell(cells, cols, "business_name")),
        content=clean(cell(cells, cols, "content")),
        specific_personal_info=_specific(cell(cells, cols, "specific_personal_info"), w),
        start_fiscal_year=_year(cells, cols, "start_fiscal_year", seg.fiscal_year, w),
        end_fiscal_year=_year(cells, cols, "end_fiscal_year", seg.fiscal_year, w),
        change_fiscal_year=_year(cells, cols, "change_fiscal_year", seg.fiscal_year, w),
        reason=clean(cell(cells, cols, "reason")),
        warnings=w,
    )


def _is_list_header(cols: dict[str, int]) -> bool:
    return (
        "seq_no" in cols and len(cols.keys() & {"department", "registration_numbers", "business_name"}) >= 2
    )


def _numbers_from_siblings(entries: list[OutsourcingEntry], form: re.Pattern[str]) -> None:
    """A 業務登録番号 whose first part lost or doubled a digit (`29701-205` among 291701-201 …
    291701-511) read with the first part the other numbers of its cell share, when it is one edit
    from it: the numbers of one business are printed together under one first part. Never from
    other rows: a first part printed once in the document may be any number."""
    for e in entries:
        known = {n.split("-")[0] for n in e.registration_numbers if form.fullmatch(n)}
        for i, n in enumerate(e.registration_numbers):
            head, _, tail = n.partition("-")
            if form.fullmatch(n) or head in known:
                continue
            near = [k for k in known if Levenshtein.distance(head, k) == 1]
            repaired = f"{near[0]}-{tail}" if len(near) == 1 else None
            if repaired is None or not form.fullmatch(repaired):
                continue
            e.registration_numbers[i] = repaired
            kept = f"registration_numbers: {n}: not in the printed form"
            e.warnings[:] = [w for w in e.warnings if not w.startswith(kept)]
            e.warnings.append(f"registration_numbers: {n}: read as {repaired}: the other numbers of its cell")


def parse_outsourcing(
    seg: Segment, document_id: str
) -> tuple[list[OutsourcingEntry], list[InstitutionCount], list[str]]:
    words: dict[str, list[str]] = _rules()["list_columns"]
    counts = CountTableReader(
        _rules()["count_table_corner"], _rules()["count_captions"], _rules()["count_metrics"]
    )
    entries: list[OutsourcingEntry] = []
    notices: list[str] = []
    caption = ""
    section: str | None = None
    cols: dict[str, int] | None = None
    for ln in seg.lines:
        if not ln.text.strip():
            continue
        cells = row_cells(ln.text)
        if counts.feed(cells, caption):
            cols = None
            continue
        if cells is None:
            if RULE_ROW.match(ln.text):
                continue
            caption = ln.text
            # A caption naming a list, or any numbered caption, ends the list before it; a page
            # number or footer between two pages of one list does not.
            sec = section_of(caption)
            if sec is not None or CAPTION_NO.match(fold(caption)):
                section, cols = sec, None
            continue
        header = field_columns(cells, words)
        if _is_list_header(header):
            cols = header
            reason = cells[header["reason"]] if "reason" in header else None
            section = section_of(caption, reason) if section is None else section
            if section is None:
                notices.append(
                    f"line {ln.no}: a list whose caption says neither new, discontinued nor changed"
                )
            continue
        if cols is None or section is None:
            continue
        if read_int(cell(cells, cols, "seq_no"))[0] is None and not _unnumbered_row(cells, cols):
            continue
        entries.append(_entry(cells, cols, section, seg, document_id))
    renumber(entries, lambda e: e.section)
    _numbers_from_siblings(entries, re.compile(_rules()["registration_number"]["form"]))
    # The count tables are checked against themselves and the lists in pipeline/checks/reports.py.
    # 実施機関 read through OCR damage: what the count tables repaired, as notices (no warnings column).
    notices += [n for t in counts.tables for n in t.notes]
    return entries, [r for t in counts.tables for r in count_records(t, document_id)], notices


def parse(seg: Segment, document_id: str) -> Parsed:
    entries, counts, notices = parse_outsourcing(seg, document_id)
    return Parsed({"outsourcing_entries": entries, "institution_counts": counts}, notices)


DOCUMENT_TYPE = DocumentType("outsourcing_report", parse, ("outsourcing_entries", "institution_counts"))

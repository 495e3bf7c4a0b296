"""The seam of the pipeline: one file's bytes (and its name) → every record it contributes.

`extract_bytes` is a pure function with no access to the store: the local process pool and any
distributed executor call it the same way, and `council extract` prints its result.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.dates import DateError, parse_date
from pipeline.departments import split_departments
from pipeline.normalise import clean, clean_multiline
from pipeline.parse_list import ListRow, parse_list
from pipeline.parse_sheet import Sheet, parse_sheets
from pipeline.read import Source, read_bytes
from pipeline.segment import Segment, segment
from schemas import CaseMention, Document, FileExtraction

# Bump when parsing changes what a file yields: every file is re-parsed on the next ingest.
PARSER_VERSION = "0.1.0"

_CATEGORY_SPLIT = re.compile(r"[、,・\n]+")


def document_id(sha256: str, position: int) -> str:
    """Stable: the same bytes give the same ids, whatever the file is called or when it is read."""
    return f"{sha256[:16]}-{position:02d}"


def split_categories(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [c for c in (clean(p) for p in _CATEGORY_SPLIT.split(raw)) if c]


def _mention_from_row(row: ListRow, seg: Segment, doc_id: str) -> CaseMention:
    warnings = list(row.warnings)
    depts = split_departments(row.departments_raw, seg.municipality)
    deliberated_on = None
    if row.date_raw:
        try:
            deliberated_on = parse_date(row.date_raw, seg.context)
        except DateError as exc:
            warnings.append(f"deliberated_on: {row.date_raw}: {exc}")
    return CaseMention(
        mention_id=f"{doc_id}:{row.seq_no}",
        document_id=doc_id,
        seq_no=row.seq_no,
        title=row.title,
        departments=depts.names,
        departments_raw=row.departments_raw,
        unnamed_department_count=depts.unnamed_count,
        categories=split_categories(row.categories_raw),
        deliberated_on=deliberated_on,
        result=row.result,
        line_start=row.line_start,
        line_end=row.line_end,
        page_start=row.page_start,
        page_end=row.page_end,
        warnings=warnings,
    )


def _apply_sheet(m: CaseMention, sheet: Sheet, seg: Segment) -> None:
    """One row carries list and sheet: the list's 担当課 win, the sheet's text stays in its raw column."""
    m.program_name = sheet.program_name
    m.detail_departments_raw = sheet.detail_departments_raw
    m.purpose = sheet.purpose
    m.target = sheet.target
    m.summary = sheet.summary
    m.target_count = sheet.target_count
    m.target_count_unit = sheet.target_count_unit
    if not m.departments and sheet.detail_departments_raw:
        depts = split_departments(sheet.detail_departments_raw, seg.municipality)
        m.departments, m.unnamed_department_count = depts.names, depts.unnamed_count
    if not m.categories:
        m.categories = split_categories(sheet.categories_raw)
    if m.title is None:
        m.title = sheet.heading
    for attr in ("line_start", "page_start"):
        a, b = getattr(m, attr), getattr(sheet, attr)
        if b is not None and b != 0:
            setattr(m, attr, b if a is None else min(a, b))
    for attr in ("line_end", "page_end"):
        a, b = getattr(m, attr), getattr(sheet, attr)
        if b is not None and b != 0:
            setattr(m, attr, b if a is None else max(a, b))
    m.warnings = m.warnings + [f"sheet: {w}" for w in sheet.warnings]


def _sheet_only_mention(sheet: Sheet, seg: Segment, doc_id: str, k: int) -> CaseMention:
    depts = split_departments(sheet.detail_departments_raw, seg.municipality)
    m = CaseMention(
        mention_id=f"{doc_id}:s{sheet.seq_no if sheet.seq_no is not None else k}",
        document_id=doc_id,
        seq_no=sheet.seq_no,
        title=sheet.heading,
        departments=depts.names,
        departments_raw=None,
        unnamed_department_count=depts.unnamed_count,
        categories=split_categories(sheet.categories_raw),
        warnings=[f"sheet: no list row has case number {sheet.seq_no}; kept from its detail sheet alone"],
    )
    _apply_sheet(m, sheet, seg)
    return m


def parse_deliberation_list(seg: Segment, doc_id: str) -> tuple[list[CaseMention], list[str]]:
    rows = parse_list(seg.lines, seg.municipality)
    mentions = [_mention_from_row(r, seg, doc_id) for r in rows]
    by_seq: dict[int, CaseMention] = {}
    for m in mentions:
        if m.seq_no is not None:
            by_seq.setdefault(m.seq_no, m)
    notices: list[str] = []
    for k, sheet in enumerate(parse_sheets(seg.lines, seg.context), start=1):
        target = by_seq.get(sheet.seq_no) if sheet.seq_no is not None else None
        if target is not None and target.program_name is None:
            _apply_sheet(target, sheet, seg)
        else:
            mentions.append(_sheet_only_mention(sheet, seg, doc_id, k))
            notices.append(f"detail sheet No.{sheet.seq_no} matches no row of the case list")
    if not rows:
        notices.append("a 審議案件一覧 document with no case-list rows found")
    return mentions, notices


def _notice_unknown_departments(mentions: list[CaseMention], municipality: str | None) -> list[str]:
    unknown: set[str] = set()
    for m in mentions:
        unknown.update(split_departments(m.departments_raw, municipality).unknown)
    return [f"課名 not in the registry: {name}" for name in sorted(unknown)]


DocParser = Callable[[Segment, str, FileExtraction], list[str]]


def _deliberation(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    mentions, notices = parse_deliberation_list(seg, doc_id)
    out.case_mentions.extend(mentions)
    return notices + _notice_unknown_departments(mentions, seg.municipality)


def _outsourcing(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    from pipeline.parse_outsourcing import parse_outsourcing

    entries, counts, notices = parse_outsourcing(seg, doc_id)
    out.outsourcing_entries.extend(entries)
    out.institution_counts.extend(counts)
    return notices


def _review(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    from pipeline.parse_review import parse_review_status

    items, counts, notices = parse_review_status(seg, doc_id)
    out.sensitive_items.extend(items)
    out.institution_counts.extend(counts)
    return notices


def _incident(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    from pipeline.parse_incident import parse_incident

    incidents, notices = parse_incident(seg, doc_id)
    out.incidents.extend(incidents)
    return notices


def _council_item(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    from pipeline.parse_council_item import parse_council_item

    mentions, notices = parse_council_item(seg, doc_id)
    out.case_mentions.extend(mentions)
    return notices + _notice_unknown_departments(mentions, seg.municipality)


PARSERS: dict[str, DocParser] = {
    "deliberation_list": _deliberation,
    "outsourcing_report": _outsourcing,
    "review_status_report": _review,
    "incident_report": _incident,
    "council_item": _council_item,
}


def extract_source(src: Source) -> FileExtraction:
    out = FileExtraction(source_path=src.source_path, file_sha256=src.sha256)
    for position, seg in enumerate(segment(src.lines)):
        doc_id = document_id(src.sha256, position)
        out.documents.append(
            Document(
                document_id=doc_id,
                file_sha256=src.sha256,
                source_path=src.source_path,
                source_format="pdf" if src.source_format == "pdf" else "text",
                encoding=src.encoding,
                municipality=seg.municipality,
                doc_type=seg.doc_type,
                report_no=seg.report_no,
                title=seg.title,
                issued_on=seg.issued_on,
                fiscal_year=seg.fiscal_year,
                period_start=seg.period_start,
                period_end=seg.period_end,
                page_count=src.page_count,
                text=clean_multiline(seg.text) or "",
                parser_version=PARSER_VERSION,
            )
        )
        label = f"{src.source_path} document {position + 1} ({seg.doc_type})"
        notices = [f"{label}: {w}" for w in seg.warnings]
        parser = PARSERS.get(seg.doc_type)
        if parser is None:
            notices.append(f"{label}: type not recognised; kept as an unknown document with its text")
        else:
            notices += [f"{label}: {n}" for n in parser(seg, doc_id, out)]
        out.notices.extend(notices)
    return out


def extract_bytes(data: bytes, source_path: str) -> FileExtraction:
    """Parse one file. Raises `pipeline.read.ExtractionError` for a file that is not a usable packet."""
    return extract_source(read_bytes(data, source_path))

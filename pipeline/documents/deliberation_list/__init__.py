"""The deliberation_list document type (審議案件一覧): its case list and detail sheets → case mentions.

One mention per case: the list row (rows.py) and the detail sheet with the same case number
(sheets.py) merged into one row; a sheet that no list row matches is kept as a mention of its own.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from rapidfuzz.distance import Levenshtein

from pipeline.documents.deliberation_list.header import header_map, may_be_header
from pipeline.documents.deliberation_list.rows import ListRow, parse_list, split_categories
from pipeline.documents.deliberation_list.sheet_labels import label_words
from pipeline.documents.deliberation_list.sheets import Sheet, parse_sheets
from pipeline.documents.registry import DocumentType, Parsed
from pipeline.documents.tables import renumber
from pipeline.model import LayoutHints
from pipeline.normalise.departments import canonical, split_departments
from pipeline.normalise.ocr import Note, fold_digit_lookalikes, similarity, thresholds
from pipeline.normalise.text import fold, squeeze
from pipeline.rules import vocabulary
from pipeline.segment import Segment
from schemas import LIST_FIELDS, SHEET_FIELDS, CaseMention


def _mention_from_row(row: ListRow, doc_id: str) -> CaseMention:
    return CaseMention(
        mention_id=f"{doc_id}:{row.seq_no}",
        document_id=doc_id,
        **{name: getattr(row, name) for name in LIST_FIELDS},
        line_start=row.line_start,
        line_end=row.line_end,
        page_start=row.page_start,
        page_end=row.page_end,
        warnings=list(row.warnings),
    )


def _damage_sides(printed: str, other: str) -> tuple[int, int, int]:
    """What the differences between two printings of one text say about which is damaged: (marks
    of damage in `printed`, marks in `other`, differences that say nothing). A character doubled
    is a mark on the side that has it twice; a character one side lacks, on that side (OCR drops
    characters, it does not add others); any other difference is no mark either way."""
    marks = [0, 0, 0]
    ops = SequenceMatcher(None, printed, other, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            continue
        text, k = (printed, i1) if op == "delete" else (other, j1)
        if op not in ("delete", "insert") or max(i2 - i1, j2 - j1) != 1:
            marks[2] += 1
        elif text[k].isspace():
            marks[0 if op == "delete" else 1] += 1  # a space OCR put inside the text
        elif not text[k].isalpha() or k == len(text) - 1:
            # A bracket or a last character: the rest of a marker, or a heading cut short.
            marks[2] += 1
        else:
            doubled = text[k] in text[max(0, k - 1) : k] + text[k + 1 : k + 2]
            # The side with an extra character: doubled there, or dropped on the other side.
            marks[0 if (op == "delete") == doubled else 1] += 1
    return marks[0], marks[1], marks[2]


def _cross_check(m: CaseMention, sheet: Sheet, municipality: str | None) -> list[str]:
    """Where the list row and its sheet print the title or 担当課 and only the list's is damaged, the
    sheet's wins, with a warning; a difference that does not say which is damaged is left alone."""
    warnings: list[str] = []
    threshold = thresholds()["cross_check"]
    if (
        m.title
        and sheet.heading
        and m.title != sheet.heading
        and similarity(m.title, sheet.heading) >= threshold
    ):
        in_list, in_sheet, unclear = _damage_sides(m.title, sheet.heading)
        if in_list and not in_sheet and not unclear:
            warnings.append(f"title: {m.title}: read as {sheet.heading} from the detail sheet")
            m.title = sheet.heading
    names = split_departments(sheet.detail_departments_raw, municipality).names
    unread = [a for a in m.departments if not canonical(a, municipality)]
    if (
        unread
        and len(names) == len(m.departments)
        and all(canonical(b, municipality) == b for b in names)
        and all(
            a == b or (a in unread and similarity(a, b) >= threshold)
            for a, b in zip(m.departments, names, strict=True)
        )
    ):
        warnings.append(
            f"departments: {'、'.join(m.departments)}: read as {'、'.join(names)} from the detail sheet"
        )
        m.departments = names
    return warnings


def _apply_sheet(m: CaseMention, sheet: Sheet, seg: Segment) -> None:
    """One row carries list and sheet: the list's 担当課 win, the sheet's text stays in its raw column;
    where the list's title or 担当課 is damaged and the sheet's is clean, the sheet's wins."""
    for name in SHEET_FIELDS:
        setattr(m, name, getattr(sheet, name))
    m._has_sheet, m._sheet_heading = True, sheet.heading
    warnings = [f"sheet: {w}" for w in sheet.warnings]
    if m.departments_raw is not None:
        warnings += _cross_check(m, sheet, seg.municipality)
    if not m.departments and sheet.detail_departments_raw:
        depts = split_departments(sheet.detail_departments_raw, seg.municipality)
        m.departments, m.unnamed_department_count = depts.names, depts.unnamed_count
        warnings += [f"sheet: {n.warning('departments')}" for n in depts.notes]
    if not m.categories:
        notes: list[Note] = []
        m.categories = split_categories(sheet.categories_raw, notes)
        warnings += [f"sheet: {n.warning('categories')}" for n in notes]
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
    m.warnings = m.warnings + warnings


def _sheet_only_mention(sheet: Sheet, seg: Segment, doc_id: str, k: int) -> CaseMention:
    # 担当課 and 区分 come from the sheet alone: `_apply_sheet` fills them, with their warnings.
    m = CaseMention(
        mention_id=f"{doc_id}:s{sheet.seq_no if sheet.seq_no is not None else k}",
        document_id=doc_id,
        seq_no=sheet.seq_no,
        title=sheet.heading,
        departments=[],
        departments_raw=None,
        unnamed_department_count=0,
        categories=[],
        warnings=[f"sheet: no list row has case number {sheet.seq_no}; kept from its detail sheet alone"],
    )
    _apply_sheet(m, sheet, seg)
    return m


def _dates_from_neighbours(rows: list[ListRow]) -> None:
    """A 付議日 misread where the rows around it print theirs: a meeting deliberates several cases,
    so the list prints its date row after row. A date one edit from the date its neighbours share
    (`10月2日`, `100月20日` between two rows of 10月20日) is read as theirs; a date that reads as no
    date at all (`43日`) is read as the one neighbour's date it is one edit from. With a warning."""
    for i, row in enumerate(rows):
        if not row.date_raw:
            continue
        before = rows[i - 1].deliberated_on if i > 0 else None
        after = rows[i + 1].deliberated_on if i + 1 < len(rows) else None
        if row.deliberated_on is not None:
            candidates = {before} if before is not None and before == after != row.deliberated_on else set()
        else:
            candidates = {d for d in (before, after) if d is not None}
        printed = re.sub(r"^.*年", "", squeeze(fold_digit_lookalikes(fold(row.date_raw))))
        near = {d for d in candidates if Levenshtein.distance(printed, f"{d.month}月{d.day}日") == 1}
        if len(near) != 1:
            continue
        date = near.pop()
        row.deliberated_on = date
        row.warnings = [w for w in row.warnings if not w.startswith("deliberated_on:")]
        row.warnings.append(
            f"deliberated_on: {row.date_raw}: read as {date.month}月{date.day}日: the rows around it"
        )


def _results_from_list(rows: list[ListRow]) -> None:
    """A 審議結果 OCR damaged past reading alone (`承`, `認`: one character of 承認 lost, as near to
    了承), read as the one result the list's other rows print that is one edit from it."""
    known = set(vocabulary()["results"])
    used = {r.result for r in rows if r.result is not None and r.result in known}
    for row in rows:
        if not row.result or row.result in known:
            continue
        near = [w for w in used if Levenshtein.distance(row.result, w) == 1]
        if len(near) != 1:
            continue
        printed, row.result = row.result, near[0]
        row.warnings = [w for w in row.warnings if not w.startswith(f"result: {printed}:")]
        row.warnings.append(f"result: {printed}: read as {near[0]}: the list's other rows")


def parse_deliberation_list(seg: Segment, doc_id: str) -> tuple[list[CaseMention], list[str]]:
    sheets = parse_sheets(seg.lines, seg.context)
    # The list is over where the sheets begin: damage that hides a row's end must not read on into them.
    starts = [s.line_start for s in sheets if s.line_start]
    rows = parse_list(seg.lines, seg.municipality, seg.context, end=min(starts) if starts else None)
    renumber(rows, lambda r: None)  # one list: `177` between 16 and 18 is 17
    _dates_from_neighbours(rows)
    _results_from_list(rows)
    mentions = [_mention_from_row(r, doc_id) for r in rows]
    for m in mentions:
        m._listed = True
    by_seq: dict[int, CaseMention] = {}
    for m in mentions:
        if m.seq_no is not None:
            by_seq.setdefault(m.seq_no, m)
    notices: list[str] = []
    for k, sheet in enumerate(sheets, start=1):
        target = by_seq.get(sheet.seq_no) if sheet.seq_no is not None else None
        if target is not None and target.program_name is None:
            _apply_sheet(target, sheet, seg)
        else:
            mentions.append(_sheet_only_mention(sheet, seg, doc_id, k))
            notices.append(f"detail sheet No.{sheet.seq_no} matches no row of the case list")
    if not rows:
        notices.append("a 審議案件一覧 document with no case-list rows found")
    return mentions, notices


def parse(seg: Segment, document_id: str) -> Parsed:
    mentions, notices = parse_deliberation_list(seg, document_id)
    return Parsed({"case_mentions": mentions}, notices)


def layout_hints() -> LayoutHints:
    return LayoutHints(header_map=header_map, sheet_labels=label_words(), may_be_header=may_be_header)


DOCUMENT_TYPE = DocumentType("deliberation_list", parse, ("case_mentions",), layout_hints=layout_hints)

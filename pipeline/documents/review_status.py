"""Stage 3: a review_status_report (個人情報を取り扱う業務の審査の状況) → counts and sensitive items.

The document holds one count table per review kind (審査件数 and the うち… columns by 実施機関)
and then lists of the items that handle 要配慮個人情報. The lists may all share one caption and
restart their numbering per kind; what kind a list is comes from its own column headers
(委託の内容 → 外部委託, 提供先… → 外部提供, オンライン結合・システム導入の別 → オンライン結合),
as set in `rules/documents/review_status_report.toml`. Columns without a field of their own (提供先, 該当条項,
システム導入の別, …) are kept in `extra` as JSON keyed by their header.

担当部課 is split into bureau and department. A name the department registry
(`rules/departments/`) knows, printed with or without its 部, becomes the registered name and its
registered bureau (the registry keeps the five 総合支所 names whole, `世田谷総合支所保健福祉センター
生活支援課`, bureau `世田谷総合支所`). Any other name is split by `departments.split_bureau`: the
shortest leading part that ends in one of `bureau_suffixes` (rules/vocabulary.toml: 部, 総合支所, …) and leaves a
department name behind is the bureau, the rest the department, OCR spaces removed
(`D X 推進担当部 D X 推進担当課` → `DX推進担当部` + `DX推進担当課`); a name with no such part
is the department with a NULL bureau.

`flag_totals` says what the count tables count (per kind, institution and flag), so that
pipeline/checks/reports.py can check them against the lists' 有 flags.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pipeline.documents.registry import DocumentType, Parsed
from pipeline.documents.tables import (
    CountTable,
    CountTableReader,
    best_field,
    cell,
    cell_key,
    count_records,
    field_columns,
    is_total,
    renumber,
    row_cells,
)
from pipeline.normalise.departments import department_and_bureau
from pipeline.normalise.ocr import Note, match_header, read_int, read_word, thresholds
from pipeline.normalise.text import clean
from pipeline.rules import document_rules, vocabulary
from pipeline.segment import Segment
from schemas.records import InstitutionCount, SensitiveItem


@cache
def _rules() -> dict[str, Any]:
    return document_rules("review_status_report")


def category_of(header: list[str]) -> str | None:
    """The review kind a list's header names: a header word as printed, in the rules' order; else
    one read through OCR damage (`委託の内内容`), when exactly one kind is read best."""
    keys = [cell_key(c) for c in header]
    for cat in _rules()["category"]:
        if any(cell_key(w) in k for w in cat["header"] for k in keys):
            return str(cat["name"])
    words = {str(cat["name"]): list(cat["header"]) for cat in _rules()["category"]}
    read = [r for r in (match_header(c, words) for c in header) if r is not None]
    top = max((right for _, right in read), default=0)
    kinds = {kind for kind, right in read if right == top}
    return kinds.pop() if len(kinds) == 1 else None


def _flag(field: str, raw: str, warnings: list[str]) -> bool | None:
    text = clean(raw) or ""
    if text in _rules()["flag_yes"]:
        return True
    if text in _rules()["flag_no"]:
        return False
    marks = {**{w: "有" for w in _rules()["flag_yes"]}, **{w: "無" for w in _rules()["flag_no"]}}
    word, note = read_word(text, marks, thresholds()["flag"])
    warnings.append(note.warning(field) if note is not None else f"{field}: {text}: not 有 or 無")
    return None if word is None else word == "有"


def _institution(raw: str, warnings: list[str]) -> str | None:
    printed = clean(raw)
    word, note = read_word(printed, vocabulary()["institutions"], thresholds()["institution"])
    if note is not None:
        warnings.append(note.warning("institution"))
    return word or printed


def _unnumbered_row(cells: list[str], header: list[str], cols: dict[str, int]) -> bool:
    """A row whose number OCR lost (an empty first cell) but which fills the list's columns: kept,
    for `renumber` to read its number from the rows around it."""
    return (
        not cell(cells, cols, "seq_no").strip()
        and len(cells) >= len(header)
        and all(cell(cells, cols, f).strip() for f in ("department", "institution") if f in cols)
    )


def _is_list_header(cols: dict[str, int]) -> bool:
    return "seq_no" in cols and {"department", "sensitive"} <= cols.keys()


def _item(
    cells: list[str],
    header: list[str],
    cols: dict[str, int],
    category: str | None,
    seg: Segment,
    document_id: str,
) -> SensitiveItem:
    w: list[str] = []
    seq_no, seq_note = read_int(cell(cells, cols, "seq_no"))
    w += [seq_note.warning("seq_no")] if seq_note else []
    notes: list[Note] = []
    bureau, department = department_and_bureau(cell(cells, cols, "department"), seg.municipality, notes)
    w += [n.warning("department") for n in notes]
    own = set(cols.values())
    extra = {
        cell_key(h): clean(cells[i]) if i < len(cells) else None
        for i, h in enumerate(header)
        if i not in own and cell_key(h)
    }
    return SensitiveItem(
        document_id=document_id,
        seq_no=seq_no,
        review_category=category,
        description=clean(cell(cells, cols, "description")),
        department=department,
        bureau=bureau,
        institution=_institution(cell(cells, cols, "institution"), w),
        sensitive=_flag("sensitive", cell(cells, cols, "sensitive"), w),
        ordinance_sensitive=_flag("ordinance_sensitive", cell(cells, cols, "ordinance_sensitive"), w),
        extra=json.dumps(extra, ensure_ascii=False) if extra else None,
        warnings=w,
    )


def parse_review_status(
    seg: Segment, document_id: str
) -> tuple[list[SensitiveItem], list[InstitutionCount], list[str]]:
    words: dict[str, list[str]] = _rules()["list_columns"]
    counts = CountTableReader(
        _rules()["count_table_corner"], _rules()["count_captions"], _rules()["count_metrics"]
    )
    items: list[SensitiveItem] = []
    notices: list[str] = []
    caption = ""
    header: list[str] | None = None
    cols: dict[str, int] = {}
    category: str | None = None
    # The kind of the list before, while a header naming none may still be its next page.
    previous: str | None = None
    for ln in seg.lines:
        if not ln.text.strip():
            continue
        cells = row_cells(ln.text)
        if counts.feed(cells, caption):
            header = None
            continue
        if cells is None:
            caption = ln.text
            continue
        found = field_columns(cells, words)
        if _is_list_header(found):
            previous = category if header is not None else previous
            header, cols, category = cells, found, category_of(cells)
            if category is None and previous is None:
                notices.append(f"line {ln.no}: a list whose headers name no review kind")
            continue
        seq_no, _ = read_int(cell(cells, cols, "seq_no"))
        if header is None or (seq_no is None and not _unnumbered_row(cells, header, cols)):
            continue
        if category is None and previous is not None:
            # A header whose kind cannot be read (every word of it damaged), over rows that go on
            # numbering the list before: the list's next page, under its repeated header.
            last = next((i.seq_no for i in reversed(items) if i.review_category == previous), None)
            if last is not None and seq_no == last + 1:
                category = previous
                notices.append(
                    f"line {ln.no}: a list whose headers name no review kind, read as {previous}: its numbering goes on from the list before"
                )
            else:
                notices.append(f"line {ln.no}: a list whose headers name no review kind")
            previous = None
        items.append(_item(cells, header, cols, category, seg, document_id))
    renumber(items, lambda i: i.review_category)
    # The count tables are checked against themselves and the lists in pipeline/checks/reports.py.
    # 実施機関 read through OCR damage: what the count tables repaired, as notices (no warnings column).
    notices += [n for t in counts.tables for n in t.notes]
    return items, [r for t in counts.tables for r in count_records(t, document_id)], notices


def _table_category(table: CountTable) -> str | None:
    """The review kind a count table counts: the kind whose name or header word its caption holds."""
    name = cell_key(table.name)
    for cat in _rules()["category"]:
        if cell_key(cat["name"]) in name:
            return str(cat["name"])
    for cat in _rules()["category"]:
        if any(cell_key(w) in name for w in cat["header"]):
            return str(cat["name"])
    return None


def flag_totals(tables: list[CountTable]) -> dict[tuple[str, str, str], int]:
    """(kind, institution, flag field) → the count table's number of flagged items."""
    out: dict[tuple[str, str, str], int] = {}
    for table in tables:
        cat = _table_category(table)
        if cat is None:
            continue
        for j, metric in enumerate(table.metrics):
            flag = best_field(metric, _rules()["count_metric"], exact=())
            if flag is None:
                continue
            for inst, vals in table.rows:
                if not is_total(inst) and vals[j] is not None:
                    out[(cat, inst, flag)] = vals[j] or 0
    return out


def parse(seg: Segment, document_id: str) -> Parsed:
    items, counts, notices = parse_review_status(seg, document_id)
    return Parsed({"sensitive_items": items, "institution_counts": counts}, notices)


DOCUMENT_TYPE = DocumentType("review_status_report", parse, ("sensitive_items", "institution_counts"))

"""Stage 3a: the 審議案件一覧 (case list) of a deliberation_list document → `ListRow`s.

Two shapes, recognised by what the lines look like rather than by one file's wording:

* table rows: cells separated by tabs (a converter's output, or our PDF reader's table rows) or
  Markdown pipes (`| 1 | … |`); columns are found by meaning from the header row (事業名 / 件名,
  担当課 / 所管課, …), in any order, other columns ignored; a header whose names wrapped onto a second
  table line is read from both. A table line with an empty number cell continues the row above it.
* wrapped text: every cell wrapped over several lines and rows glued together, as raw PDF text
  comes out. A row starts at a line holding the next case number and ends at the line holding a
  date followed by a result (`7月28日 承認`); the cells in between are taken apart from the right:
  result, date, 区分 (a list of known categories), then the split between 事業名 and 担当課 that
  leaves a plausible list of department names on the right. Page numbers (`- 3 -`) and the header
  printed again at the top of a page belong to no row. It is read in wrapped.py, through OCR damage.

Case numbers are read in any printed form (`1`, `No.1`, `1.`, `(1)`, `第1号`). A line break between two
names in a 担当課 cell becomes `、` in `departments_raw`, one inside a name is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipeline.documents.deliberation_list.cells import (
    ListRow,
    _category_text,
    _department_text,
    _read_result,
    _seq_no,
    split_categories,
)
from pipeline.documents.deliberation_list.header import header_map
from pipeline.documents.deliberation_list.wrapped import _DOUBLED_UNIT, _blocks, _date_text, _parse_block
from pipeline.documents.tables import RULE_ROW, row_cells
from pipeline.model import Line
from pipeline.normalise.dates import DateContext, DateError, read_date
from pipeline.normalise.departments import split_departments
from pipeline.normalise.ocr import Note, fold_digit_lookalikes
from pipeline.normalise.text import clean, squeeze

__all__ = ["ListRow", "parse_list", "split_categories"]


# --------------------------------------------------------------------------- table rows


def _table_cells(text: str) -> list[str] | None:
    """Cells of a table line (tabs, or a Markdown pipe row); [] for the `|---|` rule under a pipe
    header; None for a line that is not a table row."""
    if "|" in text and "-" in text and "\t" not in text and RULE_ROW.match(text):
        return []
    return row_cells(text)


def _merged_header(cells: list[str], below: list[str] | None) -> tuple[dict[str, int] | None, bool]:
    """The header read from `cells`, or from `cells` and the next table line together when a column
    name wrapped onto it (`審議` / `結果`); the flag says whether the next line was used."""
    own = header_map(cells)
    if not below or any(_seq_no(c) is not None for c in below):
        return own, False
    width = max(len(cells), len(below))
    pad = [*cells, *[""] * (width - len(cells))], [*below, *[""] * (width - len(below))]
    both = header_map([a + b for a, b in zip(*pad, strict=True)])
    if both and len(both) > len(own or {}):
        return both, True
    return own, False


@dataclass
class _TableRow:
    seq_no: int
    cells: dict[str, list[str]]
    first: Line
    last: Line
    warnings: list[str] = field(default_factory=list)


def _table_rows(lines: list[Line]) -> list[_TableRow]:
    table = [_table_cells(ln.text) for ln in lines]
    rows: list[_TableRow] = []
    mapping: dict[str, int] | None = None
    current: _TableRow | None = None
    skip = False
    for i, (ln, cells) in enumerate(zip(lines, table, strict=True)):
        if skip:
            skip = False
            continue
        if cells is None:
            current = None
            continue
        if not cells:
            continue
        hm, skip = _merged_header(cells, table[i + 1] if i + 1 < len(table) else None)
        if hm:
            mapping, current = hm, None
            continue
        if mapping is None:
            continue
        fields = {f: cells[j] if j < len(cells) else "" for f, j in mapping.items()}
        printed = fields.get("seq_no", cells[0])
        seq = _seq_no(printed)
        read = None if seq is not None or not printed.strip() else _seq_no(fold_digit_lookalikes(printed))
        if seq is not None or read is not None:
            # a number through look-alikes (`2B`, `3o`): a row, not a wrapped line of the one before
            notes = [f"seq_no: {printed.strip()}: read as {read}"] if read is not None else []
            number = seq if seq is not None else read
            assert number is not None
            current = _TableRow(number, {f: [v] for f, v in fields.items()}, ln, ln, notes)
            rows.append(current)
        elif current is not None and not fields.get("seq_no", cells[0]) and any(fields.values()):
            # A row whose cells wrapped onto the next line: that line's number cell is empty.
            for f, v in fields.items():
                current.cells.setdefault(f, []).append(v)
            current.last = ln
        else:
            current = None
    return rows


def _parse_tab_rows(lines: list[Line], municipality: str | None) -> list[ListRow]:
    out = []
    for r in _table_rows(lines):

        def joined(name: str, r: _TableRow = r) -> str | None:
            return clean("\n".join(r.cells.get(name, [])))

        out.append(
            ListRow(
                seq_no=r.seq_no,
                title=joined("title"),
                departments_raw=_department_text(r.cells.get("departments", []), municipality),
                categories_raw=_category_text(r.cells.get("categories", [])),
                date_raw=clean(" ".join(r.cells.get("deliberated_on", []))),
                result=clean(" ".join(r.cells.get("result", []))),
                line_start=r.first.no,
                line_end=r.last.no,
                page_start=r.first.page,
                page_end=r.last.page,
                warnings=list(r.warnings),
            )
        )
    return out


_DAY_LOST = re.compile(r"\d\s*月\s*\d{1,2}")


def _read_list_date(printed: str, ctx: DateContext, warnings: list[str]) -> date | None:
    # A doubled 日 or digit (`7月28日日`, `7月288日`), or the 日 lost at the end of a row's date
    # (`10月20`): the row's end says it is a date; read as the date it was, with a warning.
    repaired = _date_text(printed)
    if _DAY_LOST.search(repaired) and repaired.endswith(tuple("0123456789")):
        repaired += "日"
    try:
        if _DOUBLED_UNIT.search(squeeze(printed)):
            raise DateError("a unit printed twice")
        got, note = read_date(printed, ctx)
    except DateError as exc:
        if repaired != printed:
            try:
                got, _ = read_date(repaired, ctx)
            except DateError:
                pass
            else:
                warnings.append(f"deliberated_on: {printed}: read as {repaired}")
                return got
        warnings.append(f"deliberated_on: {printed}: {exc}")
        return None
    if note is not None:
        warnings.append(note.warning("deliberated_on"))
    return got


def parse_list(
    lines: list[Line], municipality: str | None = None, ctx: DateContext | None = None, end: int | None = None
) -> list[ListRow]:
    """Every row of the document's case list, in printed order.

    A row's 担当課 and 区分 are read into names; its 付議日 is read when `ctx` (the document's fiscal
    year and period) is given, a date that cannot be read becoming a warning. Without `ctx` the
    date is left as printed, in `date_raw`. `end`: the number of the line where the detail sheets
    begin, when known; the list of the wrapped shape is not read on from there.
    """
    rows = _parse_tab_rows(lines, municipality) or [
        _parse_block(block, municipality) for block in _blocks(lines, end)
    ]
    for row in rows:
        warnings = list(row.warnings)
        depts = split_departments(row.departments_raw, municipality)
        row.departments, row.unnamed_department_count = depts.names, depts.unnamed_count
        warnings += [n.warning("departments") for n in depts.notes]
        if ctx is not None and row.date_raw:
            row.deliberated_on = _read_list_date(row.date_raw, ctx, warnings)
        notes: list[Note] = []
        row.categories = split_categories(row.categories_raw, notes)
        warnings += [n.warning("categories") for n in notes]
        row.result = _read_result(row.result, warnings)
        row.warnings = warnings
    return rows

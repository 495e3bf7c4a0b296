"""Stage 3b: detail sheets (別紙) of a deliberation_list document → `Sheet`s.

A sheet starts at its numbered title (sheet_starts.py: `…について（№１）`, `【別紙1】…`, `案件1 …`,
`No.1` on a line of its own …) and runs to the next sheet's title. Inside it, label/value rows are
recognised by the labels of `[sheet_labels]` in `rules/vocabulary.toml`, in either text shape:

* table rows: `label<TAB>value[<TAB>…]`, HTML in the cells (a converter's output, or our PDF
  reader's table rows); a row with an empty label cell continues the row above;
* wrapped text: the label at the start of a line (`区 分 外部結合`), or alone, or itself wrapped
  over several short lines (`個人情報の` / `流れ及び情` / `報保護対策`); the value wraps over the
  following lines, with blank lines between them.

The flow row (個人情報の流れ及び情報保護対策 …, or any row whose value is `別紙のとおり`) closes
the sheet's fields: the diagram text after it belongs to no field. A `※` note after the value of a
short row (事業名, 担当課, 区分) is not part of the value: it goes to the sheet's warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pydantic import Field

from pipeline.documents.deliberation_list.sheet_labels import (
    END,
    LABEL_COLUMN_WIDTH,
    annex_values,
    compact,
    is_furniture,
    match_cell_label,
    match_end_prefix,
    match_label_inline,
    match_wrapped_label,
    note_fields,
    split_note,
)
from pipeline.documents.deliberation_list.sheet_starts import find_starts
from pipeline.model import Line
from pipeline.normalise.dates import DateContext
from pipeline.normalise.ocr import doubled_once, fold_figures
from pipeline.normalise.text import (
    clean,
    clean_multiline,
    counts_in,
    figure_pattern,
    join_lines,
    strip_html,
)
from pipeline.rules import vocabulary
from schemas import SheetFields


class Sheet(SheetFields):
    """One detail sheet: the sheet's case fields, and what ties it to its list row."""

    seq_no: int | None  # the case number of the sheet's marker (No.N); None when it has none
    heading: str | None  # the sheet's title line without its marker, cleaned
    categories_raw: str | None = None
    line_start: int = 0
    line_end: int = 0
    page_start: int | None = None
    page_end: int | None = None
    warnings: list[str] = Field(default_factory=list)


# A page number glued after the end of a sentence (`…を行う。12`): a sentence never ends in digits.
_GLUED_PAGE_NO = re.compile(r"(?<=[。」])\s*\d{1,3}\s*$")
# The same glued after any Japanese character, trusted only on the last line before the next sheet.
_GLUED_PAGE_NO_AT_END = re.compile(r"(?<=[\u3040-\u30ff\u4e00-\u9fff])\d{1,3}\s*$")
# What starts an item of 事業内容: `1 概要`, `(1)`, `①`, `※`, `・`, `○`.
_ITEM_START = re.compile(r"^\s*(?:\d{1,2}(?:\s|[.、．])|[(（]\s*\d{1,2}\s*[)）]|[①-⑳]|[※・○●■□◆◇])")
_TOP_HEADING = re.compile(r"^\s*(?P<no>\d{1,2})(?:\s+|[.、．]\s*)?(?=\D)(?P<rest>.*)$")


# --------------------------------------------------------------------------- rows of one sheet


@dataclass
class _Piece:
    text: str
    no: int
    tabbed: bool  # from a table row (HTML cell) rather than wrapped text


@dataclass
class _Rows:
    values: dict[str, list[_Piece]] = field(default_factory=dict)
    last: Line | None = None  # the last line that belonged to the sheet


def _contained(text: str, pieces: list[_Piece]) -> bool:
    """A converter repeats the table inside a cell as rows after it: those add nothing."""
    c = compact(text)
    return bool(c) and c in "".join(compact(p.text) for p in pieces)


def _read_rows(lines: list[Line], begin: int, end: int) -> _Rows:
    rows = _Rows()
    current: str | None = None
    ended = False
    # After the flow row, what of it may still follow: the tail of its cut label, its value.
    label_tail, value_due = "", False
    # the last line with text, looked for from the end (a sheet has hundreds of lines)
    last_text = next((k for k in range(end - 1, begin - 1, -1) if lines[k].text.strip()), -1)
    i = begin
    while i < end:
        ln = lines[i]
        raw = ln.text
        i += 1
        if not raw.strip() or is_furniture(strip_html(raw)):
            continue
        if ended:
            c = compact(raw)
            if label_tail and label_tail.startswith(c):
                label_tail = label_tail[len(c) :]
            elif value_due and c in annex_values():
                value_due = False
            else:
                break
            rows.last = ln
            continue
        if i - 1 == last_text:
            raw = _GLUED_PAGE_NO_AT_END.sub("", raw)
        raw = _GLUED_PAGE_NO.sub("", raw)
        if "\t" in raw:
            cells = raw.split("\t")
            label_text = compact(cells[0])
            found = match_cell_label(cells[0])
            if found and found.key not in rows.values:
                rows.last = ln
                if found.key == END:
                    ended, value_due = True, not any(c.strip() for c in cells[1:])
                    continue
                current = found.key
                pieces = rows.values.setdefault(current, [])
                for cell in cells[1:]:
                    if cell.strip() and not _contained(cell, pieces):
                        pieces.append(_Piece(cell, ln.no, True))
                continue
            if current is not None:
                pieces = rows.values[current]
                # A row with an empty label continues the cell above (a page break inside it); a row
                # with an unknown label is kept whole, as `label value`.
                texts = cells[1:] if not label_text else [" ".join(c.strip() for c in cells if c.strip())]
                for text in texts:
                    if text.strip() and not _contained(text, pieces):
                        pieces.append(_Piece(text, ln.no, True))
                rows.last = ln
            continue
        text = strip_html(raw).strip()
        cut = match_end_prefix(text)
        if cut is not None:
            rows.last, ended = ln, True
            label_tail, value_due = cut[0], not cut[1]
            continue
        if current in (None, "summary") and _is_annex_row(text):
            if current == "summary":
                _drop_wrapped_label(rows.values["summary"])
            rows.last, ended = ln, True
            continue
        hit = match_label_inline(text)
        if (
            hit
            and hit[0].key not in rows.values
            and (current != "summary" or not hit[1] or hit[0].key == END)
        ):
            lb, rest = hit
            rows.last = ln
            if lb.key == END:
                ended, value_due = True, not rest
                continue
            current = lb.key
            rows.values[current] = [_Piece(rest, ln.no, False)] if rest else []
            continue
        wrapped = match_wrapped_label(lines, i - 1, end)
        if wrapped and wrapped[0].key not in rows.values:
            lb, k = wrapped
            rows.last = lines[k]
            i = k + 1
            if lb.key == END:
                ended, value_due = True, True
                continue
            current = lb.key
            rows.values[current] = []
            continue
        if current is not None:
            rows.values[current].append(_Piece(text, ln.no, False))
            rows.last = ln
    return rows


def _is_annex_row(text: str) -> bool:
    """`別紙のとおり` alone, or after a short label the vocabulary does not know (`添付資料 別紙のとおり`)."""
    c = compact(text)
    if c in annex_values():
        return True
    m = re.match(rf"^(\S{{1,{LABEL_COLUMN_WIDTH}}})\s+(.+)$", text.strip())
    if m is None:
        return False
    return compact(m.group(2)) in annex_values() and not re.search(r"[、。,.\d]", m.group(1))


def _drop_wrapped_label(pieces: list[_Piece]) -> None:
    """An unknown label wrapped in its column sits at the end of 事業内容 as short fragments."""
    while pieces and not pieces[-1].tabbed:
        c = compact(pieces[-1].text)
        if len(c) > 6 or re.search(r"[\d。、,]", c):
            break
        pieces.pop()


# --------------------------------------------------------------------------- values


def _join_wrapped(texts: list[str]) -> str:
    """`join_lines`, except that digits cut by a wrap (`第4` / `0号`) are rejoined without a space."""
    out = ""
    for t in texts:
        t = t.strip()
        if out and t and out[-1].isdigit() and t[0].isdigit():
            out += t
        else:
            out = join_lines([out, t])
    return out


def _plain(pieces: list[_Piece]) -> str | None:
    return clean(_join_wrapped([p.text for p in pieces]))


def _summary(pieces: list[_Piece]) -> str | None:
    """事業内容 as text: HTML paragraphs of a cell, or wrapped lines rebuilt into paragraphs."""
    blocks: list[str] = []
    wrapped: list[str] = []

    def flush() -> None:
        if wrapped:
            blocks.append(_paragraphs(wrapped))
            wrapped.clear()

    for p in pieces:
        if p.tabbed:
            flush()
            # Inside a converter's cell, a run of spaces stands for a line break of the cell.
            blocks.append(re.sub(r" {3,}", "\n", strip_html(p.text)))
        else:
            wrapped.append(p.text)
    flush()
    return clean_multiline("\n".join(blocks))


_BLANKS_RUN = re.compile(r"\s{2,}")


def _paragraphs(lines: list[str]) -> str:
    """Rejoin lines wrapped at the page width: a short line, a `。` or an item marker ends a paragraph."""
    texts = [_BLANKS_RUN.sub(" ", t.strip()) for t in lines if t.strip()]
    width = max((len(t) for t in texts), default=0)
    paras: list[list[str]] = []
    for t in texts:
        prev = paras[-1][-1] if paras else None
        new = (
            prev is None
            or prev.endswith("。")
            or len(prev) < 0.8 * width
            or width < 20  # a block of short lines is a list, not a wrapped paragraph
            or bool(_ITEM_START.match(t))
        )
        if new:
            paras.append([t])
        else:
            paras[-1].append(t)
    return "\n".join(_join_wrapped(p) for p in paras)


@cache
def _count_patterns() -> tuple[re.Pattern[str], tuple[str, ...]]:
    labels = vocabulary()["sheet_labels"]
    heads = "|".join(map(re.escape, sorted(labels["count_headings"], key=len, reverse=True)))
    ends = "|".join(map(re.escape, labels["count_heading_endings"]))
    heading = re.compile(rf"(?:{heads})|(?:{ends})(?:\s*[(（][^()（）]*[)）])?\s*$")
    return heading, tuple(labels["count_units"])


def _target_count(summary: str | None) -> tuple[int | None, str | None]:
    """The single count in the paragraph headed `3 対象者数` (or kin); None when none or several."""
    if not summary:
        return None, None
    heading_re, units = _count_patterns()
    figure_re = figure_pattern(units)
    found: set[tuple[int, str]] = set()
    inside = False
    number = 0  # of the heading the count paragraph is under
    for printed in summary.splitlines():
        line = fold_figures(printed, units)  # `75〇人` is a figure, not a heading numbered 75
        m = _TOP_HEADING.match(line)
        rest = m.group("rest") if m else ""
        is_heading = bool(m) and not figure_re.match(line) and "。" not in rest and len(rest) <= 60
        # Under `3 対象者数`, `1 区民 …` is an item (NFKC turns ① into 1), not the next heading.
        if m and inside and int(m.group("no")) <= number:
            is_heading = False
        if m and is_heading:
            # a character of the heading OCR doubled (`3 対象象者`): its words read once
            head = heading_re.search(rest) or heading_re.search(rest := doubled_once(rest))
            inside, number = bool(head), int(m.group("no"))
            if not head:
                continue
            line = rest[head.end() :]
        # A note (`※ 管理している全データは80万人以上`) qualifies the count; it is not another one.
        if not inside or line.lstrip().startswith(("※", "*")):
            continue
        found.update(counts_in(line, units))
    if len(found) == 1:
        return next(iter(found))
    return None, None


# --------------------------------------------------------------------------- the stage


def _split_notes(sheet: Sheet) -> None:
    """A note printed in the cell of a short value (`区政情報課※契約は各所管課が締結する。`) qualifies
    it; it is not part of it. It is kept in the sheet's warnings rather than in a text field: none
    of 目的, 対象者, 事業内容 is where the sheet printed it, and a warning names the field it was on."""
    for name in note_fields():
        value, note = split_note(getattr(sheet, name))
        if note is not None:
            setattr(sheet, name, value)
            sheet.warnings.append(
                f"{name.removesuffix('_raw') if name == 'categories_raw' else name}: note: {note}"
            )


def parse_sheets(lines: list[Line], ctx: DateContext | None = None) -> list[Sheet]:
    """Every detail sheet of the document, in printed order; the case list before them is skipped."""
    starts = find_starts(lines)
    sheets: list[Sheet] = []
    for n, st in enumerate(starts):
        end = starts[n + 1].first if n + 1 < len(starts) else len(lines)
        rows = _read_rows(lines, st.body, end)
        last = rows.last or lines[max(st.marker, st.body - 1)]
        sheet = Sheet(
            seq_no=st.seq_no,
            heading=st.heading,
            line_start=lines[st.first].no,
            line_end=last.no,
            page_start=lines[st.first].page,
            page_end=last.page,
        )
        if st.seq_no is None:
            sheet.warnings.append(f"seq_no: {st.raw_marker}: the sheet's marker has no case number")
        v = rows.values
        sheet.program_name = _plain(v.get("program_name", []))
        sheet.detail_departments_raw = _plain(v.get("detail_departments_raw", []))
        sheet.categories_raw = _plain(v.get("categories_raw", []))
        _split_notes(sheet)
        sheet.purpose = _plain(v.get("purpose", []))
        sheet.target = _plain(v.get("target", []))
        sheet.summary = _summary(v.get("summary", []))
        sheet.target_count, sheet.target_count_unit = _target_count(sheet.summary)
        if not v:
            sheet.warnings.append(
                f"sheet: {st.raw_marker}: no labelled row (事業名, 担当課 …) found under the title"
            )
        sheets.append(sheet)
    return sheets

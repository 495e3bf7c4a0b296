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
  printed again at the top of a page belong to no row.

Case numbers are read in any printed form (`1`, `No.1`, `1.`, `(1)`, `第1号`). A line break between two
names in a 担当課 cell becomes `、` in `departments_raw`, one inside a name is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from pydantic import Field

from pipeline.documents.deliberation_list.header import header_map, is_text_header
from pipeline.documents.tables import RULE_ROW, is_page_number, row_cells
from pipeline.model import Line
from pipeline.normalise.dates import DateContext, DateError, read_date
from pipeline.normalise.departments import canonical, looks_like_department, split_departments
from pipeline.normalise.ocr import Note, read_word, thresholds
from pipeline.normalise.text import clean, remove_ocr_spaces, squeeze, strip_html
from pipeline.rules import vocabulary
from schemas import ListFields


class ListRow(ListFields):
    """One row of the case list: the list's case fields, and the printed text of those read from it."""

    categories_raw: str | None = None
    date_raw: str | None = None
    line_start: int
    line_end: int
    page_start: int | None = None
    page_end: int | None = None
    warnings: list[str] = Field(default_factory=list)


_CATEGORY_SPLIT = re.compile(r"[、,・\n]+")


def split_categories(raw: str | None, notes: list[Note] | None = None) -> list[str]:
    """区分 as the vocabulary spells them; a damaged one read as its word (外部桔合 → 外部結合) adds
    to `notes`, and one that is no known word is kept as printed."""
    if not raw:
        return []
    out: list[str] = []
    for c in (clean(p) for p in _CATEGORY_SPLIT.split(raw)):
        if not c:
            continue
        word, note = read_word(c, vocabulary()["categories"], thresholds()["category"])
        if note is not None and notes is not None:
            notes.append(note)
        out.append(word or c)
    return out


def _read_result(printed: str | None, warnings: list[str]) -> str | None:
    word, note = read_word(printed, vocabulary()["results"], thresholds()["result"])
    if note is not None:
        warnings.append(note.warning("result"))
    return word or printed


@cache
def _result_re() -> re.Pattern[str]:
    words = sorted(vocabulary()["results"], key=len, reverse=True)
    return re.compile(rf"({'|'.join(map(re.escape, words))})$")


_DATE_AT_END = re.compile(
    r"((?:(?:令和|平成|昭和)\s*[\d元]+\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日|"
    r"[RHSrhs]\s*\d{1,2}\s*[./]\s*\d{1,2}\s*[./]\s*\d{1,2}|(?:19|20)\d\d\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{1,2})"
    r"(?:\s*[(（][月火水木金土日][)）])?$"
)


@cache
def _categories_re() -> re.Pattern[str]:
    words = sorted(vocabulary()["categories"], key=len, reverse=True)
    cat = "|".join(map(re.escape, words))
    # Wrapped one to a line, 区分 may be printed without a comma between them.
    return re.compile(rf"(?:{cat})(?:[、,・]?(?:{cat}))*[、,]?")


# --------------------------------------------------------------------------- cells

# `1`, `No.1`, `№ 1` (NFKC: `No 1`), `1.`, `(1)`, `第1号`: a case number in any of the forms lists print.
_SEQ_FORM = r"(?:No\.?|第)?\s*[(]?\s*(\d{1,3})\s*[).]?\s*号?"
_SEQ_NO = re.compile(_SEQ_FORM)


def _seq_no(cell: str) -> int | None:
    m = _SEQ_NO.fullmatch(" ".join(cell.split()))
    return int(m.group(1)) if m else None


def _fragments(lines: list[str]) -> list[str]:
    """The text of a cell between its soft breaks (line breaks, `<br>`, spaces), each piece cleaned."""
    return [f for f in (clean(x) for x in strip_html("\n".join(lines)).split()) if f]


def _department_text(lines: list[str], municipality: str | None) -> str | None:
    """A 担当課 cell printed over several lines → one string that splits into the same names.

    A break inside a name (`情|報システム課`) is dropped, a break between two names
    (`健康づくり課|牛込保健センター`) becomes `、`: the registry and the suffix rule of
    `split_departments` decide which is which, for the whole cell at once.
    """
    return _department_text_of(tuple(lines), municipality)


# Remembered: the wrapped shape tries the same right-hand cells for every split of a row.
@lru_cache(maxsize=4096)
def _department_text_of(lines: tuple[str, ...], municipality: str | None) -> str | None:
    frags = _fragments(list(lines))
    if not frags:
        return None
    if len(frags) == 1:
        return clean(frags[0])
    target = split_departments("\n".join(frags), municipality)
    glued = clean("\n".join(frags)) or ""
    got = split_departments(glued, municipality)
    if (got.names, got.unnamed_count) == (target.names, target.unnamed_count):
        return glued
    out = frags[0]
    for k in range(1, len(frags)):
        glued = clean(out + "\n" + frags[k]) or ""
        got = split_departments("\n".join([glued, *frags[k + 1 :]]), municipality)
        same = (got.names, got.unnamed_count) == (target.names, target.unnamed_count)
        out = glued if same else f"{out}、{frags[k]}"
    return clean(out)


def _category_text(lines: list[str]) -> str | None:
    """A 区分 cell over several lines: a break between two known 区分 separates them, any other joins."""
    frags = _fragments(lines)
    if not frags:
        return None
    ends, starts = _category_edges()
    out = frags[0]
    for f in frags[1:]:
        out = f"{out}、{f}" if ends.search(out) and starts.match(f) else clean(out + "\n" + f) or ""
    return out


@cache
def _category_edges() -> tuple[re.Pattern[str], re.Pattern[str]]:
    words = "|".join(map(re.escape, sorted(vocabulary()["categories"], key=len, reverse=True)))
    return re.compile(rf"(?:{words})$"), re.compile(rf"(?:{words})")


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
        seq = _seq_no(fields.get("seq_no", cells[0]))
        if seq is not None:
            current = _TableRow(seq, {f: [v] for f, v in fields.items()}, ln, ln)
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
            )
        )
    return out


# --------------------------------------------------------------------------- wrapped text

# A line opening a row: its case number in any printed form, alone or followed by the row's first cells.
_ROW_START = re.compile(rf"^\s*{_SEQ_FORM}(?:\s+(.*\S))?\s*$")


def _header_end(lines: list[Line]) -> tuple[int, int] | None:
    """First and last index of the list's header: one line, or column names wrapped over up to six."""
    for i in range(len(lines)):
        window: list[str] = []
        for j in range(i, min(i + 6, len(lines))):
            if lines[j].text.strip():
                window.append(lines[j].text)
                if is_text_header(" ".join(window)):
                    return i, j
    return None


def _row_end(text: str) -> bool:
    t = remove_ocr_spaces(text.strip())
    m = _result_re().search(t)
    if not m:
        return False
    return bool(_DATE_AT_END.search(t[: m.start()].rstrip()))


def _blocks(lines: list[Line]) -> list[tuple[int, list[Line]]]:
    """Row blocks: (case number, the lines from its number to its date-and-result line).

    The first row may have any number (a list continued from an earlier packet); each next row the
    number after it. A page break inside the list prints a page number and the header again: those
    lines belong to no row.
    """
    found = _header_end(lines)
    if found is None:
        return []
    first, start = found
    header_lines = {squeeze(ln.text) for ln in lines[first : start + 1]} - {""}
    blocks: list[tuple[int, list[Line]]] = []
    expected: int | None = None
    current: list[Line] | None = None
    for ln in lines[start + 1 :]:
        # A page number between two pages of the list: a bare number cannot be told from a row's.
        if is_page_number(ln.text, bare=False) or squeeze(ln.text) in header_lines:
            continue
        m = _ROW_START.match(ln.text)
        if current is None:
            if m and (expected is None or int(m.group(1)) == expected):
                expected = int(m.group(1))
                current = [ln]
                if _row_end(m.group(2) or ""):
                    blocks.append((expected, current))
                    current, expected = None, expected + 1
            continue
        assert expected is not None
        # A number line for the next case closes a row whose result was never printed.
        if (
            m
            and int(m.group(1)) == expected + 1
            and any(_DATE_AT_END.search(x.text.strip()) for x in current)
        ):
            blocks.append((expected, current))
            expected += 1
            current = [ln]
            continue
        current.append(ln)
        # The result may wrap onto its own line below the date (`4月3日` / `承認`).
        tail = [x.text.strip() for x in current[1:] if x.text.strip()][-2:]
        if _row_end(ln.text) or (
            len(tail) == 2 and _result_re().fullmatch(tail[1]) and _row_end(" ".join(tail))
        ):
            blocks.append((expected, current))
            current, expected = None, expected + 1
    if current and expected is not None:
        blocks.append((expected, current))
    return blocks


@dataclass
class _Piece:
    text: str
    line: int
    after_blank: bool


def _pieces(block: list[Line]) -> list[_Piece]:
    out: list[_Piece] = []
    blank = False
    for k, ln in enumerate(block):
        text = ln.text.strip()
        if k == 0:
            text = _ROW_START.match(ln.text).group(2) or ""  # type: ignore[union-attr]
        if not text:
            blank = True
            continue
        for j, part in enumerate(re.split(r"\s+", text)):
            out.append(_Piece(part, ln.no, blank and j == 0))
        blank = False
    return out


def _join(pieces: list[_Piece]) -> str:
    """Pieces of one line were separated by spaces, pieces of wrapped lines by nothing."""
    out = ""
    prev_line = None
    for p in pieces:
        if out and p.line == prev_line:
            out += " " + p.text
        else:
            out += p.text
        prev_line = p.line
    return clean(out) or ""


_TITLE_END = re.compile(r"(について|に係る[^、]{0,10}|事業|業務|委託)([(（][^()（）]*[)）])*$|[)）]$")


_UNNAMED_TAIL = re.compile(r"[、,]?外\d+(課|部課|所属)等?$")


def _department_list_ok(text: str, municipality: str | None) -> tuple[bool, int]:
    """Is `text` a plausible printed list of departments? Also returns how many are registered."""
    if not text or "について" in text:
        return False, 0
    parts = [p for p in re.split(r"[、,]", text) if p]
    if not parts:
        return False, 0
    known = 0
    for p in parts:
        p2 = re.sub(r"外\d+(課|部課|所属)等?$", "", p)
        if not p2 and re.fullmatch(r"外\d+(課|部課|所属)等?", p):
            continue
        if canonical(p2, municipality):
            known += 1
        elif not looks_like_department(p2) or len(p2) > 20:
            return False, 0
    return True, known


def _split_title_departments(
    pieces: list[_Piece], municipality: str | None
) -> tuple[str | None, str | None, list[str]]:
    if not pieces:
        return None, None, ["title: the row is empty"]
    best: tuple[tuple[int, int, int, int], int] | None = None
    suffixes = tuple(vocabulary()["department_suffixes"])
    for k in range(1, len(pieces)):
        # Cheap tests on the joined text first: most splits leave a title's words on the right.
        glued = _join(pieces[k:])
        last = re.split(r"[、,]", _UNNAMED_TAIL.sub("", glued))[-1]
        if "について" in glued or not (last.endswith(suffixes) or canonical(last, municipality)):
            continue
        left, right = _join(pieces[:k]), _department_text([p.text for p in pieces[k:]], municipality) or ""
        ok, known = _department_list_ok(right, municipality)
        if not ok:
            continue
        score = (
            1 if _TITLE_END.search(left) else 0,
            1 if (pieces[k].after_blank or pieces[k].line == pieces[k - 1].line) else 0,
            known,
            -k,
        )
        if best is None or score > best[0]:
            best = (score, k)
    if best is None:
        return _join(pieces), None, ["departments: could not tell the 担当課 apart from the 事業名"]
    k = best[1]
    return _join(pieces[:k]), _department_text([p.text for p in pieces[k:]], municipality), []


def _parse_block(seq: int, block: list[Line], municipality: str | None) -> ListRow:
    pieces = _pieces(block)
    warnings: list[str] = []
    result = date_raw = categories = None
    if pieces:
        m = _result_re().search(pieces[-1].text)
        if m:
            rest = pieces[-1].text[: m.start()]
            result = m.group(1)
            pieces = pieces[:-1] + ([_Piece(rest, pieces[-1].line, False)] if rest else [])
    # The date may be spread over pieces (`令 和 5 年 4 月 3 日`): the longest suffix that reads as a
    # date, since its month and day alone (`4 月 3 日`) already do.
    date_n = 0
    for n in range(1, min(10, len(pieces)) + 1):
        m2 = _DATE_AT_END.search(remove_ocr_spaces("".join(p.text for p in pieces[-n:])))
        if m2 and m2.start() == 0:
            date_n = n
    if date_n:
        date_raw = clean("".join(p.text for p in pieces[-date_n:]))
        pieces = pieces[:-date_n]
    cre = _categories_re()
    for n in range(min(10, len(pieces)), 0, -1):
        tail = "".join(p.text for p in pieces[-n:])
        if cre.fullmatch(tail) and len(pieces) > n:
            categories = (_category_text([p.text for p in pieces[-n:]]) or "").rstrip("、,")
            pieces = pieces[:-n]
            break
    title, depts, w = _split_title_departments(pieces, municipality)
    warnings += w
    if date_raw is None:
        warnings.append("deliberated_on: no 付議日 found in the row")
    pages = [ln.page for ln in block if ln.page is not None]
    return ListRow(
        seq_no=seq,
        title=title,
        departments_raw=depts,
        categories_raw=categories,
        date_raw=date_raw,
        result=result,
        line_start=block[0].no,
        line_end=block[-1].no,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        warnings=warnings,
    )


def parse_list(
    lines: list[Line], municipality: str | None = None, ctx: DateContext | None = None
) -> list[ListRow]:
    """Every row of the document's case list, in printed order.

    A row's 担当課 and 区分 are read into names; its 付議日 is read when `ctx` (the document's fiscal
    year and period) is given, a date that cannot be read becoming a warning. Without `ctx` the
    date is left as printed, in `date_raw`.
    """
    rows = _parse_tab_rows(lines, municipality) or [
        _parse_block(seq, block, municipality) for seq, block in _blocks(lines)
    ]
    for row in rows:
        warnings = list(row.warnings)
        depts = split_departments(row.departments_raw, municipality)
        row.departments, row.unnamed_department_count = depts.names, depts.unnamed_count
        warnings += [n.warning("departments") for n in depts.notes]
        if ctx is not None and row.date_raw:
            try:
                row.deliberated_on, note = read_date(row.date_raw, ctx)
                if note is not None:
                    warnings.append(note.warning("deliberated_on"))
            except DateError as exc:
                warnings.append(f"deliberated_on: {row.date_raw}: {exc}")
        notes: list[Note] = []
        row.categories = split_categories(row.categories_raw, notes)
        warnings += [n.warning("categories") for n in notes]
        row.result = _read_result(row.result, warnings)
        row.warnings = warnings
    return rows

"""Stage 3a: the 審議案件一覧 (case list) of a deliberation_list document → `ListRow`s.

Two shapes, recognised by what the lines look like rather than by one file's wording:

* table rows: cells separated by tabs (a converter's output, or our PDF reader's table rows);
  columns are found by meaning from the header row (事業名 / 件名, 担当課 / 所管課, …).
* wrapped text: every cell wrapped over several lines and rows glued together, as raw PDF text
  comes out. A row starts at a line holding the next case number and ends at the line holding a
  date followed by a result (`7月28日 承認`); the cells in between are taken apart from the right:
  result, date, 区分 (a list of known categories), then the split between 事業名 and 担当課 that
  leaves a plausible list of department names on the right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pipeline.departments import canonical, looks_like_department
from pipeline.normalise import clean, remove_ocr_spaces
from pipeline.read import Line
from pipeline.rules import vocabulary


@dataclass
class ListRow:
    seq_no: int
    title: str | None
    departments_raw: str | None
    categories_raw: str | None
    date_raw: str | None
    result: str | None
    line_start: int
    line_end: int
    page_start: int | None
    page_end: int | None
    warnings: list[str] = field(default_factory=list)


FIELDS = ("seq_no", "title", "departments", "categories", "deliberated_on", "result")


@cache
def _column_words() -> dict[str, list[str]]:
    return {k: sorted(v, key=len, reverse=True) for k, v in vocabulary()["list_columns"].items()}


@cache
def _longest_column_word() -> int:
    return max(len(w) for words in _column_words().values() for w in words)


_SPACES = re.compile(r"\s+")
_TAGS = re.compile(r"<[^>]+>")


def _header_field(cell: str) -> str | None:
    # Called for every cell of every table: most cells are far longer than any column name.
    if len(cell) > 3 * _longest_column_word() + 20:
        return None
    c = _TAGS.sub("", _SPACES.sub("", cell))
    if len(c) > _longest_column_word() + 2:
        return None
    for fname, words in _column_words().items():
        for w in words:
            if c == w or (len(w) > 1 and c.startswith(w) and len(c) <= len(w) + 2):
                return fname
    return None


def _header_map(cells: list[str]) -> dict[str, int] | None:
    """Column index of each field when `cells` reads as a case-list header, else None."""
    mapping: dict[str, int] = {}
    for i, cell in enumerate(cells):
        f = _header_field(cell)
        if f and f not in mapping:
            mapping[f] = i
    if {"title", "departments"} <= mapping.keys() and len(mapping) >= 4:
        return mapping
    return None


def _header_run(text: str) -> dict[str, int] | None:
    """A header whose spaces OCR moved (`№ 事 業名 担 当課 区 分 付 議 日`): read the column names in
    order from the text with every space removed, each at the position where it starts."""
    c = _SPACES.sub("", text)
    if not c or len(c) > 12 * _longest_column_word():
        return None
    words = sorted(((w, f) for f, ws in _column_words().items() for w in ws), key=lambda wf: -len(wf[0]))
    cells: list[str] = []
    i = 0
    while i < len(c):
        hit = next((w for w, _ in words if c.startswith(w, i)), None)
        if hit is None:
            return None
        cells.append(hit)
        i += len(hit)
    return _header_map(cells)


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
    return re.compile(rf"(?:{cat})(?:[、,・](?:{cat}))*[、,]?")


# --------------------------------------------------------------------------- table rows


def _parse_tab_rows(lines: list[Line]) -> list[ListRow]:
    rows: list[ListRow] = []
    mapping: dict[str, int] | None = None
    for ln in lines:
        if "\t" not in ln.text:
            continue
        cells = [c.strip() for c in ln.text.split("\t")]
        hm = _header_map(cells)
        if hm:
            mapping = hm
            continue
        if mapping is None:
            continue
        seq_i = mapping.get("seq_no", 0)
        seq_cell = re.sub(r"\s+", "", cells[seq_i]) if seq_i < len(cells) else ""
        if not seq_cell.isdigit():
            continue

        def cell(name: str, cells: list[str] = cells, mapping: dict[str, int] = mapping) -> str | None:
            i = mapping.get(name)
            return cells[i] if i is not None and i < len(cells) and cells[i].strip() else None

        rows.append(
            ListRow(
                seq_no=int(seq_cell),
                title=clean(cell("title")),
                departments_raw=clean(cell("departments")),
                categories_raw=clean(cell("categories")),
                date_raw=clean(cell("deliberated_on")),
                result=clean(cell("result")),
                line_start=ln.no,
                line_end=ln.no,
                page_start=ln.page,
                page_end=ln.page,
            )
        )
    return rows


# --------------------------------------------------------------------------- wrapped text

_ROW_START = re.compile(r"^\s*(\d{1,3})(?:\s+(.*\S))?\s*$")


def _is_text_header(text: str) -> bool:
    cells = re.split(r"\s+", text.strip())
    return _header_map(cells) is not None or _header_run(text) is not None


def _header_end(lines: list[Line]) -> int | None:
    """Index of the last line of the list's header: one line, or column names wrapped over up to six."""
    for i in range(len(lines)):
        window: list[str] = []
        for j in range(i, min(i + 6, len(lines))):
            if lines[j].text.strip():
                window.append(lines[j].text)
                if _is_text_header(" ".join(window)):
                    return j
    return None


def _row_end(text: str) -> bool:
    t = remove_ocr_spaces(text.strip())
    m = _result_re().search(t)
    if not m:
        return False
    return bool(_DATE_AT_END.search(t[: m.start()].rstrip()))


def _blocks(lines: list[Line]) -> list[tuple[int, list[Line]]]:
    """Row blocks: (case number, the lines from its number to its date-and-result line)."""
    start = _header_end(lines)
    if start is None:
        return []
    blocks: list[tuple[int, list[Line]]] = []
    expected = 1
    current: list[Line] | None = None
    for ln in lines[start + 1 :]:
        m = _ROW_START.match(ln.text)
        if current is None:
            if m and int(m.group(1)) == expected:
                current = [ln]
                if _row_end(m.group(2) or ""):
                    blocks.append((expected, current))
                    current, expected = None, expected + 1
            continue
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
    if current:
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
    for k in range(1, len(pieces)):
        left, right = _join(pieces[:k]), _join(pieces[k:])
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
    return _join(pieces[:k]), _join(pieces[k:]), []


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
    # The date may be spread over pieces (`令 和 5 年 …`): grow a suffix until it reads as a date.
    for n in range(1, min(8, len(pieces)) + 1):
        tail = "".join(p.text for p in pieces[-n:])
        m2 = _DATE_AT_END.search(remove_ocr_spaces(tail))
        if m2 and m2.start() == 0:
            date_raw = clean(tail)
            pieces = pieces[:-n]
            break
    cre = _categories_re()
    for n in range(min(10, len(pieces)), 0, -1):
        tail = "".join(p.text for p in pieces[-n:])
        if cre.fullmatch(tail) and len(pieces) > n:
            categories = tail.rstrip("、,")
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


def parse_list(lines: list[Line], municipality: str | None = None) -> list[ListRow]:
    """Every row of the document's case list, in printed order."""
    rows = _parse_tab_rows(lines)
    if rows:
        return rows
    return [_parse_block(seq, block, municipality) for seq, block in _blocks(lines)]

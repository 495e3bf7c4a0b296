"""The case list of the wrapped shape (raw PDF text): every cell wrapped over several lines and
rows glued together. A row starts at a line holding the next case number and ends at the line
holding a date followed by a result (`7月28日 承認`); the cells in between are taken apart from the
right: result, date, 区分, then the split between 事業名 and 担当課 that leaves a plausible list of
department names on the right.

OCR damage does not end the list: a row number or date read through spaces and look-alikes, the
next expected number (+1, +2) resynchronises, a number out of sequence is kept as printed with a
warning, a row is capped in length, and the list never runs on into the detail sheets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pipeline.documents.deliberation_list.cells import (
    _DATE_AT_END_LOOSE,
    _DATE_THEN_WORD,
    _SEQ_FORM,
    ListRow,
    _categories_re,
    _category_text,
    _department_text,
    _result_re,
)
from pipeline.documents.deliberation_list.header import is_text_header
from pipeline.documents.deliberation_list.sheet_labels import label_words
from pipeline.documents.tables import is_page_number
from pipeline.model import Line
from pipeline.normalise.departments import canonical, looks_like_department, read_department
from pipeline.normalise.ocr import DOUBLED_UNIT, date_text, fold_digit_lookalikes, read_word, thresholds
from pipeline.normalise.text import clean, squeeze
from pipeline.rules import limits, ocr, vocabulary

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


# Dates through OCR damage are read by `normalise.ocr.date_text`; the names stay for this package.
_DOUBLED_UNIT = DOUBLED_UNIT
_date_text = date_text


def _row_end(text: str) -> bool:
    """Does this line end a row: a date followed by a result (`7月28日 承認`), read through OCR
    damage (look-alike digits, spaces, a lost or doubled 日, a result word damaged)?"""
    t = _date_text(text)
    m = _result_re().search(t)
    if m and _DATE_AT_END_LOOSE.search(t[: m.start()].rstrip()):
        return True
    m2 = _DATE_THEN_WORD.search(t)
    return bool(m2 and _result_after_date(m2.group(1)))


def _result_after_date(word: str) -> bool:
    """A word after a row's date is its result when it is near enough to one: nearer than a result
    is read (`承` for 承認 or 了承 ends the row, but is kept as printed)."""
    found, note = read_word(word, vocabulary()["results"], thresholds()["result_row_end"])
    return found is not None or note is not None


def _read_result_word(text: str) -> str | None:
    word, _ = read_word(text, vocabulary()["results"], thresholds()["result"])
    return word


_BARE_SPACED_NO = re.compile(r"^\s*(\d(?:\s?\d){0,2})\s*$")


def _row_number(text: str, expected: int | None) -> tuple[int, str, str | None] | None:
    """The case number a line opens a row with: (number, the rest of the line, a warning when the
    number was read through damage). `3 5` is 35 only where 35 is expected next."""
    folded = fold_digit_lookalikes(text)
    bare = _BARE_SPACED_NO.match(folded)
    if bare and expected is not None:
        n = int("".join(bare.group(1).split()))
        if n in (expected, expected + 1, expected + 2) and n != int(bare.group(1).split()[0]):
            return n, "", f"seq_no: {clean(text)}: read as {n}"
    squeezed = squeeze(text)
    if expected is not None and 0 < len(squeezed) <= 4 and not squeezed.isdigit():
        # Alone on its line, a look-alike of a digit anywhere in it (`|9`) is read as one where that
        # gives the number expected next.
        read = "".join(_any_digit_lookalike().get(c, c) for c in squeezed)
        if read.isdigit() and int(read) in (expected, expected + 1, expected + 2):
            return int(read), "", f"seq_no: {squeezed}: read as {int(read)}"
    if expected is not None and squeezed.isdigit() and len(squeezed) >= 2:
        # A digit read twice (`444` for 44): the number expected next once the doubled digit is dropped.
        for k in range(1, len(squeezed)):
            if squeezed[k] == squeezed[k - 1] and int(squeezed[:k] + squeezed[k + 1 :]) in (
                expected,
                expected + 1,
            ):
                n = int(squeezed[:k] + squeezed[k + 1 :])
                if n != int(squeezed):
                    return n, "", f"seq_no: {squeezed}: read as {n}"
    m = _ROW_START.match(text)
    if m is not None:
        return int(m.group(1)), m.group(2) or "", None
    m = _ROW_START.match(folded)
    if m is None:
        return None
    n = int(m.group(1))
    # The rest of the line is text of the row: taken as printed, only the number is read.
    printed, _, rest = text.strip().partition(" ") if m.group(2) else (text.strip(), "", "")
    return n, rest.strip(), f"seq_no: {clean(printed)}: read as {n}"


@cache
def _any_digit_lookalike() -> dict[str, str]:
    rules = ocr()
    return {**rules["digits"], **rules["digits_after_digit"]}


def _sheet_begins(text: str) -> bool:
    """A detail sheet's label row (`事業名 …`, `区 分 …`): the case list is over."""
    return _sheet_label_re().match(text) is not None


@cache
def _sheet_label_re() -> re.Pattern[str]:
    words = sorted(label_words(), key=len, reverse=True)
    spaced = "|".join(r"\s*".join(map(re.escape, w)) for w in words)
    return re.compile(rf"^\s*(?:{spaced})(?:\s|$)")


@dataclass
class _Block:
    seq: int
    rest: str  # what the number line holds after the number: the row's first cells
    lines: list[Line]
    warnings: list[str]
    out_of_sequence: bool = False


def _blocks(lines: list[Line], end: int | None = None) -> list[_Block]:
    """Row blocks: a case number and the lines from its number line to its date-and-result line.

    The first row may have any number (a list continued from an earlier packet); each next row the
    number after it, or the one after that when OCR damage hid a row's number (the list is
    resynchronised rather than ended). A bare number out of sequence opens a row kept as printed,
    with a warning. A page break inside the list prints a page number and the header again: those
    lines belong to no row. The list ends where the detail sheets begin (line `end`, or a sheet's
    label row): no row is started or continued inside them.
    """
    found = _header_end(lines)
    if found is None:
        return []
    first, start = found
    header_lines = {squeeze(ln.text) for ln in lines[first : start + 1]} - {""}
    cap_lines, cap_chars = int(limits()["list_row_max_lines"]), int(limits()["list_row_max_chars"])
    blocks: list[_Block] = []
    expected: int | None = None  # the number the next row should have
    current: _Block | None = None
    size = 0
    orphan: list[Line] = []  # lines after a row closed and before the next number line

    def close(block: _Block, by: int | None = None) -> None:
        """End the open row; `by`: the number of the line that ended it, when a number line did."""
        nonlocal current, expected
        assert expected is not None
        current = None
        if block.out_of_sequence and len(block.lines) == 1 and not block.rest:
            return  # a stray number with nothing after it (a page number): no row
        blocks.append(block)
        # A row out of sequence followed by the number expected was not in the sequence's place.
        if not (block.out_of_sequence and by == expected):
            expected += 1

    for ln in lines[start + 1 :]:
        if (end is not None and ln.no >= end) or _sheet_begins(ln.text):
            break
        # A page number between two pages of the list: a bare number cannot be told from a row's.
        if is_page_number(ln.text, bare=False) or squeeze(ln.text) in header_lines:
            continue
        got = _row_number(ln.text, expected)
        if current is not None and got is not None:
            n, rest, _ = got
            assert expected is not None
            dated = any(_DATE_AT_END_LOOSE.search(_date_text(x.text)) for x in current.lines)
            nexts = (expected + 1, expected + 2, *((expected,) if current.out_of_sequence else ()))
            # A number line for a next case closes a row whose result (or date) was never read.
            if n in nexts and (dated or not rest):
                close(current, n)
        if current is None:
            if got is None:
                if ln.text.strip() and expected is not None and len(orphan) < cap_lines:
                    orphan.append(ln)
                continue
            n, rest, note = got
            if expected is not None and n == expected + 1 and any(_row_end(x.text) for x in orphan):
                # A whole row between two rows, its number line lost (`9` read as nothing): the
                # row the numbers around it leave room for.
                lost = f"seq_no: no number printed; read as {expected}: the rows around it"
                blocks.append(_Block(expected, orphan[0].text.strip(), orphan, [lost]))
                expected += 1
            orphan = []
            warnings = [note] if note else []
            oos = expected is not None and n not in (expected, expected + 1, expected + 2)
            if oos:
                if rest:
                    continue
                # A renumbered or damaged number alone on its line, between two rows: kept as printed.
                warnings.append(f"seq_no: {n}: out of sequence after {expected - 1}")  # type: ignore[operator]
            elif expected is not None and n != expected:
                warnings.append(f"seq_no: no row numbered {', '.join(map(str, range(expected, n)))} was read")
                expected = n
            current, size = _Block(n, rest, [ln], warnings, oos), 0
            if expected is None:
                expected = n
            if rest and _row_end(rest):
                close(current)
            continue
        if not ln.text.strip() and _DATE_AT_END_LOOSE.search(_date_text(current.lines[-1].text)):
            # The date ends the row's last line and its result was lost: a blank line ends the row.
            if len(current.lines) > 1:
                close(current)
                continue
        current.lines.append(ln)
        size += len(ln.text.strip())
        # The result may wrap onto its own line below the date (`4月3日` / `承認`).
        tail = [x.text.strip() for x in current.lines[1:] if x.text.strip()][-2:]
        if _row_end(ln.text) or (len(tail) == 2 and _read_result_word(tail[1]) and _row_end(" ".join(tail))):
            close(current)
        elif sum(1 for x in current.lines if x.text.strip()) > cap_lines or size > cap_chars:
            current.warnings.append(
                f"row: longer than {cap_lines} lines or {cap_chars} characters, cut at line {ln.no}"
            )
            close(current)
    if current is not None:
        blocks.append(current)
    return blocks


@dataclass
class _Piece:
    text: str
    line: int
    after_blank: bool


def _pieces(block: _Block) -> list[_Piece]:
    out: list[_Piece] = []
    blank = False
    for k, ln in enumerate(block.lines):
        text = block.rest if k == 0 else ln.text.strip()
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


def _registered(name: str, municipality: str | None) -> bool:
    """A registered name, as printed or through one OCR edit (`落合保健ンター`)."""
    return canonical(name, municipality) is not None or read_department(name, municipality)[0] is not None


_LIST_SEP = re.compile(r"[、,]")
_UNNAMED_PART = re.compile(r"外\d+(課|部課|所属)等?$")


def _department_list_ok(text: str, municipality: str | None) -> tuple[bool, int]:
    """Is `text` a plausible printed list of departments? Also returns how many are registered."""
    if not text or "について" in text:
        return False, 0
    parts = [p for p in _LIST_SEP.split(text) if p]
    if not parts:
        return False, 0
    known = 0
    for p in parts:
        p2 = _UNNAMED_PART.sub("", p)
        if not p2 and _UNNAMED_PART.fullmatch(p):
            continue
        if _registered(p2, municipality):
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
    # Only the last pieces can be the 担当課 cell: a bounded number of splits, each of them costing
    # the row's length, keeps a row that OCR damage made long from costing its length squared.
    widest = int(limits()["list_department_max_pieces"])
    lefts: dict[int, str] = {}  # the title each scored split leaves, joined once
    for k in range(max(1, len(pieces) - widest), len(pieces)):
        # Cheap tests on the joined text first: most splits leave a title's words on the right.
        glued = _join(pieces[k:])
        last = re.split(r"[、,]", _UNNAMED_TAIL.sub("", glued))[-1]
        if "について" in glued or not (last.endswith(suffixes) or _registered(last, municipality)):
            continue
        right = _department_text([p.text for p in pieces[k:]], municipality) or ""
        ok, known = _department_list_ok(right, municipality)
        if not ok:
            continue
        left = lefts[k] = _join(pieces[:k])
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
    return lefts[k], _department_text([p.text for p in pieces[k:]], municipality), []


def _damaged_categories(pieces: list[_Piece]) -> int:
    """How many last pieces are 区分 read by score (`外結合、` for 外部結合): each piece one or more
    category words, at least one of them damaged; a title or 課名 is never near enough to one."""
    n = 0
    words, threshold = vocabulary()["categories"], thresholds()["category"]
    while n + 1 < len(pieces):
        parts = [x for x in re.split(r"[、,・]", pieces[-n - 1].text) if x]
        if not parts or not all(read_word(x, words, threshold)[0] for x in parts):
            break
        n += 1
    return n


def _parse_block(block: _Block, municipality: str | None) -> ListRow:
    pieces = _pieces(block)
    warnings: list[str] = list(block.warnings)
    result = date_raw = categories = None
    if len(pieces) > 1 and pieces[-2].line == pieces[-1].line and not _result_re().search(pieces[-1].text):
        # A space OCR put inside the result (`承 認`).
        glued = _result_re().search(pieces[-2].text + pieces[-1].text)
        if glued and glued.start() < len(pieces[-2].text):
            pieces = [
                *pieces[:-2],
                _Piece(pieces[-2].text + pieces[-1].text, pieces[-1].line, pieces[-2].after_blank),
            ]
    if pieces:
        last = pieces[-1].text
        m = _result_re().search(last)
        # A result one edit off (`承忍`) is taken where it stands, after the date; `_read_result`
        # then reads it with a warning.
        m_word = None if m else re.search(r"(?<![^\d日)）])([^\d\s日)）]{1,4})$", last)
        if m_word and not _result_after_date(m_word.group(1)):
            m_word = None
        if m or m_word:
            found = m or m_word
            assert found is not None
            rest = last[: found.start()]
            result = found.group(1)
            pieces = pieces[:-1] + ([_Piece(rest, pieces[-1].line, False)] if rest else [])
    # The date may be spread over pieces (`令 和 5 年 4 月 3 日`): the longest suffix that reads as a
    # date, since its month and day alone (`4 月 3 日`) already do.
    date_n = 0
    for n in range(1, min(10, len(pieces)) + 1):
        m2 = _DATE_AT_END_LOOSE.search(_date_text("".join(p.text for p in pieces[-n:])))
        if m2 and m2.start() == 0:
            date_n = n
    if date_n:
        date_raw = clean("".join(p.text for p in pieces[-date_n:]))
        pieces = pieces[:-date_n]
    elif pieces:
        # The space before the date lost (`電算処理9月1日`): the date ends the piece before it.
        end = pieces[-1]
        m3 = _DATE_AT_END_LOOSE.search(end.text)
        if m3 and m3.start() > 0 and not end.text[m3.start() - 1].isdigit():
            date_raw = clean(end.text[m3.start() :])
            pieces = [*pieces[:-1], _Piece(end.text[: m3.start()], end.line, end.after_blank)]
    cre = _categories_re()
    for n in range(min(10, len(pieces)), 0, -1):
        tail = "".join(p.text for p in pieces[-n:])
        if cre.fullmatch(tail) and len(pieces) > n:
            categories = (_category_text([p.text for p in pieces[-n:]]) or "").rstrip("、,")
            pieces = pieces[:-n]
            break
    # 区分 damaged (`外結合、`) before or instead of those printed right, read by score.
    n = _damaged_categories(pieces)
    if n:
        damaged = "、".join(clean(p.text.strip("、,")) or "" for p in pieces[-n:])
        categories = f"{damaged}、{categories}" if categories else damaged
        pieces = pieces[:-n]
    title, depts, w = _split_title_departments(pieces, municipality)
    warnings += w
    if date_raw is None:
        warnings.append("deliberated_on: no 付議日 found in the row")
    if result is None:
        warnings.append("result: no 審議結果 found in the row")
    pages = [ln.page for ln in block.lines if ln.page is not None]
    return ListRow(
        seq_no=block.seq,
        title=title,
        departments_raw=depts,
        categories_raw=categories,
        date_raw=date_raw,
        result=result,
        line_start=block.lines[0].no,
        line_end=block.lines[-1].no,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        warnings=warnings,
    )

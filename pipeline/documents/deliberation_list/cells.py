"""The cells of a case-list row, whatever shape the list has: a row's record (`ListRow`), its case
number, and the cell texts (担当課, 区分, 審議結果, 付議日) read from the lines a cell was printed on.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from pydantic import Field

from pipeline.normalise.departments import split_departments
from pipeline.normalise.ocr import Note, read_as, read_word, thresholds
from pipeline.normalise.text import clean, squeeze, strip_html
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
        joined = _split_joined_categories(c) if word is None and note is None else None
        if joined is not None:
            note, word = read_as(c, "、".join(joined)), None
            out.extend(joined)
        if note is not None and notes is not None:
            notes.append(note)
        if joined is None:
            out.append(word or c)
    return out


def _split_joined_categories(printed: str) -> list[str] | None:
    """Two 区分 printed as one (`外部結合業務委託`: OCR lost the 、 between them), when exactly one
    place splits the cell into two vocabulary words; None otherwise."""
    words = set(vocabulary()["categories"])
    key = squeeze(printed)
    splits = [(key[:i], key[i:]) for i in range(2, len(key) - 1) if key[:i] in words and key[i:] in words]
    return list(splits[0]) if len(splits) == 1 else None


def _read_result(printed: str | None, warnings: list[str]) -> str | None:
    word, note = read_word(printed, vocabulary()["results"], thresholds()["result"])
    if note is not None:
        warnings.append(note.warning("result"))
    elif word is None and printed:
        warnings.append(f"result: {printed}: not a known 審議結果; kept as printed")
    return word or printed


@cache
def _result_re() -> re.Pattern[str]:
    words = sorted(vocabulary()["results"], key=len, reverse=True)
    return re.compile(rf"({'|'.join(map(re.escape, words))})$")


_DATE = (
    r"(?:(?:令和|平成|昭和)\s*[\d元]+\s*年\s*|(?:19|20)\d\d\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日|"
    r"[RHSrhs]\s*\d{1,2}\s*[./]\s*\d{1,2}\s*[./]\s*\d{1,2}|(?:19|20)\d\d\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{1,2}"
)
_WEEKDAY = r"(?:\s*[(（][月火水木金土日][)）])?"
_DATE_AT_END = re.compile(rf"({_DATE}){_WEEKDAY}$")
# Where the row ends, read through damage: the 日 of a date may be lost (`10月20 承認`).
_DATE_AT_END_LOOSE = re.compile(rf"(?:{_DATE}|\d{{1,2}}\s*月\s*\d{{1,2}}){_WEEKDAY}$")
# A date and the word after it, for a result printed one edit off (`7月28日 承忍`).
_DATE_THEN_WORD = re.compile(rf"(?:{_DATE}|\d{{1,2}}\s*月\s*\d{{1,2}}){_WEEKDAY}\s*([^\d\s]{{1,4}})$")


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

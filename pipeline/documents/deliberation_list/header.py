"""The case list's header, recognised by meaning: which printed cells name which column.

The column names are `[list_columns]` of rules/vocabulary.toml (事業名 / 件名, 担当課 / 所管課, …); a
row is the header when it names 事業名 and 担当課 and at least four columns. The one matcher the
list parser and, through `LayoutHints`, the PDF reader share.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline.normalise.ocr import match_header
from pipeline.normalise.text import fold, squeeze
from pipeline.rules import vocabulary


@cache
def _column_words() -> dict[str, list[str]]:
    return {k: sorted(v, key=len, reverse=True) for k, v in vocabulary()["list_columns"].items()}


@cache
def _longest_column_word() -> int:
    return max(len(w) for words in _column_words().values() for w in words)


_TAGS = re.compile(r"<[^>]+>")


def _header_field(cell: str) -> str | None:
    # Called for every cell of every table: most cells are far longer than any column name.
    if len(cell) > 3 * _longest_column_word() + 20:
        return None
    c = squeeze(cell)
    c = _TAGS.sub("", c) if "<" in c else c
    if len(c) > _longest_column_word() + 2:
        return None
    # The first field with a word `c` is, or (of two characters or more) starts `c` with at most two
    # characters after it: looked up as the prefixes of `c` those words can be.
    names, exact, prefixes = _words_index()
    found = [exact.get(c, _NONE)]
    found += [prefixes.get(c[:k], _NONE) for k in range(max(2, len(c) - 2), len(c) + 1)]
    first = min(found)
    return None if first == _NONE else names[first]


_NONE = 1 << 30


@cache
def _words_index() -> tuple[tuple[str, ...], dict[str, int], dict[str, int]]:
    """The fields in order; each column word → the position of the first field naming it; again
    for words of two characters or more."""
    exact: dict[str, int] = {}
    prefixes: dict[str, int] = {}
    for n, words in enumerate(_column_words().values()):
        for w in words:
            exact.setdefault(w, n)
            if len(w) > 1:
                prefixes.setdefault(w, n)
    return tuple(_column_words()), exact, prefixes


def _damaged_header_field(cell: str) -> str | None:
    """The field of a column name OCR damaged (`事業` for 事業名), when only one field reads so."""
    c = _TAGS.sub("", squeeze(cell))
    if not c or len(c) > _longest_column_word() + 2:
        return None
    words = {f: ws for f, ws in _column_words().items() if f != "seq_no"}
    found = match_header(c, words)
    return found[0] if found else None


def header_map(cells: list[str]) -> dict[str, int] | None:
    """Column index of each field when `cells` reads as a case-list header, else None.

    A header with at least two names read as printed is read again with its other cells' names
    through OCR damage (`事業` for 事業名, `議日` for 付議日).
    """
    mapping: dict[str, int] = {}
    unread: list[int] = []
    for i, cell in enumerate(cells):
        f = _header_field(cell)
        if f is None:
            unread.append(i)
        elif f not in mapping:
            mapping[f] = i
    # Also when the names read as printed make a header already: a column whose name OCR damaged
    # (`議日` for 付議日) would otherwise be lost for every row.
    if len(mapping) >= 2:
        for i in unread:
            f = _damaged_header_field(cells[i])
            if f and f not in mapping:
                mapping[f] = i
    return mapping if _is_header(mapping) else None


def _is_header(mapping: dict[str, int]) -> bool:
    return {"title", "departments"} <= mapping.keys() and len(mapping) >= 4


def _header_run(text: str) -> dict[str, int] | None:
    """A header whose spaces OCR moved (`№ 事 業名 担 当課 区 分 付 議 日`): read the column names in
    order from the text with every space removed, each at the position where it starts."""
    c = squeeze(text)
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
    return header_map(cells)


def is_text_header(text: str) -> bool:
    """A line (or lines joined) of the wrapped shape that reads as the header."""
    cells = re.split(r"\s+", text.strip())
    return header_map(cells) is not None or _header_run(text) is not None


# Accents that join the letter before them into one character (`o` + U+0301 → `ó`).
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@cache
def _name_starts() -> re.Pattern[str]:
    """Every place a column name starts (overlapping ones too)."""
    words = sorted({w for ws in _column_words().values() for w in ws}, key=len, reverse=True)
    return re.compile("(?=" + "|".join(re.escape(w) for w in words) + ")")


def may_be_header(text: str) -> bool:
    """False when no cutting of `text` (a line, its characters' texts joined) into cells reads as a
    header: `header_map` reads one only when two cells or more, folded and without spaces, start with
    a column name, so the line folded whole holds two places where a name starts. Folded whole, not
    cell by cell, a name's last letter could join an accent starting the next cell (`No` + U+0301):
    a line with such an accent, or with a tag (`<…>` taken out of a cell), is not tested."""
    t = squeeze(fold(text))
    if "<" in t or _ACCENTS.search(text):
        return True
    return len(_name_starts().findall(t)) >= 2

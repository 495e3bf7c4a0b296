"""The words of a detail sheet (別紙), from `[sheet_labels]` of rules/vocabulary.toml, and how a line
is matched against them: row labels (inline, in a table cell, wrapped in a narrow column, cut by
it), values that point at an annex, the words that number a sheet, and `※` notes inside a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from pipeline.documents.tables import is_page_number
from pipeline.model import Line
from pipeline.normalise.ocr import read_label
from pipeline.normalise.text import squeeze, strip_html
from pipeline.rules import vocabulary

LABEL_COLUMN_WIDTH = 8  # a label wrapped in its narrow column: every piece is at most this long

_FIELD_KEYS = {
    "program_name": "program_name",
    "detail_departments_raw": "detail_departments_raw",
    "categories": "categories_raw",
    "purpose": "purpose",
    "target": "target",
    "summary": "summary",
}
_END_KEYS = ("flow", "end_rows")
_SETTING_KEYS = (
    "annex_values",
    "count_headings",
    "count_heading_endings",
    "count_units",
    "number_words",
    "note_marks",
    "note_fields",
)
END = "__end__"  # the flow row and its kin
OTHER = "__other__"  # a recognised row the store has no column for: its value goes nowhere


@dataclass(frozen=True)
class Label:
    compact: str  # the label without spaces
    key: str  # a Sheet field, END or OTHER
    pattern: re.Pattern[str]  # the label at the start of a line, OCR spaces allowed inside


def _spaced(word: str) -> str:
    """A word as a pattern that lets OCR put spaces between its characters."""
    return r"\s*".join(map(re.escape, squeeze(word)))


@cache
def labels() -> tuple[Label, ...]:
    out: list[Label] = []
    for key, words in vocabulary()["sheet_labels"].items():
        if key in _SETTING_KEYS:
            continue
        target = _FIELD_KEYS.get(key) or (END if key in _END_KEYS else OTHER)
        for w in words:
            out.append(Label(squeeze(w), target, re.compile(rf"^\s*{_spaced(w)}(?=\s|$|[:：])[:：]?\s*")))
    # Longest first, so 事業の目的 wins over 目的 and 個人情報の流れ及び… over 個人情報の流れ.
    return tuple(sorted(out, key=lambda lb: len(lb.compact), reverse=True))


@cache
def label_words() -> frozenset[str]:
    """Every row label a sheet may print, spaces removed: what the PDF reader looks for in a label column."""
    return frozenset(lb.compact for lb in labels())


@cache
def annex_values() -> tuple[str, ...]:
    return tuple(squeeze(v) for v in vocabulary()["sheet_labels"]["annex_values"])


def compact(text: str) -> str:
    return squeeze(strip_html(text))


def is_furniture(text: str) -> bool:
    """A page number on a line of its own (`12`, `- 3 -`, `3 / 10`): no sheet row starts with a number."""
    return is_page_number(text, bare=True)


@cache
def _by_first_character() -> dict[str, tuple[Label, ...]]:
    """The labels by their first character, longest first as in `labels()`: a label's pattern
    matches only a line whose first character after white space is the label's own."""
    out: dict[str, list[Label]] = {}
    for lb in labels():
        out.setdefault(lb.compact[0], []).append(lb)
    return {c: tuple(lbs) for c, lbs in out.items()}


@cache
def _by_compact() -> dict[str, Label]:
    """Each label text's first label in `labels()` order."""
    out: dict[str, Label] = {}
    for lb in labels():
        out.setdefault(lb.compact, lb)
    return out


@cache
def _all_labels() -> str:
    """Every label, one a line: a text without white space is inside a label if it is inside this
    (one search instead of one a label)."""
    return "\n".join(lb.compact for lb in labels())


@cache
def _longest_label() -> int:
    return max(len(lb.compact) for lb in labels())


def match_label_inline(text: str) -> tuple[Label, str] | None:
    """The label a wrapped-text line starts with, and the rest of the line (its value); a first
    word OCR damaged (`事業内容容`, `対象象者 手続の申請者`) is read as a label too. The caller takes a
    label once per sheet, so a value line starting with a word near a label seen already stays."""
    for lb in _by_first_character().get(text.lstrip()[:1], ()):
        m = lb.pattern.match(text)
        if m:
            return lb, text[m.end() :].strip()
    # The label may be spaced by OCR (`区 区分`): its first one to three words.
    words = text.split()
    longest = _longest_label() + 1
    for k in range(1, min(3, len(words)) + 1):
        c = compact("".join(words[:k]))
        if len(c) > longest:
            break
        # a piece of a label wrapped or cut by its column (`個人情報の流れ及`) is read as such elsewhere
        if c in _all_labels():
            continue
        damaged = _damaged_label(c)
        if damaged is not None:
            return damaged, " ".join(words[k:])
    return None


def match_cell_label(text: str) -> Label | None:
    """The label a table row's first cell is: exactly, or through OCR damage."""
    c = compact(text)
    if not c:
        return None
    return _by_compact().get(c) or _damaged_label(c)


@cache
def _labels_by_key() -> tuple[dict[str, Label], dict[str, tuple[str, ...]]]:
    """The first label of each key, and each key's labels as `ocr.read_label` takes them."""
    by_key: dict[str, list[Label]] = {}
    for lb in labels():
        by_key.setdefault(lb.key, []).append(lb)
    return {k: lbs[0] for k, lbs in by_key.items()}, {
        k: tuple(lb.compact for lb in lbs) for k, lbs in by_key.items()
    }


def _damaged_label(c: str) -> Label | None:
    """A label cell OCR damaged (`事業業内容`): `ocr.read_label` over every label's row."""
    # Remembered for words no longer than a label: the first words of every value line are tried.
    return _damaged_short(c) if len(c) <= _longest_label() + 1 else _read_damaged_label(c)


@lru_cache(maxsize=4096)
def _damaged_short(c: str) -> Label | None:
    return _read_damaged_label(c)


def _read_damaged_label(c: str) -> Label | None:
    first, words = _labels_by_key()
    key = read_label(c, words)
    return first[key] if key is not None else None


@cache
def _cut_end_labels() -> tuple[tuple[Label, ...], tuple[str, ...]]:
    """The flow labels long enough to be read cut (in `labels()` order), and their first 6 characters."""
    cut = tuple(lb for lb in labels() if lb.key == END and len(lb.compact) >= 6)
    return cut, tuple(lb.compact[:6] for lb in cut)


def match_end_prefix(text: str) -> tuple[str, bool] | None:
    """`個人情報の流れ及 別紙のとおり`: a flow label cut by its column, with or without its value.

    Returns the rest of the label still to come on the next lines, and whether the value was seen.
    """
    c = compact(text)
    cut_labels, firsts = _cut_end_labels()
    if not c.startswith(firsts):
        return None  # every line of a sheet is tried: most start with none of them
    for lb in cut_labels:
        if not c.startswith(lb.compact[:6]):
            continue
        # the longest of the label's first 6 or more characters the line starts with
        k, n = 6, min(len(c), len(lb.compact))
        while k < n and c[k] == lb.compact[k]:
            k += 1
        rest = c[k:]
        if not rest or rest.startswith(annex_values()):
            return lb.compact[k:], bool(rest)
    return None


def match_wrapped_label(lines: list[Line], i: int, end: int) -> tuple[Label, int] | None:
    """A label wrapped over short lines (`個人情報の` / `流れ及び情` / `報保護対策`): (label, last index)."""
    first = compact(lines[i].text)
    if not first or len(first) > LABEL_COLUMN_WIDTH:
        return None
    candidates = [lb for lb in labels() if lb.compact.startswith(first) and lb.compact != first]
    if not candidates:
        return None
    joined, k = first, i
    while k + 1 < end:
        k += 1
        piece = compact(lines[k].text)
        if not piece:
            continue
        if len(piece) > LABEL_COLUMN_WIDTH:
            return None
        joined += piece
        for lb in candidates:
            if lb.compact == joined:
                return lb, k
        if not any(lb.compact.startswith(joined) for lb in candidates):
            return None
    return None


def row_label(lines: list[Line], i: int, end: int) -> Label | None:
    """The label of the row line i starts, in any of the shapes a sheet's rows are read in."""
    text = lines[i].text
    if "\t" in text:
        return match_cell_label(text.split("\t", 1)[0])
    plain = strip_html(text).strip()
    inline = match_label_inline(plain)
    if inline is not None:
        return inline[0]
    wrapped = match_wrapped_label(lines, i, end)
    return wrapped[0] if wrapped is not None else None


# --------------------------------------------------------------------------- sheet numbers


@cache
def number_pattern() -> re.Pattern[str]:
    """A sheet number at the start of a line: `【別紙3】`, `別紙 3`, `案件3`, `No.3`, OCR spaces allowed.

    Groups: `no` (digits, maybe spaced) and `rest` (what follows: the title, or nothing). The word is
    followed by its digits, then a closing bracket, a space or the end of the line, so `別紙のとおり`
    and `別紙1のとおり` are no numbers.
    """
    words = sorted(vocabulary()["sheet_labels"]["number_words"], key=len, reverse=True)
    alt = "|".join(_spaced(w) for w in words)
    return re.compile(
        rf"^\s*(?P<open>[【\[(（〔])?\s*(?:{alt})\s*(?P<no>\d(?:\s*\d)*)\s*"
        rf"(?(open)[】\])）〕]|(?=\s|$))\s*(?P<rest>.*)$"
    )


# --------------------------------------------------------------------------- notes


@cache
def _note_settings() -> tuple[tuple[str, ...], tuple[str, ...]]:
    s = vocabulary()["sheet_labels"]
    return tuple(s["note_marks"]), tuple(_FIELD_KEYS[k] for k in s["note_fields"])


def note_fields() -> tuple[str, ...]:
    """The Sheet fields whose `※` note is split off (short values: 事業名, 担当課, 区分), in rules order."""
    return _note_settings()[1]


def split_note(value: str | None) -> tuple[str | None, str | None]:
    """(the value, the note) of `行政管理課、区政情報課※契約は…`: the note starts at the first mark
    that follows the value's text; a mark that is the whole value, or a reference mark in brackets
    (`教室(※)を`), stays in the value."""
    if not value:
        return value, None
    marks, _ = _note_settings()
    for m in re.finditer("|".join(map(re.escape, marks)), value):
        before, after = value[: m.start()].rstrip(), value[m.end() :]
        if before.endswith(("(", "（")) or after.lstrip().startswith((")", "）")):
            continue
        if not before:
            return value, None
        return before, value[m.start() :].strip()
    return value, None

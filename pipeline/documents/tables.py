"""Table rows of the report parsers (outsourcing, review status, council items): cells of a row,
header cells matched to fields by meaning, and count tables (実施機関 × metric) with their checks;
and the page furniture every parser skips."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from rapidfuzz.distance import Levenshtein

from pipeline.normalise.ocr import (
    Note,
    doubled_once,
    edits_within,
    fold_digit_lookalikes,
    match_header,
    read_as,
    read_int,
    read_sequence,
    read_word,
    thresholds,
    undoubled,
)
from pipeline.normalise.text import clean, fold, parse_int, squeeze, strip_html
from pipeline.rules import vocabulary
from schemas.records import InstitutionCount

# A caption's own number: `(1)`, `1.`, `①`.
CAPTION_NO = re.compile(r"^\s*(?:[(（]\s*\d+\s*[)）]|\d+\s*[.．、)]?\s+|[①-⑳])\s*")
# The `|---|---|` line under a Markdown table's header.
RULE_ROW = re.compile(r"^[\s|:\-–—=+]*$")
# Words that make a count-table row a total; data, but small and the same for every ward.
TOTAL_WORDS = ("合計", "総計", "計")


def row_cells(text: str) -> list[str] | None:
    """The cells of a table row (tabs, or a Markdown `| a | b |` row); None when `text` is no row."""
    if "\t" in text:
        return [c.strip() for c in text.rstrip("\r\n").split("\t")]
    t = text.strip()
    if t.startswith("|") and t.count("|") >= 3 and not RULE_ROW.match(t):
        return [c.strip() for c in t.strip("|").split("|")]
    return None


# A page number on a line of its own: `- 3 -` (any dash), `3/5`; with `bare`, also `12`, `- 3`.
_PAGE_NO = re.compile(r"^\s*[-‐―ー]\s*\d{1,3}\s*[-‐―ー]\s*$|^\s*\d{1,3}\s*/\s*\d{1,3}\s*$")
_BARE_PAGE_NO = re.compile(r"^\s*(?:-\s*)?\d{1,3}(?:\s*-)?\s*$")


def is_page_number(text: str, *, bare: bool) -> bool:
    """Whether a line is a page number. `bare`: a number alone counts too, where no row starts with one."""
    return bool(_PAGE_NO.match(text) or (bare and _BARE_PAGE_NO.match(text)))


@lru_cache(maxsize=8192)
def cell_key(text: str) -> str:
    """A header cell as a key: NFKC, HTML removed, every space gone. Cached: header words are
    keyed again for every cell they are compared with."""
    return squeeze(strip_html(fold(text)))


def strip_caption(text: str) -> str:
    """`(1) 実施機関別…件数` → `実施機関別…件数`."""
    return clean(CAPTION_NO.sub("", fold(text))) or ""


def best_field(
    cell: str, words: dict[str, list[str]], exact: tuple[str, ...] = ("seq_no",), damaged: bool = False
) -> str | None:
    """The field whose longest word the header cell contains (fields in `exact` must equal a word).

    With `damaged`, a word OCR damaged (`条例要配慮個入情報`) counts when it is read with more
    characters right than the longest word found intact (`要配慮個人情報`), and no other field is
    read as well.
    """
    return _best_field(cell, _keyed_words(words, exact), words, exact, damaged)


def _keyed_words(words: dict[str, list[str]], exact: tuple[str, ...]) -> list[tuple[str, str, bool]]:
    """(field, word as a key, whether the field must equal it) of every word, in order."""
    return [(fname, cell_key(w), fname in exact) for fname, ws in words.items() for w in ws]


def _best_field(
    cell: str,
    keyed: list[tuple[str, str, bool]],
    words: dict[str, list[str]],
    exact: tuple[str, ...],
    damaged: bool,
) -> str | None:
    key = cell_key(cell)
    bare = key.rstrip(".")
    best: tuple[int, str] | None = None
    for fname, wk, whole in keyed:
        if whole:
            # `Noo.`: a character OCR doubled in a short header word is read once
            hit = bare == wk.rstrip(".") or bool(damaged and undoubled(bare, {wk.rstrip(".")}))
        else:
            hit = wk in key
        if hit and (best is None or len(wk) > best[0]):
            best = (len(wk), fname)
    if damaged:
        read = match_header(cell, {f: ws for f, ws in words.items() if f not in exact})
        if read is not None and (best is None or read[1] > best[0]):
            return read[0]
    return best[1] if best else None


def field_columns(cells: list[str], words: dict[str, list[str]]) -> dict[str, int]:
    """Column index of each field a header row names (the first column wins a field named twice).

    A row naming at least two fields as printed is a header: its cells are read again through OCR
    damage (`条例要配慮個入情報`). Other rows, the data, are never read so.
    """
    out = _columns(cells, words, damaged=False)
    if len(out) < 2:
        return out
    # A damaged reading fills a field no column names as printed, from a column that names none.
    taken = set(out.values())
    for f, i in _columns(cells, words, damaged=True).items():
        if f not in out and i not in taken:
            out[f] = i
    return out


# Per header vocabulary (by identity: the rules' dicts live as long as the process), its keyed
# words and a pattern of them: a cell that holds none of them names no field as printed, and most
# rows are data rows.
_Words = tuple[list[tuple[str, str, bool]], re.Pattern[str], frozenset[str]]
_EXACT = ("seq_no",)  # the field a table's header cell must name exactly
_WORDS_SEEN: dict[int, tuple[dict[str, list[str]], _Words]] = {}


def _vocabulary(words: dict[str, list[str]]) -> _Words:
    seen = _WORDS_SEEN.get(id(words))
    if seen is None or seen[0] is not words:
        keyed = _keyed_words(words, _EXACT)
        inside = sorted({wk for _, wk, whole in keyed if not whole}, key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, inside)) if inside else "(?!)")
        whole = frozenset(wk.rstrip(".") for _, wk, is_whole in keyed if is_whole)
        seen = (words, (keyed, pattern, whole))
        if len(_WORDS_SEEN) >= 64:  # a caller making its vocabulary afresh each time
            _WORDS_SEEN.clear()
        _WORDS_SEEN[id(words)] = seen
    return seen[1]


def _columns(cells: list[str], words: dict[str, list[str]], damaged: bool) -> dict[str, int]:
    out: dict[str, int] = {}
    keyed, inside, whole = _vocabulary(words)
    for i, cell in enumerate(cells):
        if not damaged:
            key = cell_key(cell)
            if key.rstrip(".") not in whole and not inside.search(key):
                continue
        f = _best_field(cell, keyed, words, _EXACT, damaged)
        if f is not None and f not in out:
            out[f] = i
    return out


def cell(cells: list[str], cols: dict[str, int], name: str) -> str:
    i = cols.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


def is_total(institution: str) -> bool:
    return cell_key(institution) in TOTAL_WORDS


@dataclass
class CountTable:
    name: str
    metrics: list[str]
    rows: list[tuple[str, list[int | None]]] = field(default_factory=list)
    # 実施機関 read through OCR damage or kept as printed because they read two ways: the table has
    # no warnings column, so they become notices (`unparsed_counts`).
    notes: list[str] = field(default_factory=list)

    def value(self, institution: str, metric: str) -> int | None:
        j = self.metrics.index(metric)
        for inst, vals in self.rows:
            if inst == institution:
                return vals[j]
        return None


class Numbered(Protocol):
    seq_no: int | None
    warnings: list[str]


def renumber(rows: Sequence[Numbered], list_of: Callable[[Any], object]) -> None:
    """Row numbers of each list (`list_of`: which list a row is in) read through OCR damage, with a
    warning on the row (`ocr.read_sequence`)."""
    lists: dict[object, list[Numbered]] = {}
    for r in rows:
        lists.setdefault(list_of(r), []).append(r)
    for members in lists.values():
        for r, (n, note) in zip(members, read_sequence([r.seq_no for r in members]), strict=True):
            if note is not None:
                r.seq_no = n
                # what a reader said of the number as printed no longer holds
                r.warnings[:] = [
                    w for w in r.warnings if not (w.startswith("seq_no:") and "out of sequence" in w)
                ]
                r.warnings.append(note.warning("seq_no"))


def is_count_header(cells: list[str], corner_words: list[str]) -> bool:
    """A count table's header: its first cell names the row dimension (実施機関), the rest metrics.
    The corner word is found through one OCR edit too (`実機関`) when it is four characters or more."""
    first = cell_key(cells[0])
    return len(cells) >= 2 and any(
        cell_key(w) in first or (len(cell_key(w)) >= 4 and edits_within(cell_key(w), first, 1) is not None)
        for w in corner_words
    )


def count_row(cells: list[str]) -> bool:
    """A row of a count table: a name, then at least one number."""
    nonblank = [c for c in cells if c.strip()]
    return (
        len(nonblank) >= 2
        and parse_int(cells[0]) is None
        and any(parse_int(c) is not None for c in cells[1:])
    )


def count_records(table: CountTable, document_id: str) -> list[InstitutionCount]:
    repair_counts(table)
    return [
        InstitutionCount(document_id=document_id, table_name=table.name, institution=inst, metric=m, value=v)
        for inst, vals in table.rows
        for m, v in zip(table.metrics, vals, strict=False)
    ]


_FORMULA = re.compile(r"([a-z])((?:[+\-][a-z])+)$")


def check_count_table(table: CountTable) -> list[str]:
    """Notices when a count table disagrees with itself: its 合計 row, and `a+b-c` columns."""
    notices: list[str] = []
    body = [(i, v) for i, v in table.rows if not is_total(i)]
    for inst, vals in table.rows:
        if not is_total(inst):
            continue
        for j, metric in enumerate(table.metrics):
            parts = [v[j] for _, v in body]
            if vals[j] is None or any(p is None for p in parts):
                continue
            total = sum(p for p in parts if p is not None)
            if total != vals[j]:
                notices.append(f"{table.name}: {inst} of {metric} is {vals[j]} but its rows sum to {total}")
    # A column headed `…a+b-c` must equal that sum of the columns whose headers end in a, b, c.
    letters = {
        m[-1]: j
        for j, m in enumerate(table.metrics)
        if re.search(r"[^a-z+\-][a-z]$", m) and not _FORMULA.search(m)
    }
    for j, metric in enumerate(table.metrics):
        m = _FORMULA.search(metric)
        if not m:
            continue
        terms = [("+", m.group(1)), *re.findall(r"([+\-])([a-z])", m.group(2))]
        if any(t[1] not in letters for t in terms):
            continue
        for inst, vals in table.rows:
            got = [vals[letters[t[1]]] for t in terms]
            if vals[j] is None or any(g is None for g in got):
                continue
            calc = sum(
                (g or 0) if sign == "+" else -(g or 0) for (sign, _), g in zip(terms, got, strict=True)
            )
            if calc != vals[j]:
                notices.append(f"{table.name}: {inst}: {metric} is {vals[j]} but the formula gives {calc}")
    return notices


def _formulas(table: CountTable) -> list[tuple[int, list[tuple[str, int]]]]:
    """The `…a+b-c` columns: (column, [(sign, column of the term)]) where every term's column is known."""
    letters = {
        m[-1]: j
        for j, m in enumerate(table.metrics)
        if re.search(r"[^a-z+\-][a-z]$", m) and not _FORMULA.search(m)
    }
    out = []
    for j, metric in enumerate(table.metrics):
        m = _FORMULA.search(metric)
        if m:
            terms = [("+", m.group(1)), *re.findall(r"([+\-])([a-z])", m.group(2))]
            if all(t in letters for _, t in terms):
                out.append((j, [(sign, letters[t]) for sign, t in terms]))
    return out


def _row_agrees(vals: list[int | None], formulas: list[tuple[int, list[tuple[str, int]]]]) -> bool:
    """No formula of the table is broken on this row (one that cannot be computed is not broken)."""
    for j, terms in formulas:
        got = [vals[k] for _, k in terms]
        if vals[j] is None or any(g is None for g in got):
            continue
        if (
            sum((g or 0) if sign == "+" else -(g or 0) for (sign, _), g in zip(terms, got, strict=True))
            != vals[j]
        ):
            return False
    return True


def repair_counts(table: CountTable) -> None:
    """Counts OCR damaged, read from where the table repeats itself: its 合計 row and `a+b-c` columns.

    In a column with a total, a count that reads as no number (one only) is the total less the
    others; a count that reads as a number but breaks its column's sum is replaced so only when its
    row alone breaks a formula and the new count mends it. A total that reads as no number is its
    column's sum, and so is one that breaks its row's formula where the sum mends it. Each repair
    is a note; anything else stays as read, for the checks to flag.
    """
    totals = [k for k, (inst, _) in enumerate(table.rows) if is_total(inst)]
    if len(totals) != 1:
        return
    body = [k for k, (inst, _) in enumerate(table.rows) if not is_total(inst)]
    formulas = _formulas(table)
    total_vals = table.rows[totals[0]][1]
    for j, metric in enumerate(table.metrics):
        total = total_vals[j] if j < len(total_vals) else None
        column = {k: table.rows[k][1][j] if j < len(table.rows[k][1]) else None for k in body}
        if j < len(total_vals) and None not in column.values():
            whole = sum(v or 0 for v in column.values())
            # the total itself damaged: unreadable, or breaking its own row's formula where the sum mends it
            mended = [*total_vals[:j], whole, *total_vals[j + 1 :]]
            if total is None or (
                total != whole
                and all(_row_agrees(table.rows[k][1], formulas) for k in body)
                and not _row_agrees(total_vals, formulas)
                and _row_agrees(mended, formulas)
            ):
                total_vals[j] = whole
                table.notes.append(
                    f"{table.name}: {table.rows[totals[0]][0]} / {metric}: {total}: read as {whole}: its column's sum"
                )
                continue
        if total is None:
            continue
        unread = [k for k, v in column.items() if v is None]
        if len(unread) == 1:
            suspect = unread[0]
        elif not unread and sum(v or 0 for v in column.values()) != total:
            broken = [k for k in body if not _row_agrees(table.rows[k][1], formulas)]
            if len(broken) != 1:
                # else the one count a digit doubled or dropped from what the total calls for (`244`
                # for 24); a digit read as another is not guessed
                whole = sum(v or 0 for v in column.values())
                broken = [
                    k
                    for k, v in column.items()
                    if v is not None
                    and total - (whole - v) >= 0
                    and abs(len(str(v)) - len(str(total - (whole - v)))) == 1
                    and Levenshtein.distance(str(v), str(total - (whole - v))) == 1
                ]
                if len(broken) != 1:
                    continue
            suspect = broken[0]
        else:
            continue
        value = total - sum(v or 0 for k, v in column.items() if k != suspect)
        vals = table.rows[suspect][1]
        if value < 0 or j >= len(vals):
            continue
        was = vals[j]
        vals[j] = value
        if was is not None and not _row_agrees(vals, formulas):
            vals[j] = was
            continue
        inst = table.rows[suspect][0]
        table.notes.append(f"{table.name}: {inst} / {metric}: {was}: read as {value}: the column's total")


class CountTableReader:
    """Feeds on a document's lines and collects its count tables; other parsers call `feed` per line."""

    def __init__(
        self, corner_words: list[str], captions: Sequence[str] = (), metrics: Sequence[str] = ()
    ) -> None:
        self.corner_words = corner_words
        # The captions and column headers this type's count tables print (`#` an era year), to
        # read a damaged one as its word: they are keys an analyst joins and filters on.
        self.captions = tuple(captions)
        self.metrics = tuple(metrics)
        self.tables: list[CountTable] = []
        self.current: CountTable | None = None

    def feed(self, cells: list[str] | None, caption: str) -> bool:
        """Take one line; True when it belonged to a count table (header or row)."""
        if cells is None:
            self.current = None
            return False
        if is_count_header(cells, self.corner_words):
            notes: list[str] = []
            name = _read_heading(strip_caption(caption), self.captions, "table_name", notes)
            metrics = [_read_heading(cell_key(c), self.metrics, "metric", notes) for c in cells[1:]]
            self.current = CountTable(name, metrics, notes=[f"{name}: {n}" for n in notes])
            self.tables.append(self.current)
            return True
        if self.current is not None and count_row(cells):
            n = len(self.current.metrics)
            vals = [*cells[1 : n + 1], *[""] * (n - len(cells) + 1)]
            inst = self._institution(cells[0])
            values: list[int | None] = []
            for metric, v in zip(self.current.metrics, vals, strict=False):
                value, note = read_int(v)
                if note is not None:
                    self.current.notes.append(
                        f"{self.current.name}: {inst} / {metric}: {note.printed}: {note.problem}"
                    )
                values.append(value)
            self.current.rows.append((inst, values))
            return True
        self.current = None
        return False

    def _institution(self, raw: str) -> str:
        printed = clean(raw) or ""
        word, note = read_word(printed, vocabulary()["institutions"], thresholds()["institution"])
        if note is not None and self.current is not None:
            self.current.notes.append(f"{self.current.name}: {note.warning('institution')}")
        return word or printed


_ERA_YEAR = re.compile(r"^(?:令和|平成|昭和|[RHS])?[0-9元]+(?=年|度)")  # `令和3度`: its 年 lost


def _read_heading(printed: str, words: Sequence[str], field: str, notes: list[str]) -> str:
    """A count table's caption or column header read as the vocabulary word it is through OCR
    damage (`審査件` → 審査件数, `令和2年度…業務委委託数a` → 令和2年度…業務委託数a); an era year
    at its start (`#` in the word) is kept as printed, look-alikes of digits read as digits."""
    if not words or not printed or printed in words:
        return printed
    text = printed
    m = _ERA_YEAR.match(fold_digit_lookalikes(text))
    if m is None:  # a character of the era OCR doubled (`令和和3年度`): read once
        text = doubled_once(printed)
        m = _ERA_YEAR.match(fold_digit_lookalikes(text))
        text = text if m else printed
    template = "#" + text[m.end() :] if m else text
    word, note = read_word(template, words, thresholds()["count_heading"])
    if word is None:
        if note is not None:
            notes.append(Note(printed, note.problem).warning(field))
        return printed
    reading = word.replace("#", m.group(0)) if m else word
    if "#" in reading or reading == printed:
        return printed
    notes.append(read_as(printed, reading).warning(field))
    return reading


def unparsed_counts(tables: list[CountTable]) -> list[str]:
    """Notices for counts that are not numbers, and for 実施機関 read through OCR damage."""
    return [n for t in tables for n in t.notes] + [
        f"{t.name}: {inst} / {metric}: not a number"
        for t in tables
        for inst, vals in t.rows
        for metric, v in zip(t.metrics, vals, strict=False)
        if v is None
    ]

"""Stage 3: an outsourcing_report (個人情報業務委託の状況) → institution counts and outsourcing entries.

The document is a count table by 実施機関 followed by lists of new / discontinued / changed
businesses. Both are tables whose rows are tab-separated (or `|`-separated) cells; a list's header
is repeated on every page and is recognised by meaning (`rules/doc_outsourcing.toml`), so a new
ward's 保有課 / 所管課 or 終了年度 / 廃止年度 needs no code. The list a table belongs to comes
from its caption's meaning (新たに… / …行わなかった / …変更…), else from the header of its
reason column, never from the `(2)`/`(3)` numbering.

The table helpers at the top (`row_cells`, `field_columns`, `CountTableReader`) are shared with
`parse_review`: both documents print the same kind of count table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from pipeline.dates import DateError, parse_year
from pipeline.departments import split_departments
from pipeline.normalise import clean, fold, parse_int, strip_html
from pipeline.rules import _toml
from pipeline.segment import Segment
from schemas.records import InstitutionCount, OutsourcingEntry

# ---------------------------------------------------------------------------------------------
# Table helpers shared by the report parsers.

_CAPTION_NO = re.compile(r"^\s*(?:[(（]\s*\d+\s*[)）]|\d+\s*[.．、)]?\s+|[①-⑳])\s*")
_RULE_ROW = re.compile(r"^[\s|:\-–—=+]*$")
# Words that make a count-table row a total; data, but small and the same for every ward.
TOTAL_WORDS = ("合計", "総計", "計")


def row_cells(text: str) -> list[str] | None:
    """The cells of a table row (tabs, or a Markdown `| a | b |` row); None when `text` is no row."""
    if "\t" in text:
        return [c.strip() for c in text.rstrip("\r\n").split("\t")]
    t = text.strip()
    if t.startswith("|") and t.count("|") >= 3 and not _RULE_ROW.match(t):
        return [c.strip() for c in t.strip("|").split("|")]
    return None


@lru_cache(maxsize=8192)
def squeeze(text: str) -> str:
    """A header cell as a key: NFKC, HTML removed, every space gone. Cached: header words are
    squeezed again for every cell they are compared with."""
    return re.sub(r"\s+", "", strip_html(fold(text)))


def strip_caption(text: str) -> str:
    """`(1) 実施機関別…件数` → `実施機関別…件数`."""
    return clean(_CAPTION_NO.sub("", fold(text))) or ""


def best_field(cell: str, words: dict[str, list[str]], exact: tuple[str, ...] = ("seq_no",)) -> str | None:
    """The field whose longest word the header cell contains (fields in `exact` must equal a word)."""
    key = squeeze(cell)
    best: tuple[int, str] | None = None
    for fname, ws in words.items():
        for w in ws:
            wk = squeeze(w)
            hit = key.rstrip(".") == wk.rstrip(".") if fname in exact else wk in key
            if hit and (best is None or len(wk) > best[0]):
                best = (len(wk), fname)
    return best[1] if best else None


def field_columns(cells: list[str], words: dict[str, list[str]]) -> dict[str, int]:
    """Column index of each field a header row names (the first column wins a field named twice)."""
    out: dict[str, int] = {}
    for i, cell in enumerate(cells):
        f = best_field(cell, words)
        if f is not None and f not in out:
            out[f] = i
    return out


def cell(cells: list[str], cols: dict[str, int], name: str) -> str:
    i = cols.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


def is_total(institution: str) -> bool:
    return squeeze(institution) in TOTAL_WORDS


@dataclass
class CountTable:
    name: str
    metrics: list[str]
    rows: list[tuple[str, list[int | None]]] = field(default_factory=list)

    def value(self, institution: str, metric: str) -> int | None:
        j = self.metrics.index(metric)
        for inst, vals in self.rows:
            if inst == institution:
                return vals[j]
        return None


def is_count_header(cells: list[str], corner_words: list[str]) -> bool:
    """A count table's header: its first cell names the row dimension (実施機関), the rest metrics."""
    first = squeeze(cells[0])
    return len(cells) >= 2 and any(squeeze(w) in first for w in corner_words)


def count_row(cells: list[str]) -> bool:
    """A row of a count table: a name, then at least one number."""
    nonblank = [c for c in cells if c.strip()]
    return (
        len(nonblank) >= 2
        and parse_int(cells[0]) is None
        and any(parse_int(c) is not None for c in cells[1:])
    )


def count_records(table: CountTable, document_id: str) -> list[InstitutionCount]:
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


class CountTableReader:
    """Feeds on a document's lines and collects its count tables; other parsers call `feed` per line."""

    def __init__(self, corner_words: list[str]) -> None:
        self.corner_words = corner_words
        self.tables: list[CountTable] = []
        self.current: CountTable | None = None

    def feed(self, cells: list[str] | None, caption: str) -> bool:
        """Take one line; True when it belonged to a count table (header or row)."""
        if cells is None:
            self.current = None
            return False
        if is_count_header(cells, self.corner_words):
            self.current = CountTable(strip_caption(caption), [squeeze(c) for c in cells[1:]])
            self.tables.append(self.current)
            return True
        if self.current is not None and count_row(cells):
            n = len(self.current.metrics)
            vals = [*cells[1 : n + 1], *[""] * (n - len(cells) + 1)]
            self.current.rows.append((clean(cells[0]) or "", [parse_int(v) for v in vals]))
            return True
        self.current = None
        return False


def unparsed_counts(tables: list[CountTable]) -> list[str]:
    return [
        f"{t.name}: {inst} / {metric}: not a number"
        for t in tables
        for inst, vals in t.rows
        for metric, v in zip(t.metrics, vals, strict=False)
        if v is None
    ]


# ---------------------------------------------------------------------------------------------
# The outsourcing report itself.


@cache
def _rules() -> dict[str, Any]:
    return _toml("doc_outsourcing.toml")


_REG_NO = re.compile(r"(\d{4,8})\s*[-‐ー－]\s*(\d{2,4})")


def section_of(caption: str, reason_header: str | None = None) -> str | None:
    """`new` | `discontinued` | `changed` from what a caption (else the reason column) says."""
    cap = squeeze(caption)
    for sec in _rules()["section"]:
        if any(squeeze(w) in cap for w in sec["caption"]):
            return str(sec["name"])
    if reason_header:
        head = squeeze(reason_header)
        for sec in _rules()["section"]:
            if any(squeeze(w) in head for w in sec["reason_header"]):
                return str(sec["name"])
    return None


def _year(cells: list[str], cols: dict[str, int], name: str, warnings: list[str]) -> int | None:
    raw = clean(cell(cells, cols, name))
    if raw is None:
        return None
    try:
        return parse_year(raw)
    except DateError as exc:
        warnings.append(f"{name}: {raw}: {exc}")
        return None


def _specific(raw: str, warnings: list[str]) -> bool | None:
    text = clean(raw)
    if text is None:
        return False
    if text in _rules()["specific_marks"]["yes"]:
        return True
    if text in _rules()["specific_marks"]["no"]:
        return False
    warnings.append(f"specific_personal_info: {text}: not a mark of 有 or 無")
    return None


def _department(raw: str, municipality: str | None, warnings: list[str]) -> str | None:
    names = split_departments(raw, municipality).names
    if len(names) > 1:
        warnings.append(f"department: {clean(raw)}: several departments, kept the first")
    return names[0] if names else None


def _entry(
    cells: list[str], cols: dict[str, int], section: str, seg: Segment, document_id: str
) -> OutsourcingEntry:
    w: list[str] = []
    reg_raw = fold(cell(cells, cols, "registration_numbers"))
    regs = [f"{a}-{b}" for a, b in _REG_NO.findall(reg_raw)]
    if reg_raw.strip() and not regs:
        w.append(f"registration_numbers: {clean(reg_raw)}: not a registration number")
    return OutsourcingEntry(
        document_id=document_id,
        section=section,
        seq_no=parse_int(cell(cells, cols, "seq_no")),
        department=_department(cell(cells, cols, "department"), seg.municipality, w),
        registration_numbers=regs,
        business_name=clean(cell(cells, cols, "business_name")),
        content=clean(cell(cells, cols, "content")),
        specific_personal_info=_specific(cell(cells, cols, "specific_personal_info"), w),
        start_fiscal_year=_year(cells, cols, "start_fiscal_year", w),
        end_fiscal_year=_year(cells, cols, "end_fiscal_year", w),
        change_fiscal_year=_year(cells, cols, "change_fiscal_year", w),
        reason=clean(cell(cells, cols, "reason")),
        warnings=w,
    )


def _is_list_header(cols: dict[str, int]) -> bool:
    return (
        "seq_no" in cols and len(cols.keys() & {"department", "registration_numbers", "business_name"}) >= 2
    )


def parse_outsourcing(
    seg: Segment, document_id: str
) -> tuple[list[OutsourcingEntry], list[InstitutionCount], list[str]]:
    words: dict[str, list[str]] = _rules()["list_columns"]
    counts = CountTableReader(_rules()["count_table_corner"])
    entries: list[OutsourcingEntry] = []
    notices: list[str] = []
    caption = ""
    section: str | None = None
    cols: dict[str, int] | None = None
    for ln in seg.lines:
        if not ln.text.strip():
            continue
        cells = row_cells(ln.text)
        if counts.feed(cells, caption):
            cols = None
            continue
        if cells is None:
            if _RULE_ROW.match(ln.text):
                continue
            caption = ln.text
            # A caption naming a list, or any numbered caption, ends the list before it; a page
            # number or footer between two pages of one list does not.
            sec = section_of(caption)
            if sec is not None or _CAPTION_NO.match(fold(caption)):
                section, cols = sec, None
            continue
        header = field_columns(cells, words)
        if _is_list_header(header):
            cols = header
            reason = cells[header["reason"]] if "reason" in header else None
            section = section_of(caption, reason) if section is None else section
            if section is None:
                notices.append(
                    f"line {ln.no}: a list whose caption says neither new, discontinued nor changed"
                )
            continue
        if cols is None or section is None or parse_int(cell(cells, cols, "seq_no")) is None:
            continue
        entries.append(_entry(cells, cols, section, seg, document_id))
    notices += unparsed_counts(counts.tables)
    for table in counts.tables:
        notices += check_count_table(table)
        notices += _check_list_totals(table, entries)
    return entries, [r for t in counts.tables for r in count_records(t, document_id)], notices


def _check_list_totals(table: CountTable, entries: list[OutsourcingEntry]) -> list[str]:
    """The 合計 of the new / discontinued columns must equal the number of rows of that list."""
    out: list[str] = []
    totals = [inst for inst, _ in table.rows if is_total(inst)]
    if not totals:
        return out
    for section, ws in _rules()["list_total_metric"].items():
        metric = next((m for m in table.metrics if any(squeeze(w) in m for w in ws)), None)
        if metric is None:
            continue
        expected = table.value(totals[0], metric)
        n = sum(1 for e in entries if e.section == section)
        if expected is not None and expected != n:
            out.append(f"{table.name}: {metric} totals {expected} but the {section} list has {n} rows")
    return out

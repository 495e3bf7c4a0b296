"""Stage 2: a file's lines → documents, each with its type and the metadata every type shares.

A packet may hold several documents back to back; a `報告第N号` line always starts a new one.
Each document's type is the first of the given `Recognition`s that matches it: the registered
document types' rules (pipeline/documents, from `rules/documents/<doc_type>.toml`), not code.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from pipeline.model import Line
from pipeline.normalise.dates import (
    DateContext,
    DateError,
    fiscal_year_of,
    read_date,
    read_fiscal_year,
    read_period,
)
from pipeline.normalise.ocr import edits_within, fold_digit_lookalikes, has_digit_lookalike
from pipeline.normalise.text import clean, remove_ocr_spaces, squeeze
from pipeline.rules import eras, ocr, vocabulary

_REPORT_NO = re.compile(r"^\s*報告\s*第\s*(\d+)\s*号\s*$")
_HEADING_MARK = re.compile(r"^\s*#+\s*")
_SECTION_NO = re.compile(r"^\s*\d{1,2}\s+(?=\D)")


@dataclass
class Segment:
    doc_type: str
    lines: list[Line]
    report_no: int | None = None
    title: str | None = None
    municipality: str | None = None
    issued_on: dt.date | None = None
    fiscal_year: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def context(self) -> DateContext:
        return DateContext(self.fiscal_year, self.period_start, self.period_end)

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)


@dataclass(frozen=True)
class Recognition:
    """How a document of one type is told from the others, and which of its lines is its title."""

    doc_type: str
    pattern: re.Pattern[str]
    where: str = "any"  # "head": the first 12 non-blank lines only; "any": the whole text
    title: re.Pattern[str] | None = None  # the line naming the document's kind


def _nonblank(lines: list[Line], limit: int | None = None) -> str:
    """The text of the non-blank lines (the first `limit`), stripped and without OCR spaces.

    OCR spaces are removed from the joined text at once: no pattern of `remove_ocr_spaces` matches
    or looks across a line break, so each line comes out as it would alone, at one call a text."""
    if limit is None:
        texts = [t for t in (ln.text.strip() for ln in lines) if t]
    else:
        texts = []
        for ln in lines:
            if len(texts) == limit:
                break
            if t := ln.text.strip():
                texts.append(t)
    return remove_ocr_spaces("\n".join(texts))


@cache
def _plain_words(pattern: str) -> bool:
    """A pattern that is a choice of plain words: what it finds in a text's beginning it finds in
    the whole text."""
    return all(_LITERAL.fullmatch(w) for w in pattern.split("|"))


def classify(lines: list[Line], kinds: Sequence[Recognition]) -> Recognition | None:
    """The first of `kinds` whose pattern the document matches; None: an unknown document."""
    head = _nonblank(lines, 12)
    whole: str | None = None  # every line without its OCR spaces: only when the head is not enough
    for kind in kinds:
        if kind.where == "head" or (_plain_words(kind.pattern.pattern) and kind.pattern.search(head)):
            text = head  # the head begins the whole text
        else:
            whole = _nonblank(lines) if whole is None else whole
            text = whole
        if kind.pattern.search(text):
            return kind
    return _classify_damaged(head, kinds)


_LITERAL = re.compile(r"[^\\.^$*+?()\[\]{}|]+")


def _classify_damaged(head: str, kinds: Sequence[Recognition]) -> Recognition | None:
    """A cue OCR damaged in the document's first lines (`個人情報業委託の状況`): the kinds whose
    pattern is a choice of plain words, one of them there with one edit; None unless exactly one
    kind is. Words shorter than `[header] min_length` of rules/ocr.toml are never read so."""
    min_length = int(ocr()["header"]["min_length"])
    found = []
    for kind in kinds:
        words = kind.pattern.pattern.split("|")
        if not all(_LITERAL.fullmatch(w) for w in words):
            continue
        if any(len(w) >= min_length and edits_within(w, head, 1) for w in words):
            found.append(kind)
    return found[0] if len(found) == 1 else None


def split_documents(lines: list[Line]) -> list[list[Line]]:
    """Split at every `報告第N号` line; what precedes the first one joins it unless it is blank."""
    starts = [i for i, ln in enumerate(lines) if _REPORT_NO.match(ln.text)]
    if not starts:
        return [lines]
    if not any(ln.text.strip() for ln in lines[: starts[0]]):
        starts[0] = 0
    elif starts[0] != 0:
        starts.insert(0, 0)
    bounds = [*starts, len(lines)]
    return [lines[a:b] for a, b in itertools.pairwise(bounds) if a < b]


def _title(lines: list[Line], kind: Recognition | None) -> str | None:
    """The document's title: the line naming its kind, else the first heading-like line."""
    body = [ln.text for ln in lines if ln.text.strip()]
    if kind is not None and kind.title is not None:
        for t in body:
            if kind.title.search(remove_ocr_spaces(t)) and len(t) < 120:
                # A chapter number before the title (`7 個人情報業務委託の状況`) is not part of it.
                return clean(_SECTION_NO.sub("", _HEADING_MARK.sub("", t)))
    for t in body[:8]:
        t2 = clean(_HEADING_MARK.sub("", t)) or ""
        if _REPORT_NO.match(t2) or _is_date_line(t2) or len(t2) < 4:
            continue
        return t2
    return None


_DATE_LINE = re.compile(r"(令和|平成|昭和|\d{4}年)[\d元〇一二三四五六七八九十]+年\d+月\d+日")


def _is_date_line(text: str) -> bool:
    t = squeeze(text)
    if _DATE_LINE.fullmatch(t):
        return True
    return has_digit_lookalike(t) and bool(_DATE_LINE.fullmatch(fold_digit_lookalikes(t)))


@cache
def _names() -> tuple[re.Pattern[str], dict[str, int], tuple[int, ...]]:
    """The municipalities' last characters as a pattern, each name's place in the vocabulary (the
    first listed wins a tie), and the names' lengths."""
    names: list[str] = vocabulary()["municipalities"]
    order: dict[str, int] = {}
    for k, name in enumerate(names):
        order.setdefault(name, k)
    ends = re.compile("[" + re.escape("".join(sorted({n[-1] for n in names}))) + "]")
    return ends, order, tuple(sorted({len(n) for n in names}))


def _municipality(text: str) -> str | None:
    """The name of the vocabulary's municipalities that starts first in `text` (the one listed first,
    of two starting at one place). Looked up where a name can end (区, 市, 町, 村) instead of searched
    for name by name: a line is read for 143 names and more."""
    ends, order, lengths = _names()
    best: tuple[int, int, str] | None = None
    for m in ends.finditer(text):
        stop = m.end()
        for n in lengths:
            start = stop - n
            if start < 0 or (best is not None and start > best[0]):
                continue
            name = text[start:stop]
            k = order.get(name)
            if k is None:
                continue
            # 北区 is a suffix of other words (台東区北…); require it not to follow another kanji of a name.
            if name == "北区" and start > 0 and text[start - 1] in "東西南":
                continue
            if best is None or (start, k) < best[:2]:
                best = (start, k, name)
    return best[2] if best else None


def _first_municipality(lines: list[Line]) -> str | None:
    """`_municipality` of the document's text without OCR spaces, line by line: no name spans a
    line, so the first line naming one holds the first name of the text."""
    for ln in lines:
        found = _municipality(remove_ocr_spaces(ln.text))
        if found is not None:
            return found
    return None


def _issued_on(lines: list[Line]) -> tuple[dt.date | None, list[str]]:
    """A line that is nothing but a full date: the document's date of issue."""
    for ln in lines:
        t = ln.text.strip()
        # (no remove_ocr_spaces: _is_date_line removes every space itself)
        if t and _is_date_line(t):
            try:
                issued_on, note = read_date(t)
                return issued_on, [note.warning("issued_on")] if note else []
            except DateError as exc:
                return None, [f"issued_on: {clean(t)}: {exc}"]
    return None, []


_CAPTION = re.compile(r"^\s*(?:[(（]\s*\d+\s*[)）]|\d+\s)")


@cache
def _printed_dates() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A month range and a 年度 as printed, however damaged (`令和5年4月月から6月`, `令和S年度`): what a
    period or fiscal year that did not parse is reported by."""
    era = f"(?:{'|'.join(e.name for e in eras())}|[A-Za-z])"
    month_range = re.compile(
        rf"{era}?\s*[\d元]+\s*年[^。、]{{0,8}}?月[^。、]{{0,12}}?(?:から|より|~|-)[^。、]{{0,12}}?\d\s*月"
    )
    fiscal = re.compile(rf"{era}?[^\s年度]{{0,3}}年度")
    return month_range, fiscal


def _unblank(text: str) -> str:
    return text.replace(" ", "").replace("\t", "")


def _period(lines: list[Line], warnings: list[str]) -> tuple[dt.date, dt.date] | None:
    """The period the document covers, from a sentence that says so (`令和5年7月から令和6年1月に審議した`).

    Only sentences with a cue from `period_cues` count: a 委託期間 elsewhere in the text is not the
    document's period. A period read through OCR damage adds a warning; a cue sentence printing a
    month range that cannot be read at all adds one too (`令和5年4月月から6月`).
    """
    cues: list[str] = vocabulary()["period_cues"]
    # A cue is in a line without its OCR spaces only if, blanks removed, it is in the line with
    # none: most lines are thrown out without removing OCR spaces.
    bare_cues = [_unblank(c) for c in cues]
    unread: list[str] = []
    for ln in lines:
        bare = _unblank(ln.text)
        if not any(c in bare for c in bare_cues):
            continue
        t = remove_ocr_spaces(ln.text)
        if any(c in t for c in cues):
            printed = _printed_dates()[0].search(t)
            try:
                found, note = read_period(t)
            except DateError as exc:
                warnings.append(f"period: {clean(printed.group(0) if printed else t)}: {exc}")
                return None
            if found:
                if note is not None:
                    warnings.append(note.warning("period"))
                return found
            if printed and not unread:
                unread.append(f"period: {clean(printed.group(0))}: not a period")
    warnings += unread
    return None


def _unread_fiscal_year(title: str | None) -> list[str]:
    """A 年度 in the title that does not read as a fiscal year, even through OCR damage."""
    t = remove_ocr_spaces(title or "")
    m = _printed_dates()[1].search(t)
    if m is None or read_fiscal_year(m.group(0))[0] is not None:
        return []
    return [f"fiscal_year: {m.group(0)}: not a fiscal year"]


def _fiscal_year(seg: Segment) -> int | None:
    """Title first, then the date of issue, then the period, then the latest 年度 of a caption line.

    The first 年度 anywhere in the text is often an earlier year quoted in a table header or a
    reference to a past meeting, so it is not used. A title's 年度 read through OCR damage
    (`令和S年度`) adds a warning.
    """
    fy, note = read_fiscal_year(seg.title or "")
    if fy is not None:
        if note is not None:
            seg.warnings.append(note.warning("fiscal_year"))
        return fy
    if seg.issued_on is not None:
        return fiscal_year_of(seg.issued_on)
    if seg.period_start is not None:
        return fiscal_year_of(seg.period_start)
    years: list[tuple[int, str | None]] = []
    for ln in seg.lines:
        t = ln.text.strip()
        if "\t" in t or len(t) > 80 or not _CAPTION.match(t):
            continue
        fy, note = read_fiscal_year(t)
        if fy is not None:
            years.append((fy, note.warning("fiscal_year") if note else None))
    if not years:
        return None
    latest = max(fy for fy, _ in years)
    # Any clean caption stating the latest year makes its reading certain.
    if all(w is not None for fy, w in years if fy == latest):
        seg.warnings.append(next(w for fy, w in years if fy == latest and w is not None))
    return latest


def segment(lines: list[Line], kinds: Sequence[Recognition]) -> list[Segment]:
    """The file's documents, each typed by the first of `kinds` that matches it (else `unknown`)."""
    out: list[Segment] = []
    for part in split_documents(lines):
        kind = classify(part, kinds)
        seg = Segment(kind.doc_type if kind else "unknown", part)
        for ln in part:
            m = _REPORT_NO.match(ln.text)
            if m:
                seg.report_no = int(m.group(1))
                break
        seg.title = _title(part, kind)
        seg.municipality = _first_municipality(part)
        seg.issued_on, seg.warnings = _issued_on(part)
        if seg.title is None:
            seg.warnings.append("title: : no title line found")
        period = _period(part, seg.warnings)
        try:
            seg.warnings += _unread_fiscal_year(seg.title)
        except DateError as exc:
            seg.warnings.append(f"fiscal_year: {exc}")
        if period:
            seg.period_start, seg.period_end = period
        try:
            seg.fiscal_year = _fiscal_year(seg)
        except DateError as exc:
            seg.warnings.append(f"fiscal_year: {exc}")
        out.append(seg)
    # Documents of one packet come from one body: one that never names its ward takes its siblings'.
    named = {s.municipality for s in out if s.municipality}
    if len(named) == 1:
        for s in out:
            s.municipality = s.municipality or next(iter(named))
    return out

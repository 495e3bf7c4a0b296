"""A page's characters → text lines: the reading direction, lines, cell-sized gaps and spaces, empty
lines where the page has an empty line's height, running headers and footers."""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from pipeline.normalise.text import join_lines
from pipeline.read.pdf.geometry import Char, Frame

# Fractions of the page height where running headers / footers live.
_BAND = 0.1
# A gap between two characters wider than this many line heights separates table cells;
# a narrower one wider than _SPACE_GAP is a space.
_CELL_GAP = 0.9
_SPACE_GAP = 0.2
# Free lines further apart than this many line heights had an empty line between them. It is kept as
# an empty line, as text converters do: the wrapped-text parsers read one as the end of a cell (a
# title wrapped over three lines, then its 担当課, is told apart only by the gap).
BLANK_GAP = 1.0
_X0, _TOP, _BOTTOM = itemgetter(0), itemgetter(2), itemgetter(3)  # Char.x0, .top, .bottom
_TEXT, _ANGLE = itemgetter(4), itemgetter(5)  # Char.text, .angle


class Seg(NamedTuple):
    """A run of characters on one line with no cell-sized gap inside."""

    x0: float
    x1: float
    text: str


@dataclass
class TextLine:
    top: float
    bottom: float
    segs: list[Seg]
    chars: list[Char] = field(default_factory=list)  # left to right

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segs)

    @property
    def height(self) -> float:
        return self.bottom - self.top


class Rendered(Protocol):
    """A table row whose text is known only once every page is read (a row the page break cut)."""

    def render(self) -> str: ...


@dataclass
class Item:
    top: float
    text: str
    line: TextLine | None = None  # the free line it was, or None for a table row
    row: Rendered | None = None  # a row still growing: its text is rendered at the end


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[TextLine]  # text not yet taken into a table
    edges: list[dict[str, Any]] = field(default_factory=list)  # drawn segments, pdfplumber edge dicts
    items: list[Item] = field(default_factory=list)  # table rows

    @property
    def h_rules(self) -> list[tuple[float, float, float]]:
        """Horizontal segments as (y, x0, x1), top to bottom."""
        return sorted((e["top"], e["x0"], e["x1"]) for e in self.edges if e["orientation"] == "h")


# --------------------------------------------------------------------------- chars → lines


def _median(values: list[float]) -> float:
    """statistics.median, without its overhead (called for every line of every page)."""
    data = sorted(values)
    n = len(data)
    return data[n // 2] if n % 2 else (data[n // 2 - 1] + data[n // 2]) / 2


def group_lines(chars: list[Char]) -> list[list[Char]]:
    """Characters → lines: a character joins the line whose vertical extent holds its centre."""
    mids = [(c.top + c.bottom) / 2 for c in chars]
    order = sorted(range(len(chars)), key=mids.__getitem__)
    lines: list[list[Char]] = []
    line: list[Char] = []
    lo = hi = 0.0
    if not any(map(str.isspace, map(_TEXT, chars))):  # most pages: no space to skip
        for k in order:
            if lo <= mids[k] <= hi and lines:
                line.append(chars[k])
            else:
                ch = chars[k]
                line = [ch]
                lines.append(line)
                lo, hi = ch.top, ch.bottom
        return [sorted(ln, key=_X0) for ln in lines]
    for k in order:
        ch = chars[k]
        if lines and ch.text.isspace():
            continue
        if lines and lo <= mids[k] <= hi:
            line.append(ch)
            continue
        line = [ch]
        lines.append(line)
        lo, hi = ch.top, ch.bottom
    return [sorted(ln, key=_X0) for ln in lines]


def segments(chars: list[Char]) -> list[Seg]:
    """One line's characters (left to right) → runs split at cell-sized gaps, spaces where gaps are."""
    height = _median([c.bottom - c.top for c in chars]) or 1.0
    cell, space = _CELL_GAP * height, _SPACE_GAP * height
    segs: list[Seg] = []
    text, x0, x1 = "", chars[0].x0, chars[0].x0
    for ch in chars:
        t = ch.text
        if t.isspace():
            continue
        gap = ch.x0 - x1
        if text and gap > cell:
            segs.append(Seg(x0, x1, text))
            text, x0 = "", ch.x0
        elif text and gap > space:
            text += " "
        if not text or ch.x1 > x1:
            x1 = ch.x1
        text += t
    if text:
        segs.append(Seg(x0, x1, text))
    return segs


def text_lines(chars: list[Char]) -> list[TextLine]:
    out = []
    spaced = any(map(str.isspace, map(_TEXT, chars)))
    for ln in group_lines(chars):
        segs = segments(ln)
        if segs:
            visible = [c for c in ln if not c.text.isspace()] if spaced else ln
            out.append(TextLine(min(map(_TOP, ln)), max(map(_BOTTOM, ln)), segs, visible))
    return out


def reading_angle(chars: list[Char], rotation: int) -> int:
    """The direction most of the page's text runs in; on a tie, the one its /Rotate shows upright."""
    counts = Counter(map(_ANGLE, chars))
    return max(counts, key=lambda a: (counts[a], a == rotation), default=rotation)


def place(chars: list[Char], frame: Frame) -> list[Char]:
    """The page's characters in its reading frame. Text at another angle (a stamp, a label turned in
    a narrow cell) is read in its own direction and laid flat where it stands, so it comes out as a
    short line in its place instead of a column of one-character lines cutting through the rest."""
    if frame.angle == 0 and not any(map(_ANGLE, chars)):
        return chars  # most pages
    out = [frame.char(c) for c in chars if c.angle == frame.angle]
    turned: dict[int, list[Char]] = {}
    for c in chars:
        if c.angle != frame.angle:
            turned.setdefault(c.angle, []).append(c)
    for angle, group in turned.items():
        own = Frame(angle, frame.box)
        where = {own.char(c): frame.char(c) for c in group}
        for ln in group_lines(list(where)):
            text = " ".join(s.text for s in segments(ln))
            boxes = [where[c] for c in ln]
            x, top = min(b.x0 for b in boxes), min(b.top for b in boxes)
            size = statistics.median(c.bottom - c.top for c in ln)
            # As wide as the place it covers, so a label turned in a narrow cell stays in that cell.
            step = min(size, (max(b.x1 for b in boxes) - x) / len(text))
            for k, ch in enumerate(text):
                if ch != " ":
                    out.append(Char(x + k * step, x + (k + 1) * step, top, top + size, ch))
    return out


def line_text(chars: list[Char]) -> str:
    """One line of a table cell, left to right, with a space where a gap is wider than the line's
    usual one by a space's width: a cell spread to its width (均等割付, `2 0 2 3 / 4 / 3`) reads as
    printed words, not letters."""
    chars = [c for c in chars if not c.text.isspace()]
    return _spread_text(chars) if chars else ""


def _spread_text(chars: list[Char]) -> str:
    """`line_text` of a line without spaces (a cell's, as the reader hands them on)."""
    if len(chars) == 1:
        return chars[0].text
    height = _median([c.bottom - c.top for c in chars]) or 1.0
    gaps = [b.x0 - a.x1 for a, b in itertools.pairwise(chars)]
    usual = max(0.0, sorted(gaps)[(len(gaps) - 1) // 2]) if len(gaps) > 1 else 0.0  # median_low
    wide = usual + _SPACE_GAP * height
    if max(gaps) <= wide:  # most lines
        return "".join(map(_TEXT, chars))
    out = chars[0].text
    for gap, ch in zip(gaps, chars[1:], strict=True):
        out += (" " if gap > wide else "") + ch.text
    return out


def cell_text(chars: list[Char], paragraphs: bool = False) -> str:
    if not any(map(str.isspace, map(_TEXT, chars))):
        return unspaced_cell_text(group_lines(chars), paragraphs)
    lines = [ln for ln in group_lines(chars) if any(not c.text.isspace() for c in ln)]
    return _cell_text(lines, [line_text(ln) for ln in lines], paragraphs, chars)


def unspaced_cell_text(lines: list[list[Char]], paragraphs: bool = False) -> str:
    """`cell_text` of a cell without spaces (the reader's cells: its lines hold none) whose
    characters are grouped into lines already, as `group_lines` groups them, each left to right."""
    return _cell_text(lines, [_spread_text(ln) for ln in lines], paragraphs, None)


def _cell_text(lines: list[list[Char]], texts: list[str], paragraphs: bool, chars: list[Char] | None) -> str:
    if not paragraphs:
        return join_lines(texts)
    height = 1.0  # unused: one line makes one paragraph, whatever the height
    if len(lines) > 1:
        heights = (
            [c.bottom - c.top for c in chars]
            if chars is not None
            else [c.bottom - c.top for ln in lines for c in ln]
        )
        height = _median(heights) or 1.0
    return paragraph_text(list(zip(texts, (max(c.x1 for c in ln) for ln in lines), strict=True)), height)


# What opens an item of a list inside a cell: a number set off by a space or a stop (`2 委託先`), in
# brackets or a circle, a bullet, a katakana counter (`イ 特別障害給付金…`).
_MARK = re.compile(
    r"^\s*(?:\d{1,2}[\s.．、]|[(（]\s*\d{1,2}\s*[)）]|[①-⑳]|[・○●■□◆◇※]|[アイウエオカキクケコ](?![ァ-ヺー]))"
)
# …and, after a sentence's end, a bare number (`2業務委託の付議内容`; not `10月`, `3,000人`).
_NUMBERED = re.compile(r"^\s*\d{1,2}(?![\d年月日時分人件円%,，])")


def paragraph_text(lines: list[tuple[str, float]], height: float) -> str:
    """The lines of a sheet's value cell (text, right edge) → its text, each paragraph marked `<p>…</p>`
    as a converter marks it. A line that ends well short of the cell's widest line ended its
    paragraph; so did one ending in `。` short of it by any part of a glyph (a sentence that ends at
    the very edge goes on more often than not), and one before an item (`(1)`, `・`, `イ`, `2 `, or
    `2業務…` after a `。`): the
    sheet parser reads 事業内容's paragraphs (`1 概要`, `3 対象者数 約1,200人`) from the marks."""
    lines = [(t, x1) for t, x1 in lines if t]
    if len(lines) < 2:
        return join_lines([t for t, _ in lines])
    right = max(x1 for _, x1 in lines)
    paras: list[list[str]] = [[]]
    for k, (t, x1) in enumerate(lines):
        paras[-1].append(t)
        after = lines[k + 1][0] if k + 1 < len(lines) else ""
        short = x1 < right - 2 * height or (t.endswith("。") and x1 < right - 0.4 * height)
        if short or _MARK.match(after) or (t.endswith("。") and _NUMBERED.match(after)):
            paras.append([])
    paras = [p for p in paras if p]
    if len(paras) < 2:
        return join_lines([t for t, _ in lines])
    return " ".join(f"<p>{join_lines(p)}</p>" for p in paras)


def rule_between(rules: list[float], upper: TextLine, lower: TextLine) -> bool:
    """A rule (its y, among `rules`, sorted) lies between the two lines."""
    mid_up, mid_low = (upper.top + upper.bottom) / 2, (lower.top + lower.bottom) / 2
    k = bisect.bisect_right(rules, mid_up)
    return k < len(rules) and rules[k] < mid_low


# --------------------------------------------------------------------------- running headers


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _boxed(line: TextLine, rules: list[tuple[float, float, float]]) -> bool:
    """A line between two rules that span it, close above and below: a row of a ruled table, which
    may well repeat on every page (a grid's header), not a running header."""
    x0, x1 = line.segs[0].x0, line.segs[-1].x1
    reach = 2 * line.height
    spans = [y for y, a, b in rules if a <= x0 + 1 and b >= x1 - 1]
    return any(line.top - reach <= y <= line.top for y in spans) and any(
        line.bottom <= y <= line.bottom + reach for y in spans
    )


def drop_running_lines(pages: list[Page], keep: Callable[[TextLine], bool]) -> None:
    """Lines in the top or bottom band, among the first or last two of their page, whose shape
    (digits masked, so `- 3 -` matches `- 4 -`) recurs on at least half the pages, unless `keep` holds
    them (a table header repeated on every page starts that page's rows)."""
    if len(pages) < 2:
        return

    def candidates(p: Page) -> list[TextLine]:
        rules = p.h_rules
        return [
            ln
            for ln in p.lines[:2] + p.lines[-2:]
            if (ln.bottom <= _BAND * p.height or ln.top >= (1 - _BAND) * p.height) and not _boxed(ln, rules)
        ]

    # Each page's candidates and their shapes, read once for the count and the drop.
    shaped = [[(ln, _shape(ln.text)) for ln in candidates(p)] for p in pages]
    counts: Counter[str] = Counter()
    for found in shaped:
        counts.update({shape for _, shape in found})
    need = max(2, (len(pages) + 1) // 2)
    for p, found in zip(pages, shaped, strict=True):
        drop = {id(ln) for ln, shape in found if counts[shape] >= need and not keep(ln)}
        if drop:
            p.lines = [ln for ln in p.lines if id(ln) not in drop]

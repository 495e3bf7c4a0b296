"""Tables rebuilt from a page's geometry: ruled grids, case lists with horizontal rules only or none,
and detail sheets without rules, each row a tab-separated line.

What a case-list header or a sheet's row label looks like reaches this module as `LayoutHints`
from the document types: the reader knows geometry, not documents.
"""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
from collections.abc import Callable
from typing import Any, cast

from pdfplumber.table import TableFinder

from pipeline.model import LayoutHints
from pipeline.normalise.text import join_lines
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.layout import BLANK_GAP, Item, Page, Seg, TextLine, cell_text, paragraph_text


class _EdgePage:
    """Just enough of a pdfplumber page for its TableFinder: edges and a bounding box."""

    def __init__(self, edges: list[dict[str, Any]], width: float, height: float) -> None:
        self.edges = edges
        self.bbox = (0.0, 0.0, width, height)


def ruled_tables(
    edges: list[dict[str, Any]], chars: list[Char], width: float, height: float, hints: LayoutHints
) -> tuple[list[Item], list[Char]]:
    """Rows of the grid tables on the page → (items, chars left outside every table)."""
    finder = TableFinder(
        cast(Any, _EdgePage(edges, width, height)),
        {"vertical_strategy": "lines", "horizontal_strategy": "lines"},
    )
    items: list[Item] = []
    inside: set[int] = set()
    by_mid = sorted(range(len(chars)), key=lambda i: (chars[i].top + chars[i].bottom) / 2)
    mids = [(chars[i].top + chars[i].bottom) / 2 for i in by_mid]
    for table in finder.tables:
        rows = table.rows
        # A frame round the page or a box round a paragraph is not a table: its text stays lines.
        if max(sum(1 for c in row.cells if c) for row in rows) < 2:
            continue
        for row in rows:
            cells = [c for c in row.cells]
            _, top, _, bottom = row.bbox
            lo, hi = bisect.bisect_left(mids, top), bisect.bisect_right(mids, bottom)
            per_cell: list[list[Char]] = [[] for _ in cells]
            for i in by_mid[lo:hi]:
                ch = chars[i]
                cx = (ch.x0 + ch.x1) / 2
                for k, cell in enumerate(cells):
                    if cell and cell[0] <= cx <= cell[2] and cell[1] <= (ch.top + ch.bottom) / 2 <= cell[3]:
                        per_cell[k].append(ch)
                        inside.add(i)
                        break
            kept = [cc for cc, cell in zip(per_cell, cells, strict=True) if cell]
            label = cell_text(kept[0]) if kept and kept[0] else ""
            sheet_row = (
                _bare_text(label) in hints.sheet_labels
            )  # a detail sheet's row: its values keep paragraphs
            texts = [label] + [cell_text(cc, paragraphs=sheet_row) if cc else "" for cc in kept[1:]]
            if any(texts):
                items.append(Item(top, "\t".join(texts)))
    rest = [ch for i, ch in enumerate(chars) if i not in inside]
    return items, rest


def is_list_header(line: TextLine, hints: LayoutHints) -> bool:
    """The line's cell-sized runs read as a case-list header, by the rule the list parser applies."""
    return hints.header_map([s.text for s in line.segs]) is not None


def unruled_list(page: Page, hints: LayoutHints) -> None:
    """Find a case-list header among the page's free lines and turn the lines below it into rows."""
    lines = page.lines
    start = next((i for i, ln in enumerate(lines) if is_list_header(ln, hints)), None)
    if start is None:
        return
    # Wrapped header cells (審議 / 結果) sit on lines packed tightly above and below the header line.
    first = last = start
    while first > 0 and lines[first].top - lines[first - 1].bottom < 0.5 * lines[first].height:
        first -= 1
    while last + 1 < len(lines) and lines[last + 1].top - lines[last].bottom < 0.5 * lines[last].height:
        if re.match(r"\d", lines[last + 1].segs[0].text):
            break
        last += 1
    header = lines[first : last + 1]
    anchors = _anchors([s for ln in header for s in ln.segs])
    centres = [(a + b) / 2 for a, b in anchors]
    rules = [
        r
        for r in page.h_rules
        if r[0] > lines[start].top and r[2] - r[1] > 0.5 * (anchors[-1][1] - anchors[0][0])
    ]
    body: list[TextLine] = []
    prev_bottom = header[-1].bottom
    for ln in lines[last + 1 :]:
        spans = any(sum(1 for c in centres if s.x0 <= c <= s.x1) > 1 for s in ln.segs)
        if spans or ln.top - prev_bottom > 3.0 * ln.height or (rules and ln.top > rules[-1][0]):
            break
        body.append(ln)
        prev_bottom = ln.bottom
    columns = _column_of(anchors, [s for ln in header + body for s in ln.segs])
    rows: list[list[TextLine]] = [header]
    if rules:
        ys = sorted(r[0] for r in rules)
        bands: dict[int, list[TextLine]] = {}
        for ln in body:
            bands.setdefault(bisect.bisect_left(ys, (ln.top + ln.bottom) / 2), []).append(ln)
        rows += [bands[k] for k in sorted(bands)]
    else:
        for ln in body:
            if columns(ln.segs[0]) == 0 or len(rows) == 1:
                rows.append([ln])
            else:
                rows[-1].append(ln)
    for row in rows:
        cells: list[list[str]] = [[] for _ in anchors]
        for ln in row:
            per_line: dict[int, list[str]] = {}
            for s in ln.segs:
                per_line.setdefault(columns(s), []).append(s.text)
            for k, texts in per_line.items():
                cells[k].append(" ".join(texts))
        page.items.append(Item(row[0].top, "\t".join(join_lines(c) for c in cells)))
    used = {id(ln) for row in rows for ln in row}
    page.lines = [ln for ln in lines if id(ln) not in used]


def _anchors(segs: list[Seg]) -> list[tuple[float, float]]:
    """The x-extent of each header column: header segments, those above one another merged."""
    out: list[list[float]] = []
    for s in sorted(segs, key=lambda s: s.x0):
        if out and s.x0 < out[-1][1]:
            out[-1][1] = max(out[-1][1], s.x1)
        else:
            out.append([s.x0, s.x1])
    return [(a, b) for a, b in out]


def _column_of(anchors: list[tuple[float, float]], segs: list[Seg]) -> Callable[[Seg], int]:
    """A function segment → column index. Columns are the x-ranges that text covers (gutters between
    them are empty in every row); each range belongs to the header anchor it overlaps most, or the
    nearest one, so left-aligned cells under centred headers land in the right column."""
    spans: list[list[float]] = []
    for s in sorted(segs, key=lambda s: s.x0):
        if spans and s.x0 <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], s.x1)
        else:
            spans.append([s.x0, s.x1])

    def owner(x0: float, x1: float) -> int:
        overlaps = [min(x1, b) - max(x0, a) for a, b in anchors]
        best = max(range(len(anchors)), key=lambda k: overlaps[k])
        if overlaps[best] > 0:
            return best
        mid = (x0 + x1) / 2
        return min(range(len(anchors)), key=lambda k: abs((anchors[k][0] + anchors[k][1]) / 2 - mid))

    starts = [sp[0] for sp in spans]
    owners = [owner(a, b) for a, b in spans]

    def column(seg: Seg) -> int:
        k = bisect.bisect_right(starts, seg.x0 + 0.01) - 1
        return owners[k] if k >= 0 else owner(seg.x0, seg.x1)

    return column


def _bare_text(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _continues_label(label: str, piece: str, words: frozenset[str]) -> bool:
    """`piece` is the rest of a label wrapped in its column (個人情報の流れ及 / び情報保護対策)."""
    joined = label + piece
    return label not in words and piece not in words and any(w.startswith(joined) for w in words)


def unruled_sheet(page: Page, hints: LayoutHints) -> None:
    """A detail sheet drawn without rules → `label\tvalue` rows, as a ruled one gives.

    The label column is found by position: at least two lines start with a [sheet_labels] word and
    carry a value that starts at the same x further right. Every line from there on that keeps to the
    two columns belongs to a row; a row starts where the label column has text (a label wrapped in
    its column continues it). The value lines between two labels are cut at the widest gap between
    them, so a label centred beside its value (value lines above it) still gets all of them."""
    lines = page.lines
    words = hints.sheet_labels
    starts = [i for i, ln in enumerate(lines) if len(ln.segs) > 1 and _bare_text(ln.segs[0].text) in words]
    if len(starts) < 2:
        return
    tol = 0.5 * statistics.median(lines[i].height for i in starts)
    mid = statistics.median(lines[i].segs[1].x0 for i in starts)
    aligned = [i for i in starts if abs(lines[i].segs[1].x0 - mid) <= tol]
    if len(aligned) < 2:
        return
    value_x = min(lines[i].segs[1].x0 for i in aligned) - tol

    def columns(ln: TextLine) -> tuple[str, str, float] | None:
        """(label column text, value column text, the value's right edge), or None for a line across
        both columns."""
        if any(s.x0 < value_x < s.x1 for s in ln.segs):
            return None
        left = " ".join(s.text for s in ln.segs if s.x1 <= value_x)
        value = [s for s in ln.segs if s.x0 >= value_x]
        return left, " ".join(s.text for s in value), max((s.x1 for s in value), default=value_x)

    def tight(upper: TextLine, lower: TextLine) -> bool:
        return lower.top - upper.bottom < 0.5 * max(upper.height, lower.height)

    first, last = aligned[0], aligned[-1]
    # Above the first label with a value on its line and below the last, rows go on as long as they
    # keep to the columns and are no further apart than the rows between.
    widest = max(lines[k + 1].top - lines[k].bottom for k in range(first, last))
    k = first
    while k > 0 and (c := columns(lines[k - 1])) is not None:
        if lines[k].top - lines[k - 1].bottom > max(widest, BLANK_GAP * lines[k].height):
            break
        k -= 1
        if _bare_text(c[0]) in words:  # a label alone on its line, centred beside its value
            first = k
    # Value lines packed above the first label: its value, when the label is centred beside it.
    while (
        first > 0 and (c := columns(lines[first - 1])) and not c[0] and tight(lines[first - 1], lines[first])
    ):
        first -= 1
    cols: list[tuple[str, str, float]] = []
    rows: list[list[int]] = []  # [first line of its label, last line of its label]
    label = ""
    i = first
    while i < len(lines) and (c := columns(lines[i])) is not None:
        left = _bare_text(c[0])
        # The rest of a label wrapped in its column: it completes a known label, or the line before
        # held an unknown label too and this one follows it as tightly as wrapped lines do.
        cont = bool(left and rows) and (
            _continues_label(label, left, words)
            or (label not in words and bool(cols[-1][0]) and tight(lines[i - 1], lines[i]))
        )
        if i > last:
            gap = lines[i].top - lines[i - 1].bottom
            labelled = cont or any(w.startswith(left) for w in words)
            if gap > max(widest, BLANK_GAP * lines[i].height) or (left and not labelled):
                break
        if cont:
            label += left
            rows[-1][1] = i
        elif left:
            rows.append([i, i])
            label = left
        cols.append(c)
        i += 1
    end = i
    if len(rows) < 2:
        return
    # Where each row's lines begin: after the widest gap between the previous label and this one.
    bounds = [first]
    for (_, prev_end), (start, _) in itertools.pairwise(rows):
        cut = max(range(prev_end, start), key=lambda j: (lines[j + 1].top - lines[j].bottom, j))
        bounds.append(cut + 1)
    bounds.append(end)
    for b0, b1 in itertools.pairwise(bounds):
        row = cols[b0 - first : b1 - first]
        height = statistics.median(lines[j].height for j in range(b0, b1))
        value = paragraph_text([(v, x1) for _, v, x1 in row], height)
        text = join_lines([lt for lt, _, _ in row if lt]) + "\t" + value
        page.items.append(Item(lines[b0].top, text))
    page.lines = lines[:first] + lines[end:]

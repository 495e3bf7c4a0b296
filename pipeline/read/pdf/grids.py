"""Ruled grids that are not headed tables (a detail sheet's label/value grid, count tables): the
cells of pdfplumber's `lines` strategy, run on PDFium's path segments, each row a tab-separated line.
The grid finder is pdfplumber's (`table.py`: merge_edges, edges_to_intersections,
intersections_to_cells, cells_to_tables, Table.rows) step for step and float for float, on tuples
instead of dicts and with its quadratic scans replaced by lookups; `tests/unit/test_pdf_grids.py`
holds it to pdfplumber's cells on every page of the test and corpus PDFs and on drawn corner cases."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any, NamedTuple

from pipeline.model import LayoutHints
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.layout import Item, cell_text, unspaced_cell_text

# pdfplumber's TableFinder defaults for the `lines` strategy.
_SNAP = _JOIN = _INTERSECTION = 3
_MIN_LENGTH = 3

# An edge while the grid is found: (x0, top, x1, bottom, length), its length the `height` (of a
# vertical) or `width` (of a horizontal) pdfplumber filters on, updated as pdfplumber updates it.
_Edge = tuple[float, float, float, float, float]
Cell = tuple[float, float, float, float]
_Point = tuple[float, float]
_X0, _TEXT = itemgetter(0), itemgetter(4)  # Char.x0, .text


class GridRow(NamedTuple):
    """A row as pdfplumber's `Table.rows` gives it: a cell per column of its grid (None where a
    cell of an earlier column spans it), and the box round its cells."""

    bbox: Cell
    cells: list[Cell | None]


def _snap(edges: list[_Edge], at: int) -> list[_Edge]:
    """pdfplumber's `snap_objects`: edges whose coordinate `at` (0: a vertical's x, 1: a horizontal's
    top) lies within _SNAP of the next one's move to their cluster's mean. Its arithmetic, in its
    order (the same floats: points and cells are matched by equality further on)."""
    if not edges:
        return []
    values = sorted({e[at] for e in edges})
    cluster: dict[float, int] = {}
    k = 0
    for i, v in enumerate(values):
        if i and not v <= values[i - 1] + _SNAP:
            k += 1
        cluster[v] = k
    members: list[list[_Edge]] = [[] for _ in range(k + 1)]
    for e in edges:
        members[cluster[e[at]]].append(e)
    out: list[_Edge] = []
    for group in members:
        avg = sum([e[at] for e in group]) / len(group)
        for x0, top, x1, bottom, length in group:
            if at == 0:
                out.append((x0 + (avg - x0), top, x1 + (avg - x0), bottom, length))
            else:
                out.append((x0, top + (avg - top), x1, bottom + (avg - top), length))
    return out


def _join(edges: list[_Edge], at: int) -> list[_Edge]:
    """pdfplumber's `join_edge_group` on each line of snapped edges (those with the same coordinate
    `at`), then its `edge_min_length` filter: pieces of a line that overlap or lie within _JOIN of
    each other become one edge."""
    lo, hi = (1, 3) if at == 0 else (0, 2)
    out: list[_Edge] = []
    for _, line in groupby(sorted(edges, key=itemgetter(at)), key=itemgetter(at)):
        run = sorted(line, key=itemgetter(lo))
        joined = [run[0]]
        for e in run[1:]:
            last = joined[-1]
            if e[lo] <= last[hi] + _JOIN:
                if e[hi] > last[hi]:
                    x0, top, x1, bottom, length = last
                    joined[-1] = (
                        (x0, top, x1, e[3], length + (e[3] - bottom))
                        if at == 0
                        else (x0, top, e[2], bottom, e[2] - x0)
                    )
            else:
                joined.append(e)
        out += joined
    return [e for e in out if e[4] >= _MIN_LENGTH]


def _intersections(vs: list[_Edge], hs: list[_Edge]) -> dict[_Point, tuple[set[int], set[int]]]:
    """pdfplumber's `edges_to_intersections`: each point where a vertical and a horizontal meet
    within _INTERSECTION → (the verticals, the horizontals through it), by their index (an edge's
    index stands for its box: no two merged edges share one). Each vertical looks only at the
    horizontals whose top is near its span; the test is pdfplumber's own."""
    hs = sorted(hs, key=itemgetter(1))
    tops = [h[1] for h in hs]
    points: dict[_Point, tuple[set[int], set[int]]] = {}
    tol = _INTERSECTION
    for i, (x, top, _, bottom, _) in enumerate(vs):
        # A margin past the tolerance: the bounds must not drop a horizontal the test keeps.
        lo = bisect.bisect_left(tops, top - tol - 0.01)
        hi = bisect.bisect_right(tops, bottom + tol + 0.01)
        for j in range(lo, hi):
            h = hs[j]
            y = h[1]
            if top <= y + tol and bottom >= y - tol and x >= h[0] - tol and x <= h[2] + tol:
                at = points.get((x, y))
                if at is None:
                    points[(x, y)] = ({i}, {j})
                else:
                    at[0].add(i)
                    at[1].add(j)
    return points


def _cells(points: dict[_Point, tuple[set[int], set[int]]]) -> list[Cell]:
    """pdfplumber's `intersections_to_cells`, cell for cell: from each point (by x, then y), the
    smallest box to the first point below it on a shared vertical and the first right of it on a
    shared horizontal whose far corner is joined to both. pdfplumber rebuilds the edge sets on
    every test and scans every later point for those below and right of each; here they are built
    once and the points of a column and of a row are looked up."""
    ordered = sorted(points)
    column: dict[float, list[_Point]] = {}
    row: dict[float, list[_Point]] = {}
    place: list[tuple[int, int]] = []
    for p in ordered:
        col, line = column.setdefault(p[0], []), row.setdefault(p[1], [])
        place.append((len(col), len(line)))
        col.append(p)
        line.append(p)
    cells: list[Cell] = []
    for p, (ci, ri) in zip(ordered, place, strict=True):
        pv, ph = points[p]
        right = row[p[1]][ri + 1 :]
        for b in column[p[0]][ci + 1 :]:
            bv, bh = points[b]
            if pv.isdisjoint(bv):
                continue
            cell = None
            for r in right:
                rv, rh = points[r]
                if ph.isdisjoint(rh):
                    continue
                corner = points.get((r[0], b[1]))
                if corner is not None and not corner[0].isdisjoint(rv) and not corner[1].isdisjoint(bh):
                    cell = (p[0], p[1], r[0], b[1])
                    break
            if cell is not None:
                cells.append(cell)
                break
    return cells


def _rows(cells: list[Cell]) -> list[GridRow]:
    """pdfplumber's `Table.rows`: the cells by top, each row a slot per x0 of the table's cells."""
    xs = sorted({c[0] for c in cells})
    rows: list[GridRow] = []
    for _, run in groupby(sorted(cells, key=itemgetter(1, 0)), key=itemgetter(1)):
        by_x = {c[0]: c for c in run}
        slots = [by_x.get(x) for x in xs]
        present = [c for c in slots if c]
        bbox = (
            min(c[0] for c in present),
            min(c[1] for c in present),
            max(c[2] for c in present),
            max(c[3] for c in present),
        )
        rows.append(GridRow(bbox, slots))
    return rows


def _tables(cells: list[Cell]) -> list[list[Cell]]:
    """pdfplumber's `cells_to_tables`: cells that share a corner, directly or through others, make a
    table (its passes over the remaining cells find exactly these groups); tables top to bottom, then
    left to right, by their top-left-most cell; a lone cell is no table."""
    by_corner: dict[_Point, list[int]] = {}
    for k, (x0, top, x1, bottom) in enumerate(cells):
        for corner in ((x0, top), (x0, bottom), (x1, top), (x1, bottom)):
            by_corner.setdefault(corner, []).append(k)
    seen = [False] * len(cells)
    tables: list[list[Cell]] = []
    for start in range(len(cells)):
        if seen[start]:
            continue
        seen[start] = True
        todo, group = [start], []
        while todo:
            k = todo.pop()
            group.append(cells[k])
            x0, top, x1, bottom = cells[k]
            for corner in ((x0, top), (x0, bottom), (x1, top), (x1, bottom)):
                for other in by_corner[corner]:
                    if not seen[other]:
                        seen[other] = True
                        todo.append(other)
        if len(group) > 1:
            tables.append(group)
    return sorted(tables, key=lambda t: min((c[1], c[0]) for c in t))


def grid_rows(edges: list[dict[str, Any]]) -> list[list[GridRow]]:
    """The rows of each table pdfplumber's TableFinder finds on `edges` with the `lines` strategy on
    both axes and its default tolerances."""
    vs = [
        (e["x0"], e["top"], e["x1"], e["bottom"], e["height"])
        for e in edges
        if e["orientation"] == "v" and e["height"] >= 1
    ]
    hs = [
        (e["x0"], e["top"], e["x1"], e["bottom"], e["width"])
        for e in edges
        if e["orientation"] == "h" and e["width"] >= 1
    ]
    points = _intersections(_join(_snap(vs, 0), 0), _join(_snap(hs, 1), 1))
    return [_rows(t) for t in _tables(_cells(points))]


class _Row(NamedTuple):
    """A grid row as `ruled_tables` reads it: its span down the page, its cells left to right (the
    spanned slots left out) with their left and right edges and bottoms, and whether they stand
    apart (each ends where or before the next begins), when a character's cell is found by
    bisecting their left edges."""

    top: float
    bottom: float
    cells: list[Cell]
    x0s: list[float]
    x1s: list[float]
    bottoms: list[float]
    apart: bool


@dataclass
class Grids:
    """What a document's pages showed so far: the rows of the grids found, by the rules that draw
    them (the pages of a packet's sheets repeat a handful of grids: 5 in the corpus PDF's 32 pages),
    and the text of a cell, by its characters as they came (a sheet's labels recur on every sheet
    in the same places: 199 of the corpus PDF's 292 cells)."""

    rows: dict[tuple[Any, ...], list[_Row]] = field(default_factory=dict)
    texts: dict[tuple[Any, ...], str] = field(default_factory=dict)


def _read_rows(edges: list[dict[str, Any]]) -> list[_Row]:
    """The rows `ruled_tables` reads on these edges, table after table. A frame round the page or a
    box round a paragraph is not a table (no row of it has two cells): its text stays lines."""
    out: list[_Row] = []
    for rows in grid_rows(edges):
        if max(sum(1 for c in row.cells if c) for row in rows) < 2:
            continue
        for row in rows:
            cells = [c for c in row.cells if c]
            apart = all(a[2] <= b[0] for a, b in pairwise(cells))
            x0s, x1s, bottoms = [c[0] for c in cells], [c[2] for c in cells], [c[3] for c in cells]
            out.append(_Row(row.bbox[1], row.bbox[3], cells, x0s, x1s, bottoms, apart))
    return out


def _cell_of(row: _Row, cx: float, my: float) -> int:
    """The first cell of the row holding the point (cx, my), which is within the row's span, or -1."""
    return next((k for k, c in enumerate(row.cells) if c[0] <= cx <= c[2] and c[1] <= my <= c[3]), -1)


_SPACES = re.compile(r"\s+")


def ruled_tables(
    edges: list[dict[str, Any]],
    chars: list[Char],
    hints: LayoutHints,
    known: Grids | None = None,
) -> tuple[list[Item], list[Char]]:
    """Rows of the grid tables on the page → (items, chars left outside every table). `known`: what
    the document's other pages showed (`Grids`), added to."""
    key = tuple((e["orientation"], e["x0"], e["x1"], e["top"], e["bottom"]) for e in edges)
    known = Grids() if known is None else known
    rows = known.rows.get(key)
    if rows is None:
        rows = known.rows[key] = _read_rows(edges)
    texts_of = known.texts
    items: list[Item] = []
    inside: set[int] = set()
    mid_of = [(c.top + c.bottom) / 2 for c in chars]
    by_mid = sorted(range(len(chars)), key=mid_of.__getitem__)
    mids = [mid_of[i] for i in by_mid]
    # The reader's characters hold no spaces: a cell's lines are then grouped as its characters
    # come, by their centres, as `group_lines` would group them.
    spaced = any(map(str.isspace, map(_TEXT, chars)))
    for row in rows:
        lo, hi = bisect.bisect_left(mids, row.top), bisect.bisect_right(mids, row.bottom)
        if lo == hi:
            continue
        per_cell: list[list[list[Char]]] = [[] for _ in row.cells]
        spans = [(0.0, 0.0)] * len(row.cells)
        x0s, x1s, bottoms, apart = row.x0s, row.x1s, row.bottoms, row.apart
        for i in by_mid[lo:hi]:
            ch, my = chars[i], mid_of[i]
            cx = (ch.x0 + ch.x1) / 2
            if apart:
                # Only the last two cells starting left of the centre can hold it, the earlier one
                # where they meet at it (every cell of a row starts at its top).
                k = bisect.bisect_right(x0s, cx) - 1
                if k > 0 and cx <= x1s[k - 1] and my <= bottoms[k - 1]:
                    k -= 1
                elif k < 0 or cx > x1s[k] or my > bottoms[k]:
                    continue
            else:
                k = _cell_of(row, cx, my)
                if k < 0:
                    continue
            inside.add(i)
            lines = per_cell[k]
            if lines and spans[k][0] <= my <= spans[k][1]:
                lines[-1].append(ch)
            else:
                lines.append([ch])
                spans[k] = (ch.top, ch.bottom)
        texts = [_text(lines, False, spaced, texts_of) if lines else "" for lines in per_cell[:1]]
        # A detail sheet's row: its values keep paragraphs.
        sheet_row = _SPACES.sub("", texts[0]) in hints.sheet_labels
        texts += [_text(lines, sheet_row, spaced, texts_of) if lines else "" for lines in per_cell[1:]]
        if any(texts):
            items.append(Item(row.top, "\t".join(texts)))
    rest = [ch for i, ch in enumerate(chars) if i not in inside]
    return items, rest


def _text(lines: list[list[Char]], paragraphs: bool, spaced: bool, known: dict[tuple[Any, ...], str]) -> str:
    key = (paragraphs, *map(tuple, lines))
    text = known.get(key)
    if text is None:
        if spaced:  # lines in the order the characters came: `cell_text` groups them its way
            text = cell_text([c for ln in lines for c in ln], paragraphs)
        else:
            text = unspaced_cell_text(
                [sorted(ln, key=_X0) if len(ln) > 1 else ln for ln in lines], paragraphs
            )
        known[key] = text
    return text

"""Ruled grids that are not headed tables (a detail sheet's label/value grid, count tables): the
cells of pdfplumber's `lines` strategy, run on PDFium's path segments, each row a tab-separated line."""

from __future__ import annotations

import bisect
import re
from itertools import groupby
from typing import Any

from pdfplumber.table import (
    CellGroup,
    T_intersections,
    Table,
    cells_to_tables,
    edges_to_intersections,
    merge_edges,
)
from pdfplumber.utils import filter_edges, obj_to_bbox

from pipeline.model import LayoutHints
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.layout import Item, cell_text

# The grids found on a document's pages so far, by the rules that draw them.
Grids = dict[tuple[Any, ...], list[list[CellGroup]]]

# pdfplumber's TableFinder defaults for the `lines` strategy.
_SNAP = _JOIN = _INTERSECTION = 3
_MIN_LENGTH = 3


def _cells(intersections: T_intersections) -> list[tuple[float, float, float, float]]:
    """pdfplumber's `intersections_to_cells`, cell for cell, without its quadratic part: it builds
    the sets of edges at both points on every test and scans every later point for the ones below
    and right of each (two thirds of a sheet page's time); here each point's sets are built once and
    the points below and right of it are looked up."""
    v_at = {p: set(map(obj_to_bbox, d["v"])) for p, d in intersections.items()}
    h_at = {p: set(map(obj_to_bbox, d["h"])) for p, d in intersections.items()}

    def connects(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return (p[0] == q[0] and not v_at[p].isdisjoint(v_at[q])) or (
            p[1] == q[1] and not h_at[p].isdisjoint(h_at[q])
        )

    points = sorted(intersections)
    # Sorted by x then y: the points below a point follow it in its x's run; those right of it
    # are the later points of its y, by x.
    column = {x: list(pts) for x, pts in groupby(points, key=lambda p: p[0])}
    row: dict[float, list[tuple[float, float]]] = {}
    for p in points:
        row.setdefault(p[1], []).append(p)
    cells = []
    for pt in points[:-1]:
        col, line = column[pt[0]], row[pt[1]]
        below, right = col[col.index(pt) + 1 :], line[line.index(pt) + 1 :]
        cell = next(
            (
                (pt[0], pt[1], r[0], b[1])
                for b in below
                if connects(pt, b)
                for r in right
                if connects(pt, r)
                and (r[0], b[1]) in intersections
                and connects((r[0], b[1]), r)
                and connects((r[0], b[1]), b)
            ),
            None,
        )
        if cell:
            cells.append(cell)
    return cells


def _tables(edges: list[dict[str, Any]]) -> list[Table]:
    """The tables pdfplumber's TableFinder finds with the `lines` strategy on both axes and its
    default tolerances."""
    found = filter_edges(edges, "v", min_length=1) + filter_edges(edges, "h", min_length=1)
    found = filter_edges(merge_edges(found, _SNAP, _SNAP, _JOIN, _JOIN), min_length=_MIN_LENGTH)
    cells = _cells(edges_to_intersections(found, _INTERSECTION, _INTERSECTION))
    return [Table(None, group) for group in cells_to_tables(cells)]  # type: ignore[arg-type]


def ruled_tables(
    edges: list[dict[str, Any]],
    chars: list[Char],
    hints: LayoutHints,
    known: Grids | None = None,
) -> tuple[list[Item], list[Char]]:
    """Rows of the grid tables on the page → (items, chars left outside every table). `known`: the
    grids already found for other pages' rules, by their rules: the pages of a packet's sheets
    repeat a handful of grids (5 in the corpus PDF's 32 pages)."""
    key = tuple((e["orientation"], e["x0"], e["x1"], e["top"], e["bottom"]) for e in edges)
    grids = known.get(key) if known is not None else None
    if grids is None:
        grids = [table.rows for table in _tables(edges)]
        if known is not None:
            known[key] = grids
    items: list[Item] = []
    inside: set[int] = set()
    by_mid = sorted(range(len(chars)), key=lambda i: (chars[i].top + chars[i].bottom) / 2)
    mids = [(chars[i].top + chars[i].bottom) / 2 for i in by_mid]
    for rows in grids:
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
                re.sub(r"\s+", "", label) in hints.sheet_labels
            )  # a detail sheet's row: its values keep paragraphs
            texts = [label] + [cell_text(cc, paragraphs=sheet_row) if cc else "" for cc in kept[1:]]
            if any(texts):
                items.append(Item(top, "\t".join(texts)))
    rest = [ch for i, ch in enumerate(chars) if i not in inside]
    return items, rest

"""Ruled grids that are not headed tables (a detail sheet's label/value grid, count tables): the
cells of pdfplumber's `lines` strategy, run on PDFium's path segments, each row a tab-separated line."""

from __future__ import annotations

import bisect
import re
from typing import Any, cast

from pdfplumber.table import TableFinder

from pipeline.model import LayoutHints
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.layout import Item, cell_text


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
                re.sub(r"\s+", "", label) in hints.sheet_labels
            )  # a detail sheet's row: its values keep paragraphs
            texts = [label] + [cell_text(cc, paragraphs=sheet_row) if cc else "" for cc in kept[1:]]
            if any(texts):
                items.append(Item(top, "\t".join(texts)))
    rest = [ch for i, ch in enumerate(chars) if i not in inside]
    return items, rest

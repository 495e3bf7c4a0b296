"""The grid finder of `grids` gives the cells pdfplumber's own TableFinder (`lines` strategy) gives:
on every page of the test and corpus PDFs, and on grids drawn to catch its corner cases (a cell
missing a side, rules that stop short, two tables touching at a corner, snapped near-misses)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from pdfplumber.table import TableFinder

from pipeline.documents import layout_hints
from pipeline.read.pdf import _read_page
from pipeline.read.pdf.fallback import Fallback
from pipeline.read.pdf.geometry import Char, Frame
from pipeline.read.pdf.grids import Grids, grid_rows, ruled_tables
from pipeline.read.pdf.pdfium import page_edges

ROOT = Path(__file__).resolve().parents[2]
# Every PDF the tests and the corpus hold, but the encrypted one (no page can be read without its
# password: its refusal is tested in the ingest tests).
PDFS = [
    p
    for p in sorted((ROOT / "tests" / "fixtures").rglob("*.pdf"))
    + sorted((ROOT.parent / "shared" / "corpus").rglob("*.pdf"))
    if p.name != "encrypted.pdf"
]


class _EdgePage:
    def __init__(self, edges: list[dict[str, Any]]) -> None:
        self.edges = edges
        self.bbox = (0.0, 0.0, 1000.0, 1000.0)


def pdfplumber_rows(edges: list[dict[str, Any]]) -> list[list[tuple[Any, list[Any]]]]:
    finder = TableFinder(_EdgePage(edges), {"vertical_strategy": "lines", "horizontal_strategy": "lines"})  # type: ignore[arg-type]
    return [[(r.bbox, r.cells) for r in t.rows] for t in finder.tables]


def our_rows(edges: list[dict[str, Any]]) -> list[list[tuple[Any, list[Any]]]]:
    return [[(r.bbox, r.cells) for r in t] for t in grid_rows(edges)]


def edge(x0: float, top: float, x1: float, bottom: float) -> dict[str, Any]:
    return {
        "object_type": "line",
        "orientation": "v" if x0 == x1 else "h",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
    }


def test_a_plain_grid() -> None:
    edges = [edge(x, 10, x, 40) for x in (10, 50, 90)] + [edge(10, y, 90, y) for y in (10, 25, 40)]
    assert our_rows(edges) == [
        [
            ((10, 10, 90, 25), [(10, 10, 50, 25), (50, 10, 90, 25)]),
            ((10, 25, 90, 40), [(10, 25, 50, 40), (50, 25, 90, 40)]),
        ]
    ]
    assert our_rows(edges) == pdfplumber_rows(edges)


def test_a_cell_without_its_right_side_is_merged_with_the_next() -> None:
    # The middle rule stops at the first row: the second row is one cell wide.
    edges = [edge(10, 10, 10, 40), edge(50, 10, 50, 25), edge(90, 10, 90, 40)] + [
        edge(10, y, 90, y) for y in (10, 25, 40)
    ]
    assert our_rows(edges) == [
        [
            ((10, 10, 90, 25), [(10, 10, 50, 25), (50, 10, 90, 25)]),
            ((10, 25, 90, 40), [(10, 25, 90, 40), None]),
        ]
    ]
    assert our_rows(edges) == pdfplumber_rows(edges)


@pytest.mark.parametrize("seed", range(60))
def test_random_grids_give_pdfplumbers_cells(seed: int) -> None:
    rnd = random.Random(seed)
    xs = sorted(rnd.sample(range(0, 400, 7), rnd.randint(2, 7)))
    ys = sorted(rnd.sample(range(0, 600, 5), rnd.randint(2, 9)))
    edges = []
    for x in xs:  # rules that may stop short, be cut in two, or miss their line by a point or two
        if rnd.random() < 0.85:
            a, b = rnd.choice(ys[:-1]), rnd.choice(ys[1:])
            a, b = min(a, b), max(a, b)
            if rnd.random() < 0.6:
                a, b = ys[0], ys[-1]
            jitter = rnd.choice([0, 0, 0, 0.4, 1.5, 2.9, 3.5])
            edges.append(edge(x + jitter, a - rnd.choice([0, 0, 2]), x + jitter, b + rnd.choice([0, 0, 2.5])))
    for y in ys:
        if rnd.random() < 0.85:
            a, b = rnd.choice(xs[:-1]), rnd.choice(xs[1:])
            a, b = min(a, b), max(a, b)
            if rnd.random() < 0.6:
                a, b = xs[0], xs[-1]
            edges.append(
                edge(a, y + rnd.choice([0, 0, 1, 3.2]), b, y + rnd.choice([0, 0, 1, 3.2]))
                | {"orientation": "h"}
            )
    rnd.shuffle(edges)
    assert our_rows(edges) == pdfplumber_rows(edges)


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.name)
def test_every_page_of_the_test_pdfs(pdf: Path) -> None:
    doc = pdfium.PdfDocument(pdf.read_bytes())
    for i in range(len(doc)):
        page = doc[i]
        edges = page_edges(page, Frame(0, page.get_mediabox()))
        assert our_rows(edges) == pdfplumber_rows(edges), f"page {i + 1}"


def test_a_character_below_a_short_cell_goes_to_the_row_below() -> None:
    # A label spanning two rows beside two value cells: the first row reaches down to the label's
    # foot, but the character under its short value cell belongs to the second row.
    edges = [edge(x, 10, x, 40) for x in (10, 50, 90)] + [
        edge(10, 10, 90, 10),
        edge(50, 25, 90, 25),
        edge(10, 40, 90, 40),
    ]
    chars = [Char(20, 30, 20, 30, "甲"), Char(60, 70, 12, 22, "乙"), Char(60, 70, 27, 37, "丙")]
    items, rest = ruled_tables(edges, chars, layout_hints())
    assert [(it.top, it.text) for it in items] == [(10, "甲\t乙"), (25, "丙")] and rest == []


def test_a_grid_found_on_one_page_serves_the_next_with_the_same_rules() -> None:
    edges = [edge(x, 10, x, 40) for x in (10, 50, 90)] + [edge(10, y, 90, y) for y in (10, 25, 40)]
    page_1 = [Char(20, 30, 12, 22, "甲"), Char(60, 70, 12, 22, "乙"), Char(20, 30, 27, 37, "丙")]
    page_2 = [Char(60, 70, 27, 37, "丁"), Char(20, 30, 50, 60, "外")]
    known = Grids()
    first = ruled_tables(edges, page_1, layout_hints(), known)
    second = ruled_tables(list(edges), page_2, layout_hints(), known)
    assert len(known.rows) == 1
    assert [it.text for it in first[0]] == ["甲\t乙", "丙\t"]
    assert [it.text for it in second[0]] == ["\t丁"] and second[1] == [page_2[1]]
    assert (first, second) == (
        ruled_tables(edges, page_1, layout_hints()),
        ruled_tables(edges, page_2, layout_hints()),
    )


# PDFs with grid rows of every kind: sheets (ruled, and unruled with a grid or two), the corpus PDF,
# count tables and lists drawn by the layouts generator (turned, hairline, browser-printed).
GRIDDED = [
    p
    for p in PDFS
    if p.name.startswith("001_")
    or p.name
    in {
        "sheets_ruled.pdf",
        "sheets_unruled.pdf",
        "grid_list.pdf",
        "turned_rotate90.pdf",
        "ruled-portrait-mincho-cid-colsB-02.pdf",
        "ruled-landscape-mincho-cid-colsC-04.pdf",
        "hair-landscape-gothic-cid-colsA-09.pdf",
        "chrome-shaded-landscape-mincho-ttf-colsC-38.pdf",
    }
]


@pytest.mark.parametrize("pdf", GRIDDED, ids=lambda p: p.name)
def test_cells_read_by_the_fast_paths_read_as_cell_text_and_a_scan_read_them(pdf: Path) -> None:
    # The reader's characters hold no spaces, and `ruled_tables` groups a cell's lines as they come;
    # one space on the page, below every grid, sends every cell through `cell_text` instead. A row
    # whose cells stand apart finds a character's cell by bisection; told they do not, by a scan.
    data = pdf.read_bytes()
    doc = pdfium.PdfDocument(data)
    fallback = Fallback(data, pdf.name, len(doc))
    rows = 0
    for i in range(len(doc)):
        page, _ = _read_page(doc, fallback, i)
        chars = [c for ln in page.lines for c in ln.chars]
        random.Random(i).shuffle(chars)  # the characters of a line come in any order
        known = Grids()
        items, rest = ruled_tables(page.edges, chars, layout_hints(), known)
        space = Char(0, 5, 5000, 5010, " ")
        spaced_items, spaced_rest = ruled_tables(page.edges, [*chars, space], layout_hints())
        assert [(it.top, it.text) for it in spaced_items] == [(it.top, it.text) for it in items], (
            f"page {i + 1}"
        )
        assert spaced_rest == [*rest, space]
        scan = Grids({key: [row._replace(apart=False) for row in grid] for key, grid in known.rows.items()})
        assert ruled_tables(page.edges, chars, layout_hints(), scan) == (items, rest), f"page {i + 1}"
        rows += len(items)
    doc.close()
    fallback.close()
    assert rows >= 3

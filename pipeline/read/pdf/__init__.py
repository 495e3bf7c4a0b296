"""Stage 1 for PDFs: the text layer of a PDF → `Source`, tables as tab-separated rows.

PDFium (pypdfium2) reads every page: characters and the drawn path segments. Each character is boxed
from its origin, the font size the PDF states and its advance, and PDFium is given no system fonts,
so the same PDF reads the same on every machine whatever fonts it has. Each table row becomes one
line with its cells joined by `\t`, so the case-list and sheet parsers read a PDF exactly like a
converter's tab-separated text:

* a table whose header the document types recognise (a case list) is rebuilt from geometry by one
  algorithm whatever its rules (`tables`): columns from the header's cells and the rules or gutters
  between them, rows anchored on its number column, rows cut by a page break joined again;
* other ruled grids (a detail sheet's label/value grid): the cells pdfplumber's `lines` strategy
  finds, by the project's own finder of those cells on PDFium's segments (`grids`; pdfplumber's own
  page objects cost ~50x more to parse, its finder on dicts twice as much as this one);
* a detail sheet with no rules: the label column found by position (`sheets`).

A page is read in the direction most of its text runs: a landscape list on a portrait page with
/Rotate 90 or 270 (or just drawn turned) is turned upright first, characters and rules alike. Text at
another angle on a page (a stamp, a label up the margin) is read in its own direction and laid flat
where it stands, as one short line.

Running headers and footers (repeated in the top or bottom band of the pages) are dropped, and a
vertical gap of an empty line's height between free lines becomes an empty line, as in converted text.
Text objects PDFium holds no text for (one-glyph strings of non-embedded CJK fonts) are recovered from
the page's content stream; a page where that cannot be done for certain is read by pdfminer instead.

The package's modules are its layers, each using only those above it in this list:
`geometry` (character boxes, turned frames), `pdfium` (every call into PDFium), `chars` (a page's
characters, a text object's run at a time), `content_stream` (the text operators of a page and the
one-glyph recovery), `fallback` (pdfminer), `layout` (characters → lines), `headers`, `tables`,
`grids`, `sheets` (lines and rules → tab-separated rows). What a table's header or a sheet's labels
look like reaches it as `LayoutHints` from the document types: the reader imports no parser.
"""

from __future__ import annotations

import gc

from pypdfium2 import PdfDocument, PdfiumError

from pipeline.model import ExtractionError, LayoutHints, Line, Source, sha256_bytes
from pipeline.normalise.text import fold
from pipeline.read.pdf.chars import page_chars
from pipeline.read.pdf.content_stream import recover
from pipeline.read.pdf.fallback import Fallback
from pipeline.read.pdf.geometry import Char, Frame
from pipeline.read.pdf.grids import Grids, ruled_tables
from pipeline.read.pdf.headers import is_header
from pipeline.read.pdf.layout import (
    BLANK_GAP,
    Item,
    Page,
    TextLine,
    drop_running_lines,
    place,
    reading_angle,
    text_lines,
)
from pipeline.read.pdf.pdfium import (
    close_page,
    close_textpage,
    lost_objects,
    media_box,
    object_texts,
    open_document,
    open_page,
    open_textpage,
    page_edges,
    page_objects,
    rotation,
    text_objects,
    upright_scale,
)
from pipeline.read.pdf.sheets import unruled_sheet
from pipeline.read.pdf.tables import Carry, read_tables


def _read_page(doc: PdfDocument, fallback: Fallback, index: int) -> tuple[Page, int]:
    page = open_page(doc, index)
    try:
        box = media_box(page)
        turned = rotation(page)
        textpage = open_textpage(page)
        try:
            kinds = page_objects(page)
            objs, forms = text_objects(page, kinds)
            texts = object_texts(objs, textpage)
            lost = lost_objects(objs, texts)
            extra = (
                recover(objs, lost, texts, fallback.shows(index), fallback.decoder(index), box)
                if lost
                else []
            )
            scale = None if forms else upright_scale(objs)
            chars = None if extra is None else page_chars(textpage, box, scale, objs, texts) + extra
        finally:
            close_textpage(textpage)
        if chars is None:
            chars = fallback.chars(index)
        frame = Frame(reading_angle(chars, turned), box)
        edges = page_edges(page, frame, kinds) if chars else []
    finally:
        close_page(page)
    chars = place(chars, frame)
    return Page(index + 1, frame.width, frame.height, text_lines(chars), edges), len(chars)


def _outside(lines: list[TextLine], rest: list[Char]) -> list[TextLine]:
    """The lines left once the grid tables took their characters (a line is read again only when a
    grid took part of it)."""
    kept = {id(c) for c in rest}
    out: list[TextLine] = []
    for ln in lines:
        chars = [c for c in ln.chars if id(c) in kept]
        if len(chars) == len(ln.chars):
            out.append(ln)
        elif chars:
            out += text_lines(chars)
    return sorted(out, key=lambda ln: ln.top)


def read_pdf(data: bytes, source_path: str, hints: LayoutHints) -> Source:
    """Read every page; `hints` say what a case-list header and a sheet's row labels look like."""
    # A page's characters are tens of thousands of small objects, none of them in a cycle: the
    # cyclic collector running over them as they are made cost 10-15 % of a dense packet's time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_pdf(data, source_path, hints)
    finally:
        if collecting:
            gc.enable()


def _read_pdf(data: bytes, source_path: str, hints: LayoutHints) -> Source:
    doc = open_document(data, source_path)
    fallback = Fallback(data, source_path, len(doc))
    try:
        page_count = len(doc)
        if page_count == 0:
            raise ExtractionError(
                "unreadable", f"{source_path}: is a PDF without any pages; export or download it again."
            )
        pages: list[Page] = []
        n_chars = 0
        for i in range(page_count):
            try:
                page, n = _read_page(doc, fallback, i)
            # Not `pdfium.PdfiumError`: in this package `pdfium` is the submodule, which importing
            # it binds over pypdfium2's name.
            except PdfiumError as exc:
                raise ExtractionError(
                    "unreadable",
                    f"{source_path}: page {i + 1} cannot be read (damaged PDF); export it again.",
                ) from exc
            pages.append(page)
            n_chars += n
    finally:
        doc.close()
        fallback.close()
    if not n_chars:
        raise ExtractionError(
            "no_text_layer",
            f"{source_path}: has {page_count} page(s) but no text layer (a scan); run OCR on it first.",
        )
    drop_running_lines(pages, lambda ln: is_header(ln, hints))
    lines: list[Line] = []
    carry: Carry | None = None
    grids = Grids()
    for p in pages:
        carry = read_tables(p, hints, carry)
        if p.edges:
            chars = [c for ln in p.lines for c in ln.chars]
            grid_rows, rest = ruled_tables(p.edges, chars, hints, grids)
            if grid_rows:
                p.items += grid_rows
                p.lines = _outside(p.lines, rest)
        unruled_sheet(p, hints)
    for p in pages:
        items = p.items + [Item(ln.top, ln.text, ln) for ln in p.lines]
        prev: TextLine | None = None
        for it in sorted(items, key=lambda it: it.top):
            ln = it.line
            if ln and prev and ln.top - prev.bottom > BLANK_GAP * max(ln.height, prev.height):
                lines.append(Line(len(lines) + 1, "", p.number))
            text = it.row.render() if it.row is not None else it.text
            lines.append(Line(len(lines) + 1, fold(text), p.number))
            prev = ln
    return Source(source_path, sha256_bytes(data), "pdf", None, page_count, lines)

"""The run reader of `chars` (a text object's characters a run at a time) gives the characters and
the lines the one-by-one reader gives: on every page of the test and corpus PDFs, the bench's dense
packet and PDFs drawn to defeat it (spacing and kerning between glyphs, the same glyphs spaced
otherwise in another run, a fake bold), with every upright page read run by run, not only the pages
of long runs it is used on, so that the fast path cannot drift from the exact one unseen."""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

import pipeline.read.pdf.chars as chars
from pipeline.documents import layout_hints
from pipeline.read.pdf import read_pdf
from pipeline.read.pdf.chars import page_chars
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.pdfium import object_texts, text_objects, upright_scale

ROOT = Path(__file__).resolve().parents[2]
# Every PDF the tests and the corpus hold with characters to read (not the encrypted one, nor the
# scan: it has no text layer).
PDFS = [
    p
    for p in sorted((ROOT / "tests" / "fixtures").rglob("*.pdf"))
    + sorted((ROOT.parent / "shared" / "corpus").rglob("*.pdf"))
    if p.name not in ("encrypted.pdf", "scanned.pdf")
]


def dense_packet() -> bytes:
    spec = importlib.util.spec_from_file_location("pdf_bench", ROOT / "bench" / "pdf_bench.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    packet: bytes = bench.dense_packet()
    return packet


def spaced_packet() -> bytes:
    """Lines a run reader could misplace: the same words with no spacing, then with character
    spacing (Tc) and word spacing (Tw), kerned in a TJ array, a run drawn twice half a point apart
    (fake bold), and Latin text in a proportional font."""
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    words = "Personal data handled by the contractor, 2023/4/3"
    y = 780.0
    # The same words with no spacing, spaced by 1.5 pt, plain again, by 4.5 and -0.5 pt, and with a
    # word space (reportlab writes a CID font's spaced string a glyph at a time: PDFium loses those).
    for char_space, word_space in ((0.0, 0.0), (1.5, 0.0), (0.0, 0.0), (4.5, 0.0), (-0.5, 0.0), (0.0, 6.0)):
        t = c.beginText(40, y)
        t.setFont("Helvetica", 10)
        t.setCharSpace(char_space)
        t.setWordSpace(word_space)
        t.textLine(words)
        c.drawText(t)
        y -= 20
    # Kerning inside one text object: a TJ array with gaps before some glyphs.
    c.setFont("Helvetica", 10)
    c._code.append(f"BT /F1 10 Tf 40 {y} Td [(Contract) -900 (or) 300 (wide) -2400 (gap) 120 (s)] TJ ET")
    y -= 20
    for dx in (0.0, 0.4):  # fake bold: the same line twice
        c.setFont("HeiseiMin-W3", 10)
        c.drawString(40 + dx, y, "個人情報の取扱いについて委託先に講じさせる")
    c.showPage()
    c.save()
    return buf.getvalue()


DOCS: list[tuple[str, Any]] = [(p.name, p) for p in PDFS] + [
    ("dense_20_pages.pdf", dense_packet),
    ("spaced.pdf", spaced_packet),
]


def _data(source: Any) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source()


def _pages(
    data: bytes,
) -> Iterator[tuple[Any, tuple[float, float, float, float], float | None, list[Any], Any]]:
    doc = pdfium.PdfDocument(data)
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            objs, forms = text_objects(page)
            scale = None if forms else upright_scale(objs)
            yield textpage, page.get_mediabox(), scale, objs, object_texts(objs, textpage)
            textpage.close()
            page.close()
    finally:
        doc.close()


def _same_chars(one: list[Char], runs: list[Char]) -> None:
    assert [c.text for c in runs] == [c.text for c in one]
    assert [c.angle for c in runs] == [c.angle for c in one]
    # Placed by advances, a box may differ from PDFium's own origin by float rounding only.
    worst = max(
        (abs(a - b) for p, q in zip(one, runs, strict=True) for a, b in zip(p[:4], q[:4], strict=True)),
        default=0,
    )
    assert worst < 1e-3


@pytest.mark.parametrize(("name", "source"), DOCS, ids=[name for name, _ in DOCS])
def test_runs_box_every_character_as_one_by_one(
    name: str, source: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chars, "_long_runs", lambda texts: True)
    for textpage, box, scale, objs, texts in _pages(_data(source)):
        _same_chars(page_chars(textpage, box, scale), page_chars(textpage, box, scale, objs, texts))


@pytest.mark.parametrize(("name", "source"), DOCS, ids=[name for name, _ in DOCS])
def test_runs_read_the_same_lines_and_cells(name: str, source: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data(source)
    monkeypatch.setattr(chars, "_long_runs", lambda texts: False)
    one = read_pdf(data, name, layout_hints())
    monkeypatch.setattr(chars, "_long_runs", lambda texts: True)
    runs = read_pdf(data, name, layout_hints())
    assert runs.lines == one.lines
    assert any(line.text for line in one.lines)


def _placed_share(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """Characters placed by advances, placed from each origin, and all the visible ones."""
    counts = {"placed": 0, "each": 0}

    def counting(key: str, fn: Any) -> Any:
        def counted(*args: Any) -> Any:
            run = fn(*args)
            counts[key] += len(run or [])
            return run

        return counted

    monkeypatch.setattr(chars, "_placed", counting("placed", chars._placed))
    monkeypatch.setattr(chars, "_each", counting("each", chars._each))
    total = sum(len(page_chars(tp, box, scale, objs, texts)) for tp, box, scale, objs, texts in _pages(data))
    return counts["placed"], counts["each"], total


def test_the_dense_packet_is_placed_by_advances(monkeypatch: pytest.MonkeyPatch) -> None:
    placed, each, total = _placed_share(dense_packet(), monkeypatch)
    # The 18 text pages are read run by run: placed by advances once a page has seen each glyph
    # (read from each origin till then); the ruled list's two pages of short cells one by one.
    assert placed >= 0.7 * total
    assert placed + each <= total


def test_spacing_the_advances_do_not_show_is_read_from_each_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chars, "_long_runs", lambda texts: True)
    placed, each, total = _placed_share(spaced_packet(), monkeypatch)
    # Placed by advances: only the line spaced as the first (its 43 visible characters) and the
    # second print of the fake bold line (21). The first line and the first print are read from
    # each origin (the glyphs are new), and so is every line spaced otherwise (1.5, 4.5, -0.5 pt
    # between glyphs, a 6 pt word space, the kerned TJ): its advances do not reach PDFium's origins.
    assert (placed, total) == (43 + 21, 318)
    assert each == total - placed

"""The PDFium layer: every ctypes call into PDFium (pypdfium2) the reader makes.

Characters with their loose boxes, the page's text objects, and the drawn path segments as
pdfplumber edge dicts, all in the frame of `geometry`.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.model import ExtractionError
from pipeline.read.pdf.geometry import Char, Frame, baseline_angle

_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def open_document(data: bytes, name: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ExtractionError(
                "encrypted",
                f"{name}: is encrypted with a password; save an unprotected copy and ingest that.",
            ) from exc
        raise ExtractionError(
            "unreadable",
            f"{name}: is not a readable PDF (damaged or truncated); export or download it again.",
        ) from exc


def page_chars(
    textpage: pdfium.PdfTextPage, box: tuple[float, float, float, float], upright: bool
) -> list[Char]:
    """Visible characters with their loose boxes (font ascent to descent, so a line's characters
    share one height). Spaces are left out: the layout code infers them from the gaps. `upright`:
    every text object of the page is known to be unturned, so no character's matrix is asked for."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    units = (ctypes.c_ushort * (count + 1))()
    pdfium_c.FPDFText_GetText(raw, 0, count, units)
    codes = list(units[:count])
    if any(0xD800 <= c <= 0xDFFF for c in codes):
        # Characters beyond the BMP come out as surrogate pairs and shift the indices.
        codes = [pdfium_c.FPDFText_GetUnicode(raw, i) for i in range(count)]
    rect = pdfium_c.FS_RECTF()
    m = pdfium_c.FS_MATRIX()
    left, _, _, top = box
    out: list[Char] = []
    prev: Char | None = None
    for i, code in enumerate(codes):
        if code <= 32 or code in (0xA0, 0x3000, 0xFFFE, 0xFFFF):
            continue
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect):
            continue
        angle = 0
        if not upright and pdfium_c.FPDFText_GetMatrix(raw, i, m):
            angle = baseline_angle(m.a, m.b)
        ch = Char(rect.left - left, rect.right - left, top - rect.top, top - rect.bottom, chr(code), angle)
        # Fake bold prints a glyph twice at almost the same place.
        if prev and ch.text == prev.text and abs(ch.x0 - prev.x0) < 1 and abs(ch.top - prev.top) < 1:
            continue
        out.append(ch)
        prev = ch
    return out


def object_text(obj: Any, textpage: pdfium.PdfTextPage) -> str:
    # The size asked for includes the terminating NUL: 2 bytes means no text at all.
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
    if size <= 2:
        return ""
    units = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, units, size)
    return bytes(units)[: size - 2].decode("utf-16-le", "replace")


def text_objects(page: pdfium.PdfPage) -> tuple[list[Any], bool]:
    """The page's text objects, and whether it has forms (whose text objects are not among them)."""
    objs = (pdfium_c.FPDFPage_GetObject(page.raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)))
    kinds = [(o, pdfium_c.FPDFPageObj_GetType(o)) for o in objs]
    forms = any(kind == pdfium_c.FPDF_PAGEOBJ_FORM for _, kind in kinds)
    return [o for o, kind in kinds if kind == pdfium_c.FPDF_PAGEOBJ_TEXT], forms


def lost_objects(objs: list[Any], textpage: pdfium.PdfTextPage) -> list[int]:
    """Indices of the text objects PDFium holds no text for."""
    return [k for k, o in enumerate(objs) if pdfium_c.FPDFTextObj_GetText(o, textpage.raw, None, 0) <= 2]


def all_upright(objs: list[Any]) -> bool:
    """No text object of the page is turned: true of most pages, and then no character's matrix is
    read."""
    m = pdfium_c.FS_MATRIX()
    for obj in objs:
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, m) or m.b or m.c or m.a <= 0 or m.d <= 0:
            return False
    return True


def _matrix(obj: Any) -> _Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: _Matrix, outer: _Matrix) -> _Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _path_objects(page: pdfium.PdfPage) -> Iterator[tuple[Any, _Matrix]]:
    """Every path object of the page with its matrix to page space, forms included."""
    stack: list[tuple[Any, _Matrix]] = [
        (pdfium_c.FPDFPage_GetObject(page.raw, i), _IDENTITY)
        for i in range(pdfium_c.FPDFPage_CountObjects(page.raw))
    ]
    while stack:
        obj, outer = stack.pop()
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            yield obj, _compose(_matrix(obj), outer)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            m = _compose(_matrix(obj), outer)
            stack.extend(
                (pdfium_c.FPDFFormObj_GetObject(obj, j), m)
                for j in range(pdfium_c.FPDFFormObj_CountObjects(obj))
            )


def page_edges(page: pdfium.PdfPage, frame: Frame) -> list[dict[str, Any]]:
    """Horizontal and vertical segments of the drawn paths in the page's reading frame, as pdfplumber
    edge dicts."""
    edges: list[dict[str, Any]] = []
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj, m in _path_objects(page):
        if pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke) and not fill.value and not stroke.value:
            continue
        a, b, c, d, e, f = m
        start = cur = None
        for k in range(pdfium_c.FPDFPath_CountSegments(obj)):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj, k)
            pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
            pt = frame.point(a * x.value + c * y.value + e, b * x.value + d * y.value + f)
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = cur = pt
                continue
            if kind == pdfium_c.FPDF_SEGMENT_LINETO and cur is not None:
                _add_edge(edges, cur, pt)
            cur = pt
            if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
                _add_edge(edges, cur, start)
                cur = start
    return edges


def _add_edge(edges: list[dict[str, Any]], p: tuple[float, float], q: tuple[float, float]) -> None:
    x0, x1 = sorted((p[0], q[0]))
    top, bottom = sorted((p[1], q[1]))
    if x1 - x0 < 0.5 and bottom - top >= 1:
        orientation = "v"
    elif bottom - top < 0.5 and x1 - x0 >= 1:
        orientation = "h"
    else:
        return
    edges.append(
        {
            "object_type": "line",
            "orientation": orientation,
            "x0": x0,
            "x1": x1,
            "top": top,
            "bottom": bottom,
            "doctop": top,
            "width": x1 - x0,
            "height": bottom - top,
        }
    )

"""The PDFium layer: every ctypes call into PDFium (pypdfium2) the reader makes.

The bare calls `chars` makes for each character, the page's text objects, and the drawn path
segments as pdfplumber edge dicts, in the frame of `geometry`.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any, NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.model import ExtractionError
from pipeline.read.pdf.geometry import Frame


class _NoSystemFonts:
    """A system-font source for PDFium that knows no fonts.

    PDFium draws a font the PDF does not embed with a system font it finds by name and charset, and
    measures its characters with it: the same PDF read on a machine with Japanese fonts installed and
    on one without them gives other glyph boxes and even other text (a one-glyph string it loses on one
    machine it reads on the other). The reader never draws a glyph, so PDFium is given no system
    font at all and falls back to its own built-in ones: every machine reads a PDF the same way.
    Set once for the process, before any document is opened (PDFium keeps the fonts it has mapped).
    """

    def __init__(self) -> None:
        fields = dict(pdfium_c.FPDF_SYSFONTINFO._fields_)
        # The callbacks must outlive the library: kept on the instance, which the module keeps.
        self.callbacks = {
            "Release": fields["Release"](lambda info: None),
            "EnumFonts": fields["EnumFonts"](lambda info, mapper: None),
            "MapFont": fields["MapFont"](lambda info, weight, italic, charset, pitch, face, exact: None),
            "GetFont": fields["GetFont"](lambda info, face: None),
            "GetFontData": fields["GetFontData"](lambda info, font, table, buf, size: 0),
            "GetFaceName": fields["GetFaceName"](lambda info, font, buf, size: 0),
            "GetFontCharset": fields["GetFontCharset"](lambda info, font: 0),
            "DeleteFont": fields["DeleteFont"](lambda info, font: None),
        }
        self.info = pdfium_c.FPDF_SYSFONTINFO(version=1, **self.callbacks)
        pdfium_c.FPDF_SetSystemFontInfo(ctypes.byref(self.info))


_FONTS = _NoSystemFonts()

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


class Handle(NamedTuple):
    """A page or text page as PDFium's bare handle, in the place of pypdfium2's object: what the
    functions here read of either is its `raw` handle."""

    raw: Any


def open_page(doc: pdfium.PdfDocument, index: int) -> Handle:
    """The page `index`, loaded as `PdfDocument.get_page` loads it (the reader sets up no forms) but
    without pypdfium2's object: the finalizer and parent bookkeeping it keeps on each page and text
    page cost ~0.1 of PDFium's own reading time on a 2-page list. Close it with `close_page`."""
    raw = pdfium_c.FPDF_LoadPage(doc.raw, index)
    if not raw:
        raise pdfium.PdfiumError("Failed to load page.")
    return Handle(raw)


def open_textpage(page: Handle) -> Handle:
    """The page's text page (`PdfPage.get_textpage`, bare); close it with `close_textpage`."""
    raw = pdfium_c.FPDFText_LoadPage(page.raw)
    if not raw:
        raise pdfium.PdfiumError("Failed to load text page.")
    return Handle(raw)


def close_page(page: Handle) -> None:
    pdfium_c.FPDF_ClosePage(page.raw)


def close_textpage(textpage: Handle) -> None:
    pdfium_c.FPDFText_ClosePage(textpage.raw)


def media_box(page: Handle) -> tuple[float, float, float, float]:
    """`PdfPage.get_mediabox`: ANSI A where the page states none."""
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    if not pdfium_c.FPDFPage_GetMediaBox(page.raw, left, bottom, right, top):
        return (0, 0, 612, 792)
    return (left.value, bottom.value, right.value, top.value)


def rotation(page: Handle) -> int:
    """The page's /Rotate in degrees."""
    return int(pdfium_c.FPDFPage_GetRotation(page.raw)) * 90


def _bare(fn: Any, restype: Any = None) -> Any:
    """`fn` without its argument types: ctypes then converts nothing on each call, which halves the
    cost of the calls made per character, object and path segment (a dense page makes ~6,000).
    Called only with ctypes instances, ints and `byref`s: pointers to fill in must be passed byref."""
    address = ctypes.cast(fn, ctypes.c_void_p).value
    assert address is not None
    bare: Any = ctypes.CFUNCTYPE(restype or fn.restype)(address)
    bare.argtypes = None
    return bare


# The calls made per character (`chars`), bare.
loose_box = _bare(pdfium_c.FPDFText_GetLooseCharBox)
font_size = _bare(pdfium_c.FPDFText_GetFontSize)
char_origin = _bare(pdfium_c.FPDFText_GetCharOrigin)
char_matrix = _bare(pdfium_c.FPDFText_GetMatrix)
is_generated = _bare(pdfium_c.FPDFText_IsGenerated)
object_font = _bare(pdfium_c.FPDFTextObj_GetFont, ctypes.c_void_p)  # an address: a key of a dict
_get_object = _bare(pdfium_c.FPDFPage_GetObject)
_object_type = _bare(pdfium_c.FPDFPageObj_GetType)
_object_matrix = _bare(pdfium_c.FPDFPageObj_GetMatrix)
_object_text = _bare(pdfium_c.FPDFTextObj_GetText)
_draw_mode = _bare(pdfium_c.FPDFPath_GetDrawMode)
_count_segments = _bare(pdfium_c.FPDFPath_CountSegments)
_get_segment = _bare(pdfium_c.FPDFPath_GetPathSegment)
_segment_point = _bare(pdfium_c.FPDFPathSegment_GetPoint)
_segment_type = _bare(pdfium_c.FPDFPathSegment_GetType)
_segment_close = _bare(pdfium_c.FPDFPathSegment_GetClose)


def object_texts(objs: list[Any], textpage: pdfium.PdfTextPage | Handle) -> list[bytes]:
    """The text PDFium holds for each text object, as UTF-16-LE bytes: b"" for one it holds none for
    (a lost one). PDFium scans the page's characters for each object's, so each is asked for once:
    into a buffer most objects fit in, again into one of its size for a longer one. Bare calls (see
    `_bare`)."""
    raw = textpage.raw
    buf = (ctypes.c_ushort * 1024)()
    room = ctypes.c_ulong(2 * 1024)  # the buffer's length in bytes, as the C type it is
    out: list[bytes] = []
    for obj in objs:
        # The size includes the terminating NUL: 2 bytes means no text at all.
        size = _object_text(obj, raw, buf, room)
        if size <= 2:
            out.append(b"")
        elif size <= 2 * 1024:
            out.append(ctypes.string_at(buf, size - 2))
        else:
            units = (ctypes.c_ushort * (size // 2))()
            _object_text(obj, raw, units, ctypes.c_ulong(size))
            out.append(ctypes.string_at(units, size - 2))
    return out


def page_objects(page: pdfium.PdfPage | Handle) -> list[tuple[Any, int]]:
    """The page's objects with their types (read once: the text and the rules both start from them)."""
    raw = page.raw
    objs = [_get_object(raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(raw))]
    return [(o, _object_type(o)) for o in objs]


def text_objects(
    page: pdfium.PdfPage | Handle, kinds: list[tuple[Any, int]] | None = None
) -> tuple[list[Any], bool]:
    """The page's text objects, and whether it has forms (whose text objects are not among them)."""
    kinds = page_objects(page) if kinds is None else kinds
    forms = any(kind == pdfium_c.FPDF_PAGEOBJ_FORM for _, kind in kinds)
    return [o for o, kind in kinds if kind == pdfium_c.FPDF_PAGEOBJ_TEXT], forms


def lost_objects(objs: list[Any], texts: list[bytes]) -> list[int]:
    """Indices of the text objects PDFium holds no text for (`texts`: `object_texts`)."""
    return [k for k, text in enumerate(texts) if not text]


def upright_scale(objs: list[Any]) -> float | None:
    """The vertical scale shared by every text object of the page when none is turned, mirrored or
    scaled differently from the others (most pages: then no character's matrix is read), else None."""
    m = pdfium_c.FS_MATRIX()
    m_p = ctypes.byref(m)
    scales = set()
    for obj in objs:
        if not _object_matrix(obj, m_p) or m.b or m.c or m.a <= 0 or m.d <= 0:
            return None
        scales.add(round(m.d, 6))
    return scales.pop() if len(scales) == 1 else (1.0 if not scales else None)


def _matrix(obj: Any) -> _Matrix:
    m = pdfium_c.FS_MATRIX()
    if not _object_matrix(obj, ctypes.byref(m)):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: _Matrix, outer: _Matrix) -> _Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _path_objects(kinds: list[tuple[Any, int]]) -> Iterator[tuple[Any, _Matrix]]:
    """Every path object of the page (`kinds`: its objects and their types) with its matrix to page
    space, forms included."""
    path, form = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    # Only paths and forms: most of a page's objects are text.
    stack: list[tuple[Any, _Matrix, int]] = [
        (o, _IDENTITY, kind) for o, kind in kinds if kind == path or kind == form
    ]
    while stack:
        obj, outer, kind = stack.pop()
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            yield obj, _compose(_matrix(obj), outer)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            m = _compose(_matrix(obj), outer)
            for j in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
                child = pdfium_c.FPDFFormObj_GetObject(obj, j)
                stack.append((child, m, _object_type(child)))


def page_edges(
    page: pdfium.PdfPage | Handle, frame: Frame, kinds: list[tuple[Any, int]] | None = None
) -> list[dict[str, Any]]:
    """Horizontal and vertical segments of the drawn paths in the page's reading frame, as pdfplumber
    edge dicts. The frame's turn is written out (`Frame.point`): a ruled page has hundreds of points."""
    edges: list[dict[str, Any]] = []
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    x, y = ctypes.c_float(), ctypes.c_float()
    fill_p, stroke_p, x_p, y_p = ctypes.byref(fill), ctypes.byref(stroke), ctypes.byref(x), ctypes.byref(y)
    moveto, lineto = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_LINETO
    cos, sin, u0, v0 = frame.cos, frame.sin, frame.u0, frame.v0
    draw_mode, count_segments, get_segment = _draw_mode, _count_segments, _get_segment
    segment_point, segment_type, segment_close = _segment_point, _segment_type, _segment_close
    for obj, m in _path_objects(page_objects(page) if kinds is None else kinds):
        if draw_mode(obj, fill_p, stroke_p) and not fill.value and not stroke.value:
            continue
        a, b, c, d, e, f = m
        start = cur = None
        for k in range(count_segments(obj)):
            seg = get_segment(obj, k)
            segment_point(seg, x_p, y_p)
            px, py = x.value, y.value
            X, Y = a * px + c * py + e, b * px + d * py + f
            pt = (X * cos + Y * sin - u0, X * sin - Y * cos - v0)
            kind = segment_type(seg)
            if kind == moveto:
                start = cur = pt
                continue
            if kind == lineto and cur is not None:
                _add_edge(edges, cur, pt)
            cur = pt
            if segment_close(seg) and start is not None:
                _add_edge(edges, cur, start)
                cur = start
    return edges


def _add_edge(edges: list[dict[str, Any]], p: tuple[float, float], q: tuple[float, float]) -> None:
    (px, py), (qx, qy) = p, q
    x0, x1 = (qx, px) if qx < px else (px, qx)  # sorted((px, qx)), without building a list
    top, bottom = (qy, py) if qy < py else (py, qy)
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

"""The PDFium layer: every ctypes call into PDFium (pypdfium2) the reader makes.

Characters with their loose boxes, the page's text objects, and the drawn path segments as
pdfplumber edge dicts, all in the frame of `geometry`.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.model import ExtractionError
from pipeline.read.pdf.geometry import ASCENT, DESCENT, Char, Frame, baseline_angle, glyph_box


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


def _bare(fn: Any) -> Any:
    """`fn` without its argument types: ctypes then converts nothing on each call, which halves the
    cost of the calls made per character, object and path segment (a dense page makes ~6,000).
    Called only with ctypes instances, ints and `byref`s: pointers to fill in must be passed byref."""
    address = ctypes.cast(fn, ctypes.c_void_p).value
    assert address is not None
    bare: Any = ctypes.CFUNCTYPE(fn.restype)(address)
    bare.argtypes = None
    return bare


_loose_box = _bare(pdfium_c.FPDFText_GetLooseCharBox)
_font_size = _bare(pdfium_c.FPDFText_GetFontSize)
_origin = _bare(pdfium_c.FPDFText_GetCharOrigin)
_char_matrix = _bare(pdfium_c.FPDFText_GetMatrix)
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
# Spaces (the layout code infers them from the gaps) and codes of no glyph.
_BLANK = frozenset([*range(33), 0xA0, 0x3000, 0xFFFE, 0xFFFF])
_SURROGATES = frozenset(range(0xD800, 0xE000))


def page_chars(
    textpage: pdfium.PdfTextPage, box: tuple[float, float, float, float], scale: float | None
) -> list[Char]:
    """Visible characters, each boxed from its origin, the font size the PDF states and its advance
    (`glyph_box`), so that a line's characters share one box whatever fonts PDFium substituted. Spaces
    are left out: the layout code infers them from the gaps. `scale`: every text object of the page is
    upright with this vertical scale (see `upright_scale`), so no character's matrix is asked for."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    units = (ctypes.c_ushort * (count + 1))()
    pdfium_c.FPDFText_GetText(raw, 0, count, units)
    codes = list(units[:count])
    last = count - 1
    if not _SURROGATES.isdisjoint(codes) or (
        count and codes[last] != pdfium_c.FPDFText_GetUnicode(raw, last)
    ):
        # Characters beyond the BMP come out as surrogate pairs, and a glyph no map names (code 0)
        # comes out as nothing: either shifts the indices.
        codes = [pdfium_c.FPDFText_GetUnicode(raw, i) for i in range(count)]
    tp = raw
    rect = pdfium_c.FS_RECTF()
    m = pdfium_c.FS_MATRIX()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    rect_p, m_p, ox_p, oy_p = ctypes.byref(rect), ctypes.byref(m), ctypes.byref(ox), ctypes.byref(oy)
    left, _, _, top = box
    if scale is not None:
        return _upright_chars(codes, tp, left, top, scale)
    out: list[Char] = []
    prev: Char | None = None
    for i, code in enumerate(codes):
        if code in _BLANK or not _loose_box(tp, i, rect_p):
            continue
        angle, size = 0, _font_size(tp, i)
        if _char_matrix(tp, i, m_p):
            angle, size = baseline_angle(m.a, m.b), size * math.hypot(m.c, m.d)
        if angle % 90 or size <= 0 or not _origin(tp, i, ox_p, oy_p):
            # Text turned at a slant (a stamp): its loose box is as good as any.
            ch = Char(
                rect.left - left, rect.right - left, top - rect.top, top - rect.bottom, chr(code), angle
            )
        elif not angle:
            x, base = ox.value - left, top - oy.value
            ch = Char(x, x + rect.right - rect.left, base - ASCENT * size, base + DESCENT * size, chr(code))
        else:
            # The loose box's extent along the baseline is the advance (with any ink beyond it, cut
            # off below where the next character starts).
            along = rect.right - rect.left if angle == 180 else rect.top - rect.bottom
            ch = Char(*glyph_box(box, (ox.value, oy.value), angle, along, size), chr(code), angle)
        # Fake bold prints a glyph twice at almost the same place.
        if prev and ch.text == prev.text and abs(ch.x0 - prev.x0) < 1 and abs(ch.top - prev.top) < 1:
            continue
        if prev and not angle and not prev.angle and prev.top == ch.top and prev.x0 < ch.x0 < prev.x1:
            out[-1] = prev._replace(x1=ch.x0)
        out.append(ch)
        prev = ch
    return out


def _upright_chars(codes: list[int], tp: Any, left: float, top: float, scale: float) -> list[Char]:
    """`page_chars` of a page whose text objects are all upright (most pages), written out for
    speed: locals instead of attributes, tuples built directly. Same boxes, same rules."""
    rect = pdfium_c.FS_RECTF()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    rect_p, ox_p, oy_p = ctypes.byref(rect), ctypes.byref(ox), ctypes.byref(oy)
    loose_box, font_size, origin, blank = _loose_box, _font_size, _origin, _BLANK
    new = tuple.__new__
    out: list[Char] = []
    p_text, p_x0, p_x1, p_top, p_bottom = "", 0.0, 0.0, float("nan"), 0.0
    for i, code in enumerate(codes):
        if code in blank or not loose_box(tp, i, rect_p):
            continue
        size = font_size(tp, i) * scale
        text = chr(code)
        if size <= 0 or not origin(tp, i, ox_p, oy_p):
            x0, x1, t, b = rect.left - left, rect.right - left, top - rect.top, top - rect.bottom
        else:
            x0, base = ox.value - left, top - oy.value
            x1, t, b = x0 + rect.right - rect.left, base - ASCENT * size, base + DESCENT * size
        if out:
            # Fake bold prints a glyph twice at almost the same place.
            if text == p_text and abs(x0 - p_x0) < 1 and abs(t - p_top) < 1:
                continue
            if p_top == t and p_x0 < x0 < p_x1:
                out[-1] = new(Char, (p_x0, x0, p_top, p_bottom, p_text, 0))
        out.append(new(Char, (x0, x1, t, b, text, 0)))
        p_text, p_x0, p_x1, p_top, p_bottom = text, x0, x1, t, b
    return out


def object_text(obj: Any, textpage: pdfium.PdfTextPage) -> str:
    # The size asked for includes the terminating NUL: 2 bytes means no text at all. Bare call (see
    # `_bare`): recovering lost glyphs reads every text object of the page.
    size = _object_text(obj, textpage.raw, None, ctypes.c_ulong(0))
    if size <= 2:
        return ""
    units = (ctypes.c_ushort * (size // 2))()
    _object_text(obj, textpage.raw, units, ctypes.c_ulong(size))
    return bytes(units)[: size - 2].decode("utf-16-le", "replace")


def page_objects(page: pdfium.PdfPage) -> list[tuple[Any, int]]:
    """The page's objects with their types (read once: the text and the rules both start from them)."""
    raw = page.raw
    objs = [_get_object(raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(raw))]
    return [(o, _object_type(o)) for o in objs]


def text_objects(page: pdfium.PdfPage, kinds: list[tuple[Any, int]] | None = None) -> tuple[list[Any], bool]:
    """The page's text objects, and whether it has forms (whose text objects are not among them)."""
    kinds = page_objects(page) if kinds is None else kinds
    forms = any(kind == pdfium_c.FPDF_PAGEOBJ_FORM for _, kind in kinds)
    return [o for o, kind in kinds if kind == pdfium_c.FPDF_PAGEOBJ_TEXT], forms


def lost_objects(objs: list[Any], textpage: pdfium.PdfTextPage) -> list[int]:
    """Indices of the text objects PDFium holds no text for."""
    raw = textpage.raw
    nothing = ctypes.c_ulong(0)  # the buffer's length, as the C type it is (an int would be 32 bits)
    return [k for k, o in enumerate(objs) if _object_text(o, raw, None, nothing) <= 2]


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
    stack: list[tuple[Any, _Matrix, int]] = [(o, _IDENTITY, kind) for o, kind in kinds]
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
    page: pdfium.PdfPage, frame: Frame, kinds: list[tuple[Any, int]] | None = None
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

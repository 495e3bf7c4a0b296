"""Stage 1 for PDFs: the text layer of a PDF → `Source`, tables as tab-separated rows.

PDFium (pypdfium2) reads every page: characters with their boxes and the drawn path segments.
pdfplumber's table finder then runs on those segments (not on pdfplumber's own page objects,
whose parsing costs ~50x more than PDFium's and would dominate the whole pipeline). Each table
row becomes one line with its cells joined by `\\t`, so the case-list and sheet parsers read a
PDF exactly like a converter's tab-separated text. Four table shapes are handled:

* ruled tables (a grid of lines or rectangles): pdfplumber's `lines` strategy;
* a case list with horizontal rules only: columns from the header row, rows between the rules;
* a case list with no rules at all: columns from the header row, a row per numbered first cell;
* a detail sheet with no rules: the label column found by position (lines starting with a
  [sheet_labels] word, their values starting at one x), a `label\\tvalue` row per label.

A page is read in the direction most of its text runs: a landscape list on a portrait page with
/Rotate 90 or 270 (or just drawn turned) is turned upright first, characters and rules alike. Text at
another angle on a page (a stamp, a label up the margin) is read in its own direction and laid flat
where it stands, as one short line.

Running headers and footers (repeated in the top or bottom band of the pages) are dropped, and a
vertical gap of an empty line's height between free lines becomes an empty line, as in converted text.
Text objects PDFium holds no text for (one-glyph strings of non-embedded CJK fonts) are recovered from
the page's content stream; a page where that cannot be done for certain is read by pdfminer instead.
"""

from __future__ import annotations

import bisect
import ctypes
import io
import itertools
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple, cast

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral, literal_name
from pdfplumber.table import TableFinder

from pipeline.documents.deliberation_list.sheets import label_words
from pipeline.model import ExtractionError, Line, Source, sha256_bytes
from pipeline.normalise.text import fold, join_lines
from pipeline.rules import vocabulary

# Fractions of the page height where running headers / footers live.
_BAND = 0.1
# A gap between two characters wider than this many line heights separates table cells;
# a narrower one wider than _SPACE_GAP is a space.
_CELL_GAP = 0.9
_SPACE_GAP = 0.2
# Free lines further apart than this many line heights had an empty line between them. It is kept as
# an empty line, as text converters do: the wrapped-text parsers read one as the end of a cell (a
# title wrapped over three lines, then its 担当課, is told apart only by the gap).
_BLANK_GAP = 1.0
# Text turned less than this many degrees off a right angle is read as if it were not turned.
_SKEW = 10.0


_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class _Char(NamedTuple):
    """A character: its box with x to the right and top / bottom down the page, from the top left
    corner of the media box as it lies; `angle`, the direction of its baseline on the page, in degrees
    counter-clockwise (see _angle). `_place` turns the characters of a turned page into its reading
    frame, where the angle has no more use."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    angle: int = 0


class _Frame:
    """The page turned so that text at `angle` runs left to right and its lines go down: a landscape
    list on a portrait page with /Rotate 90 (or drawn turned without one) reads like any other page.
    Coordinates start at the turned media box's top left corner."""

    def __init__(self, angle: int, box: tuple[float, float, float, float]) -> None:
        self.angle = angle
        self.box = box
        rad = math.radians(angle)
        self.cos, self.sin = round(math.cos(rad), 9), round(math.sin(rad), 9)
        left, bottom, right, top = box
        corners = [self._turn(x, y) for x in (left, right) for y in (bottom, top)]
        self.u0, self.v0 = min(u for u, _ in corners), min(v for _, v in corners)
        self.width = max(u for u, _ in corners) - self.u0
        self.height = max(v for _, v in corners) - self.v0

    def _turn(self, x: float, y: float) -> tuple[float, float]:
        return x * self.cos + y * self.sin, x * self.sin - y * self.cos

    def point(self, x: float, y: float) -> tuple[float, float]:
        u, v = self._turn(x, y)
        return u - self.u0, v - self.v0

    def char(self, ch: _Char) -> _Char:
        """A character as the page lies (`_Char`) in this frame."""
        if self.angle == 0:
            return ch
        left, _, _, top = self.box
        pts = [self.point(left + x, top - y) for x in (ch.x0, ch.x1) for y in (ch.top, ch.bottom)]
        us, vs = [u for u, _ in pts], [v for _, v in pts]
        return _Char(min(us), max(us), min(vs), max(vs), ch.text, ch.angle)


def _flat(
    box: tuple[float, float, float, float], x0: float, y0: float, x1: float, y1: float
) -> tuple[float, float, float, float]:
    """A box in page space (y up) → x0, x1, top, bottom from the media box's top left corner."""
    left, _, _, top = box
    return min(x0, x1) - left, max(x0, x1) - left, top - max(y0, y1), top - min(y0, y1)


class _Seg(NamedTuple):
    """A run of characters on one line with no cell-sized gap inside."""

    x0: float
    x1: float
    text: str


@dataclass
class _TextLine:
    top: float
    bottom: float
    segs: list[_Seg]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segs)

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class _Item:
    top: float
    text: str
    line: _TextLine | None = None  # the free line it was, or None for a table row


@dataclass
class _Page:
    number: int
    height: float
    lines: list[_TextLine]  # text outside ruled tables
    items: list[_Item] = field(default_factory=list)  # ruled table rows
    h_rules: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, x1)


# --------------------------------------------------------------------------- PDFium access


def _open(data: bytes, name: str) -> pdfium.PdfDocument:
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


def _angle(a: float, b: float) -> int:
    """The direction of a text matrix's baseline, in degrees counter-clockwise: near a right angle
    (a scanner's text layer is skewed by a degree or two) it is that right angle."""
    deg = math.degrees(math.atan2(b, a))
    right = round(deg / 90) * 90
    return int(right if abs(deg - right) <= _SKEW else round(deg / 15) * 15) % 360


def _chars(
    textpage: pdfium.PdfTextPage, box: tuple[float, float, float, float], upright: bool
) -> list[_Char]:
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
    out: list[_Char] = []
    prev: _Char | None = None
    for i, code in enumerate(codes):
        if code <= 32 or code in (0xA0, 0x3000, 0xFFFE, 0xFFFF):
            continue
        if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect):
            continue
        angle = 0
        if not upright and pdfium_c.FPDFText_GetMatrix(raw, i, m):
            angle = _angle(m.a, m.b)
        ch = _Char(rect.left - left, rect.right - left, top - rect.top, top - rect.bottom, chr(code), angle)
        # Fake bold prints a glyph twice at almost the same place.
        if prev and ch.text == prev.text and abs(ch.x0 - prev.x0) < 1 and abs(ch.top - prev.top) < 1:
            continue
        out.append(ch)
        prev = ch
    return out


# PDFium (this build at least) parses a text object whose string is one two-byte code of a
# non-embedded CID font as holding no characters: `(\x8a\xb2) Tj` in a font on UniJIS-UCS2-H (`課`)
# shows nothing, while `(\x8a\xb2\x8a\xb2) Tj` reads fine. Such one-glyph strings are everywhere in
# generated packets (a wrapped `課`, a full-width `１` in the number column), and pdfminer reading the
# whole page instead costs ~10x the rest of the pipeline. Under a Unicode CMap the char code IS the
# code point, so the string taken from the content stream gives the character, and PDFium's own font
# metrics and the object's matrix give its box.
_UNICODE_CMAP = re.compile(r"Uni[A-Za-z0-9]+-(?:UCS2|UTF16)(?:-HW)?-H")


class _Show(NamedTuple):
    """One text-showing operator of a content stream: its strings and whether its font's char codes
    are UTF-16 code units (a Unicode CMap)."""

    strings: list[bytes]
    unicode: bool

    def text(self) -> str | None:
        try:
            return b"".join(self.strings).decode("utf-16-be")
        except UnicodeDecodeError:
            return None


_TOKEN = re.compile(
    rb"(?P<ws>\s+|%[^\r\n]*)|(?P<open><<|\[)|(?P<close>>>|\])|(?P<hex><[0-9A-Fa-f\s]*>)|(?P<lit>\()"
    rb"|(?P<name>/[^\s()<>\[\]{}/%]*)|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+)(?![^\s()<>\[\]{}/%]))"
    rb"|(?P<word>[^\s()<>\[\]{}/%]+)"
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_OCTAL = re.compile(rb"[0-7]{1,3}")
_LIT_SPECIAL = re.compile(rb"[()\\]")
_INLINE_DATA = re.compile(rb"\sID\s")
_INLINE_END = re.compile(rb"\sEI(?=\s|$)")


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """The literal string whose `(` ends at i → (its bytes, the index after its `)`)."""
    out = bytearray()
    depth = 1
    while True:
        m = _LIT_SPECIAL.search(data, i)
        if m is None:
            raise ValueError("unterminated string")
        out += data[i : m.start()]
        i = m.end()
        ch = m.group()
        if ch == b"\\":
            nxt = data[i : i + 1]
            if octal := _OCTAL.match(data, i):
                out.append(int(octal.group(), 8) & 0xFF)
                i = octal.end()
            elif nxt in (b"\r", b"\n"):  # a line continuation
                i += 2 if data[i : i + 2] == b"\r\n" else 1
            else:
                out += _ESCAPES.get(nxt, nxt)
                i += 1
        elif ch == b"(":
            depth += 1
            out += ch
        else:
            depth -= 1
            if not depth:
                return bytes(out), i
            out += ch


def _shows(content: bytes, unicode_fonts: set[str]) -> list[_Show]:
    """The text-showing operators of a page's content stream, in order, with the strings PDFium
    would make a text object of (empty strings make none). Only the font state is tracked."""
    shows: list[_Show] = []
    stack: list[Any] = []
    marks: list[int] = []
    font: str | None = None
    saved: list[str | None] = []
    i, n = 0, len(content)
    while i < n:
        m = _TOKEN.match(content, i)
        if m is None:
            raise ValueError(f"unexpected byte at {i}")
        i = m.end()
        kind, tok = m.lastgroup, m.group()
        if kind == "ws":
            continue
        if kind == "lit":
            s, i = _literal(content, i)
            stack.append(s)
        elif kind == "hex":
            digits = re.sub(rb"\s", b"", tok[1:-1])
            stack.append(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif kind == "name":
            stack.append(tok[1:].decode("latin-1"))
        elif kind == "open":
            marks.append(len(stack))
        elif kind == "close":
            start = marks.pop() if marks else 0
            stack[start:] = [stack[start:]]
        elif kind == "num":
            stack.append(float(tok))
        elif marks:  # true, false, null inside an array or a dictionary
            stack.append(None)
        else:
            strings: list[Any] = []
            if tok in (b"Tj", b"'", b'"') and stack:
                strings = [stack[-1]]
            elif tok == b"TJ" and stack and isinstance(stack[-1], list):
                strings = stack[-1]
            elif tok == b"Tf" and len(stack) >= 2 and isinstance(stack[-2], str):
                font = stack[-2]
            elif tok == b"q":
                saved.append(font)
            elif tok == b"Q" and saved:
                font = saved.pop()
            elif tok == b"BI":
                data = _INLINE_DATA.search(content, i)
                end = _INLINE_END.search(content, data.end()) if data else None
                if end is None:
                    raise ValueError("unterminated inline image")
                i = end.end()
            strings = [s for s in strings if isinstance(s, bytes) and s]
            if strings and font is not None:
                shows.append(_Show(strings, font in unicode_fonts))
            stack.clear()
    return shows


def _object_text(obj: Any, textpage: pdfium.PdfTextPage) -> str:
    # The size asked for includes the terminating NUL: 2 bytes means no text at all.
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
    if size <= 2:
        return ""
    units = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, units, size)
    return bytes(units)[: size - 2].decode("utf-16-le", "replace")


def _bare(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", "", fold(text))


def _text_objects(page: pdfium.PdfPage) -> tuple[list[Any], bool]:
    """The page's text objects, and whether it has forms (whose text objects are not among them)."""
    objs = (pdfium_c.FPDFPage_GetObject(page.raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)))
    kinds = [(o, pdfium_c.FPDFPageObj_GetType(o)) for o in objs]
    forms = any(kind == pdfium_c.FPDF_PAGEOBJ_FORM for _, kind in kinds)
    return [o for o, kind in kinds if kind == pdfium_c.FPDF_PAGEOBJ_TEXT], forms


def _lost_objects(objs: list[Any], textpage: pdfium.PdfTextPage) -> list[int]:
    """Indices of the text objects PDFium holds no text for."""
    return [k for k, o in enumerate(objs) if pdfium_c.FPDFTextObj_GetText(o, textpage.raw, None, 0) <= 2]


def _recover(
    objs: list[Any],
    lost: list[int],
    textpage: pdfium.PdfTextPage,
    shows: list[_Show] | None,
    box: tuple[float, float, float, float],
) -> list[_Char] | None:
    """The characters of the lost text objects, or None when they cannot be recovered for certain
    (then pdfminer reads the page). The page's text-showing operators and PDFium's text objects
    must pair one to one, and every pair whose font has a Unicode CMap must read the same text."""
    if shows is None or len(shows) != len(objs):
        return None
    lost_set = set(lost)
    for k, (obj, show) in enumerate(zip(objs, shows, strict=True)):
        # Folded: PDFium reads a code through its CID, which may come back as a look-alike code point.
        if k not in lost_set and show.unicode and _bare(_object_text(obj, textpage)) != _bare(show.text()):
            return None
    out: list[_Char] = []
    for k in lost:
        show, obj = shows[k], objs[k]
        text = show.text() if show.unicode else None
        if not text:
            return None
        if len(text) != 1:
            # Only the one-glyph case is known; longer strings need spacing and kerning: pdfminer.
            return None
        m = pdfium_c.FS_MATRIX()
        size, width, ascent, descent = (ctypes.c_float() for _ in range(4))
        font = pdfium_c.FPDFTextObj_GetFont(obj)
        if not (
            pdfium_c.FPDFPageObj_GetMatrix(obj, m) and font and pdfium_c.FPDFTextObj_GetFontSize(obj, size)
        ):
            return None
        a, b, c, d, e, f = m.a, m.b, m.c, m.d, m.e, m.f
        if a * d - b * c <= 0:  # mirrored text: left to pdfminer
            return None
        if not (
            pdfium_c.FPDFFont_GetGlyphWidth(font, ord(text), size, width)
            and pdfium_c.FPDFFont_GetAscent(font, size, ascent)
            and pdfium_c.FPDFFont_GetDescent(font, size, descent)
        ):
            return None
        if ord(text) > 32 and ord(text) not in (0xA0, 0x3000):
            # The glyph's box in text space (advance by ascent to descent), turned by the object's matrix.
            pts = [
                (e + a * x + c * y, f + b * x + d * y)
                for x in (0, width.value)
                for y in (descent.value, ascent.value)
            ]
            xs, ys = [x for x, _ in pts], [y for _, y in pts]
            out.append(_Char(*_flat(box, min(xs), min(ys), max(xs), max(ys)), text, _angle(a, b)))
    return out


def _upright(objs: list[Any]) -> bool:
    """No text object of the page is turned: true of most pages, and then no character's matrix is
    read."""
    m = pdfium_c.FS_MATRIX()
    for obj in objs:
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, m) or m.b or m.c or m.a <= 0 or m.d <= 0:
            return False
    return True


class _Fallback:
    """pdfminer's view of the same bytes, opened only if a page needs it, and only once: the raw
    content stream of a page with lost text objects, or, failing that, the whole page's characters."""

    def __init__(self, data: bytes, source_path: str) -> None:
        self.data = data
        self.source_path = source_path
        self.pdf: pdfplumber.PDF | None = None
        self.pages: list[PDFPage] | None = None

    def shows(self, index: int) -> list[_Show] | None:
        """The text-showing operators of page `index`, or None if its content cannot be read simply
        (then the whole page goes to pdfminer, which says what is wrong with it)."""
        try:
            if self.pages is None:
                self.pages = list(PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(self.data)))))
            page = self.pages[index]
            fonts = resolve1((page.resources or {}).get("Font")) or {}
            unicode_fonts = set()
            for name, ref in fonts.items():
                spec = resolve1(ref)
                encoding = resolve1(spec.get("Encoding")) if isinstance(spec, dict) else None
                if isinstance(encoding, PSLiteral) and _UNICODE_CMAP.fullmatch(literal_name(encoding)):
                    unicode_fonts.add(name)
            return _shows(b"\n".join(s.get_data() for s in page.contents), unicode_fonts)
        except Exception:
            return None

    def chars(self, index: int) -> list[_Char]:
        """The page's characters as pdfminer reads them, turned back into page space: pdfminer has
        turned them by the page's /Rotate and moved them by its media box corner (the matrix of its
        PDFPageInterpreter.process_page)."""
        # PDFium accepted the file, so pdfminer choking on it here means damage, not a parser bug.
        try:
            if self.pdf is None:
                self.pdf = pdfplumber.open(io.BytesIO(self.data))
            page = self.pdf.pages[index]
            x0, y0, x1, y1 = page.page_obj.mediabox
            a, b, c, d, e, f = {
                90: (0, -1, 1, 0, -y0, x1),
                180: (-1, 0, 0, -1, x1, y1),
                270: (0, 1, -1, 0, y1, -x0),
            }.get(page.page_obj.rotate, (1, 0, 0, 1, -x0, -y0))
            det = a * d - b * c

            def back(u: float, v: float) -> tuple[float, float]:
                return (d * (u - e) - c * (v - f)) / det, (-b * (u - e) + a * (v - f)) / det

            box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            chars = []
            for ch in page.chars:
                (p, q), (r, s) = back(ch["x0"], ch["y0"]), back(ch["x1"], ch["y1"])
                ma, mb = ch["matrix"][:2]
                direction = _angle((d * ma - c * mb) / det, (-b * ma + a * mb) / det)
                chars.append(_Char(*_flat(box, p, q, r, s), ch["text"], direction))
            page.close()
        except Exception as exc:
            raise ExtractionError(
                "unreadable",
                f"{self.source_path}: page {index + 1} cannot be read (damaged PDF); export it again.",
            ) from exc
        return chars

    def close(self) -> None:
        if self.pdf is not None:
            self.pdf.close()


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


def _edges(page: pdfium.PdfPage, frame: _Frame) -> list[dict[str, Any]]:
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


class _EdgePage:
    """Just enough of a pdfplumber page for its TableFinder: edges and a bounding box."""

    def __init__(self, edges: list[dict[str, Any]], width: float, height: float) -> None:
        self.edges = edges
        self.bbox = (0.0, 0.0, width, height)


# --------------------------------------------------------------------------- chars → lines


def _group_lines(chars: list[_Char]) -> list[list[_Char]]:
    """Characters → lines: a character joins the line whose vertical extent holds its centre."""
    lines: list[list[_Char]] = []
    bounds: list[tuple[float, float]] = []
    for ch in sorted(chars, key=lambda c: (c.top + c.bottom) / 2):
        mid = (ch.top + ch.bottom) / 2
        if lines and bounds[-1][0] <= mid <= bounds[-1][1] and not ch.text.isspace():
            lines[-1].append(ch)
            continue
        if lines and ch.text.isspace():
            continue
        lines.append([ch])
        bounds.append((ch.top, ch.bottom))
    return [sorted(ln, key=lambda c: c.x0) for ln in lines]


def _segments(chars: list[_Char]) -> list[_Seg]:
    """One line's characters (left to right) → runs split at cell-sized gaps, spaces where gaps are."""
    height = statistics.median(c.bottom - c.top for c in chars) or 1.0
    segs: list[_Seg] = []
    text, x0, x1 = "", chars[0].x0, chars[0].x0
    for ch in chars:
        if ch.text.isspace():
            continue
        gap = ch.x0 - x1
        if text and gap > _CELL_GAP * height:
            segs.append(_Seg(x0, x1, text))
            text, x0 = "", ch.x0
        elif text and gap > _SPACE_GAP * height:
            text += " "
        x1 = max(x1, ch.x1) if text else ch.x1
        text += ch.text
    if text:
        segs.append(_Seg(x0, x1, text))
    return segs


def _text_lines(chars: list[_Char]) -> list[_TextLine]:
    out = []
    for ln in _group_lines(chars):
        segs = _segments(ln)
        if segs:
            out.append(_TextLine(min(c.top for c in ln), max(c.bottom for c in ln), segs))
    return out


def _reading_angle(chars: list[_Char], rotation: int) -> int:
    """The direction most of the page's text runs in; on a tie, the one its /Rotate shows upright."""
    counts = Counter(c.angle for c in chars)
    return max(counts, key=lambda a: (counts[a], a == rotation), default=rotation)


def _place(chars: list[_Char], frame: _Frame) -> list[_Char]:
    """The page's characters in its reading frame. Text at another angle (a stamp, a label turned in
    a narrow cell) is read in its own direction and laid flat where it stands, so it comes out as a
    short line in its place instead of a column of one-character lines cutting through the rest."""
    if frame.angle == 0 and not any(c.angle for c in chars):
        return chars  # most pages
    out = [frame.char(c) for c in chars if c.angle == frame.angle]
    turned: dict[int, list[_Char]] = {}
    for c in chars:
        if c.angle != frame.angle:
            turned.setdefault(c.angle, []).append(c)
    for angle, group in turned.items():
        own = _Frame(angle, frame.box)
        where = {own.char(c): frame.char(c) for c in group}
        for ln in _group_lines(list(where)):
            text = " ".join(s.text for s in _segments(ln))
            boxes = [where[c] for c in ln]
            x, top = min(b.x0 for b in boxes), min(b.top for b in boxes)
            size = statistics.median(c.bottom - c.top for c in ln)
            # As wide as the place it covers, so a label turned in a narrow cell stays in that cell.
            step = min(size, (max(b.x1 for b in boxes) - x) / len(text))
            for k, ch in enumerate(text):
                if ch != " ":
                    out.append(_Char(x + k * step, x + (k + 1) * step, top, top + size, ch))
    return out


def _cell_text(chars: list[_Char], paragraphs: bool = False) -> str:
    lines = [ln for ln in _group_lines(chars) if any(not c.text.isspace() for c in ln)]
    texts = [" ".join(s.text for s in _segments(ln)) for ln in lines]
    if not paragraphs:
        return join_lines(texts)
    height = statistics.median(c.bottom - c.top for c in chars) or 1.0
    return _paragraph_text(list(zip(texts, (max(c.x1 for c in ln) for ln in lines), strict=True)), height)


def _paragraph_text(lines: list[tuple[str, float]], height: float) -> str:
    """The lines of a sheet's value cell (text, right edge) → its text, each paragraph marked `<p>…</p>`
    as a converter marks it. A line that ends well short of the cell's widest line, or with `。`, ended
    its paragraph: the sheet parser reads 事業内容's paragraphs (`1 概要`, `3 対象者数 約1,200人`)
    from the marks."""
    lines = [(t, x1) for t, x1 in lines if t]
    if len(lines) < 2:
        return join_lines([t for t, _ in lines])
    right = max(x1 for _, x1 in lines)
    paras: list[list[str]] = [[]]
    for t, x1 in lines:
        paras[-1].append(t)
        if x1 < right - 2 * height or t.endswith("。"):
            paras.append([])
    paras = [p for p in paras if p]
    if len(paras) < 2:
        return join_lines([t for t, _ in lines])
    return " ".join(f"<p>{join_lines(p)}</p>" for p in paras)


# --------------------------------------------------------------------------- ruled tables


def _ruled_tables(
    edges: list[dict[str, Any]], chars: list[_Char], width: float, height: float
) -> tuple[list[_Item], list[_Char]]:
    """Rows of the grid tables on the page → (items, chars left outside every table)."""
    finder = TableFinder(
        cast(Any, _EdgePage(edges, width, height)),
        {"vertical_strategy": "lines", "horizontal_strategy": "lines"},
    )
    items: list[_Item] = []
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
            per_cell: list[list[_Char]] = [[] for _ in cells]
            for i in by_mid[lo:hi]:
                ch = chars[i]
                cx = (ch.x0 + ch.x1) / 2
                for k, cell in enumerate(cells):
                    if cell and cell[0] <= cx <= cell[2] and cell[1] <= (ch.top + ch.bottom) / 2 <= cell[3]:
                        per_cell[k].append(ch)
                        inside.add(i)
                        break
            kept = [cc for cc, cell in zip(per_cell, cells, strict=True) if cell]
            label = _cell_text(kept[0]) if kept and kept[0] else ""
            sheet_row = _bare_text(label) in label_words()  # a detail sheet's row: its values keep paragraphs
            texts = [label] + [_cell_text(cc, paragraphs=sheet_row) if cc else "" for cc in kept[1:]]
            if any(texts):
                items.append(_Item(top, "\t".join(texts)))
    rest = [ch for i, ch in enumerate(chars) if i not in inside]
    return items, rest


# --------------------------------------------------------------------------- unruled case lists


@cache
def _header_words() -> list[tuple[str, str]]:
    pairs = [(w, f) for f, words in vocabulary()["list_columns"].items() for w in words]
    return sorted(pairs, key=lambda p: -len(p[0]))


def _header_field(text: str) -> str | None:
    t = re.sub(r"\s+", "", text)
    for word, fname in _header_words():
        if t == word or (len(word) > 1 and t.startswith(word) and len(t) <= len(word) + 2):
            return fname
    return None


def _is_list_header(line: _TextLine) -> bool:
    fields = {_header_field(s.text) for s in line.segs} - {None}
    return {"title", "departments"} <= fields and len(fields) >= 3


def _unruled_list(page: _Page) -> None:
    """Find a case-list header among the page's free lines and turn the lines below it into rows."""
    lines = page.lines
    start = next((i for i, ln in enumerate(lines) if _is_list_header(ln)), None)
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
    body: list[_TextLine] = []
    prev_bottom = header[-1].bottom
    for ln in lines[last + 1 :]:
        spans = any(sum(1 for c in centres if s.x0 <= c <= s.x1) > 1 for s in ln.segs)
        if spans or ln.top - prev_bottom > 3.0 * ln.height or (rules and ln.top > rules[-1][0]):
            break
        body.append(ln)
        prev_bottom = ln.bottom
    columns = _column_of(anchors, [s for ln in header + body for s in ln.segs])
    rows: list[list[_TextLine]] = [header]
    if rules:
        ys = sorted(r[0] for r in rules)
        bands: dict[int, list[_TextLine]] = {}
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
        page.items.append(_Item(row[0].top, "\t".join(join_lines(c) for c in cells)))
    used = {id(ln) for row in rows for ln in row}
    page.lines = [ln for ln in lines if id(ln) not in used]


def _anchors(segs: list[_Seg]) -> list[tuple[float, float]]:
    """The x-extent of each header column: header segments, those above one another merged."""
    out: list[list[float]] = []
    for s in sorted(segs, key=lambda s: s.x0):
        if out and s.x0 < out[-1][1]:
            out[-1][1] = max(out[-1][1], s.x1)
        else:
            out.append([s.x0, s.x1])
    return [(a, b) for a, b in out]


def _column_of(anchors: list[tuple[float, float]], segs: list[_Seg]) -> Callable[[_Seg], int]:
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

    def column(seg: _Seg) -> int:
        k = bisect.bisect_right(starts, seg.x0 + 0.01) - 1
        return owners[k] if k >= 0 else owner(seg.x0, seg.x1)

    return column


# --------------------------------------------------------------------------- unruled detail sheets


def _bare_text(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _continues_label(label: str, piece: str) -> bool:
    """`piece` is the rest of a label wrapped in its column (個人情報の流れ及 / び情報保護対策)."""
    words = label_words()
    joined = label + piece
    return label not in words and piece not in words and any(w.startswith(joined) for w in words)


def _unruled_sheet(page: _Page) -> None:
    """A detail sheet drawn without rules → `label\tvalue` rows, as a ruled one gives.

    The label column is found by position: at least two lines start with a [sheet_labels] word and
    carry a value that starts at the same x further right. Every line from there on that keeps to the
    two columns belongs to a row; a row starts where the label column has text (a label wrapped in
    its column continues it). The value lines between two labels are cut at the widest gap between
    them, so a label centred beside its value (value lines above it) still gets all of them."""
    lines = page.lines
    words = label_words()
    starts = [i for i, ln in enumerate(lines) if len(ln.segs) > 1 and _bare_text(ln.segs[0].text) in words]
    if len(starts) < 2:
        return
    tol = 0.5 * statistics.median(lines[i].height for i in starts)
    mid = statistics.median(lines[i].segs[1].x0 for i in starts)
    aligned = [i for i in starts if abs(lines[i].segs[1].x0 - mid) <= tol]
    if len(aligned) < 2:
        return
    value_x = min(lines[i].segs[1].x0 for i in aligned) - tol

    def columns(ln: _TextLine) -> tuple[str, str, float] | None:
        """(label column text, value column text, the value's right edge), or None for a line across
        both columns."""
        if any(s.x0 < value_x < s.x1 for s in ln.segs):
            return None
        left = " ".join(s.text for s in ln.segs if s.x1 <= value_x)
        value = [s for s in ln.segs if s.x0 >= value_x]
        return left, " ".join(s.text for s in value), max((s.x1 for s in value), default=value_x)

    def tight(upper: _TextLine, lower: _TextLine) -> bool:
        return lower.top - upper.bottom < 0.5 * max(upper.height, lower.height)

    first, last = aligned[0], aligned[-1]
    # Above the first label with a value on its line and below the last, rows go on as long as they
    # keep to the columns and are no further apart than the rows between.
    widest = max(lines[k + 1].top - lines[k].bottom for k in range(first, last))
    k = first
    while k > 0 and (c := columns(lines[k - 1])) is not None:
        if lines[k].top - lines[k - 1].bottom > max(widest, _BLANK_GAP * lines[k].height):
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
            _continues_label(label, left)
            or (label not in words and bool(cols[-1][0]) and tight(lines[i - 1], lines[i]))
        )
        if i > last:
            gap = lines[i].top - lines[i - 1].bottom
            labelled = cont or any(w.startswith(left) for w in words)
            if gap > max(widest, _BLANK_GAP * lines[i].height) or (left and not labelled):
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
        value = _paragraph_text([(v, x1) for _, v, x1 in row], height)
        text = join_lines([lt for lt, _, _ in row if lt]) + "\t" + value
        page.items.append(_Item(lines[b0].top, text))
    page.lines = lines[:first] + lines[end:]


# --------------------------------------------------------------------------- running headers


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _drop_running_lines(pages: list[_Page]) -> None:
    """Lines in the top or bottom band, among the first or last two of their page, whose shape
    (digits masked, so `- 3 -` matches `- 4 -`) recurs on at least half the pages."""
    if len(pages) < 2:
        return

    def candidates(p: _Page) -> list[_TextLine]:
        return [
            ln
            for ln in p.lines[:2] + p.lines[-2:]
            if ln.bottom <= _BAND * p.height or ln.top >= (1 - _BAND) * p.height
        ]

    counts: Counter[str] = Counter()
    for p in pages:
        counts.update({_shape(ln.text) for ln in candidates(p)})
    need = max(2, (len(pages) + 1) // 2)
    for p in pages:
        drop = {id(ln) for ln in candidates(p) if counts[_shape(ln.text)] >= need and not _is_list_header(ln)}
        p.lines = [ln for ln in p.lines if id(ln) not in drop]


# --------------------------------------------------------------------------- the reader


def _read_page(doc: pdfium.PdfDocument, fallback: _Fallback, index: int) -> tuple[_Page, int]:
    page = doc[index]
    try:
        box = page.get_mediabox()
        rotation = pdfium_c.FPDFPage_GetRotation(page.raw) * 90
        textpage = page.get_textpage()
        try:
            objs, forms = _text_objects(page)
            lost = _lost_objects(objs, textpage)
            extra = _recover(objs, lost, textpage, fallback.shows(index), box) if lost else []
            chars = None if extra is None else _chars(textpage, box, not forms and _upright(objs)) + extra
        finally:
            textpage.close()
        if chars is None:
            chars = fallback.chars(index)
        frame = _Frame(_reading_angle(chars, rotation), box)
        edges = _edges(page, frame) if chars else []
    finally:
        page.close()
    chars = _place(chars, frame)
    result = _Page(index + 1, frame.height, [])
    if edges:
        result.items, chars = _ruled_tables(edges, chars, frame.width, frame.height)
        result.h_rules = sorted((e["top"], e["x0"], e["x1"]) for e in edges if e["orientation"] == "h")
    result.lines = _text_lines(chars)
    return result, len(chars)


def read_pdf(data: bytes, source_path: str) -> Source:
    doc = _open(data, source_path)
    fallback = _Fallback(data, source_path)
    try:
        page_count = len(doc)
        if page_count == 0:
            raise ExtractionError(
                "unreadable", f"{source_path}: is a PDF without any pages; export or download it again."
            )
        pages: list[_Page] = []
        n_chars = 0
        for i in range(page_count):
            try:
                page, n = _read_page(doc, fallback, i)
            except pdfium.PdfiumError as exc:
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
    _drop_running_lines(pages)
    lines: list[Line] = []
    for p in pages:
        _unruled_list(p)
        _unruled_sheet(p)
        items = p.items + [_Item(ln.top, ln.text, ln) for ln in p.lines]
        prev: _TextLine | None = None
        for it in sorted(items, key=lambda it: it.top):
            ln = it.line
            if ln and prev and ln.top - prev.bottom > _BLANK_GAP * max(ln.height, prev.height):
                lines.append(Line(len(lines) + 1, "", p.number))
            lines.append(Line(len(lines) + 1, fold(it.text), p.number))
            prev = ln
    return Source(source_path, sha256_bytes(data), "pdf", None, page_count, lines)

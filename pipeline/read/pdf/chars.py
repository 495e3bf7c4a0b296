"""A page's characters boxed from PDFium's text page: one by one, or a text object's run at a time.

Every character is boxed from its origin, the font size the PDF states and its loose box's width
(`geometry.glyph_box`), so that a line's characters share one box whatever fonts PDFium
substituted. Asking PDFium for that costs three calls a character; on an upright page the
characters of one text object (a run) share their font, size and baseline, so the run reader
asks once a run for those and once a page for each glyph's width, and places a long run by the
advances of its glyphs when PDFium's own origins confirm them (`_run_chars`).
"""

from __future__ import annotations

import ctypes
import math
from itertools import accumulate
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.read.pdf.geometry import ASCENT, DESCENT, Char, baseline_angle, glyph_box
from pipeline.read.pdf.pdfium import (
    Handle,
    char_matrix,
    char_origin,
    font_size,
    is_generated,
    loose_box,
    object_font,
)

# Spaces (the layout code infers them from the gaps) and codes of no glyph.
_BLANK = frozenset([*range(33), 0xA0, 0x3000, 0xFFFE, 0xFFFF])
_SURROGATES = frozenset(range(0xD800, 0xE000))
# A run shorter than this is boxed one by one: reading a run's size and baseline costs three calls.
_SHORT_RUN = 3
# Pages whose text objects hold at least this many characters on average are read run by run.
_LONG_RUNS = 12
# A run at least this long is first placed by advances (checking that costs a call at its end and
# one every `_CHECKED` characters).
_MIN_RUN = 4
# How far (pt) PDFium's origin of a run's character may be from where the advances put it, and
# every how many characters of a run placed by advances that is checked (and at its last).
_PLACED = 0.01
_CHECKED = 8

# Per page, for each (font, size): the loose box width and the advance of each code seen.
_Glyphs = dict[tuple[int, float], tuple[dict[int, float], dict[int, float]]]


def page_chars(
    textpage: pdfium.PdfTextPage | Handle,
    box: tuple[float, float, float, float],
    scale: float | None,
    objs: list[Any] | None = None,
    texts: list[bytes] | None = None,
) -> list[Char]:
    """Visible characters, each boxed from its origin, the font size the PDF states and its advance
    (`glyph_box`). Spaces are left out: the layout code infers them from the gaps. `scale`: every
    text object of the page is upright with this vertical scale (see `upright_scale`), so no
    character's matrix is asked for; then `objs` (the page's text objects) with their `texts`
    (`object_texts`), if given, are read run by run (`_run_chars`)."""
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    units = (ctypes.c_ushort * (count + 1))()
    pdfium_c.FPDFText_GetText(raw, 0, count, units)
    codes = list(units[:count])
    last = count - 1
    aligned = _SURROGATES.isdisjoint(codes) and (
        not count or codes[last] == pdfium_c.FPDFText_GetUnicode(raw, last)
    )
    if not aligned:
        # Characters beyond the BMP come out as surrogate pairs, and a glyph no map names (code 0)
        # comes out as nothing: either shifts the indices.
        codes = [pdfium_c.FPDFText_GetUnicode(raw, i) for i in range(count)]
    tp = raw
    left, _, _, top = box
    if scale is not None:
        runs = None
        if objs and texts and aligned and _long_runs(texts):
            # The page's text as UTF-16-LE bytes, as an object's text comes.
            runs = _runs(objs, texts, tp, ctypes.string_at(units, 2 * count))
        if runs is not None:
            return _run_chars(codes, tp, left, top, scale, runs)
        return _upright_chars(codes, tp, left, top, scale, range(count), [])
    c = _Calls()
    rect, ox, oy, rect_p, ox_p, oy_p = c.rect, c.ox, c.oy, c.rect_p, c.ox_p, c.oy_p
    m = pdfium_c.FS_MATRIX()
    m_p = ctypes.byref(m)
    out: list[Char] = []
    prev: Char | None = None
    for i, code in enumerate(codes):
        if code in _BLANK or not loose_box(tp, i, rect_p):
            continue
        angle, size = 0, font_size(tp, i)
        if char_matrix(tp, i, m_p):
            angle, size = baseline_angle(m.a, m.b), size * math.hypot(m.c, m.d)
        if angle % 90 or size <= 0 or not char_origin(tp, i, ox_p, oy_p):
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


class _Calls:
    """What PDFium writes its answers into, made once a page."""

    def __init__(self) -> None:
        self.rect = pdfium_c.FS_RECTF()
        self.ox, self.oy = ctypes.c_double(), ctypes.c_double()
        self.rect_p, self.ox_p, self.oy_p = (
            ctypes.byref(self.rect),
            ctypes.byref(self.ox),
            ctypes.byref(self.oy),
        )


def _upright_chars(
    codes: list[int],
    tp: Any,
    left: float,
    top: float,
    scale: float,
    indices: range,
    out: list[Char],
    calls: _Calls | None = None,
) -> list[Char]:
    """`page_chars` of the characters `indices` of a page whose text objects are all upright (most
    pages), appended to `out`; written out for speed: locals instead of attributes, tuples built
    directly. Same boxes, same rules. Returns `out`."""
    c = _Calls() if calls is None else calls
    rect, ox, oy, rect_p, ox_p, oy_p = c.rect, c.ox, c.oy, c.rect_p, c.ox_p, c.oy_p
    box_of, size_of, origin, blank = loose_box, font_size, char_origin, _BLANK
    new = tuple.__new__
    p_x0, p_x1, p_top, p_bottom, p_text = out[-1][:5] if out else (0.0, 0.0, math.nan, 0.0, "")
    for i in indices:
        code = codes[i]
        if code in blank or not box_of(tp, i, rect_p):
            continue
        size = size_of(tp, i) * scale
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


def _long_runs(texts: list[bytes]) -> bool:
    """Whether the page's text objects are long enough on average for reading run by run to pay: a
    run costs ~10 calls and its first sight of each glyph on the page two, so a page of cells of a
    few characters each (a ruled list) reads faster one character at a time."""
    held = [len(t) for t in texts if t]
    return sum(held) >= 2 * _LONG_RUNS * len(held)


def _runs(objs: list[Any], texts: list[bytes], tp: Any, page: bytes) -> list[tuple[int, int, int]] | None:
    """Where each text object's characters are in the text page: (start, stop, font address) in
    page order, or None where an object's text is not at the next place in the page's text (PDFium
    placed its characters elsewhere): then every character is boxed on its own. Between two
    objects PDFium may put a space or a line break of its own. `page`: the page's text as UTF-16-LE
    bytes, two a character, as `texts` are."""
    pos, count = 0, len(page) // 2
    out: list[tuple[int, int, int]] = []
    for obj, text in zip(objs, texts, strict=True):
        if not text:
            continue
        n = len(text) // 2
        skipped = 0
        while page[2 * pos : 2 * (pos + n)] != text:
            if skipped == 2 or pos >= count or not is_generated(tp, pos):
                return None
            pos += 1
            skipped += 1
        out.append((pos, pos + n, object_font(obj)))
        pos += n
    return out


def _run_chars(
    codes: list[int], tp: Any, left: float, top: float, scale: float, runs: list[tuple[int, int, int]]
) -> list[Char]:
    """`_upright_chars`, run by run: a run's size and baseline are read once (and checked at its
    last character), a glyph's loose box width once a page for each (font, size, code). A run is
    placed by its glyphs' advances when all are known and PDFium's origins of some of its
    characters agree (`_placed`: a call every `_CHECKED` characters), else from each character's origin (`_each`:
    one call a character, learning the advances). A run whose characters leave its baseline, and
    the characters between runs, are boxed one by one (three calls a character)."""
    calls = _Calls()
    ox, oy, ox_p, oy_p = calls.ox, calls.oy, calls.ox_p, calls.oy_p
    blank = _BLANK
    glyphs: _Glyphs = {}
    out: list[Char] = []
    pos = 0
    for start, stop, font in runs:
        if pos < start and not blank.issuperset(codes[pos:start]):  # most: PDFium's own spaces
            _upright_chars(codes, tp, left, top, scale, range(pos, start), out, calls)
        pos = stop
        # Trailing spaces show nothing (PDFium's own space after an object comes with size 1).
        while stop > start and codes[stop - 1] in blank:
            stop -= 1
        if stop - start < _SHORT_RUN:
            _upright_chars(codes, tp, left, top, scale, range(start, stop), out, calls)
            continue
        fs = font_size(tp, start)
        size = fs * scale
        if size <= 0 or font_size(tp, stop - 1) != fs or not char_origin(tp, start, ox_p, oy_p):
            _upright_chars(codes, tp, left, top, scale, range(start, stop), out, calls)
            continue
        base = top - oy.value
        line = (oy.value, base - ASCENT * size, base + DESCENT * size)
        known = glyphs.get((font, fs))
        if known is None:
            known = glyphs[font, fs] = ({}, {})
        run = None
        if stop - start >= _MIN_RUN:
            run = _placed(codes, tp, start, stop, left, ox.value, line, known, calls)
        if run is None:
            run = _each(codes, tp, start, stop, left, line, known, calls)
        if run and out:
            # The rules of `_upright_chars` between the run's first character and the one before.
            p_x0, p_x1, p_top, p_bottom, p_text = out[-1][:5]
            x0, _, t0, _, text = run[0][:5]
            if text == p_text and abs(x0 - p_x0) < 1 and abs(t0 - p_top) < 1:
                run = None  # fake bold across two objects: one by one
            elif p_top == t0 and p_x0 < x0 < p_x1:
                out[-1] = tuple.__new__(Char, (p_x0, x0, p_top, p_bottom, p_text, 0))
        if run is None:
            _upright_chars(codes, tp, left, top, scale, range(start, stop), out, calls)
        else:
            out += run
    if pos < len(codes):
        _upright_chars(codes, tp, left, top, scale, range(pos, len(codes)), out, calls)
    return out


def _placed(
    codes: list[int],
    tp: Any,
    start: int,
    stop: int,
    left: float,
    x: float,
    line: tuple[float, float, float],
    known: tuple[dict[int, float], dict[int, float]],
    calls: _Calls,
) -> list[Char] | None:
    """The run's characters placed by advances from `x` (the first origin), or None unless every
    glyph's width and advance are known, every advance is a point or more (no fake bold, no glyph
    drawn over the last) and PDFium's origins of every `_CHECKED`th and the last character are
    where the advances put them. Within one text object the font, its size, the character and word
    spacing and the horizontal scale are fixed, so a glyph's advance differs from where it was
    learnt only by a TJ array's adjustments or by another spacing: a spacing shows at the last
    character, and adjustments only cancel out between two checked characters if they go both ways
    within `_CHECKED` glyphs (kerning tightens pairs; spreading moves every glyph one way)."""
    y, t, b = line
    widths, advances = known
    run = codes[start:stop]
    try:
        steps = list(map(advances.__getitem__, run[:-1]))
    except KeyError:  # a glyph not seen yet on the page
        return None
    if steps and min(steps) < 1:
        return None
    xs = list(accumulate(steps, initial=x))
    ox, oy, ox_p, oy_p = calls.ox, calls.oy, calls.ox_p, calls.oy_p
    last = stop - 1 - start
    if not char_origin(tp, stop - 1, ox_p, oy_p) or oy.value != y or abs(ox.value - xs[last]) >= _PLACED:
        return None
    for k in range(_CHECKED, last, _CHECKED):
        if not char_origin(tp, start + k, ox_p, oy_p) or abs(ox.value - xs[k]) >= _PLACED:
            return None
    new, blank, width = tuple.__new__, _BLANK, widths.get
    out: list[Char] = []
    p_x0, p_x1, p_text = 0.0, -math.inf, ""
    for code, x in zip(run, xs, strict=True):
        if code in blank:
            continue
        w = width(code)
        if w is None:
            return None
        x0 = x - left
        if x0 < p_x1:  # the loose box reaches over the next glyph: cut where it starts
            out[-1] = new(Char, (p_x0, x0, t, b, p_text, 0))
        p_x0, p_x1, p_text = x0, x0 + w, chr(code)
        out.append(new(Char, (p_x0, p_x1, t, b, p_text, 0)))
    return out


def _each(
    codes: list[int],
    tp: Any,
    start: int,
    stop: int,
    left: float,
    line: tuple[float, float, float],
    known: tuple[dict[int, float], dict[int, float]],
    calls: _Calls,
) -> list[Char] | None:
    """The run's characters each at PDFium's origin, with the run's size and baseline and their
    code's loose box width (read on its first sight): the boxes and rules of `_upright_chars`, or
    None if a character leaves the baseline. Learns each code's advance, to the next origin."""
    y, t, b = line
    widths, advances = known
    rect, ox, oy, rect_p, ox_p, oy_p = calls.rect, calls.ox, calls.oy, calls.rect_p, calls.ox_p, calls.oy_p
    new, blank = tuple.__new__, _BLANK
    run: list[Char] = []
    p_x0, p_x1, p_text = 0.0, -math.inf, ""
    prev_code, prev_x = -1, 0.0
    for i in range(start, stop):
        if not char_origin(tp, i, ox_p, oy_p) or oy.value != y:
            return None
        x = ox.value
        if prev_code >= 0 and prev_code not in advances:
            advances[prev_code] = x - prev_x
        code = codes[i]
        prev_code, prev_x = code, x
        if code in blank:
            continue
        width = widths.get(code)
        if width is None:
            if not loose_box(tp, i, rect_p):
                return None
            width = widths[code] = rect.right - rect.left
        x0, text = x - left, chr(code)
        if run:
            # Fake bold prints a glyph twice at almost the same place.
            if text == p_text and abs(x0 - p_x0) < 1:
                continue
            if p_x0 < x0 < p_x1:
                run[-1] = new(Char, (p_x0, x0, t, b, p_text, 0))
        p_x0, p_x1, p_text = x0, x0 + width, text
        run.append(new(Char, (p_x0, p_x1, t, b, text, 0)))
    return run

"""A page's content stream read for its text-showing operators, and the one-glyph strings PDFium
loses recovered from them."""

from __future__ import annotations

import ctypes
import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.normalise.text import fold
from pipeline.read.pdf.geometry import Char, baseline_angle, glyph_box
from pipeline.read.pdf.pdfium import object_text

# PDFium (this build at least) parses a text object whose string is one two-byte code of a
# non-embedded CID font as holding no characters: `(\x8a\xb2) Tj` in a font on UniJIS-UCS2-H (`課`)
# shows nothing, while `(\x8a\xb2\x8a\xb2) Tj` reads fine. Such one-glyph strings are everywhere in
# generated packets (a wrapped `課`, a full-width `１` in the number column), and pdfminer reading the
# whole page instead costs ~10x the rest of the pipeline. Under a Unicode CMap the char code IS the
# code point, so the string taken from the content stream gives the character, and PDFium's own font
# metrics and the object's matrix give its box.
UNICODE_CMAP = re.compile(r"Uni[A-Za-z0-9]+-(?:UCS2|UTF16)(?:-HW)?-H")


class Show(NamedTuple):
    """One text-showing operator of a content stream: its strings, whether its font's char codes
    are UTF-16 code units (a Unicode CMap), and the font's resource name."""

    strings: list[bytes]
    unicode: bool
    font: str = ""

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


def text_shows(content: bytes, unicode_fonts: set[str]) -> list[Show]:
    """The text-showing operators of a page's content stream, in order, with the strings PDFium
    would make a text object of (empty strings make none). Only the font state is tracked."""
    shows: list[Show] = []
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
                shows.append(Show(strings, font in unicode_fonts, font))
            stack.clear()
    return shows


def _bare(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", "", fold(text))


def recover(
    objs: list[Any],
    lost: list[int],
    textpage: pdfium.PdfTextPage,
    shows: list[Show] | None,
    decode: Callable[[Show], str | None],
    box: tuple[float, float, float, float],
) -> list[Char] | None:
    """The characters of the lost text objects, or None when they cannot be recovered for certain
    (then pdfminer reads the page). The page's text-showing operators and PDFium's text objects
    must pair one to one, and every pair whose text `decode` knows (a Unicode CMap, or the font's
    ToUnicode map) must read the same. A lost object of white space (a browser prints every space
    as an object of its own) or of a glyph no map names loses nothing."""
    if shows is None or len(shows) != len(objs):
        return None
    lost_set = set(lost)
    for k, (obj, show) in enumerate(zip(objs, shows, strict=True)):
        if k in lost_set:
            continue
        # Folded: PDFium reads a code through its CID, which may come back as a look-alike code point.
        known = decode(show)
        if known is not None and _bare(object_text(obj, textpage)) != _bare(known):
            return None
    out: list[Char] = []
    for k in lost:
        show, obj = shows[k], objs[k]
        text = decode(show)
        if text is None or not text.strip():
            continue
        if len(text) != 1:
            # Only the one-glyph case is known; longer strings need spacing and kerning: pdfminer.
            return None
        m = pdfium_c.FS_MATRIX()
        size, width = ctypes.c_float(), ctypes.c_float()
        font = pdfium_c.FPDFTextObj_GetFont(obj)
        if not (
            pdfium_c.FPDFPageObj_GetMatrix(obj, m) and font and pdfium_c.FPDFTextObj_GetFontSize(obj, size)
        ):
            return None
        a, b, c, d = m.a, m.b, m.c, m.d
        angle = baseline_angle(a, b)
        if a * d - b * c <= 0 or angle % 90:  # mirrored or slanted text: left to pdfminer
            return None
        if not pdfium_c.FPDFFont_GetGlyphWidth(font, ord(text), size, width):
            return None
        # Boxed as PDFium's own characters are (`page_chars`): the object's origin, the advance and
        # the size turned and scaled by its matrix.
        along, across = width.value * math.hypot(a, b), size.value * math.hypot(c, d)
        out.append(Char(*glyph_box(box, (m.e, m.f), angle, along, across), text, angle))
    return out

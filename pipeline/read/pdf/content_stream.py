"""A page's content stream read for its text-showing operators, and the one-glyph strings PDFium
loses recovered from them."""

from __future__ import annotations

import ctypes
import math
import re
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

import pypdfium2.raw as pdfium_c
from pdfminer.ascii85 import ascii85decode

from pipeline.normalise.text import fold
from pipeline.read.pdf.geometry import Char, baseline_angle, glyph_box

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
# A run of numbers, then an operator `text_shows` does nothing with but clear the operands (not one
# that shows text, sets the font, saves or restores it, or starts an inline image).
_OPERANDS = re.compile(
    rb"(?:[+-]?(?:\d+\.?\d*|\.\d+)\s+)+(?!(?:Tj|TJ|'|\"|Tf|q|Q|BI)(?=[\s()<>\[\]{}/%]|$))"
    rb"[A-Za-z'\"][^\s()<>\[\]{}/%]*(?=[\s()<>\[\]{}/%]|$)"
)
_NUMBER_START = frozenset(b"0123456789+-.")
_SET_FONT = re.compile(rb"/([^\s()<>\[\]{}/%]*)\s+[+-]?(?:\d+\.?\d*|\.\d+)\s+Tf(?=[\s()<>\[\]{}/%]|$)")
_SHOW = re.compile(rb"\s*(?:Tj|'|\")(?=[\s()<>\[\]{}/%]|$)")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_OCTAL = re.compile(rb"[0-7]{1,3}")
_OCTAL_DIGITS = frozenset(b"01234567")
_LIT_SPECIAL = re.compile(rb"[()\\]")
_INLINE_DATA = re.compile(rb"\sID\s")
_INLINE_END = re.compile(rb"\sEI(?=\s|$)")


# A literal string without unescaped parentheses inside (most), up to its `)`; its escapes.
_LIT_FLAT = re.compile(rb"(?:[^()\\]|\\[\s\S])*\)")
_LIT_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|[\s\S])")
# Strings already decoded, by their escaped bytes: a packet repeats its words (課名, 承認). Bounded.
_DECODED: dict[bytes, bytes] = {}


def _unescape(m: re.Match[bytes]) -> bytes:
    e = m.group(1)
    if e[0] in _OCTAL_DIGITS:
        return bytes((int(e, 8) & 0xFF,))
    if e in (b"\r\n", b"\r", b"\n"):  # a line continuation
        return b""
    return _ESCAPES.get(e, e)


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """The literal string whose `(` ends at i → (its bytes, the index after its `)`)."""
    if flat := _LIT_FLAT.match(data, i):
        body = flat.group()[:-1]
        if b"\\" not in body:
            return body, flat.end()
        if body not in _DECODED:
            if len(_DECODED) >= 4096:
                _DECODED.clear()
            _DECODED[body] = _LIT_ESCAPE.sub(_unescape, body)
        return _DECODED[body], flat.end()
    return _nested_literal(data, i)


def _nested_literal(data: bytes, i: int) -> tuple[bytes, int]:
    """`_literal` of a string with parentheses inside, or unterminated, one special byte at a time."""
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


# The statements of a content stream as generators write them (reportlab: `BT 1 0 0 1 41 733 Tm /F2 9
# Tf 10.8 TL (…) Tj T* ET`; Chrome: `<0DEF> Tj 10.65 0 Td`), read a statement the reading acts on at
# a time: a font set, a string shown by Tj, ' or ", an array of strings and numbers shown by TJ. What
# stands before one is skipped in the same match: numbers, names and operators, where the stack can
# only hold numbers and names, which make no string shown and no font set (`/F1 9 Tf` is not
# skipped); q, Q and BI are looked for in it. Any other token (a comment, a dictionary, a string
# other than shown) leaves the stream to `_by_token`. What is skipped never starts a statement, so
# the skipping is possessive: on a stream it cannot read, the engine has nothing to try again.
_DELIM = rb"(?=[\s()<>\[\]{}/%]|$)"
_NUM = rb"[+-]?(?:\d+\.?\d*|\.\d+)"
_SET = rb"/([^\s()<>\[\]{}/%]*)\s+" + _NUM + rb"\s+Tf" + _DELIM
_PLAIN = rb"[^()<>\[\]{}/%'\"]*+"
_SKIPPED = rb"(" + _PLAIN + rb"(?:(?!" + _SET.replace(b"(", b"(?:", 1) + rb")/" + _PLAIN + rb")*+)"
_BODY = rb"[^()\\]*(?:\\[\s\S][^()\\]*)*"  # a literal string's, without parentheses inside
_HEX = rb"[0-9A-Fa-f\s]*"
_STATEMENT = re.compile(
    _SKIPPED
    + rb"(?:"
    + _SET
    + rb"|(?:\(("
    + _BODY
    + rb")\)|<("
    + _HEX
    + rb")>)\s*(?:Tj|'|\")"
    + _DELIM
    + rb"|\[((?:\s*(?:\("
    + _BODY
    + rb"\)|<"
    + _HEX
    + rb">|"
    + _NUM
    + rb"(?=[\s()<>\[\]{}/%])))*)\s*\]\s*TJ"
    + _DELIM
    + rb")"
)
_TAIL = re.compile(_SKIPPED)
_FONT_STATE = re.compile(rb"(?<![^\s()<>\[\]{}/%])(?:q|Q|BI)(?![^\s()<>\[\]{}/%])")
_STRINGS = re.compile(rb"\((" + _BODY + rb")\)|<(" + _HEX + rb")>")
_SPACE = re.compile(rb"\s")


def _string(body: bytes) -> bytes:
    """A literal string's bytes from what stands between its parentheses (none inside)."""
    if b"\\" not in body:
        return body
    if body not in _DECODED:
        if len(_DECODED) >= 4096:
            _DECODED.clear()
        _DECODED[body] = _LIT_ESCAPE.sub(_unescape, body)
    return _DECODED[body]


def _hex(digits: bytes) -> bytes:
    """A hex string's bytes from what stands between its angle brackets (a last odd digit is
    followed by 0)."""
    digits = _SPACE.sub(b"", digits)
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())


def _by_statement(content: bytes, unicode_fonts: set[str]) -> list[Show] | None:
    """`text_shows` of a stream written as `_STATEMENT` reads, or None for one it does not."""
    shows: list[Show] = []
    font: str | None = None
    saved: list[str | None] = []
    statement = _STATEMENT.match
    i = 0
    while m := statement(content, i):
        i = m.end()
        skipped = m.group(1)
        if b"q" in skipped or b"Q" in skipped or b"BI" in skipped:
            for op in _FONT_STATE.findall(skipped):
                if op == b"q":
                    saved.append(font)
                elif op == b"BI":
                    return None  # its data may hold anything
                elif saved:
                    font = saved.pop()
        kind = m.lastindex
        if kind == 2:
            font = m.group(2).decode("latin-1")
            continue
        if kind == 5:
            strings = [
                s for lit, hx in _STRINGS.findall(m.group(5)) if (s := _string(lit) if lit else _hex(hx))
            ]
        else:
            strings = [s] if (s := _string(m.group(3)) if kind == 3 else _hex(m.group(4))) else []
        if strings and font is not None:
            shows.append(Show(strings, font in unicode_fonts, font))
    tail = _TAIL.match(content, i)
    if tail is None or tail.end() != len(content) or b"BI" in _FONT_STATE.findall(tail.group(1)):
        return None
    return shows


def text_shows(content: bytes, unicode_fonts: set[str]) -> list[Show]:
    """The text-showing operators of a page's content stream, in order, with the strings PDFium
    would make a text object of (empty strings make none). Only the font state is tracked."""
    shows = _by_statement(content, unicode_fonts)
    return _by_token(content, unicode_fonts) if shows is None else shows


def _by_token(content: bytes, unicode_fonts: set[str]) -> list[Show]:
    """`text_shows` of any stream, a token (or a run of operands, a font set, a string shown) at a
    time."""
    shows: list[Show] = []
    stack: list[Any] = []
    marks: list[int] = []
    font: str | None = None
    saved: list[str | None] = []
    i, n = 0, len(content)
    while i < n:
        byte = content[i]
        if not marks and byte in _NUMBER_START and (run := _OPERANDS.match(content, i)):
            # Numbers and the operator they are all the operands of (a path, a colour, a move):
            # nothing a string or the font depends on, read in one step.
            stack.clear()
            i = run.end()
            continue
        if not marks and byte == 0x2F and (run := _SET_FONT.match(content, i)):  # `/F2 9 Tf`
            font = run.group(1).decode("latin-1")
            stack.clear()
            i = run.end()
            continue
        if not marks and byte == 0x28:  # `(…) Tj`, or a string an operator further on takes
            s, i = _literal(content, i + 1)
            if run := _SHOW.match(content, i):
                if s and font is not None:
                    shows.append(Show([s], font in unicode_fonts, font))
                stack.clear()
                i = run.end()
            else:
                stack.append(s)
            continue
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
            stack.append(_hex(tok[1:-1]))
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


class _Ref(NamedTuple):
    num: int


class _Name(str):
    """A PDF name (`/F1` → "F1"), told apart from a string."""


class PageContents:
    """The content stream and the Unicode-CMap fonts of each page of a plainly written PDF, read from
    the file itself: a classic cross-reference table, unencrypted, its content streams unfiltered or
    Flate / ASCII85 without predictors, names without escapes, a page tree that gives PDFium's page
    count. pdfminer reads the same for any PDF, but parsing a whole document with it costs ~4x what
    PDFium spends on a generated 2-page list; `content` is None whenever the file is not that plain
    (pdfminer then reads it). On the test PDFs it gives pdfminer's bytes and fonts on every page."""

    def __init__(self, data: bytes, pages: int) -> None:
        self.data = data
        self.objects: dict[int, Any] = {}
        self.offsets: dict[int, int] = {}
        self.pages: list[dict[str, Any]] | None = None
        try:
            self.pages = self._page_tree(pages)
        except Exception:  # a damaged file: pdfminer says what is wrong with it
            self.pages = None

    def content(self, index: int) -> tuple[bytes, set[str]] | None:
        if self.pages is None:
            return None
        try:
            page = self.pages[index]
            fonts = self._get(self._get(page.get("Resources")) or {}).get("Font")
            unicode_fonts = set()
            for name, ref in (self._get(fonts) or {}).items():
                spec = self._get(ref)
                encoding = self._get(spec.get("Encoding")) if isinstance(spec, dict) else None
                if isinstance(encoding, _Name) and UNICODE_CMAP.fullmatch(encoding):
                    unicode_fonts.add(name)
            contents = self._get(page.get("Contents"))
            if isinstance(contents, list):
                return None  # read as pdfminer reads it, page by page
            return (b"" if contents is None else self._stream(contents)), unicode_fonts
        except Exception:
            return None

    def _page_tree(self, count: int) -> list[dict[str, Any]] | None:
        data = self.data
        start = re.search(rb"startxref\s+(\d+)\s*%%EOF\s*$", data[-1024:])
        if start is None:
            return None
        i = int(start.group(1))
        m = re.compile(rb"xref\s+").match(data, i)
        if m is None:
            return None
        i = m.end()
        while sub := _SUBSECTION.match(data, i):
            first, n = int(sub.group(1)), int(sub.group(2))
            i = sub.end()
            for k in range(n):
                entry = _ENTRY.match(data, i)
                if entry is None:
                    return None
                if entry.group(3) == b"n":
                    self.offsets.setdefault(first + k, int(entry.group(1)))
                i = entry.end()
        m = re.compile(rb"\s*trailer\s*").match(data, i)
        if m is None:
            return None
        (trailer,), _, _ = _values(data, m.end(), one=True)
        if not isinstance(trailer, dict) or {"Prev", "Encrypt", "XRefStm"} & trailer.keys():
            return None
        pages: list[dict[str, Any]] = []
        seen: set[int] = set()
        stack: list[tuple[Any, dict[str, Any]]] = [(self._get(trailer["Root"])["Pages"], {})]
        while stack:
            ref, parent = stack.pop()
            if not isinstance(ref, _Ref) or ref.num in seen:
                return None
            seen.add(ref.num)
            node = dict(self._get(ref))
            for key in ("Resources", "MediaBox", "CropBox", "Rotate"):  # inherited, as pdfminer does
                if key in parent and key not in node:
                    node[key] = parent[key]
            if node.get("Type") == "Pages" and "Kids" in node:
                stack += [(kid, node) for kid in reversed(self._get(node["Kids"]))]
            elif node.get("Type") == "Page":
                pages.append(node)
            else:
                return None
        return pages if len(pages) == count else None

    def _get(self, value: Any) -> Any:
        if not isinstance(value, _Ref):
            return value
        if value.num not in self.objects:
            m = _OBJ.match(self.data, self.offsets[value.num])
            if m is None or int(m.group(1)) != value.num:
                raise ValueError("no such object")
            found, stop, i = _values(self.data, m.end())
            if len(found) != 1:
                raise ValueError("not one object")
            obj = found[0]
            if stop == b"stream":
                obj = (obj, i)
            self.objects[value.num] = obj
        return self.objects[value.num]

    def _stream(self, obj: Any) -> bytes:
        attrs, i = obj
        if self.data[i : i + 2] == b"\r\n":
            i += 2
        elif self.data[i : i + 1] in (b"\n", b"\r"):
            i += 1
        length = self._get(attrs["Length"])
        raw = self.data[i : i + length]
        if type(length) is not int or not _END_STREAM.match(self.data, i + length):
            raise ValueError("stream length")
        filters = self._get(attrs.get("Filter", []))
        if {"DecodeParms", "DP", "F"} & attrs.keys():
            raise ValueError("parameters")
        for f in filters if isinstance(filters, list) else [filters]:
            if f in ("FlateDecode", "Fl"):
                raw = zlib.decompress(raw)
            elif f in ("ASCII85Decode", "A85"):
                raw = _ascii85(raw)
            else:
                raise ValueError("filter")
        return raw


def _ascii85(data: bytes) -> bytes:
    """pdfminer's `ascii85decode`, every group of five digits at once (the stdlib's decoder is
    Python, a digit at a time); a stream with `z` or a stray byte goes to it unchanged. The groups
    are lanes of 8 bytes in one integer, each digit's place added in with one multiplication: a group
    is below 85 ** 5 < 2 ** 33, so no lane carries into the next, and one of 2 ** 32 or more (a
    fifth byte in its lane) is the overflow pdfminer raises."""
    digits = _a85_end(_A85_START.sub(b"", data)).translate(None, b" \t\n\r\v")
    if digits.translate(None, _A85_DIGITS):
        return ascii85decode(data)
    n = len(digits)
    groups = (n + 4) // 5
    d = (digits + b"u" * 4)[: 5 * groups].translate(_A85_VALUES)
    total = 0
    lane = bytearray(8 * groups)
    for k, weight in enumerate((52200625, 614125, 7225, 85, 1)):
        lane[7::8] = d[k::5]
        total += int.from_bytes(lane, "big") * weight
    lanes = total.to_bytes(8 * groups, "big")
    if lanes[3::8].count(0) != groups:
        raise ValueError("Ascii85 overflow")
    out = bytearray(4 * groups)
    for k in range(4):
        out[k::4] = lanes[4 + k :: 8]
    padding = 4 - (n + 4) % 5
    return bytes(out[:-padding] if padding else out)


_A85_START = re.compile(rb"^\s*<?\s*~\s*")  # what pdfminer strips round the digits


def _a85_end(data: bytes) -> bytes:
    """`data` without what pdfminer strips after the digits (`\\s*~\\s*>?\\s*$`), looked for from the
    end: the expression searched for costs half the decoding."""
    end = data.rstrip()
    if end.endswith(b">"):
        end = end[:-1].rstrip()
    return end[:-1].rstrip() if end.endswith(b"~") else data


_A85_DIGITS = bytes(range(33, 118))  # ! … u
_A85_VALUES = bytes((x - 33) % 256 for x in range(256))
_SUBSECTION = re.compile(rb"(\d+) (\d+)\s*\r?\n")
_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])(?: \r| \n|\r\n)")
_OBJ = re.compile(rb"(\d+)\s+\d+\s+obj")
_END_STREAM = re.compile(rb"\s*endstream")


class _Numbers(NamedTuple):
    """An array of numbers inside an object, skipped and not read: where it lies in the file. No
    value `PageContents` reads (a page's fonts, their encodings, its contents) is one."""

    start: int
    end: int


# A token of an object and the white space and comments before it: an array of numbers (and arrays
# of numbers: a CID font's widths, hundreds of them), a run of numbers, `<<` or `[`, `>>` or `]`, a
# hex string, the `(` of a literal one, a name, a number, a word.
_NUM_END = rb"(?=[\s()<>\[\]{}/%])"
_OBJECT_TOKEN = re.compile(
    rb"(?:\s+|%[^\r\n]*)*+"
    rb"(?:(\[(?:\s*(?:" + _NUM + _NUM_END + rb"|\[(?:\s*" + _NUM + _NUM_END + rb")*\s*\]))*\s*\])"
    rb"|((?:" + _NUM + rb"\s+)+)|(<<|\[)|(>>|\])|<([0-9A-Fa-f\s]*)>|(\()|/([^\s()<>\[\]{}/%]*)"
    rb"|(" + _NUM + rb")(?![^\s()<>\[\]{}/%])|([^\s()<>\[\]{}/%]+))"
)


# A run of the plainest tokens inside an object (names, numbers, references: most of a page's or a
# font's dictionary), read with one match and one findall: the values the tokens give one by one.
_END = rb"(?=[\s()<>\[\]{}/%]|$)"
_PLAIN_TOKENS = re.compile(
    rb"/([^\s()<>\[\]{}/%#]*)" + _END + rb"|(\d+)\s+\d+\s+R" + _END + rb"|(" + _NUM + rb")" + _END
)
_PLAIN_RUN = re.compile(
    rb"(?:\s*(?:/[^\s()<>\[\]{}/%#]*" + _END + rb"|\d+\s+\d+\s+R" + _END + rb"|" + _NUM + _END + rb"))+"
)


def _values(data: bytes, i: int, one: bool = False) -> tuple[list[Any], bytes, int]:
    """The PDF objects from i up to `endobj` or `stream` (or, `one`, the first whole one) → (them,
    the word that ended them, the index after it). `n g R` becomes a reference; an array of numbers
    inside an object is skipped (`_Numbers`)."""
    stack: list[list[Any]] = [[]]
    token, plain = _OBJECT_TOKEN.match, _PLAIN_RUN.match
    while True:
        if len(stack) > 1 and (run := plain(data, i)):
            top = stack[-1]
            for name, ref, num in _PLAIN_TOKENS.findall(run.group()):
                if ref:
                    top.append(_Ref(int(ref)))
                elif num:
                    top.append(float(num) if b"." in num else int(num))
                else:
                    top.append(_Name(name.decode("latin-1")))
            i = run.end()
            continue
        m = token(data, i)
        if m is None:
            raise ValueError(f"unexpected byte at {i}")
        i = m.end()
        kind = m.lastindex
        value: Any
        if kind == 1:
            if len(stack) > 1:
                value = _Numbers(m.start(1), i)
            else:  # read as any array
                stack.append([b"["])
                i = m.start(1) + 1
                continue
        elif kind == 2:
            # A run of numbers in one step.
            stack[-1] += [float(t) if b"." in t else int(t) for t in m.group(2).split()]
            continue
        elif kind == 3:
            stack.append([m.group(3)])
            continue
        elif kind == 4:
            tok = m.group(4)
            items = stack.pop()
            if len(stack) == 0 or (items[0] == b"[") != (tok == b"]"):
                raise ValueError("unbalanced")
            if tok == b"]":
                value = items[1:]
            elif len(items) % 2 == 0 or not all(isinstance(k, _Name) for k in items[1::2]):
                raise ValueError("bad dictionary")
            else:
                value = dict(zip(items[1::2], items[2::2], strict=True))
        elif kind == 5:
            value = _hex(m.group(5))
        elif kind == 6:
            value, i = _literal(data, i)
        elif kind == 7:
            name = m.group(7)
            if b"#" in name:
                raise ValueError("escaped name")
            value = _Name(name.decode("latin-1"))
        elif kind == 8:
            tok = m.group(8)
            value = float(tok) if b"." in tok else int(tok)
        else:
            tok = m.group(9)
            if tok == b"R":
                top = stack[-1]
                if len(top) < 2 or type(top[-1]) is not int or type(top[-2]) is not int:
                    raise ValueError("bad reference")
                value = _Ref(top[-2])
                del top[-2:]
            elif tok in (b"true", b"false", b"null"):
                value = {b"true": True, b"false": False, b"null": None}[tok]
            elif len(stack) == 1 and tok in (b"endobj", b"stream"):
                return stack[0], tok, i
            else:
                raise ValueError(f"unexpected {tok!r}")
        stack[-1].append(value)
        if one and len(stack) == 1 and isinstance(value, dict | list):
            return stack[0], b"", i


def _bare(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", "", fold(text))


def recover(
    objs: list[Any],
    lost: list[int],
    texts: list[bytes],
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
    for k, (held_text, show) in enumerate(zip(texts, shows, strict=True)):
        if k in lost_set:
            continue
        # Folded: PDFium reads a code through its CID, which may come back as a look-alike code point.
        # The space PDFium ends an object with when a gap follows (most cells) needs no folding.
        known = decode(show)
        if (
            known is not None
            and (held := held_text.decode("utf-16-le", "replace")) != known
            and held.rstrip(" ") != known
            and _bare(held) != _bare(known)
        ):
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

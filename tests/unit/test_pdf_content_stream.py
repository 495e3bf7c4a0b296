"""A page's content stream found in the file without pdfminer (`PageContents`), and the text operators
read from it (`text_shows`) with the operands of path, colour and move operators taken a run at a
time: the same bytes, fonts and shows pdfminer and the one-token-at-a-time reading give."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pdfminer.ascii85 import ascii85decode
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser

from pipeline.read.pdf import content_stream
from pipeline.read.pdf.content_stream import PageContents, Show, text_shows
from pipeline.read.pdf.fallback import pdfminer_content

ROOT = Path(__file__).resolve().parents[2]
PDFS = ROOT / "tests" / "fixtures" / "pdf"
# Every PDF the tests and the corpus hold, but the encrypted one (declined below).
ALL = [
    p
    for p in sorted((ROOT / "tests" / "fixtures").rglob("*.pdf"))
    + sorted((ROOT.parent / "shared" / "corpus").rglob("*.pdf"))
    if p.name != "encrypted.pdf"
]


def pdfminer_contents(data: bytes) -> list[tuple[bytes, set[str]]]:
    """What Fallback.shows read with pdfminer alone: each page's content and Unicode-CMap fonts."""
    return [pdfminer_content(page) for page in PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(data))))]


@pytest.mark.parametrize("path", ALL, ids=[p.name for p in ALL])
def test_every_page_reads_as_pdfminer_reads_it(path: Path) -> None:
    data = path.read_bytes()
    pages = len(pdfium.PdfDocument(data))
    plain = PageContents(data, pages)
    # Every test PDF is plainly written (reportlab, Chrome): none is left to pdfminer.
    found = [plain.content(i) for i in range(pages)]
    assert found == pdfminer_contents(data)
    for content, fonts in found:
        # Every page is written as the statement reading reads (none is left to `_by_token`).
        assert content_stream._by_statement(content, fonts) == text_shows_by_token(content, fonts)
        assert text_shows(content, fonts) == text_shows_by_token(content, fonts)


GRID = (PDFS / "grid_list.pdf").read_bytes()


def _updated(data: bytes) -> bytes:
    """The file with an incremental update appended (a trailer with /Prev)."""
    start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    body = b"\n12 0 obj\n(x)\nendobj\n"
    xref = len(data) + len(body)
    entry = b"%010d 00000 n \n" % (len(data) + 1)
    return (
        data
        + body
        + b"xref\n12 1\n"
        + entry
        + (b"trailer\n<< /Size 13 /Root 6 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (start, xref))
    )


@pytest.mark.parametrize(
    ("data", "pages"),
    [
        ((PDFS / "encrypted.pdf").read_bytes(), 1),
        (GRID, 3),  # not PDFium's page count
        (_updated(GRID), 2),
        (GRID.replace(b"startxref", b"startxrefx"), 2),
        (GRID[:-200], 2),
        (GRID.replace(b"/Type /Pages", b"/Type /Pagez"), 2),
        (b"", 1),
    ],
    ids=["encrypted", "page-count", "incremental-update", "no-startxref", "truncated", "page-tree", "empty"],
)
def test_what_is_not_plainly_written_is_left_to_pdfminer(data: bytes, pages: int) -> None:
    plain = PageContents(data, pages)
    assert [plain.content(i) for i in range(pages)] == [None] * pages


def test_a_page_of_contents_in_parts_or_with_predictors_is_left_to_pdfminer() -> None:
    # Edited in place, every object keeps its offset: only the first page changes.
    parts = GRID.replace(b"/Contents 9 0 R /MediaBox [ 0", b"/Contents [9 0 R]/MediaBox [0", 1)
    filters = b"/Filter [ /ASCII85Decode /FlateDecode ]"
    params = GRID.replace(filters, b"/DP 1 /Filter [ /A85 /Fl ]".ljust(len(filters)), 1)
    for data in (parts, params):
        assert len(data) == len(GRID) and data != GRID
        assert [PageContents(data, 2).content(i) is None for i in range(2)] == [True, False]


def text_shows_by_token(content: bytes, unicode_fonts: set[str]) -> list[Show]:
    """`text_shows` reading one token at a time: no run of operands, font setting or string shown
    in one step."""
    saved = content_stream._NUMBER_START, content_stream._SET_FONT, content_stream._SHOW
    never = re.compile(rb"(?!)")
    content_stream._NUMBER_START, content_stream._SET_FONT, content_stream._SHOW = frozenset(), never, never
    try:
        return content_stream._by_token(content, unicode_fonts)
    finally:
        content_stream._NUMBER_START, content_stream._SET_FONT, content_stream._SHOW = saved


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # Operands before the operators the reading acts on stay theirs: Tf, Tj, TJ, ', ".
        (
            rb"BT /F1 9 Tf 1 0 0 1 41 702 Tm (a) Tj 2 TL (b) ' 1 2 (c) " + b'" [(d) -250 (e)] TJ ET',
            ["a", "b", "c", "de"],
        ),
        # A run ending in q or Q saves or restores the font (invalid operands, but read as PDFium reads).
        (rb"BT /F1 9 Tf 0 q /F2 9 Tf 0 Q (a) Tj ET", ["a"]),
        # A path's numbers and operators between two shows change nothing.
        (rb"BT /F1 9 Tf (a) Tj ET 0 0 m 10 10 l S 1 0 0 RG 0 0 5 5 re f BT (b) Tj ET", ["a", "b"]),
        # A number glued to something else is no run (1.2.3 is a word, 3e too).
        (rb"BT /F1 9 Tf 1.2.3 (a) Tj 3e (b) Tj ET", ["a", "b"]),
        # A comment between a string and its Tj; a word that only starts like Tj; Tf with no name.
        (b"BT /F1 9 Tf (a) % c\nTj (b) Tjx (c) Tj 9 Tf (d) Tj ET", ["a", "c", "d"]),
        # A font set inside a dictionary is no font change; an empty string shows nothing.
        (rb"BT /F1 9 Tf << /F2 9 Tf >> () Tj (a) Tj ET", ["a"]),
    ],
    ids=["operands-kept", "save-restore", "path-between", "not-numbers", "near-misses", "in-dictionary"],
)
def test_operand_runs(content: bytes, expected: list[str]) -> None:
    shows = text_shows(content, set())
    assert ["".join(s.decode() for s in show.strings) for show in shows] == expected
    assert shows == text_shows_by_token(content, set())
    assert {show.font for show in shows} == {"F1"}


@pytest.mark.parametrize(
    ("content", "expected", "by_statement"),
    [
        # Operands before a string, a font set or q are skipped: they change nothing there.
        (rb"BT /F1 9 Tf 1 2 (a) " + b'" 0 q /F2 9 Tf 0 Q 5 (b) Tj ET', ["a", "b"], True),
        # Skipped: a name and its operator, Tj and TJ taking numbers or a name (no string);
        # read: strings and numbers of a TJ array, hex strings, strings glued to their operators.
        (
            rb"/GS0 gs q /F2 9 Tf Q /F1 9 Tf BT 5 Tj /F2 Tj 7 TJ [(a)<62>5(c)] TJ ET (d)Tj/F2 9 Tf(e)'",
            ["abc", "d", "e"],
            True,
        ),
        # A font set to a name then a size is never skipped, even right after a name.
        (rb"/F2 /F1 9 Tf (a) Tj /F2 9 5 Tf (b) Tj", ["a", "b"], True),
        # An inline image (its data may hold anything), a comment, a dictionary, nested parentheses,
        # a string not shown at once: read a token at a time.
        (b"BT /F1 9 Tf (a) Tj ET BI /W 1 ID \x00(\xff) Tj EI", ["a"], False),
        (b"BT /F1 9 Tf (a) Tj % (b) Tj\nET", ["a"], False),
        (rb"BT /F1 9 Tf << /F2 9 Tf >> (a) Tj ET", ["a"], False),
        (rb"BT /F1 9 Tf (a(b)) Tj ET", ["a(b)"], False),
        (rb"BT /F1 9 Tf (a) 5 Tj ET", [], False),
    ],
    ids=[
        "operands-skipped",
        "skipped-and-read",
        "font-set",
        "inline-image",
        "comment",
        "dictionary",
        "nested",
        "string-left",
    ],
)
def test_statements_read_a_statement_at_a_time(
    content: bytes, expected: list[str], by_statement: bool
) -> None:
    """A stream of the statements generators write is read a statement at a time (`_by_statement`),
    any other token by token; both give the shows the token reading gives."""
    shows = text_shows(content, set())
    assert ["".join(s.decode() for s in show.strings) for show in shows] == expected
    assert shows == text_shows_by_token(content, set())
    assert content_stream._by_statement(content, set()) == (shows if by_statement else None)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (rb"abc) Tj", b"abc"),
        (rb"\212\262) Tj", b"\x8a\xb2"),
        (rb"a\(b\)c\\) Tj", b"a(b)c\\"),
        (b"a\\\r\nb\\\rc\\\nd) Tj", b"abcd"),  # line continuations
        (rb"\0\7777\8\q\n) Tj", b"\x00\xff7" + b"8q\n"),  # octal of up to 3 digits, unknown escapes
        (rb"a(b)c) Tj", b"a(b)c"),  # nested: read a byte at a time
        (rb"a\) Tj", None),  # unterminated
    ],
    ids=["plain", "octal", "escaped-parens", "continuations", "odd-escapes", "nested", "unterminated"],
)
def test_literal_strings(data: bytes, expected: bytes | None) -> None:
    """A string without parentheses inside is read in one step, its escapes decoded at once: the same
    bytes and end as the byte-at-a-time reading gives."""
    if expected is None:
        with pytest.raises(ValueError):
            content_stream._literal(data, 0)
        return
    value, end = content_stream._literal(data, 0)
    assert (value, data[end:]) == (expected, b" Tj")
    assert content_stream._nested_literal(data, 0) == (value, end)


@pytest.mark.parametrize(
    "data",
    [
        base64.a85encode(bytes(range(256)) * 3, wrapcol=75),
        b"<~" + base64.a85encode(b"BT /F1 9 Tf (a) Tj ET") + b"~>\n",
        base64.a85encode(b"abcde")[:-1] + b"~",  # a short last group
        b"",
        b"9jqo^z~>",  # z: the stdlib's decoder
        b's8W-"~>',  # past 2**32: overflow
        b"9jq\x0co^~>",  # a byte that is no digit
        # What ends the digits, read from the end: spaces round `~` and `>`, `>` with no `~`, two `~`.
        b" <~ " + base64.a85encode(b"BT /F1 9 Tf") + b"\n~ \x0b>\r\n",
        base64.a85encode(b"abcd") + b">",
        base64.a85encode(b"abcd") + b"~ ~>",
        base64.a85encode(b"\xff" * 8 + b"abc") + b"~>",  # the highest groups, then a short one
    ],
    ids=[
        "long",
        "framed",
        "short-group",
        "empty",
        "z",
        "overflow",
        "stray-byte",
        "spaced-end",
        "no-tilde",
        "two-tildes",
        "highest",
    ],
)
def test_ascii85_decodes_as_pdfminer_does(data: bytes) -> None:
    try:
        expected: bytes | str = ascii85decode(data)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: bytes | str = content_stream._ascii85(data)
    except ValueError as exc:
        got = str(exc)
    assert got == expected

"""pdfminer's reading of a PDF, for the pages PDFium's cannot be trusted on."""

from __future__ import annotations

import io
from collections.abc import Callable

import pdfplumber
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdffont import PDFFont
from pdfminer.pdfinterp import PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral, literal_name

from pipeline.model import ExtractionError
from pipeline.read.pdf.content_stream import UNICODE_CMAP, PageContents, Show, text_shows
from pipeline.read.pdf.geometry import Char, baseline_angle, flat_box, glyph_box


def pdfminer_content(page: PDFPage) -> tuple[bytes, set[str]]:
    """A page's content stream as pdfminer reads it, and the names of its fonts with a Unicode CMap."""
    fonts = resolve1((page.resources or {}).get("Font")) or {}
    unicode_fonts = set()
    for name, ref in fonts.items():
        spec = resolve1(ref)
        encoding = resolve1(spec.get("Encoding")) if isinstance(spec, dict) else None
        if isinstance(encoding, PSLiteral) and UNICODE_CMAP.fullmatch(literal_name(encoding)):
            unicode_fonts.add(name)
    return b"\n".join(s.get_data() for s in page.contents), unicode_fonts


class Fallback:
    """pdfminer's view of the same bytes, opened only if a page needs it, and only once: the raw
    content stream of a page with lost text objects, or, failing that, the whole page's characters."""

    def __init__(self, data: bytes, source_path: str, page_count: int = 0) -> None:
        self.data = data
        self.source_path = source_path
        self.page_count = page_count
        self.pdf: pdfplumber.PDF | None = None
        self.pages: list[PDFPage] | None = None
        self.fonts: dict[int, dict[str, PDFFont]] = {}
        self.plain: PageContents | None = None

    def _pdfminer_pages(self) -> list[PDFPage]:
        if self.pages is None:
            self.pages = list(PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(self.data)))))
        return self.pages

    def shows(self, index: int) -> list[Show] | None:
        """The text-showing operators of page `index`, or None if its content cannot be read simply
        (then the whole page goes to pdfminer, which says what is wrong with it). A plainly written
        file's page is found without pdfminer (`PageContents`)."""
        if self.plain is None:
            self.plain = PageContents(self.data, self.page_count)
        if (found := self.plain.content(index)) is not None:
            try:
                return text_shows(*found)
            except Exception:
                return None
        try:
            page = self._pdfminer_pages()[index]
            return text_shows(*pdfminer_content(page))
        except Exception:
            return None

    def decoder(self, index: int) -> Callable[[Show], str | None]:
        """What the strings of a show on page `index` read as: through a Unicode CMap, else through
        the font's own map (its ToUnicode, its encoding) as pdfminer reads it; None where no map
        names a code."""
        resources = PDFResourceManager()

        def font(name: str) -> PDFFont | None:
            fonts = self.fonts.setdefault(index, {})
            if name not in fonts:
                try:
                    page = self._pdfminer_pages()[index]
                    spec = resolve1((resolve1((page.resources or {}).get("Font")) or {})[name])
                    fonts[name] = resources.get_font(None, spec)
                except Exception:
                    return None
            return fonts[name]

        def decode(show: Show) -> str | None:
            if show.unicode:
                return show.text()
            f = font(show.font)
            if f is None:
                return None
            try:
                return "".join(f.to_unichr(cid) for s in show.strings for cid in f.decode(s))
            except Exception:
                return None

        return decode

    def chars(self, index: int) -> list[Char]:
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
                ma, mb, _, _, me, mf = ch["matrix"]
                direction = baseline_angle((d * ma - c * mb) / det, (-b * ma + a * mb) / det)
                width, height = ch["x1"] - ch["x0"], ch["y1"] - ch["y0"]
                if direction % 90:
                    (p, q), (r, s) = back(ch["x0"], ch["y0"]), back(ch["x1"], ch["y1"])
                    chars.append(Char(*flat_box(box, p, q, r, s), ch["text"], direction))
                    continue
                # pdfminer's box is the advance by the font size: boxed from the origin as PDFium's
                # characters are (`glyph_box`). Its frame is turned by /Rotate, so the sides swap on
                # a page turned a quarter.
                along, across = (width, height) if baseline_angle(ma, mb) in (0, 180) else (height, width)
                chars.append(
                    Char(*glyph_box(box, back(me, mf), direction, along, across), ch["text"], direction)
                )
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

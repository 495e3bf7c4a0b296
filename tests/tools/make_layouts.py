"""Render the corpus's case lists in many layouts no reader was tuned for (issue 15).

    python tests/tools/make_layouts.py [--out DIR] [--corpus DIR] [--only TEXT]

Truth: the golden list records (tests/fixtures/golden_list_00{1,2}.jsonl) plus the sheet fields that
`extract_bytes` reads from the corpus text files (../shared/corpus/text/001_*, 002_*.part-a: those
sheets are golden-tested elsewhere; 002 has sheets for cases 1–25 only). It is written once to
`truth.jsonl` beside the PDFs, and `manifest.json` says, per PDF, which list it prints, which cases
have a detail sheet and every knob used, so the tests never need ../shared.

Each layout is a composition of orthogonal knobs (see `Layout`). The family knobs (engine, rules,
orientation, face, embedding) run over a grid; every other knob is dealt evenly over the layouts in
an order shuffled by a seed of its own, so that no two knobs move together (bench/layout_accuracy.py
reports accuracy per knob value as well as per family).

Engines: reportlab (`rl`, invariant=1: byte-stable) and HTML printed by headless Chromium (`chrome`,
Debian's chromium; its dates and IDs are blanked so reruns match).
Faces: reportlab's non-embedded CID fonts (HeiseiKakuGo-W5, HeiseiMin-W3) or the IPA TrueType fonts
embedded as subsets (Debian fonts-ipafont-gothic / fonts-ipafont-mincho, stripped of their hinting
with fontTools first: a third less per glyph; needed only to render the `ttf` and `chrome` layouts,
the reader must not need them). Layouts whose tools are missing are left as committed. Installed
CJK fonts change how PDFium reads the NON-embedded ones (tests/test_read_pdf.py fails with them):
remove them again after rendering. Rendering everything takes about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

import schemas

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "layouts"
CORPUS = ROOT.parent / "shared" / "corpus" / "text"
IPA = {
    "gothic": Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    "mincho": Path("/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf"),
}
CID = {"gothic": "HeiseiKakuGo-W5", "mincho": "HeiseiMin-W3"}
CSS_FACE = {"gothic": "LayoutGothic", "mincho": "LayoutMincho"}

# The case fields as schemas defines them; seq_no aligns a case with its truth and is not scored.
LIST_FIELDS = [f for f in schemas.LIST_FIELDS if f != "seq_no"]
SHEET_FIELDS = list(schemas.SHEET_FIELDS)
SHEETS_PER_LAYOUT = 4
EMBEDDED_ROWS = 12

# --------------------------------------------------------------------------- knobs


@dataclass(frozen=True)
class Layout:
    index: int
    engine: str  # rl | chrome
    rules: str  # ruled (grid) | hair (lines between rows only) | shaded (alternate rows) | plain (none)
    orient: str  # portrait | landscape (landscape media box) | rotate90 (portrait box, /Rotate 90)
    face: str  # gothic | mincho
    embed: str  # cid (reportlab's non-embedded CID fonts) | ttf (IPA subset embedded)
    cols: str  # A | B | C: column order, see COLUMN_ORDERS
    words: int  # header wording, see HEADER_WORDS
    title: str  # short (令和5年度 個人情報保護管理運営会議 審議案件一覧, ward on a line below) | long
    date: str  # md | wareki | r | west | slash
    num: str  # plain | paren | no | dai
    fullwidth: bool  # digits printed full-width
    narrow: bool  # a table of 3/4 width: cells wrap over 2–3 lines
    justify: bool  # wrapped lines set flush with the column's right edge (両端揃え), else ragged
    split_rows: bool  # a row that does not fit is split across the page break (else moved whole)
    repeat_header: bool  # the column header printed again on every page of the list
    cover: bool  # a cover page before the list
    furniture: bool  # running header and page-number footer on every page
    sheets: str  # none | paren_sym | paren_no | bekki_bracket | bekki | anken | no_line
    sheet_rules: str  # ruled | plain: the label/value grid of a detail sheet
    source: str  # 001 | 002: which corpus list is printed
    rows: int  # the list's first `rows` cases are printed (all when 0)
    sheet_seqs: tuple[int, ...]  # the cases that get a detail sheet

    @property
    def family(self) -> str:
        return f"{self.engine}-{self.rules}-{self.orient}"

    @property
    def name(self) -> str:
        prefix = "chrome-" if self.engine == "chrome" else ""
        return f"{prefix}{self.rules}-{self.orient}-{self.face}-{self.embed}-cols{self.cols}-{self.index:02d}.pdf"


COLUMN_ORDERS = {
    "A": ["no", "title", "dept", "cat", "date", "result"],  # the corpus's order
    "B": ["no", "date", "title", "dept", "cat", "result"],
    "C": ["no", "title", "cat", "dept", "result", "date"],
}
HEADER_WORDS = [
    {"no": "No.", "title": "事業名", "dept": "担当課", "cat": "区分", "date": "付議日", "result": "審議結果"},
    {"no": "№", "title": "件名", "dept": "所管課", "cat": "区分", "date": "付議日", "result": "結果"},
    {
        "no": "番号",
        "title": "案件名",
        "dept": "所管部課",
        "cat": "区分",
        "date": "付議日",
        "result": "審議結果",
    },
]
# Share of the table width per column.
SHARES = {"no": 0.07, "title": 0.37, "dept": 0.22, "cat": 0.12, "date": 0.13, "result": 0.09}
DATE_FORMS = ["md", "wareki", "r", "west", "slash"]
NUM_FORMS = ["plain", "paren", "no", "dai"]
SHEET_FORMS = ["paren_sym", "paren_no", "bekki_bracket", "bekki", "anken", "no_line", "none"]
RULES = ["ruled", "hair", "shaded", "plain"]


def _deal(knob: str, options: list[Any], n: int) -> list[Any]:
    """`n` values of a knob: each option equally often, in an order shuffled by a seed of the knob's
    own, so that no two knobs move together."""
    values = [options[k % len(options)] for k in range(n)]
    random.Random(f"layouts-{knob}").shuffle(values)
    return values


def layouts(sheet_counts: dict[str, list[int]]) -> list[Layout]:
    """Every layout rendered: a full grid of the family knobs, the other knobs dealt over it."""
    # An embedded face costs ~300 bytes a glyph: those layouts print the list's first EMBEDDED_ROWS
    # cases and one sheet, the others the whole list and SHEETS_PER_LAYOUT sheets.
    grid: list[tuple[str, str, str, str, str]] = []
    for rules in RULES:
        for orient in ("portrait", "landscape", "rotate90"):
            for face in ("gothic", "mincho"):
                grid.append(("rl", rules, orient, face, "cid"))
    orients = ["portrait", "landscape", "rotate90"]
    for k, (rules, face) in enumerate((r, f) for r in RULES for f in ("gothic", "mincho")):
        grid.append(("rl", rules, orients[k % 3], face, "ttf"))
    for k, (rules, orient) in enumerate((r, o) for r in RULES for o in ("portrait", "landscape")):
        grid.append(("chrome", rules, orient, ("gothic", "mincho")[(k + k // 2) % 2], "ttf"))
    n = len(grid)
    knobs = {
        "cols": _deal("cols", list(COLUMN_ORDERS), n),
        "words": _deal("words", [0, 1, 2], n),
        "title": _deal("title", ["short", "long"], n),
        "date": _deal("date", DATE_FORMS, n),
        "num": _deal("num", NUM_FORMS, n),
        "fullwidth": _deal("fullwidth", [False, True], n),
        "narrow": _deal("narrow", [False, True], n),
        "justify": _deal("justify", [True, False], n),
        "split_rows": _deal("split_rows", [True, False], n),
        "repeat_header": _deal("repeat_header", [True, False], n),
        "cover": _deal("cover", [False, True], n),
        "furniture": _deal("furniture", [True, False], n),
        "sheets": _deal("sheets", SHEET_FORMS, n),
        "sheet_rules": _deal("sheet_rules", ["ruled", "plain"], n),
        "source": _deal("source", ["001", "002"], n),
    }
    out = []
    for i, (engine, rules, orient, face, embed) in enumerate(grid, start=1):
        pick = {k: v[i - 1] for k, v in knobs.items()}
        rows = 0 if embed == "cid" else EMBEDDED_ROWS
        have = [k for k in sheet_counts[pick["source"]] if not rows or k <= rows]
        start = (i * 5) % len(have)
        count = SHEETS_PER_LAYOUT if embed == "cid" else 1
        seqs = tuple(sorted(have[(start + k) % len(have)] for k in range(count)))
        out.append(
            Layout(
                index=i,
                engine=engine,
                rules=rules,
                orient=orient,
                face=face,
                embed=embed,
                rows=rows,
                sheet_seqs=() if pick["sheets"] == "none" else seqs,
                **pick,
            )
        )
    return out


# --------------------------------------------------------------------------- truth


def build_truth(corpus: Path) -> list[dict]:
    """One record per case of the two lists: golden list fields, sheet fields where the corpus has a sheet."""
    from pipeline.extract import extract_bytes

    truth = []
    for source, pattern in (("001", "001_*.txt"), ("002", "002_*.part-a.txt")):
        golden = [json.loads(line) for line in (ROOT / f"tests/fixtures/golden_list_{source}.jsonl").open()]
        path = next(corpus.glob(pattern))
        fx = extract_bytes(path.read_bytes(), path.name)
        sheets = {m.seq_no: m for m in fx.case_mentions if m.program_name is not None}
        for g in golden:
            m = sheets.get(g["seq_no"])
            rec = {"source": source, "seq_no": g["seq_no"], **{f: g[f] for f in LIST_FIELDS}}
            rec["sheet"] = None if m is None else {f: getattr(m, f) for f in SHEET_FIELDS}
            truth.append(rec)
    return truth


# --------------------------------------------------------------------------- printed text

FULL = str.maketrans("0123456789()", "０１２３４５６７８９（）")


def _wide(s: str, lay: Layout) -> str:
    return s.translate(FULL) if lay.fullwidth else s


def fmt_date(iso: str, form: str) -> str:
    d = dt.date.fromisoformat(iso)
    era = d.year - 2018
    return {
        "md": f"{d.month}月{d.day}日",
        "wareki": f"令和{era}年{d.month}月{d.day}日",
        "r": f"R{era}.{d.month}.{d.day}",
        "west": f"{d.year}年{d.month}月{d.day}日",
        "slash": f"{d.year}/{d.month}/{d.day}",
    }[form]


def fmt_no(n: int, form: str) -> str:
    return {"plain": f"{n}", "paren": f"({n})", "no": f"No.{n}", "dai": f"第{n}号"}[form]


def sheet_heading(title: str, n: int, form: str) -> tuple[str | None, str]:
    """(a line printed above the title, or None; the title line) of a detail sheet."""
    return {
        "paren_sym": (None, f"{title}（№{n}）"),
        "paren_no": (None, f"{title}(No.{n})"),
        "bekki_bracket": (None, f"【別紙{n}】{title}"),
        "bekki": (f"別紙{n}", title),
        "anken": (None, f"案件{n}　{title}"),
        "no_line": (f"No.{n}", title),
    }[form]


def list_cells(rec: dict, lay: Layout) -> dict[str, str]:
    title = rec["title"].replace("(", "（").replace(")", "）")
    return {
        "no": _wide(fmt_no(rec["seq_no"], lay.num), lay),
        "title": _wide(title, lay),
        "dept": _wide(rec["departments_raw"], lay),
        "cat": "、".join(rec["categories"]),
        "date": _wide(fmt_date(rec["deliberated_on"], lay.date), lay),
        "result": rec["result"],
    }


PERIOD = {"001": "令和5年4月から6月まで", "002": "令和5年7月から令和6年1月まで"}
MEETING = {"001": "令和5年度第4回", "002": "令和5年度第11回"}


def heading_lines(lay: Layout) -> list[tuple[str, float]]:
    """The text above the list: (line, font size)."""
    title = (
        "令和5年度 個人情報保護管理運営会議 審議案件一覧"
        if lay.title == "short"
        else "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧"
    )
    lines = [(_wide(title, lay), 13.0)]
    if lay.title == "short":
        lines.append(("新宿区 総務部 区政情報課", 10.5))
    lines.append(
        (
            _wide(
                f"新宿区個人情報保護管理運営会議で{PERIOD[lay.source]}に審議した案件について、下記のとおり報告する。",
                lay,
            ),
            10.0,
        )
    )
    lines.append((_wide("1 審議案件及び結果", lay), 10.5))
    return lines


TAIL = ["2 その他", "個人情報保護管理運営会議にて審議した案件については、区ホームページで公開する。"]
COVER = [
    "資料2",
    "{meeting} 新宿区情報公開・個人情報保護審議会",
    "個人情報保護管理運営会議",
    "審議案件一覧",
    "{issued}",
    "新宿区",
]
ISSUED = {"001": "令和5年7月", "002": "令和6年2月"}


def sheet_rows(rec: dict, lay: Layout) -> list[tuple[str, list[str]]]:
    """(label, value paragraphs) of a detail sheet."""
    s = rec["sheet"]
    w = lambda t: _wide(t, lay)  # noqa: E731
    return [
        ("事業名", [w(s["program_name"])]),
        ("担当課", [w(s["detail_departments_raw"])]),
        ("区分", ["、".join(rec["categories"])]),
        ("目的", [w(s["purpose"])]),
        ("対象者", [w(s["target"])]),
        ("事業内容", [w(p) for p in s["summary"].split("\n")]),
        ("個人情報の流れ及び情報保護対策", ["別紙のとおり"]),
    ]


# --------------------------------------------------------------------------- reportlab


NO_START = "、。，．,.）」』】)]"  # never at the start of a line (kinsoku)
NO_END = "（「『【(["  # never at the end of one
_WORD = re.compile(r"[A-Za-z0-9.,/\-]+|.", re.S)


class Broken(str):
    """A line that wrapping ended (not the last of its paragraph). In a `justify` layout it is drawn
    flush with the right edge of its column as a Japanese word processor sets it (両端揃え), so that
    only the last line of a paragraph ends short."""


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break `text` into lines of at most `width` points, as a word processor does: anywhere between
    CJK characters, ASCII words whole (unless longer than a line), and a character pushed down to
    the next line with a closing mark that may not start one (or with an opening mark that may not
    end one). Every line but the last is a `Broken`."""
    toks: list[str] = []
    for tok in _WORD.findall(text):
        toks += list(tok) if pdfmetrics.stringWidth(tok, font, size) > width else [tok]
    lines, cur = [], ""
    for tok in toks:
        if not cur or pdfmetrics.stringWidth(cur + tok, font, size) <= width:
            cur += tok
            continue
        keep = len(cur)
        if tok[0] in NO_START:
            keep -= 1
        while keep > 1 and (cur[keep] in NO_START if keep < len(cur) else False):
            keep -= 1
        while keep > 1 and cur[keep - 1] in NO_END:
            keep -= 1
        if keep < len(cur) and cur[keep] in NO_START:
            cur += tok  # no break allowed here: the mark hangs past the line's end
            continue
        lines.append(Broken(cur[:keep]))
        cur = cur[keep:] + tok
    if cur or not lines:
        lines.append(cur)
    return lines


MARGIN = 42.0
SIZE = 9.0
LEAD = SIZE * 1.4
PAD = 4.0


class Pages:
    """A canvas that starts pages in the layout's orientation and draws its furniture."""

    def __init__(self, lay: Layout, font: str) -> None:
        self.lay, self.font, self.buf, self.page = lay, font, io.BytesIO(), 0
        self.c = Canvas(self.buf, pagesize=A4, invariant=1, pageCompression=1)
        self.c.setAuthor("")
        self.c.setTitle("")
        self.width, self.height = A4 if lay.orient == "portrait" else landscape(A4)
        self.y = 0.0  # distance from the top of the page as read
        self.started = False

    def new_page(self) -> None:
        c = self.c
        if self.started:
            c.showPage()
        self.started = True
        self.page += 1
        c.setPageSize((self.width, self.height))
        if self.lay.orient == "rotate90":
            # reportlab swaps the media box of a page with /Rotate 90: a landscape size gives a portrait sheet.
            c.setPageRotation(90)
            c.transform(0, 1, -1, 0, self.height, 0)
        if self.lay.furniture:
            c.setFont(self.font, 8)
            c.drawRightString(self.width - MARGIN, self.height - 26, MEETING[self.lay.source] + " 審議会資料")
            c.drawCentredString(self.width / 2, 22, _wide(f"- {self.page} -", self.lay))
        self.y = 50.0

    @property
    def bottom(self) -> float:
        return self.height - 48.0

    def text(
        self, s: str, size: float = 10.0, x: float | None = None, right: bool = False, centre: bool = False
    ) -> None:
        """A line of text (wrapped to the page width) at `self.y`."""
        self.c.setFont(self.font, size)
        for line in wrap(s, self.font, size, self.width - 2 * MARGIN):
            base = self.height - self.y - size
            if right:
                self.c.drawRightString(self.width - MARGIN, base, line)
            elif centre:
                self.c.drawCentredString(self.width / 2, base, line)
            else:
                self.c.drawString(MARGIN if x is None else x, base, line)
            self.y += size * 1.4
        self.y += size * 0.3

    def table(
        self,
        widths: list[float],
        rows: list[list[list[str]]],
        *,
        rules: str,
        header: list[list[str]] | None,
        split: bool,
        x0: float = MARGIN,
    ) -> None:
        """Draw rows (cells as pre-wrapped lines) down from `self.y`, starting new pages as needed.
        `header`, when given, is drawn first and again at the top of every new page; `split` lets a
        row run over the page break (else it moves whole to the next page)."""
        xs = [x0]
        for w in widths:
            xs.append(xs[-1] + w)
        gap = 3.0 if rules == "plain" else 0.0

        def draw(cells: list[list[str]], height: float, shade: float | None, centred: bool) -> None:
            c, top = self.c, self.height - self.y
            if shade is not None:
                c.setFillGray(shade)
                c.rect(xs[0], top - height, xs[-1] - xs[0], height, stroke=0, fill=1)
                c.setFillGray(0)
            c.setFont(self.font, SIZE)
            for k, lines in enumerate(cells):
                for i, line in enumerate(lines):
                    base = top - PAD - SIZE - i * LEAD
                    if centred:
                        c.drawCentredString((xs[k] + xs[k + 1]) / 2, base, line)
                    elif self.lay.justify and isinstance(line, Broken) and len(line) > 1:
                        room = xs[k + 1] - xs[k] - 2 * PAD - pdfmetrics.stringWidth(line, self.font, SIZE)
                        c.drawString(xs[k] + PAD, base, line, charSpace=max(0.0, room) / (len(line) - 1))
                    else:
                        c.drawString(xs[k] + PAD, base, line)
            if rules == "ruled":
                c.setLineWidth(0.6)
                c.rect(xs[0], top - height, xs[-1] - xs[0], height, stroke=1, fill=0)
                for x in xs[1:-1]:
                    c.line(x, top, x, top - height)
            elif rules == "hair":
                c.setLineWidth(0.25)
                c.line(xs[0], top - height, xs[-1], top - height)
            self.y += height + gap

        def start_page() -> None:
            self.new_page()
            if header is not None:
                head(header)

        def head(cells: list[list[str]]) -> None:
            h = max(len(x) for x in cells) * LEAD + 2 * PAD
            if rules == "hair":
                self.c.setLineWidth(0.6)
                self.c.line(xs[0], self.height - self.y, xs[-1], self.height - self.y)
            draw(cells, h, 0.82 if rules == "shaded" else None, True)

        if header is not None:
            head(header)
        for r, cells in enumerate(rows):
            shade = 0.92 if rules == "shaded" and r % 2 else None
            n = max(len(x) for x in cells)
            while True:
                room = int((self.bottom - self.y - 2 * PAD) // LEAD)
                if n * LEAD + 2 * PAD <= self.bottom - self.y:
                    draw(cells, n * LEAD + 2 * PAD, shade, False)
                    break
                if (split or self.y < 120) and room >= 1:
                    draw([x[:room] for x in cells], room * LEAD + 2 * PAD, shade, False)
                    cells = [x[room:] for x in cells]
                    n -= room
                start_page()


FONT_DIR = Path(tempfile.gettempdir()) / "council-layout-fonts"


def plain_ttf(face: str) -> Path:
    """The IPA face without hinting instructions (44% of its glyph data), made once per machine."""
    out = FONT_DIR / f"{face}.ttf"
    if not out.exists():
        from fontTools import subset
        from fontTools.ttLib import TTFont as FTFont

        opts = subset.Options()
        opts.hinting = False
        opts.glyph_names = False
        opts.layout_features = []
        opts.name_IDs = ["*"]
        font = FTFont(str(IPA[face]))
        sub = subset.Subsetter(opts)
        sub.populate(unicodes=range(0x20, 0x10000))
        sub.subset(font)
        FONT_DIR.mkdir(exist_ok=True)
        font.save(str(out))
    return out


def _rl_font(lay: Layout) -> str:
    if lay.embed == "cid":
        name = CID[lay.face]
        pdfmetrics.registerFont(UnicodeCIDFont(name))
        return name
    name = f"IPA-{lay.face}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(plain_ttf(lay.face))))
    return name


def render_rl(lay: Layout, truth: list[dict]) -> bytes:
    font = _rl_font(lay)
    p = Pages(lay, font)
    recs = [r for r in truth if r["source"] == lay.source and (not lay.rows or r["seq_no"] <= lay.rows)]
    if lay.cover:
        p.new_page()
        p.y = p.height * 0.25
        for k, line in enumerate(COVER):
            line = _wide(line.format(meeting=MEETING[lay.source], issued=ISSUED[lay.source]), lay)
            if k == 0:
                p.text(line, 12, right=True)
            else:
                p.text(line, 16 if k < 4 else 12, centre=True)
    p.new_page()
    for line, size in heading_lines(lay):
        p.text(line, size)
    p.y += 4
    order = COLUMN_ORDERS[lay.cols]
    full = p.width - 2 * MARGIN
    table_w = full * (0.72 if lay.narrow else 1.0)
    widths = [table_w * SHARES[k] for k in order]
    # The number column is as wide as its widest number (a number is never broken over lines).
    printed = [list_cells(r, lay)["no"] for r in recs] + [HEADER_WORDS[lay.words]["no"]]
    no_w = max(pdfmetrics.stringWidth(x, font, SIZE) for x in printed) + 2 * PAD + 2
    k = order.index("no")
    rest = (table_w - no_w) / (table_w - widths[k])
    widths = [no_w if i == k else w * rest for i, w in enumerate(widths)]
    inner = [w - 2 * PAD for w in widths]
    words = HEADER_WORDS[lay.words]
    header = [wrap(words[k], font, SIZE, inner[i]) for i, k in enumerate(order)]
    rows = []
    for rec in recs:
        cells = list_cells(rec, lay)
        rows.append([wrap(cells[k], font, SIZE, inner[i]) for i, k in enumerate(order)])
    if lay.repeat_header:
        p.table(widths, rows, rules=lay.rules, header=header, split=lay.split_rows)
    else:
        p.table(widths, [header, *rows], rules=lay.rules, header=None, split=lay.split_rows)
    p.y += 8
    for line in TAIL:
        if p.y > p.bottom - 20:
            p.new_page()
        p.text(_wide(line, lay))
    if lay.sheets != "none":
        p.text("※各事業に係る事項の詳細については、別紙のとおり。")
        sheet_w = [full * 0.2, full * 0.8]
        for rec in recs:
            if rec["seq_no"] not in lay.sheet_seqs:
                continue
            p.new_page()
            above, line = sheet_heading(list_cells(rec, lay)["title"], rec["seq_no"], lay.sheets)
            if above is not None:
                p.text(_wide(above, lay), 10.5, right=lay.sheets == "bekki")
            p.text(_wide(line, lay), 10.5)
            p.y += 4
            srows = []
            for label, paras in sheet_rows(rec, lay):
                value = [ln for para in paras for ln in wrap(para, font, SIZE, sheet_w[1] - 2 * PAD)]
                srows.append([wrap(label, font, SIZE, sheet_w[0] - 2 * PAD), value])
            p.table(sheet_w, srows, rules=lay.sheet_rules, header=None, split=True)
    p.c.showPage()
    p.c.save()
    return p.buf.getvalue()


# --------------------------------------------------------------------------- Chromium

CSS = """
@font-face {{ font-family: 'LayoutGothic'; src: url('{gothic}'); }}
@font-face {{ font-family: 'LayoutMincho'; src: url('{mincho}'); }}
@page {{ size: A4 {orient}; margin: 16mm 15mm 16mm 15mm;
  {furniture} }}
html, body {{ font-family: '{face}'; font-size: 9pt; line-height: 1.4; margin: 0; }}
h1 {{ font-size: 13pt; font-weight: normal; margin: 0 0 4pt 0; }}
p {{ margin: 0 0 4pt 0; font-size: 10pt; }}
table {{ border-collapse: collapse; width: {width}; margin: 4pt 0 8pt 0; }}
td, th {{ padding: 3pt 4pt; vertical-align: top; text-align: {align}; font-weight: normal; }}
td.no {{ white-space: nowrap; text-align: left; }}
th {{ text-align: center; }}
tr {{ break-inside: {split}; }}
* {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
.list td, .list th {{ {cell_rules} }}
{list_extra}
.sheet td {{ {sheet_rules} }}
.sheet td.label {{ width: 20%; }}
.sheet p {{ font-size: 9pt; margin: 0; }}
.newpage {{ break-before: page; }}
.cover {{ text-align: center; font-size: 16pt; padding-top: 60mm; break-after: page; }}
.right {{ text-align: right; }}
"""
CELL_RULES = {
    "ruled": "border: 0.6pt solid #000;",
    "hair": "border-bottom: 0.25pt solid #000;",
    "shaded": "",
    "plain": "padding-bottom: 6pt;",
}


def html_doc(lay: Layout, truth: list[dict]) -> str:
    e = html.escape
    recs = [r for r in truth if r["source"] == lay.source and (not lay.rows or r["seq_no"] <= lay.rows)]
    order = COLUMN_ORDERS[lay.cols]
    words = HEADER_WORDS[lay.words]
    furniture = (
        f"@top-right {{ content: '{MEETING[lay.source]} 審議会資料'; font: 8pt '{CSS_FACE[lay.face]}'; }} "
        f"@bottom-center {{ content: '- ' counter(page) ' -'; font: 8pt '{CSS_FACE[lay.face]}'; }}"
        if lay.furniture
        else ""
    )
    list_extra = ""
    if lay.rules == "shaded":
        list_extra = (
            ".list tbody tr:nth-child(even) td { background: #ebebeb; } .list th { background: #d0d0d0; }"
        )
    if lay.rules == "hair":
        list_extra = ".list th { border-top: 0.6pt solid #000; }"
    css = CSS.format(
        gothic=plain_ttf("gothic").as_uri(),
        mincho=plain_ttf("mincho").as_uri(),
        orient="portrait" if lay.orient == "portrait" else "landscape",
        furniture=furniture,
        face=CSS_FACE[lay.face],
        width="72%" if lay.narrow else "100%",
        split="auto" if lay.split_rows else "avoid",
        align="justify" if lay.justify else "left",
        cell_rules=CELL_RULES[lay.rules],
        list_extra=list_extra,
        sheet_rules=CELL_RULES["ruled" if lay.sheet_rules == "ruled" else "plain"],
    )
    out = [f"<!doctype html><html lang='ja'><head><meta charset='utf-8'><style>{css}</style></head><body>"]
    if lay.cover:
        lines = [_wide(x.format(meeting=MEETING[lay.source], issued=ISSUED[lay.source]), lay) for x in COVER]
        out.append(f"<div class='cover'><p class='right'>{e(lines[0])}</p>")
        out += [f"<p style='font-size:16pt'>{e(x)}</p>" for x in lines[1:]]
        out.append("</div>")
    heads = heading_lines(lay)
    out.append(f"<h1>{e(heads[0][0])}</h1>")
    out += [f"<p>{e(line)}</p>" for line, _ in heads[1:]]
    cols = "".join(
        "<col style='width:1%'>" if k == "no" else f"<col style='width:{SHARES[k] * 100:.0f}%'>"
        for k in order
    )
    head = "<tr>" + "".join(f"<th>{e(words[k])}</th>" for k in order) + "</tr>"
    body = "".join(
        "<tr>" + "".join(f"<td class='{k}'>{e(list_cells(r, lay)[k])}</td>" for k in order) + "</tr>"
        for r in recs
    )
    if lay.repeat_header:
        out.append(
            f"<table class='list'><colgroup>{cols}</colgroup><thead>{head}</thead><tbody>{body}</tbody></table>"
        )
    else:
        # A header row inside the body is not repeated by the browser.
        head = head.replace("<tr>", "<tr class='h'>")
        out.append(f"<table class='list'><colgroup>{cols}</colgroup><tbody>{head}{body}</tbody></table>")
    out += [f"<p>{e(_wide(x, lay))}</p>" for x in TAIL]
    if lay.sheets != "none":
        out.append("<p>※各事業に係る事項の詳細については、別紙のとおり。</p>")
        for rec in recs:
            if rec["seq_no"] not in lay.sheet_seqs:
                continue
            above, line = sheet_heading(list_cells(rec, lay)["title"], rec["seq_no"], lay.sheets)
            out.append("<div class='newpage'>")
            if above is not None:
                cls = " class='right'" if lay.sheets == "bekki" else ""
                out.append(f"<p{cls}>{e(_wide(above, lay))}</p>")
            out.append(f"<p>{e(_wide(line, lay))}</p>")
            rows = "".join(
                f"<tr><td class='label'>{e(label)}</td><td>{''.join(f'<p>{e(x)}</p>' for x in paras)}</td></tr>"
                for label, paras in sheet_rows(rec, lay)
            )
            out.append(f"<table class='sheet'>{rows}</table></div>")
    out.append("</body></html>")
    return "\n".join(out)


_VOLATILE = [
    re.compile(rb"/(?:CreationDate|ModDate) \(D:([0-9+\-Z']+)\)"),
    re.compile(rb"<xmp:(?:CreateDate|ModifyDate|MetadataDate)>([^<]+)<"),
    re.compile(rb"/ID \[<([0-9A-Fa-f]+)> <([0-9A-Fa-f]+)>\]"),
]


def _blank(data: bytes) -> bytes:
    """Chromium stamps the time and a random ID into each PDF: overwrite them in place (same length,
    so the cross-reference offsets stay valid) so that a rerun gives the same bytes."""
    for pat in _VOLATILE:

        def zero(m: re.Match[bytes]) -> bytes:
            s = m.group(0)
            for g in range(1, (m.lastindex or 0) + 1):
                a, b = m.start(g) - m.start(0), m.end(g) - m.start(0)
                s = s[:a] + re.sub(rb"[0-9A-Fa-f]", b"0", s[a:b]) + s[b:]
            return s

        data = pat.sub(zero, data)
    return data


def render_chrome(lay: Layout, truth: list[dict], chromium: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "list.html", Path(tmp) / "list.pdf"
        src.write_text(html_doc(lay, truth), encoding="utf-8")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--disable-pdf-tagging",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={dst}",
                src.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return _blank(dst.read_bytes())


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus's text/ folder")
    ap.add_argument("--only", help="render only layouts whose name contains this")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    truth = build_truth(args.corpus)
    with (args.out / "truth.jsonl").open("w", encoding="utf-8") as f:
        for rec in truth:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import fontTools  # noqa: F401

        have_ttf = all(p.exists() for p in IPA.values())
    except ImportError:
        have_ttf = False
    sheet_counts = {
        s: [r["seq_no"] for r in truth if r["source"] == s and r["sheet"]] for s in ("001", "002")
    }
    manifest = []
    for lay in layouts(sheet_counts):
        entry = {"file": lay.name, "family": lay.family, **asdict(lay)}
        entry["sheet_seqs"] = list(lay.sheet_seqs)
        manifest.append(entry)
        if args.only and args.only not in lay.name:
            continue
        if lay.embed == "ttf" and not have_ttf:
            print(f"{lay.name}: needs the IPA fonts and fontTools: kept as it is", file=sys.stderr)
            continue
        if lay.engine == "chrome" and chromium is None:
            print(f"{lay.name}: needs chromium: kept as it is", file=sys.stderr)
            continue
        data = render_chrome(lay, truth, chromium) if lay.engine == "chrome" else render_rl(lay, truth)  # type: ignore[arg-type]
        (args.out / lay.name).write_bytes(data)
        print(f"{lay.name}: {len(data):,} bytes", file=sys.stderr)
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()

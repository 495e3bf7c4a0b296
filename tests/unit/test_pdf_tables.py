"""The PDF reader's table geometry on characters placed by hand: what each rule decides, with the
coordinates that make the case (10-point glyphs, 10 points wide unless said).

The generated PDFs of test_read_pdf.py and the layouts of test_layouts.py run the same code on real
pages; these pin the decisions one at a time.
"""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.documents import layout_hints
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.headers import find_header, is_header
from pipeline.read.pdf.layout import Page, TextLine, line_text, paragraph_text, segments
from pipeline.read.pdf.tables import (
    Carry,
    Columns,
    Row,
    _cell_lines,
    _coverage,
    _gutter,
    _numbers,
    read_tables,
)

HINTS = layout_hints()
SIZE = 10.0


def chars(x: float, y: float, text: str, pitch: float = SIZE, width: float = SIZE) -> list[Char]:
    """`text` set from x on the line whose box starts at y, one glyph every `pitch` points."""
    return [
        Char(x + k * pitch, x + k * pitch + width, y, y + SIZE, t) for k, t in enumerate(text) if t != " "
    ]


def line(y: float, *runs: tuple[float, str]) -> TextLine:
    cs = sorted((c for x, text in runs for c in chars(x, y, text)), key=lambda c: c.x0)
    return TextLine(y, y + SIZE, segments(cs), cs)


def page(*lines: TextLine, rules: tuple[float, ...] = (), number: int = 1) -> Page:
    edges = [
        {"orientation": "h", "x0": 0.0, "x1": 600.0, "top": y, "bottom": y, "width": 600.0, "height": 0.0}
        for y in rules
    ]
    return Page(number, 600.0, 842.0, list(lines), edges)


def rows(p: Page) -> list[str]:
    return [it.row.render() if it.row else it.text for it in sorted(p.items, key=lambda it: it.top)]


# Six columns at x = 20, 60, 220, 320, 380, 460: No. | 事業名 | 担当課 | 区分 | 付議日 | 審議結果.
HEADER = ((20, "No."), (60, "事業名"), (220, "担当課"), (320, "区分"), (380, "付議日"), (460, "審議結果"))


# --------------------------------------------------------------------------- headers


def test_header_cells_at_any_gap() -> None:
    # Columns set one glyph apart (the gap a body row leaves between its cells too) …
    close = line(0, (0, "No."), (40, "件名"), (70, "所管課"), (110, "区分"), (140, "付議日"), (180, "結果"))
    assert is_header(close, HINTS)
    # … and a name spaced out over three glyphs (区　分) is one cell, not two.
    spaced = line(
        0, (0, "番号"), (60, "件名"), (200, "担当課"), (300, "区  分"), (400, "付議日"), (480, "結果")
    )
    found = find_header([spaced], 0, HINTS, [])
    assert found is not None
    assert ["".join(c.text for c in cell) for cell in found.cells] == [
        "番号",
        "件名",
        "担当課",
        "区分",
        "付議日",
        "結果",
    ]


@pytest.mark.parametrize(
    ("text", "may_be"),
    [
        ("No.事業名担当課区分付議日審議結果", True),
        ("番号 件名 所管課 区 分", True),
        # Two names at least: a row naming one (a title with 案件 in it) or none is no header.
        ("1電子申請に係る外部結合について行政管理課外部結合4月3日承認", False),
        ("2案件の報告行政管理課報告4月3日了承", False),
        # A tag inside a name, or an accent that folding the whole line would join to a name's
        # last letter: not tested.
        ("No.事<b>業</b>名", True),
        ("No\u0301 1 2 3", True),
    ],
)
def test_a_line_is_cut_into_cells_only_if_it_names_two_columns(text: str, may_be: bool) -> None:
    assert HINTS.may_be_header(text) is may_be


def test_a_line_naming_one_column_is_not_cut() -> None:
    row = line(0, (20, "1"), (60, "案件の報告"), (220, "行政管理課"), (320, "報告"), (380, "4月3日"))
    assert not HINTS.may_be_header("1案件の報告行政管理課報告4月3日")
    assert find_header([row], 0, HINTS, []) is None
    # With no test, the line is cut every way and read: no cutting names four columns either.
    assert find_header([row], 0, dataclasses.replace(HINTS, may_be_header=lambda t: True), []) is None


def test_a_name_wrapped_under_the_header_line_joins_its_column() -> None:
    lines = [
        line(0, (20, "No."), (60, "事業名"), (220, "担当課"), (320, "区分"), (380, "付議日"), (460, "審議")),
        line(12, (460, "結果")),
        line(
            40,
            (20, "1"),
            (60, "電子申請"),
            (220, "総務課"),
            (320, "外部結合"),
            (380, "4月3日"),
            (460, "承認"),
        ),
    ]
    found = find_header(lines, 0, HINTS, [])
    assert found is not None and (found.first, found.last) == (0, 1)
    assert "result" in found.fields
    assert ["".join(c.text for c in cell) for cell in found.cells][-1] == "審議結果"


# --------------------------------------------------------------------------- columns


def test_the_gutter_is_the_widest_run_where_fewest_lines_have_text() -> None:
    # A 区分 cell spread to its width (`外 部 結` every 13 points, leaving 3-point gaps) beside a
    # date 11 points to its right: the boundary is the 11-point gutter, not a gap inside the cell.
    body = [
        TextLine(0, 10, [], chars(300, 0, "外部結", pitch=13) + chars(347, 0, "7月28日")),
        TextLine(12, 22, [], chars(300, 12, "合、業", pitch=13)),
        TextLine(24, 34, [], chars(300, 24, "務委託")),
    ]
    assert _gutter(_coverage(body), 320, 347) == pytest.approx((336 + 347) / 2)


def test_a_gap_inside_a_spread_number_cell_is_not_the_gutter() -> None:
    # `第 2 3` spread over a narrow number column (3-point gaps) and the title 1.5 points to its right:
    # the rightmost free run is the gutter.
    body = [
        TextLine(0, 10, [], chars(46, 0, "第23", pitch=13) + chars(83.5, 0, "女性デジタル人材育成支援事業")),
        TextLine(12, 22, [], chars(46, 12, "号") + chars(83.5, 12, "に係る業務の委託について")),
    ]
    assert _gutter(_coverage(body), 66, 157) == pytest.approx((82 + 83.5) / 2)


def test_columns_set_with_next_to_no_padding_still_fit() -> None:
    # The title runs to 1.5 points from the department: a gap all the same; running text has none.
    columns = Columns([210.0], frozenset(), 0, 0.0, 400.0)
    close = TextLine(
        0, 10, [], chars(10, 0, "東京共同電子申請サービスの利用に") + chars(211.5, 0, "行政管理課")
    )
    across = TextLine(
        0, 10, [], chars(10, 0, "新宿区個人情報保護管理運営会議で令和5年4月から6月までに審議した")
    )
    assert columns.fits(close) and not columns.fits(across)


def test_a_header_of_two_rows() -> None:
    # 審議 over 付議日 | 結果, parted from them by a rule under 審議 only; 備考 wrapped in its column.
    lines = [
        line(0, (20, "No."), (60, "案件名"), (220, "担当課"), (320, "区分"), (420, "審議"), (520, "備")),
        line(10, (520, "考")),
        line(16, (390, "付議日"), (460, "結果")),
    ]
    rules = [(13.0, 380.0, 500.0)]
    found = find_header(lines, 0, HINTS, rules)
    assert found is not None and (found.first, found.last) == (0, 2)
    assert ["".join(c.text for c in cell) for cell in found.cells] == [
        "No.",
        "案件名",
        "担当課",
        "区分",
        "付議日",
        "結果",
        "備考",
    ]


# --------------------------------------------------------------------------- numbers


def numbers(lines: list[TextLine], last: int | None = None) -> list[int | None]:
    columns = Columns([50.0], frozenset({"seq_no"}), 0, 0.0, 600.0)
    return _numbers(columns, lines, [], last)


def test_a_number_wrapped_in_a_narrow_column_is_read_whole() -> None:
    # `1` over `1`: case 11 in a column one digit wide; read apart the numbers would not rise.
    lines = [line(0, (20, "1"), (60, "女性の健康支援")), line(12, (20, "1"), (60, "事業"))]
    assert numbers(lines, last=10) == [11, None]
    assert numbers(lines) == [11, None]


def test_numbers_on_tight_lines_that_rise_one_by_one_are_rows() -> None:
    lines = [line(12 * k, (20, str(k + 1)), (60, "件名")) for k in range(3)]
    assert numbers(lines) == [1, 2, 3]


def test_a_number_wrapped_after_its_prefix() -> None:
    lines = [line(0, (20, "第2"), (60, "広報新宿")), line(12, (20, "号"), (60, "について"))]
    assert numbers(lines, last=1) == [2, None]


# --------------------------------------------------------------------------- rows and pages


def table_page(body: list[TextLine], rules: tuple[float, ...] = ()) -> Page:
    return page(line(0, *HEADER), *body, rules=rules)


def test_rows_of_an_unruled_table_with_centred_numbers() -> None:
    # Row 1's number sits on the middle of its three lines; the widest gap parts the rows.
    body = [
        line(30, (60, "東京共同電子申請")),
        line(
            42,
            (20, "1"),
            (60, "サービスの利用"),
            (220, "行政管理課"),
            (320, "外部結合"),
            (380, "4月3日"),
            (460, "承認"),
        ),
        line(54, (60, "について")),
        line(
            80,
            (20, "2"),
            (60, "AI-OCRの導入"),
            (220, "総務課"),
            (320, "外部結合"),
            (380, "4月3日"),
            (460, "承認"),
        ),
    ]
    p = table_page(body)
    assert read_tables(p, HINTS, None) is not None  # the table runs to the page's foot
    assert rows(p) == [
        "No.\t事業名\t担当課\t区分\t付議日\t審議結果",
        "1\t東京共同電子申請 サービスの利用 について\t行政管理課\t外部結合\t4月3日\t承認",
        "2\tAI-OCRの導入\t総務課\t外部結合\t4月3日\t承認",
    ]
    assert p.lines == []


def test_the_table_ends_where_a_line_runs_across_its_columns() -> None:
    body = [
        line(
            30,
            (20, "1"),
            (60, "電子申請"),
            (220, "総務課"),
            (320, "外部結合"),
            (380, "4月3日"),
            (460, "承認"),
        ),
        line(60, (20, "※各事業に係る事項の詳細については、別紙のとおり。")),
    ]
    p = table_page(body)
    assert read_tables(p, HINTS, None) is None
    assert [ln.text for ln in p.lines] == ["※各事業に係る事項の詳細については、別紙のとおり。"]


def test_a_heading_numbered_below_the_table_is_not_a_row() -> None:
    # `2 その他` keeps to the columns, but its number does not rise.
    body = [
        line(
            30,
            (20, "12"),
            (60, "電子申請"),
            (220, "総務課"),
            (320, "外部結合"),
            (380, "4月3日"),
            (460, "承認"),
        ),
        line(60, (20, "2"), (60, "その他")),
    ]
    p = table_page(body)
    read_tables(p, HINTS, None)
    assert rows(p)[1:] == ["12\t電子申請\t総務課\t外部結合\t4月3日\t承認"]
    assert [ln.text for ln in p.lines] == ["2 その他"]


def carried(title: str) -> Carry:
    fields = frozenset({"seq_no", "title", "departments", "categories", "deliberated_on", "result"})
    columns = Columns([50.0, 210.0, 310.0, 370.0, 450.0], fields, 0, 20.0, 540.0)
    row = Row(6, number=3)
    row.add(columns.split(chars(20, 800, "3") + chars(60, 800, title)), new_part=True)
    return Carry(columns, row, wrap=2.0)


def test_a_row_cut_by_the_page_break_goes_on_under_the_repeated_header() -> None:
    carry = carried("電子契約サービスの")
    body = [
        line(
            30, (60, "利用について"), (220, "契約管財課"), (320, "外部結合"), (380, "6月30日"), (460, "承認")
        ),
        line(
            60,
            (20, "4"),
            (60, "産後ケア事業"),
            (220, "健康づくり課"),
            (320, "業務委託"),
            (380, "1月15日"),
            (460, "承認"),
        ),
    ]
    p = table_page(body)
    p.number = 2
    read_tables(p, HINTS, carry)
    assert carry.row.render() == "3\t電子契約サービスの 利用について\t契約管財課\t外部結合\t6月30日\t承認"
    assert rows(p)[1:] == ["4\t産後ケア事業\t健康づくり課\t業務委託\t1月15日\t承認"]


@pytest.mark.parametrize(
    ("rules", "continued"),
    [
        # Rows parted by rules, none between the line and the number: it is the upper line of row 4.
        ((25.0, 60.0), False),
        # A rule under it: it ends row 3.
        ((25.0, 39.0, 60.0), True),
    ],
)
def test_lines_above_the_first_number_in_a_ruled_table(rules: tuple[float, ...], continued: bool) -> None:
    carry = carried("電子契約")
    body = [
        line(28, (60, "産後ケア")),
        line(
            42,
            (20, "4"),
            (60, "事業"),
            (220, "健康づくり課"),
            (320, "業務委託"),
            (380, "1月15日"),
            (460, "承認"),
        ),
        line(
            64, (20, "5"), (60, "税務"), (220, "税務課"), (320, "電算処理"), (380, "1月15日"), (460, "承認")
        ),
    ]
    p = table_page(body, rules=rules)
    read_tables(p, HINTS, carry)
    if continued:
        assert carry.row.render().split("\t")[1] == "電子契約 産後ケア"
        assert rows(p)[1].split("\t")[1] == "事業"
    else:
        assert carry.row.render().split("\t")[1] == "電子契約"
        assert rows(p)[1].split("\t")[1] == "産後ケア 事業"


@pytest.mark.parametrize(("number_at", "continued"), [(40.0, False), (52.0, True)])
def test_lines_above_the_first_number_in_an_unruled_table(number_at: float, continued: bool) -> None:
    # The cut row's lines were 2 points apart: a line 2 points above the number is its row's upper
    # line (the number is centred); 14 points above, it finishes the row the page break cut.
    carry = carried("電子契約")
    body = [
        line(28, (60, "産後ケア")),
        line(
            number_at,
            (20, "4"),
            (60, "事業"),
            (220, "健康づくり課"),
            (320, "業務委託"),
            (380, "1月15日"),
            (460, "承認"),
        ),
    ]
    p = table_page(body)
    read_tables(p, HINTS, carry)
    assert carry.row.render().split("\t")[1] == ("電子契約 産後ケア" if continued else "電子契約")


# --------------------------------------------------------------------------- cell text


@pytest.mark.parametrize(
    ("placed", "text"),
    [
        # A date spread over its cell's width (均等割付): glyphs 3 points apart read as one word.
        (chars(0, 0, "2023/", pitch=8, width=5), "2023/"),
        # A space between two names is kept.
        (chars(0, 0, "行政管理課") + chars(54, 0, "情報"), "行政管理課 情報"),
        (chars(0, 0, "1") + chars(14, 0, "概要"), "1 概要"),
    ],
)
def test_line_text(placed: list[Char], text: str) -> None:
    assert line_text(placed) == text


@pytest.mark.parametrize(
    ("lines", "text"),
    [
        (["行政管理課", "情報システム課"], "行政管理課 情報システム課"),
        (["令和5年4月", "3日"], "令和5年4月 3日"),
        (["202", "3/4/3"], "2023/4/3"),  # a number is never parted
        (["Web", "Service"], "Web Service"),
    ],
)
def test_the_lines_of_a_cell(lines: list[str], text: str) -> None:
    assert _cell_lines(lines) == text


def test_paragraphs_of_a_value_cell() -> None:
    # A line well short of the widest ends its paragraph; one ending in 。 does if it stops short of
    # the edge at all (at the very edge the sentence goes on); an item opens a paragraph.
    lines = [
        ("1 概要", 40.0),
        ("住民記録システムは、昭和61年から稼働している。", 300.0),
        ("その後、いくつかの改修を経て、現在に至っており、", 300.0),
        ("区内の事業者に委託して運用している。", 295.0),
        ("イ 特別障害給付金の支給に関する事務", 300.0),
        ("2 委託先", 50.0),
    ]
    assert paragraph_text(lines, SIZE) == (
        "<p>1 概要</p> <p>住民記録システムは、昭和61年から稼働している。その後、いくつかの改修を経て、"
        "現在に至っており、区内の事業者に委託して運用している。</p> <p>イ 特別障害給付金の支給に関する事務</p> "
        "<p>2 委託先</p>"
    )

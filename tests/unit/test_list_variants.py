"""Case lists (審議案件一覧) in shapes other wards and years print: every variant end to end.

Each text is built from real rows of text/001 and text/002 (新宿区, 令和5年度), edited by hand into a
shape we have not seen in the corpus: columns reordered or added, other header words, a Markdown
pipe table, other date and number forms, department lists with other separators, a page break in
the middle of the list. The expected values were typed from the rows as written here, and the rows
were checked against the source documents (same titles, 担当課, 区分, 付議日).
"""

from __future__ import annotations

import pytest

from pipeline.extract import extract_bytes

T = "\t"
HEAD = [
    "報告第6号",
    "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧",
    "新宿区個人情報保護管理運営会議で令和5年4月から令和6年3月に審議した案件について、下記のとおり報告する。",
    "記",
    "1 個人情報保護管理運営会議における審議案件及び結果",
]

TITLE_1 = "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)"
TITLE_2 = "AI-OCRの導入に係る外部結合について"
TITLE_3 = "「広報新宿」に係る個別配達及びコールセンター業務の委託について"
TITLE_18 = "新宿区物価高騰対策臨時給付金給付事業に係るシステム改修等について"
TITLE_46 = "(仮称)児童相談システムの開発等について"

# (seq_no, title, departments, categories, deliberated_on, result)
Row = tuple[int | None, str | None, list[str], list[str], str | None, str | None]
ROW_1: Row = (1, TITLE_1, ["行政管理課", "情報システム課"], ["外部結合", "業務委託"], "2023-04-03", "承認")
ROW_2: Row = (2, TITLE_2, ["行政管理課", "情報システム課"], ["外部結合"], "2023-04-03", "承認")
ROW_3: Row = (3, TITLE_3, ["区政情報課"], ["業務委託"], "2023-04-03", "承認")


def _tab(*cells: str) -> str:
    return T.join(cells)


def _extract(lines: list[str], name: str = "variant.txt") -> list[Row]:
    text = "\n".join([*HEAD, *lines]) + "\n"
    ex = extract_bytes(text.encode("utf-8"), name)
    (doc,) = ex.documents
    assert doc.doc_type == "deliberation_list"
    return [
        (
            m.seq_no,
            m.title,
            m.departments,
            m.categories,
            str(m.deliberated_on) if m.deliberated_on else None,
            m.result,
        )
        for m in ex.case_mentions
    ]


# Rows 1-3 of text/001 in the column order of each header.
def _rows_in(order: list[str]) -> list[str]:
    base = [
        {
            "No.": "1",
            "事業名": "東京共同電子申請・届出サービスの利用に係る外部結合等について（手続の追加）",
            "担当課": "行政管理課、情報システム課、外10課",
            "区分": "外部結合、業務委託",
            "付議日": "4月3日",
            "審議結果": "承認",
        },
        {
            "No.": "2",
            "事業名": "AI-OCRの導入に係る外部結合について",
            "担当課": "行政管理課、情報システム課",
            "区分": "外部結合",
            "付議日": "4月3日",
            "審議結果": "承認",
        },
        {
            "No.": "3",
            "事業名": "「広報新宿」に係る個別配達及びコールセンター業務の委託について",
            "担当課": "区政情報課",
            "区分": "業務委託",
            "付議日": "4月3日",
            "審議結果": "承認",
        },
    ]
    extra = {"備考": "", "資料番号": "資料", "審議結果": "承認"}
    out = []
    for row in base:
        cells = []
        for col in order:
            if col == "資料番号":
                cells.append(f"資料{row['No.']}")
            else:
                cells.append(row.get(col, extra.get(col, "")))
        out.append(_tab(*cells))
    return out


TAB_ORDERS = {
    "date_before_department": ["No.", "事業名", "付議日", "担当課", "区分", "審議結果"],
    "category_first": ["区分", "No.", "事業名", "担当課", "付議日", "審議結果"],
    "extra_columns": ["No.", "資料番号", "事業名", "担当課", "区分", "付議日", "審議結果", "備考"],
    "result_before_date": ["No.", "事業名", "担当課", "区分", "審議結果", "付議日"],
}


@pytest.mark.parametrize("order", TAB_ORDERS.values(), ids=TAB_ORDERS.keys())
def test_tab_columns_in_another_order_or_with_extra_columns(order: list[str]) -> None:
    assert _extract([_tab(*order), *_rows_in(order)]) == [ROW_1, ROW_2, ROW_3]


def test_tab_list_without_a_result_column_has_no_result() -> None:
    order = ["No.", "事業名", "担当課", "区分", "付議日"]
    rows = _extract([_tab(*order), *_rows_in(order)])
    assert rows == [(*r[:5], None) for r in (ROW_1, ROW_2, ROW_3)]


SYNONYM_HEADERS = {
    "番号_案件名_所管部課": ["番号", "案件名", "所管部課", "審議区分", "審議日", "結果"],
    "№_件名_所管課": ["№", "件名", "所管課", "種別", "付議年月日", "結果"],
    "項番_事業名称_担当部署": ["項番", "事業名称", "担当部署", "区分", "会議日", "審議結果"],
    "spaced_words": ["N o .", "事 業 名", "担 当 課", "区 分", "付 議 日", "審 議 結 果"],
    "html_bold": [
        "<b>No.</b>",
        "<b>事業名</b>",
        "<b>担当課</b>",
        "<b>区分</b>",
        "<b>付議日</b>",
        "<b>審議結果</b>",
    ],
}


@pytest.mark.parametrize("header", SYNONYM_HEADERS.values(), ids=SYNONYM_HEADERS.keys())
def test_tab_header_synonyms(header: list[str]) -> None:
    body = _rows_in(["No.", "事業名", "担当課", "区分", "付議日", "審議結果"])
    assert _extract([_tab(*header), *body]) == [ROW_1, ROW_2, ROW_3]


HEADERS_ON_TWO_LINES = {
    # The result column's name wrapped: the first line alone reads as a header without it.
    "result_wrapped": [
        _tab("No.", "事業名", "担当課", "区分", "付議日", "審議"),
        _tab("", "", "", "", "", "結果"),
    ],
    # The first line alone is no header (no 担当課 column): only the two lines together are.
    "department_wrapped": [
        _tab("№", "事業名", "担当", "区分", "付議日", "審議"),
        _tab("", "", "課", "", "", "結果"),
    ],
    "br_inside_cell": [_tab("No.", "事業名", "担当課", "区分", "付議日", "審議<br>結果")],
}


@pytest.mark.parametrize("header", HEADERS_ON_TWO_LINES.values(), ids=HEADERS_ON_TWO_LINES.keys())
def test_tab_header_split_over_two_lines(header: list[str]) -> None:
    body = _rows_in(["No.", "事業名", "担当課", "区分", "付議日", "審議結果"])
    assert _extract([*header, *body]) == [ROW_1, ROW_2, ROW_3]


def test_markdown_pipe_table() -> None:
    lines = [
        "| No. | 事業名 | 担当課 | 区分 | 付議日 | 審議結果 |",
        "|---|:---|:---:|---|---:|---|",
        "| 1 | 東京共同電子申請・届出サービスの利用に係る外部結合等について（手続の追加） "
        "| 行政管理課、情報システム課、外10課 | 外部結合、業務委託 | 4月3日 | 承認 |",
        "| 2 | AI-OCRの導入に係る外部結合について | 行政管理課、情報システム課 | 外部結合 | 4月3日 | 承認 |",
        "| 3 | 「広報新宿」に係る個別配達及びコールセンター業務の委託について | 区政情報課 | 業務委託 | 4月3日 | 承認 |",
    ]
    assert _extract(lines, "variant.md") == [ROW_1, ROW_2, ROW_3]


def test_markdown_pipe_table_with_line_breaks_inside_cells() -> None:
    lines = [
        "| No. | 事業名 | 担当課 | 区分 | 付議日 | 審議結果 |",
        "| --- | --- | --- | --- | --- | --- |",
        "| 10 | 新宿区産後ケア事業（アウトリーチ型）に係る業務の<br>委託について（委託内容の追加） "
        "| 健康づくり課<br>牛込保健センター | 業務委託 | 4月3日 | 承認 |",
    ]
    assert _extract(lines, "variant.md") == [
        (
            10,
            "新宿区産後ケア事業(アウトリーチ型)に係る業務の委託について(委託内容の追加)",
            ["健康づくり課", "牛込保健センター"],
            ["業務委託"],
            "2023-04-03",
            "承認",
        )
    ]


DATES = [
    ("令和5年4月3日", "2023-04-03"),
    ("R5.4.3", "2023-04-03"),
    ("５月３１日", "2023-05-31"),
    ("2023/4/3", "2023-04-03"),
    ("令和５年４月３日（月）", "2023-04-03"),
    ("令 和 5 年 4 月 3 日", "2023-04-03"),
    # January to March belong to the fiscal year's second calendar year.
    ("1月15日", "2024-01-15"),
    ("3月29日", "2024-03-29"),
    ("12月21日", "2023-12-21"),
]


@pytest.mark.parametrize(("printed", "expected"), DATES, ids=[d for d, _ in DATES])
def test_dates_in_the_tab_shape(printed: str, expected: str) -> None:
    lines = [
        _tab("No.", "事業名", "担当課", "区分", "付議日", "審議結果"),
        _tab("46", TITLE_46, "子ども家庭支援課", "電算処理、業務委託", printed, "承認"),
    ]
    assert _extract(lines) == [
        (46, TITLE_46, ["子ども家庭支援課"], ["電算処理", "業務委託"], expected, "承認")
    ]


@pytest.mark.parametrize(("printed", "expected"), DATES, ids=[d for d, _ in DATES])
def test_dates_in_the_wrapped_shape(printed: str, expected: str) -> None:
    lines = [
        "№ 事業名 担当課 区分 付議日",
        "審議",
        "結果",
        "",
        "46 (仮称)児童相談システムの開発等について 子ども家庭支援",
        "課",
        "電算処理、",
        "業務委託",
        "",
        f"{printed} 承認",
    ]
    assert _extract(lines) == [
        (46, TITLE_46, ["子ども家庭支援課"], ["電算処理", "業務委託"], expected, "承認")
    ]


def test_an_impossible_date_is_a_warning_not_a_guess() -> None:
    text = "\n".join(
        [
            *HEAD,
            _tab("No.", "事業名", "担当課", "区分", "付議日", "審議結果"),
            _tab("46", TITLE_46, "子ども家庭支援課", "電算処理", "令和5年2月30日", "承認"),
        ]
    )
    (m,) = extract_bytes(text.encode(), "variant.txt").case_mentions
    assert m.deliberated_on is None
    assert [w for w in m.warnings if w.startswith("deliberated_on")] == [
        "deliberated_on: 令和5年2月30日: no such day 2月30日 in 2023"
    ]


NUMBERS = ["1", "１", "No.1", "No. 1", "№1", "1.", "１．", "(1)", "（１）", "第1号"]


@pytest.mark.parametrize("printed", NUMBERS)
def test_row_numbers_in_the_tab_shape(printed: str) -> None:
    lines = [
        _tab("No.", "事業名", "担当課", "区分", "付議日", "審議結果"),
        _tab(printed, TITLE_2, "行政管理課、情報システム課", "外部結合", "4月3日", "承認"),
        _tab(
            printed.replace("1", "2").replace("１", "２"), TITLE_3, "区政情報課", "業務委託", "4月3日", "承認"
        ),
    ]
    assert _extract(lines) == [(1, *ROW_2[1:]), (2, *ROW_3[1:])]


@pytest.mark.parametrize("printed", NUMBERS)
def test_row_numbers_in_the_wrapped_shape(printed: str) -> None:
    lines = [
        "No. 事業名 担当課 区分 付議日 審議結果",
        printed,
        "AI-OCRの導入に係る外部結合について",
        "",
        "行政管理課、情",
        "報システム課",
        "外部結合 4月3日 承認",
        printed.replace("1", "2").replace("１", "２"),
        "「広報新宿」に係る個別配達及びコールセンター業",
        "務の委託について",
        "",
        "区政情報課 業務委託 4月3日 承認",
    ]
    assert _extract(lines) == [(1, *ROW_2[1:]), (2, *ROW_3[1:])]


def test_tab_row_whose_cells_continue_on_the_next_line() -> None:
    lines = [
        _tab("No.", "事業名", "担当課", "区分", "付議日", "審議結果"),
        _tab(
            "1",
            "東京共同電子申請・届出サービスの利用に係る外部結合等について",
            "行政管理課、",
            "外部結合、",
            "4月3日",
            "承認",
        ),
        _tab("", "（手続の追加）", "情報システム課、外10課", "業務委託"),
        _tab("2", "AI-OCRの導入に係る外部結合に", "行政管理課、情報シ", "外部結合", "4月3日", "承認"),
        _tab("", "ついて", "ステム課", "", "", ""),
        _tab("3", TITLE_3, "区政情報課", "業務委託", "4月3日", "承認"),
    ]
    assert _extract(lines) == [ROW_1, ROW_2, ROW_3]


DEPARTMENT_CELLS = [
    ("行政管理課、情報システム課", ["行政管理課", "情報システム課"], 0),
    ("行政管理課・情報システム課", ["行政管理課", "情報システム課"], 0),
    ("行政管理課，情報システム課", ["行政管理課", "情報システム課"], 0),
    ("行政管理課,情報システム課", ["行政管理課", "情報システム課"], 0),
    ("行政管理課/情報システム課", ["行政管理課", "情報システム課"], 0),
    ("行政管理課／情報システム課", ["行政管理課", "情報システム課"], 0),
    ("行政管理課<br>情報システム課", ["行政管理課", "情報システム課"], 0),
    ("行政管理課、情報システム課外3課", ["行政管理課", "情報システム課"], 3),
    ("行政管理課、情報システム課 外3課", ["行政管理課", "情報システム課"], 3),
    ("行政管理課外１０課", ["行政管理課"], 10),
]


@pytest.mark.parametrize(("cell", "names", "unnamed"), DEPARTMENT_CELLS)
def test_department_separators_in_the_tab_shape(cell: str, names: list[str], unnamed: int) -> None:
    text = "\n".join(
        [
            *HEAD,
            _tab("No.", "事業名", "担当課", "区分", "付議日", "審議結果"),
            _tab("2", TITLE_2, cell, "外部結合", "4月3日", "承認"),
        ]
    )
    (m,) = extract_bytes(text.encode(), "variant.txt").case_mentions
    assert (m.title, m.departments, m.unnamed_department_count) == (TITLE_2, names, unnamed)


WRAPPED_DEPARTMENTS = [
    (["健康づくり課、牛込保健セン", "ター"], ["健康づくり課", "牛込保健センター"]),
    (["健康づくり課", "牛込保健センター"], ["健康づくり課", "牛込保健センター"]),
    (["健康づくり課・牛込保健センター"], ["健康づくり課", "牛込保健センター"]),
    (
        ["健康づくり課", "牛込保健センター", "四谷保健センター"],
        ["健康づくり課", "牛込保健センター", "四谷保健センター"],
    ),
]


@pytest.mark.parametrize(
    ("cell", "names"), WRAPPED_DEPARTMENTS, ids=["|".join(c) for c, _ in WRAPPED_DEPARTMENTS]
)
def test_department_lines_in_the_wrapped_shape(cell: list[str], names: list[str]) -> None:
    lines = [
        "№ 事業名 担当課 区分 付議日 審議結果",
        "10",
        "新宿区産後ケア事業（アウトリーチ型）に係る業",
        "務の委託について（委託内容の追加）",
        "",
        *cell,
        "",
        "業務委託 4月3日 承認",
    ]
    assert _extract(lines) == [
        (
            10,
            "新宿区産後ケア事業(アウトリーチ型)に係る業務の委託について(委託内容の追加)",
            names,
            ["業務委託"],
            "2023-04-03",
            "承認",
        )
    ]


def test_tab_list_continues_over_a_page_break() -> None:
    header = _tab("No.", "事業名", "担当課", "区分", "付議日", "審議結果")
    body = _rows_in(["No.", "事業名", "担当課", "区分", "付議日", "審議結果"])
    lines = [
        header,
        *body[:2],
        "",
        "- 3 -",
        "\f新宿区情報公開・個人情報保護審議会資料",
        header,
        body[2],
        "",
        "- 4 -",
    ]
    assert _extract(lines) == [ROW_1, ROW_2, ROW_3]


def test_wrapped_list_continues_over_a_page_break() -> None:
    lines = [
        "No. 事業名 担当課 区分 付議日 審議結果",
        "1",
        "東京共同電子申請・届出サービスの利用に係",
        "る外部結合等について（手続の追加）",
        "",
        "行政管理課、情",
        "報システム課、",
        "外10課",
        "",
        "外部結合、",
        "業務委託",
        "",
        "4月3日 承認",
        "2 AI-OCRの導入に係る外部結合について 行政管理課、情報システム課 外部結合 4月3日 承認",
        "",
        "- 3 -",
        "新宿区情報公開・個人情報保護審議会資料",
        "No. 事業名 担当課 区分 付議日 審議結果",
        "3",
        "「広報新宿」に係る個別配達及びコールセンター",
        "業務の委託について",
        "",
        "区政情報課 業務委託 4月3日 承認",
        "",
        "- 4 -",
    ]
    assert _extract(lines) == [ROW_1, ROW_2, ROW_3]


def test_wrapped_row_cut_by_a_page_break() -> None:
    lines = [
        "No. 事業名 担当課 区分 付議日 審議結果",
        "1 東京共同電子申請・届出サービスの利用に係る外部結合等について（手続の追加） 行政管理課、情報システム課、"
        "外10課 外部結合、業務委託 4月3日 承認",
        "2 AI-OCRの導入に係る外部結合について 行政管理課、情報システム課 外部結合 4月3日 承認",
        "3",
        "「広報新宿」に係る個別配達及びコールセンター",
        "",
        "- 3 -",
        "No. 事業名 担当課 区分 付議日 審議結果",
        "業務の委託について",
        "",
        "区政情報課 業務委託 4月3日 承認",
    ]
    assert _extract(lines) == [ROW_1, ROW_2, ROW_3]


def test_wrapped_categories_on_two_lines_without_a_comma() -> None:
    lines = [
        "No. 事業名 担当課 区分 付議日 審議結果",
        "18",
        "新宿区物価高騰対策臨時給付金給付事業に係るシ",
        "ステム改修等について",
        "",
        "総務課",
        "電算処理",
        "外部結合",
        "業務委託",
        "",
        "5月31日 一部承認",
    ]
    assert _extract(lines) == [
        (18, TITLE_18, ["総務課"], ["電算処理", "外部結合", "業務委託"], "2023-05-31", "一部承認")
    ]


def test_tab_categories_on_two_lines_inside_a_cell() -> None:
    lines = [
        _tab("No.", "事業名", "担当課", "区分", "付議日", "審議結果"),
        _tab("18", TITLE_18, "総務課", "電算処理<br>外部結合<br>業務委託", "5月31日", "継続審議"),
    ]
    assert _extract(lines) == [
        (18, TITLE_18, ["総務課"], ["電算処理", "外部結合", "業務委託"], "2023-05-31", "継続審議")
    ]


@pytest.mark.xfail(
    strict=True,
    reason="the wrapped shape takes a row apart from the right in the printed order 事業名 担当課 区分 "
    "付議日 審議結果; a header in another order is recognised but its order is not used yet",
)
def test_wrapped_columns_in_another_order() -> None:
    lines = [
        "No. 事業名 付議日 担当課 区分 審議結果",
        "1",
        "東京共同電子申請・届出サービスの利用に係",
        "る外部結合等について（手続の追加）",
        "4月3日",
        "行政管理課、情",
        "報システム課、",
        "外10課",
        "外部結合、",
        "業務委託 承認",
    ]
    assert _extract(lines) == [ROW_1]

"""The case list (審議案件一覧) in both text shapes: every row of 001 and 002 part A, field by field.

The golden files were generated from the parser and then read row by row against the source
documents (tests/fixtures/golden_list_*.jsonl: title, 担当課 as printed and split, 区分, 付議日
with its year resolved from the document's period, 審議結果).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.documents.deliberation_list.rows import parse_list
from pipeline.extract import extract_bytes
from pipeline.normalise.dates import DateContext
from pipeline.read.text import split_lines
from schemas import LIST_FIELDS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# the case-list fields, as the schemas define them once
FIELDS = LIST_FIELDS


def _golden(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("prefix", "golden", "count"),
    [("001", "golden_list_001.jsonl", 30), ("002", "golden_list_002.jsonl", 51)],
)
def test_every_list_row_matches_golden(corpus_text, prefix: str, golden: str, count: int) -> None:
    name, data = corpus_text(prefix)
    mentions = extract_bytes(data, name).case_mentions
    expected = _golden(golden)
    assert len(expected) == count
    listed = [m for m in mentions if m.departments_raw is not None]
    assert len(listed) == count
    for m, exp in zip(listed, expected, strict=True):
        got = {f: getattr(m, f) for f in FIELDS}
        got["deliberated_on"] = str(got["deliberated_on"])
        assert got == exp, f"case {exp['seq_no']}"


@pytest.mark.parametrize(
    ("prefix", "seq", "title", "departments_raw", "date"),
    [
        # Spot checks typed from the source documents, independent of the golden files.
        (
            "001",
            1,
            "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)",
            "行政管理課、情報システム課、外10課",
            "2023-04-03",
        ),
        ("001", 25, "Web版“飲みきるミカタ”に係る外部結合について", "保健予防課", "2023-05-31"),
        (
            "002",
            5,
            "新宿区要保護児童対策地域協議会における児童虐待に関する情報の警視庁への提供について",
            "子ども家庭支援課",
            "2023-07-28",
        ),
        ("002", 41, "予防接種予診票等の印字業務の委託について(委託内容の追加)", "保健予防課", "2023-12-21"),
        ("002", 46, "(仮称)児童相談システムの開発等について", "子ども家庭支援課", "2024-01-15"),
        (
            "002",
            50,
            "地方公共団体情報システム標準化に対応した選挙人名簿管理システムへの移行等について",
            "選挙管理委員会事務局",
            "2024-01-15",
        ),
    ],
)
def test_spot_checks(corpus_text, prefix: str, seq: int, title: str, departments_raw: str, date: str) -> None:
    name, data = corpus_text(prefix)
    m = next(m for m in extract_bytes(data, name).case_mentions if m.seq_no == seq)
    assert (m.title, m.departments_raw, str(m.deliberated_on)) == (title, departments_raw, date)


def _rows(text: str):
    return parse_list(split_lines(text), "新宿区")


def test_tab_shape_with_other_column_names() -> None:
    text = "番号\t件名\t所管課\t区分\t付議日\t結果\n1\t防犯カメラの設置について\t危機管理課・道路課\t防犯カメラ\tR5.4.3\t承認\n"
    (row,) = _rows(text)
    assert (row.seq_no, row.title, row.departments_raw, row.categories_raw, row.date_raw, row.result) == (
        1,
        "防犯カメラの設置について",
        "危機管理課・道路課",
        "防犯カメラ",
        "R5.4.3",
        "承認",
    )


def test_wrapped_shape_with_era_dates_and_rows_sharing_lines() -> None:
    text = "\n".join(
        [
            "No. 事業名 担当課 区分 付議日 審議結果",
            "1",
            "図書館システムの更新に係る外部結合に",
            "ついて",
            "",
            "中央図書館",
            "外部結合、",
            "業務委託",
            "",
            "令和5年4月3日 承認",
            "2 区民アンケートの委託について 区政情報課 業務委託 令和5年4月3日 一部承認",
        ]
    )
    rows = _rows(text)
    assert [(r.seq_no, r.title, r.departments_raw, r.categories_raw, r.date_raw, r.result) for r in rows] == [
        (
            1,
            "図書館システムの更新に係る外部結合について",
            "中央図書館",
            "外部結合、業務委託",
            "令和5年4月3日",
            "承認",
        ),
        (2, "区民アンケートの委託について", "区政情報課", "業務委託", "令和5年4月3日", "一部承認"),
    ]


def test_row_whose_department_cannot_be_told_apart_is_kept_with_a_warning() -> None:
    text = "No. 事業名 担当課 区分 付議日 審議結果\n1\nなにかの事業の件\n外部結合\n4月3日 承認\n"
    (row,) = _rows(text)
    assert row.title == "なにかの事業の件"
    assert row.departments_raw is None
    assert row.warnings == ["departments: could not tell the 担当課 apart from the 事業名"]


def test_wrapped_shape_with_header_on_several_lines_and_result_below_date() -> None:
    text = "\n".join(
        [
            "No.",
            "件名",
            "所管課",
            "区分",
            "付議日",
            "結果",
            "1",
            "防犯カメラの設置等について",
            "危機管理課",
            "防犯カメラ",
            "R5.10.20",
            "承認",
            "2 電子申請の導入について 情報システム課 外部結合 R5.10.20 承認",
        ]
    )
    rows = _rows(text)
    assert [(r.seq_no, r.title, r.departments_raw, r.categories_raw, r.date_raw, r.result) for r in rows] == [
        (1, "防犯カメラの設置等について", "危機管理課", "防犯カメラ", "R5.10.20", "承認"),
        (2, "電子申請の導入について", "情報システム課", "外部結合", "R5.10.20", "承認"),
    ]


def test_wrapped_shape_whose_header_has_ocr_spaces_inside_the_column_names() -> None:
    text = "\n".join(
        [
            "№ 事 業名 担 当課 区 分 付 議 日",
            "審 議",
            "結 果",
            "1",
            "電子申請の導入に係る外部結合に",
            "ついて",
            "",
            "情報システム課",
            "外部結合",
            "",
            "7月28日 承認",
        ]
    )
    (row,) = _rows(text)
    assert (row.seq_no, row.title, row.departments_raw, row.categories_raw, row.date_raw, row.result) == (
        1,
        "電子申請の導入に係る外部結合について",
        "情報システム課",
        "外部結合",
        "7月28日",
        "承認",
    )


def test_a_rows_case_fields_with_and_without_the_documents_dates() -> None:
    """担当課 and 区分 are read into names either way; 付議日 only against the document's fiscal year
    (1月15日 of 令和5年度 is 2024-01-15; 2月30日 is no day, a warning on its row)."""
    text = (
        "No.\t事業名\t担当課\t区分\t付議日\t審議結果\n"
        "1\t電子申請について\t行政管理課、情報システム課外1課\t外部結合・業務委託\t1月15日\t承認\n"
        "2\t区民アンケートの委託について\t区政情報課\t業務委託\t2月30日\t承認\n"
    )
    fields = ("departments", "unnamed_department_count", "categories", "deliberated_on", "warnings")
    read = parse_list(split_lines(text), "新宿区", DateContext(2023, None, None))
    assert [tuple(getattr(r, f) for f in fields) for r in read] == [
        (["行政管理課", "情報システム課"], 1, ["外部結合", "業務委託"], dt.date(2024, 1, 15), []),
        (["区政情報課"], 0, ["業務委託"], None, ["deliberated_on: 2月30日: no such day 2月30日 in 2024"]),
    ]
    printed = parse_list(split_lines(text), "新宿区")
    assert [(r.date_raw, r.deliberated_on, r.warnings) for r in printed] == [
        ("1月15日", None, []),
        ("2月30日", None, []),
    ]

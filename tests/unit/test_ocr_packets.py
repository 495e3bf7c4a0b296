"""Real packets with OCR damage put into chosen lines: the values are read through it, each repair
leaves its warning, and the rows around it read as before.

Each damage replaces one printed value of the corpus text by a form issue 17 measured (a look-alike,
a character doubled or dropped); the expected values are the ones printed in the clean source.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from damage_support import damaged as _damaged

from pipeline.extract import extract_bytes
from schemas import FileExtraction

D = dt.date


@pytest.fixture(scope="module")
def list001(corpus_text) -> FileExtraction:
    return _damaged(
        corpus_text,
        "001",
        [
            (3, "令和5年度", "令和S年度"),  # the title
            (11, "事業名", "事業"),  # the list's header
            (13, "情報システム課", "情報ツステム課"),
            (13, "\t外部結合\t", "\t外部桔合\t"),
            (14, "区政情報課", "区政情執課"),
            (15, "人事課", "入事課"),
            (22, "四谷保健センター", "四谷保健セン夕ー"),
            (28, "5月31日", "S月3|日"),
            (29, "承認", "承認承"),
        ],
    )


def _row(out: FileExtraction, seq: int):
    (m,) = [m for m in out.case_mentions if m.seq_no == seq and m.departments_raw is not None]
    return m


def test_001_keeps_every_row(list001: FileExtraction) -> None:
    listed = [m.seq_no for m in list001.case_mentions if m.departments_raw is not None]
    assert listed == list(range(1, 31))
    (doc,) = list001.documents
    assert doc.fiscal_year == 2023
    assert any(
        n.endswith(
            "fiscal_year: 令和S年度新宿区個人情報保護管理運営会議における審議案件一覧: read as 令和5年度"
        )
        for n in list001.notices
    )


@pytest.mark.parametrize(
    ("seq", "departments", "categories", "deliberated_on", "result", "warnings"),
    [
        (
            2,
            ["行政管理課", "情報システム課"],
            ["外部結合"],
            D(2023, 4, 3),
            "承認",
            ["departments: 情報ツステム課: read as 情報システム課", "categories: 外部桔合: read as 外部結合"],
        ),
        (
            3,
            ["区政情報課"],
            ["業務委託"],
            D(2023, 4, 3),
            "承認",
            ["departments: 区政情執課: read as 区政情報課"],
        ),
        (4, ["人事課"], ["外部結合"], D(2023, 4, 3), "承認", ["departments: 入事課: read as 人事課"]),
        (
            11,
            ["四谷保健センター"],
            ["業務委託"],
            D(2023, 4, 3),
            "承認",
            ["departments: 四谷保健セン夕ー: read as 四谷保健センター"],
        ),
        (
            16,
            ["区政情報課"],
            ["業務委託"],
            D(2023, 5, 31),
            "承認",
            ["deliberated_on: S月3|日: read as 5月31日"],
        ),
        (17, ["総務課"], ["外部結合"], D(2023, 5, 31), "承認", ["result: 承認承: read as 承認"]),
        # An undamaged neighbour reads as before, with no warning.
        (5, ["生涯学習スポーツ課"], ["指定管理者"], D(2023, 4, 3), "承認", []),
    ],
)
def test_001_damaged_rows(list001, seq, departments, categories, deliberated_on, result, warnings) -> None:
    m = _row(list001, seq)
    assert (m.departments, m.categories, m.deliberated_on, m.result) == (
        departments,
        categories,
        deliberated_on,
        result,
    )
    assert m.warnings == warnings


def test_001_keeps_the_printed_department_text(list001: FileExtraction) -> None:
    assert _row(list001, 2).departments_raw == "行政管理課、情報ツステム課"
    assert _row(list001, 4).departments_raw == "入事課"


@pytest.fixture(scope="module")
def review003(corpus_text) -> FileExtraction:
    return _damaged(
        corpus_text,
        "003",
        [
            (23, "教育委員会", "教育委貝会"),  # a count table's institution
            (65, "条例要配慮個人情報", "条例要配慮個入情報"),  # the first list's header
            (66, "区長", "区⻑"),  # U+2ED1, as a PDF font maps 長
            (67, "\t有\t", "\t有有\t"),
            (68, "センター", "センタ一"),  # ー read as 一 (U+4E00)
        ],
    )


def test_003_header_read_through_damage(review003: FileExtraction) -> None:
    items = {i.seq_no: i for i in review003.sensitive_items if i.review_category == "外部委託"}
    # No.1–3 sit under the damaged header: 条例要配慮個人情報 is still their own column, not `extra`.
    for seq in (1, 2, 3):
        assert items[seq].ordinance_sensitive is False
        assert items[seq].extra is None
    assert len(review003.sensitive_items) == 434


def test_003_damaged_rows(review003: FileExtraction) -> None:
    items = {i.seq_no: i for i in review003.sensitive_items if i.review_category == "外部委託"}
    one, two, three = items[1], items[2], items[3]
    assert (one.institution, one.department, one.bureau, one.warnings) == (
        "区長",
        "世田谷総合支所地域振興課",
        "世田谷総合支所",
        [],
    )
    assert (two.sensitive, two.warnings) == (True, ["sensitive: 有有: read as 有"])
    assert (three.department, three.bureau) == ("世田谷総合支所保健福祉センター生活支援課", "世田谷総合支所")
    assert three.warnings == [
        "department: 世田谷総合支所保健福祉センタ一生活支援課: read as 世田谷総合支所保健福祉センター生活支援課"
    ]


def test_003_count_table_institution(review003: FileExtraction) -> None:
    first = [c for c in review003.institution_counts if c.metric == "審査件数"][:6]
    assert [(c.institution, c.value) for c in first] == [
        ("区長", 766),
        ("教育委員会", 29),
        ("選挙管理委員会", 4),
        ("監査委員", 0),
        ("農業委員会", 0),
        ("合計", 799),
    ]
    assert any(n.endswith("institution: 教育委貝会: read as 教育委員会") for n in review003.notices)


@pytest.fixture(scope="module")
def outsourcing000(corpus_text) -> FileExtraction:
    return _damaged(
        corpus_text,
        "000",
        [
            (9, "教育委員会", "教育委貝会"),
            (18, "230101-043", "23O101-043"),
            (19, "260108-001", "26018-001"),  # a digit dropped
            (20, "地域コミュニティ課", "地域コミユニティ課"),
            (21, "280100-205", "2801000-205"),  # a digit doubled
        ],
    )


@pytest.mark.parametrize(
    ("seq", "department", "numbers", "warnings"),
    [
        (1, "総務課", ["230101-043"], ["registration_numbers: 23O101-043: read as 230101-043"]),
        (
            2,
            "地域コミュニティ課",
            ["26018-001"],
            ["registration_numbers: 26018-001: not in the printed form 000000-000; kept as printed"],
        ),
        (
            3,
            "地域コミュニティ課",
            ["260108-001"],
            ["department: 地域コミユニティ課: read as 地域コミュニティ課"],
        ),
        (
            4,
            "文化観光課",
            # one doubled digit whose single reading has the printed form: read once
            ["280100-205"],
            ["registration_numbers: 2801000-205: read as 280100-205"],
        ),
        (5, "産業振興課", ["280301-046"], []),
    ],
)
def test_000_damaged_entries(outsourcing000, seq, department, numbers, warnings) -> None:
    (e,) = [e for e in outsourcing000.outsourcing_entries if e.section == "new" and e.seq_no == seq]
    assert (e.department, e.registration_numbers, e.warnings) == (department, numbers, warnings)


def test_000_count_table(outsourcing000: FileExtraction) -> None:
    rows = {(c.institution, c.metric): c.value for c in outsourcing000.institution_counts}
    assert rows[("教育委員会", "新たな業務委託数b")] == 8
    assert not any(c.institution == "教育委貝会" for c in outsourcing000.institution_counts)


def test_002_issue_date_and_period_read_through_damage(corpus_text) -> None:
    out = _damaged(
        corpus_text,
        "002",
        [
            (117, "1 月", "l 月"),
            (121, "令和6年1月", "令和6年l月"),
        ],
    )
    doc = out.documents[0]
    assert (doc.issued_on, doc.period_start, doc.period_end, doc.fiscal_year) == (
        D(2024, 1, 18),
        D(2023, 7, 1),
        D(2024, 1, 31),
        2023,
    )
    notes = [n.split(": ", 1)[1] for n in out.notices if "read as" in n]
    assert notes == [
        "issued_on: 令和6年l月18日: read as 令和6年1月18日",
        "period: 新宿区個人情報保護管理運営会議で令和5年7月から令和6年l月に審議した案件について、下記: "
        "read as 令和5年7月から令和6年1月",
    ]


def test_clean_packets_carry_no_repair_warnings(corpus_text) -> None:
    for prefix in ("000", "001", "002", "003", "004"):
        name, data = corpus_text(prefix)
        out = extract_bytes(data, name)
        rows = [*out.case_mentions, *out.outsourcing_entries, *out.sensitive_items]
        found = [w for r in rows for w in r.warnings if "read as" in w or "kept as printed" in w]
        assert found == [], prefix
        assert not [n for n in out.notices if "read as" in n], prefix
        json.dumps([d.model_dump(mode="json") for d in out.documents])

"""The analysts' views on the corpus store. Every expected number was counted by hand in the source
files (text/001 and text/002 case lists, text/000 outsourcing lists, text/003 外部提供 and
オンライン結合 lists), not copied from the pipeline's output."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest


@pytest.fixture(scope="module")
def con(corpus_store: Path):
    con = duckdb.connect(str(corpus_store), read_only=True)
    yield con
    con.close()


def _all(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


# ---------------------------------------------------------------- v_cases_per_month_category

# 新宿区 令和5年度: April–June from the 001 list (30 cases), July–January from the 002 list (51 cases).
# A case with two 区分 counts under each. The 004 council item (業務委託) has no 付議日.
PER_MONTH = {
    ("2023-04", "業務委託"): 9,
    ("2023-04", "外部結合"): 5,
    ("2023-04", "指定管理者"): 1,
    ("2023-05", "業務委託"): 10,
    ("2023-05", "外部結合"): 7,
    ("2023-05", "電算処理"): 2,
    ("2023-06", "業務委託"): 2,
    ("2023-06", "外部結合"): 1,
    ("2023-07", "外部結合"): 5,
    ("2023-07", "業務委託"): 5,
    ("2023-07", "電算処理"): 3,
    ("2023-07", "外部提供"): 1,
    ("2023-09", "電算処理"): 7,
    ("2023-09", "業務委託"): 4,
    ("2023-09", "外部結合"): 3,
    ("2023-10", "外部結合"): 4,
    ("2023-10", "業務委託"): 3,
    ("2023-10", "外部提供"): 2,
    ("2023-10", "電算処理"): 1,
    ("2023-10", "防犯カメラ"): 1,
    ("2023-11", "業務委託"): 2,
    ("2023-11", "電算処理"): 1,
    ("2023-11", "外部結合"): 1,
    ("2023-12", "業務委託"): 10,
    ("2023-12", "電算処理"): 8,
    ("2023-12", "外部結合"): 5,
    ("2024-01", "業務委託"): 9,
    ("2024-01", "電算処理"): 6,
    ("2024-01", "外部結合"): 5,
    (None, "業務委託"): 1,
}


def test_cases_per_month_and_category(con: duckdb.DuckDBPyConnection) -> None:
    rows = _all(
        con,
        "SELECT strftime(month, '%Y-%m'), category, cases FROM v_cases_per_month_category "
        "WHERE municipality = '新宿区'",
    )
    assert {(m, c): n for m, c, n in rows} == PER_MONTH
    assert len(rows) == len(PER_MONTH)


@pytest.mark.parametrize(
    ("month", "cases"),
    [("2023-04", 14), ("2023-05", 14), ("2023-06", 2), ("2023-07", 6), ("2023-09", 9), ("2023-10", 9),
     ("2023-11", 2), ("2023-12", 15), ("2024-01", 10)],
)  # fmt: skip
def test_cases_per_month_from_the_case_table(con: duckdb.DuckDBPyConnection, month: str, cases: int) -> None:
    """The list rows per meeting month, counted in the printed lists: the views' months agree."""
    (n,) = con.execute(
        "SELECT count(*) FROM cases WHERE strftime(deliberated_on, '%Y-%m') = ?", [month]
    ).fetchone() or (None,)
    assert n == cases


def test_month_view_columns(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "SELECT municipality, fiscal_year, month, category, cases FROM v_cases_per_month_category "
        "WHERE month = DATE '2024-01-01' AND category = '電算処理'"
    ).fetchone()
    # 1月15日 in a 令和5年度 list: January 2024, fiscal year 2023.
    assert row == ("新宿区", 2023, dt.date(2024, 1, 1), "電算処理", 6)


# ---------------------------------------------------------------- v_case_departments


@pytest.mark.parametrize(
    ("department", "dates"),
    [
        # 001 Nos. 1, 2, 15, 24; 002 Nos. 1, 7, 16, 19, 35, 42.
        ("情報システム課", ["2023-04-03", "2023-04-03", "2023-05-31", "2023-05-31", "2023-07-28", "2023-09-01",
                            "2023-10-20", "2023-10-20", "2023-12-21", "2024-01-15"]),
        # 002 Nos. 4, 6, 11, 13, 14, 38, 39, 40.
        ("医療保険年金課", ["2023-07-28", "2023-07-28", "2023-09-01", "2023-09-06", "2023-09-06", "2023-12-21",
                            "2023-12-21", "2023-12-21"]),
        # 001 Nos. 17, 18; 002 Nos. 8, 9, 25, 28, 29.
        ("総務課", ["2023-05-31", "2023-05-31", "2023-09-01", "2023-09-01", "2023-11-16", "2023-12-21",
                    "2023-12-21"]),
        # 001 No. 10 names five departments; 四谷保健センター also 001 Nos. 11, 15 and 002 No. 26.
        ("四谷保健センター", ["2023-04-03", "2023-04-03", "2023-05-31", "2023-11-16"]),
        ("危機管理課", ["2023-10-20"]),
    ],
)  # fmt: skip
def test_cases_per_department(con: duckdb.DuckDBPyConnection, department: str, dates: list[str]) -> None:
    rows = _all(
        con,
        "SELECT strftime(deliberated_on, '%Y-%m-%d') FROM v_case_departments WHERE department = ? "
        "ORDER BY deliberated_on",
        department,
    )
    assert [r[0] for r in rows] == dates


def test_one_row_per_department_of_a_case(con: duckdb.DuckDBPyConnection) -> None:
    # 001 No. 1: 行政管理課、情報システム課、外10課 → two named departments, ten unnamed.
    rows = _all(
        con,
        "SELECT department, position, department_count, unnamed_department_count FROM v_case_departments "
        "WHERE deliberated_on = DATE '2023-04-03' AND title LIKE '東京共同電子申請%' ORDER BY position",
    )
    assert rows == [("行政管理課", 1, 2, 10), ("情報システム課", 2, 2, 10)]
    # Every department of every case, no more: the view is the unnested departments list.
    (n,) = con.execute("SELECT count(*) FROM v_case_departments").fetchone() or (None,)
    (m,) = con.execute("SELECT sum(len(departments)) FROM cases").fetchone() or (None,)
    assert n == m


# ---------------------------------------------------------------- v_series


def test_recurring_series_with_its_dates(con: duckdb.DuckDBPyConnection) -> None:
    """東京共同電子申請・届出サービス… is put to the council at six meetings of 令和5年度: 001 Nos. 1
    (4月3日) and 15 (5月31日), 002 Nos. 1 (7月28日), 7 (9月1日), 16 (10月20日, 情報項目の追加) and 42 (1月15日)."""
    row = con.execute(
        "SELECT title, cases, first_on, last_on, dates, len(case_ids), municipality FROM v_series "
        "WHERE title LIKE '東京共同電子申請%'"
    ).fetchone()
    assert row == (
        "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)",
        6,
        dt.date(2023, 4, 3),
        dt.date(2024, 1, 15),
        [dt.date(2023, 4, 3), dt.date(2023, 5, 31), dt.date(2023, 7, 28), dt.date(2023, 9, 1),
         dt.date(2023, 10, 20), dt.date(2024, 1, 15)],
        6,
        "新宿区",
    )  # fmt: skip


def test_series_view_agrees_with_the_cases_table(con: duckdb.DuckDBPyConnection) -> None:
    """Only series with two or more cases, each with every case's date, in order."""
    expected: dict[str, list[dt.date]] = {}
    for series_id, on in _all(
        con, "SELECT series_id, deliberated_on FROM cases ORDER BY deliberated_on, seq_no"
    ):
        expected.setdefault(series_id, []).append(on)
    expected = {k: v for k, v in expected.items() if len(v) > 1}
    got = {s: d for s, d in _all(con, "SELECT series_id, dates FROM v_series")}
    assert got == expected
    assert all(n > 1 for (n,) in _all(con, "SELECT cases FROM v_series"))


# ---------------------------------------------------------------- v_outsourcing_by_department

# text/000, 令和3年度: (2) new (53), (3) discontinued (24), (4) changed (6), counted per 保有課.
NEW = {
    "総務課": 1, "地域コミュニティ課": 2, "文化観光課": 1, "産業振興課": 1, "障害者福祉課": 2,
    "地域包括ケア推進課": 4, "高齢者支援課": 2, "介護保険課": 3, "生活福祉課": 1, "子ども家庭課": 2,
    "男女共同参画課": 1, "健康政策課": 5, "健康づくり課": 3, "医療保険年金課": 1, "保健予防課": 10,
    "みどり公園課": 3, "ごみ減量リサイクル課": 1, "建築調整課": 1, "教育調整課": 3, "教育指導課": 4,
    "教育支援課": 1, "議会事務局": 1,
}  # fmt: skip
DISCONTINUED = {
    "総務課": 1, "地域コミュニティ課": 1, "文化観光課": 2, "消費生活就労支援課": 2, "高齢者支援課": 1,
    "介護保険課": 4, "子ども家庭課": 2, "健康づくり課": 4, "保健予防課": 1, "ごみ減量リサイクル課": 2,
    "防災都市づくり課": 1, "教育支援課": 3,
}  # fmt: skip
CHANGED = {"区政情報課": 1, "地域包括ケア推進課": 3, "健康づくり課": 1, "住宅課": 1}
# ○ in 特定個人情報の有無: new No. 25, discontinued No. 11, changed Nos. 3 and 4.
SPECIFIC = {"健康政策課": 1, "介護保険課": 1, "地域包括ケア推進課": 2}


def test_outsourcing_by_department(con: duckdb.DuckDBPyConnection) -> None:
    assert (sum(NEW.values()), sum(DISCONTINUED.values()), sum(CHANGED.values())) == (53, 24, 6)
    rows = _all(
        con,
        "SELECT department, new, discontinued, changed, entries, specific_personal_info "
        "FROM v_outsourcing_by_department WHERE municipality = '新宿区' AND fiscal_year = 2021",
    )
    departments = set(NEW) | set(DISCONTINUED) | set(CHANGED)
    expected = {
        d: (
            NEW.get(d, 0),
            DISCONTINUED.get(d, 0),
            CHANGED.get(d, 0),
            NEW.get(d, 0) + DISCONTINUED.get(d, 0) + CHANGED.get(d, 0),
            SPECIFIC.get(d, 0),
        )
        for d in departments
    }
    assert {r[0]: r[1:] for r in rows} == expected
    assert len(rows) == len(departments)


def test_outsourcing_view_is_ordered_by_entries(con: duckdb.DuckDBPyConnection) -> None:
    rows = _all(con, "SELECT department, entries FROM v_outsourcing_by_department LIMIT 2")
    assert rows == [("保健予防課", 11), ("健康づくり課", 8)]


# ---------------------------------------------------------------- v_sensitive_by_category_bureau

# text/003 報告第359号, 外部提供 list, Nos. 1–58: (items, 要配慮 有, 条例要配慮 有) per 部.
PROVISION = {
    "世田谷総合支所": (3, 3, 3),  # Nos. 1–3
    "北沢総合支所": (3, 3, 3),  # Nos. 4–6
    "玉川総合支所": (3, 3, 3),  # Nos. 7–9
    "砧総合支所": (3, 3, 3),  # Nos. 10–12
    "烏山総合支所": (3, 3, 3),  # Nos. 13–15
    "財務部": (4, 4, 4),  # Nos. 16–19 納税課
    "地域行政部": (22, 16, 19),  # Nos. 20–41: 無 at 20–22, 26–28; 条例 無 at 31, 32, 36
    "保健福祉政策部": (2, 2, 2),  # Nos. 42–43
    "子ども・若者部": (1, 1, 1),  # No. 44
    "世田谷保健所": (11, 11, 9),  # Nos. 45–55: 条例 無 at 46, 48
    "教育委員会事務局": (3, 3, 1),  # Nos. 56–58: 条例 無 at 56, 57
}


def test_sensitive_items_of_external_provision_per_bureau(con: duckdb.DuckDBPyConnection) -> None:
    rows = _all(
        con,
        "SELECT bureau, items, sensitive, ordinance_sensitive FROM v_sensitive_by_category_bureau "
        "WHERE municipality = '世田谷区' AND fiscal_year = 2023 AND review_category = '外部提供'",
    )
    assert {r[0]: r[1:] for r in rows} == PROVISION
    assert sum(v[0] for v in PROVISION.values()) == 58


@pytest.mark.parametrize(
    ("bureau", "expected"),
    [
        ("世田谷総合支所", (3, 3, 1)),  # オンライン結合 Nos. 1–3: 条例 有 at 1 only
        ("北沢総合支所", (3, 3, 1)),  # Nos. 4–6
        ("DX推進担当部", (2, 1, 2)),  # Nos. 16–17, printed `D X 推進担当部`: 要配慮 無 at 16
    ],
)
def test_sensitive_items_of_online_links(
    con: duckdb.DuckDBPyConnection, bureau: str, expected: tuple[int, int, int]
) -> None:
    row = con.execute(
        "SELECT items, sensitive, ordinance_sensitive FROM v_sensitive_by_category_bureau "
        "WHERE review_category = 'オンライン結合' AND bureau = ?",
        [bureau],
    ).fetchone()
    assert row == expected


def test_items_per_review_category(con: duckdb.DuckDBPyConnection) -> None:
    # The three lists end at No. 319 (外部委託), 58 (外部提供) and 57 (オンライン結合): 434 items.
    rows = _all(
        con,
        "SELECT review_category, sum(items)::INTEGER FROM v_sensitive_by_category_bureau GROUP BY 1 ORDER BY 1",
    )
    assert dict(rows) == {"外部委託": 319, "外部提供": 58, "オンライン結合": 57}

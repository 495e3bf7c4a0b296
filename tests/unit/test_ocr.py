"""Structured values read through OCR damage (pipeline/normalise/ocr.py, rules/ocr.toml and
rules/char_folds.toml): each table is printed text → what the pipeline reads, and the note it leaves.

The damaged forms are the corpus's own values with the damage issue 17 measured (a look-alike, a
character dropped or doubled, a space inside a number); the clean forms beside them must not move.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalise.dates import (
    DateContext,
    DateError,
    parse_date,
    read_date,
    read_fiscal_year,
    read_period,
)
from pipeline.normalise.departments import department_and_bureau, departments_of, split_departments
from pipeline.normalise.ocr import (
    Note,
    _may_reach,
    fold_digit_lookalikes,
    lookalike_substitution,
    match_header,
    match_word,
    read_registration_numbers,
    read_word,
    similarity,
    thresholds,
)
from pipeline.rules import vocabulary

D = dt.date
SJ, SG = "新宿区", "世田谷区"
FY2023 = DateContext(fiscal_year=2023)
# 002: the list for 令和5年7月から令和6年1月.
P002 = DateContext(fiscal_year=2023, period_start=D(2023, 7, 1), period_end=D(2024, 1, 31))


# --------------------------------------------------------------------------- digit look-alikes

DIGIT_FOLDS = [
    ("令和S年度", "令和5年度"),
    ("S月3|日", "5月31日"),
    ("2O23年7月28日", "2023年7月28日"),
    ("l0月20日", "10月20日"),
    ("1O月2O日", "10月20日"),
    ("4月I日", "4月1日"),
    ("令和5年〇月", "令和5年0月"),
    ("1B日", "18日"),
    # A look-alike after one read as a digit is after a digit; an era name anywhere before counts.
    ("1O|日", "101日"),
    ("報告書の日付は令和S8年度", "報告書の日付は令和58年度"),
    # Left alone: words, era letters, a cell border, a letter standing for something else.
    ("LGWAN", "LGWAN"),
    ("PCR検査", "PCR検査"),
    ("ISO9001", "ISO9001"),
    ("S58", "S58"),
    ("H22.4.1", "H22.4.1"),
    ("R5.7.28", "R5.7.28"),
    ("|7月28日|", "|7月28日|"),
    ("A日とB日", "A日とB日"),
    ("No.1", "No.1"),
    ("1ST", "1ST"),
    ("B5判", "B5判"),
    ("AI-OCR", "AI-OCR"),
    ("第S8号", "第S8号"),
    ("OO日", "OO日"),
    ("1OO件", "1OO件"),  # a letter before a letter is a word, not a digit
]


@pytest.mark.parametrize(("printed", "read"), DIGIT_FOLDS)
def test_fold_digit_lookalikes(printed: str, read: str) -> None:
    assert fold_digit_lookalikes(printed) == read


# --------------------------------------------------------------------------- dates

# (printed, context, date, note problem or None)
DATES: list[tuple[str, DateContext | None, dt.date, str | None]] = [
    ("S月3|日", FY2023, D(2023, 5, 31), "read as 5月31日"),
    ("7月2 8日", P002, D(2023, 7, 28), "read as 7月28日"),
    ("1 0月2 0日", P002, D(2023, 10, 20), "read as 10月20日"),
    ("１ ０月２ ０日", P002, D(2023, 10, 20), "read as 10月20日"),
    ("l月I5日", P002, D(2024, 1, 15), "read as 1月15日"),
    ("令和S年8月18日", None, D(2023, 8, 18), "read as 令和5年8月18日"),
    ("令和5年8月l8日", None, D(2023, 8, 18), "read as 令和5年8月18日"),
    ("2O23年7月28日", None, D(2023, 7, 28), "read as 2023年7月28日"),
    ("2O23/7/28", None, D(2023, 7, 28), "read as 2023/7/28"),
    # Clean forms, OCR spacing that runs through the whole date included: no note.
    ("7月28日", P002, D(2023, 7, 28), None),
    ("７月２８日", P002, D(2023, 7, 28), None),
    ("令 和 6 年 1 月 18 日", None, D(2024, 1, 18), None),
    ("令 和 ６ 年 １ 月 １ ８ 日", None, D(2024, 1, 18), None),
    ("令和３年９\n\n月１日", None, D(2021, 9, 1), None),
    ("R5.7.28", None, D(2023, 7, 28), None),
    ("H22.4.1", None, D(2010, 4, 1), None),
    # Western dates (issue 15's landscape and browser-printed lists).
    ("2023年7月28日", None, D(2023, 7, 28), None),
    ("2023/7/28", None, D(2023, 7, 28), None),
    ("2023-07-28", None, D(2023, 7, 28), None),
    ("2023.7.28", None, D(2023, 7, 28), None),
    ("２０２３年７月２８日", None, D(2023, 7, 28), None),
    ("付議日：2023-07-28（金）", None, D(2023, 7, 28), None),
]


@pytest.mark.parametrize(("printed", "ctx", "expected", "problem"), DATES)
def test_read_date(printed: str, ctx: DateContext | None, expected: dt.date, problem: str | None) -> None:
    got, note = read_date(printed, ctx)
    assert got == expected
    assert (note.problem if note else None) == problem
    assert parse_date(printed, ctx) == expected


def test_a_date_note_is_a_row_warning() -> None:
    _, note = read_date("7月2 8日", P002)
    assert note is not None
    assert note.warning("deliberated_on") == "deliberated_on: 7月2 8日: read as 7月28日"


@pytest.mark.parametrize(
    ("printed", "message"),
    [
        # A Western form needs one separator throughout and no number running on from it.
        ("2023/7-28", "not a date"),
        ("2023.7.28.1", "not a date"),
        ("1.2023.7.28", "not a date"),
        ("2023/13/1", "no such day 13月1日 in 2023"),
        # A damaged date that reads as an impossible one is an error, not a guess.
        ("令和5年2月3O日", "no such day 2月30日 in 2023"),
        ("〇月〇日", "no such day 0月0日"),
    ],
)
def test_dates_that_do_not_read(printed: str, message: str) -> None:
    with pytest.raises(DateError) as info:
        read_date(printed, FY2023)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("printed", "year", "problem"),
    [
        ("令和S年度新宿区個人情報保護管理運営会議における審議案件一覧", 2023, "read as 令和5年度"),
        ("令和 S 年度", 2023, "read as 令和5年度"),
        ("令和l年度", 2019, "read as 令和1年度"),
        ("令和5年度", 2023, None),
        ("R3年度", 2021, None),
        ("平成  \n28年度", 2016, None),
        ("S58", None, None),  # an era year, not a 年度, and not 558
    ],
)
def test_read_fiscal_year(printed: str, year: int | None, problem: str | None) -> None:
    got, note = read_fiscal_year(printed)
    assert (got, note.problem if note else None) == (year, problem)


def test_read_period() -> None:
    text = "新宿区個人情報保護管理運営会議で令和5年7月から令和6年l月に審議した案件"
    period, note = read_period(text)
    assert period == (D(2023, 7, 1), D(2024, 1, 31))
    assert note is not None and note.problem == "read as 令和5年7月から令和6年1月"
    assert read_period("令和5年4月から6月に審議した") == ((D(2023, 4, 1), D(2023, 6, 30)), None)


# --------------------------------------------------------------------------- 課名

# (printed, ward, names, note warnings)
DEPARTMENTS: list[tuple[str, str, list[str], list[str]]] = [
    ("情報ツステム課", SJ, ["情報システム課"], ["departments: 情報ツステム課: read as 情報システム課"]),
    ("入事課", SJ, ["人事課"], ["departments: 入事課: read as 人事課"]),
    (
        "四谷保健セン夕ー",
        SJ,
        ["四谷保健センター"],
        ["departments: 四谷保健セン夕ー: read as 四谷保健センター"],
    ),
    ("区政情執課", SJ, ["区政情報課"], ["departments: 区政情執課: read as 区政情報課"]),
    ("情報システ課", SJ, ["情報システム課"], ["departments: 情報システ課: read as 情報システム課"]),
    ("情報シスステム課", SJ, ["情報システム課"], ["departments: 情報シスステム課: read as 情報システム課"]),
    (
        "行政管理課、情報ツステム課、外10課",
        SJ,
        ["行政管理課", "情報システム課"],
        ["departments: 情報ツステム課: read as 情報システム課"],
    ),
    ("総務部区政情執課", SG, ["区政情報課"], ["departments: 総務部区政情執課: read as 区政情報課"]),
    # Two registered names as near: kept as printed, with a warning; never a guess.
    (
        "育指導課",
        SJ,
        ["育指導課"],
        ["departments: 育指導課: reads as 保育指導課 or 教育指導課; kept as printed"],
    ),
    # A short name is read only through a look-alike: 庶務課 is a real name one edit from 学務課.
    ("庶務課", SG, ["庶務課"], []),
    ("人務課", SJ, ["人務課"], []),
    # Another unit suffix is another unit.
    ("情報システム部", SJ, ["情報システム部"], []),
    ("情報システム係", SJ, ["情報システム係"], []),
    # Clean names: no note.
    ("情報システム課", SJ, ["情報システム課"], []),
    ("戶籍住⺠課", SJ, ["戸籍住民課"], []),
]


@pytest.mark.parametrize(("printed", "ward", "names", "warnings"), DEPARTMENTS)
def test_departments_read_through_damage(
    printed: str, ward: str, names: list[str], warnings: list[str]
) -> None:
    got = split_departments(printed, ward)
    assert got.names == names
    assert [n.warning("departments") for n in got.notes] == warnings


def test_department_and_bureau_reads_through_damage() -> None:
    notes: list[Note] = []
    # 003 No.1's 担当部課 with ー read as 一.
    got = department_and_bureau("世田谷総合支所保健福祉センタ一生活支援課", SG, notes)
    assert got == ("世田谷総合支所", "世田谷総合支所保健福祉センター生活支援課")
    assert [n.problem for n in notes] == ["read as 世田谷総合支所保健福祉センター生活支援課"]


def test_departments_of_reports_its_readings() -> None:
    notes: list[Note] = []
    assert departments_of(["砧総合支所保健福祉センター健康づくリ課"], SG, notes) == [
        "砧総合支所保健福祉センター健康づくり課"
    ]
    assert [n.printed for n in notes] == ["砧総合支所保健福祉センター健康づくリ課"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("入事課", "人事課", True), ("庶務課", "学務課", False), ("力ード", "カード", True)],
)
def test_lookalike_substitution(a: str, b: str, expected: bool) -> None:
    assert lookalike_substitution(a, b) is expected


# --------------------------------------------------------------------------- vocabulary words

RESULTS = vocabulary()["results"]
CATEGORIES = vocabulary()["categories"]
INSTITUTIONS = vocabulary()["institutions"]
FLAGS = {"有": "有", "あり": "有", "無": "無", "なし": "無"}


@pytest.mark.parametrize(
    ("printed", "vocab", "use", "expected"),
    [
        ("承認", RESULTS, "result", "承認"),
        ("承認承", RESULTS, "result", "承認"),
        ("一部承詔", RESULTS, "result", "一部承認"),
        ("否認", RESULTS, "result", None),  # two characters, one different: another word
        ("承", RESULTS, "result", None),  # as near to 承認 as to 了承
        ("外部結合", CATEGORIES, "category", "外部結合"),
        ("外部桔合", CATEGORIES, "category", "外部結合"),
        ("業務委詫", CATEGORIES, "category", "業務委託"),
        ("指定管理著", CATEGORIES, "category", "指定管理者"),
        ("外部提合", CATEGORIES, "category", None),  # as near to 外部提供 as to 外部結合
        ("区長", INSTITUTIONS, "institution", "区長"),
        ("区⻑", INSTITUTIONS, "institution", "区長"),
        ("教育委貝会", INSTITUTIONS, "institution", "教育委員会"),
        ("選挙管理委員金", INSTITUTIONS, "institution", "選挙管理委員会"),
        ("有", FLAGS, "flag", "有"),
        ("有有", FLAGS, "flag", "有"),
        ("無し", FLAGS, "flag", "無"),  # as near to 無 as to なし: the same meaning
        ("有無", FLAGS, "flag", None),
    ],
)
def test_match_word(printed: str, vocab, use: str, expected: str | None) -> None:
    assert match_word(printed, vocab, thresholds()[use]) == expected


def test_read_word_notes() -> None:
    assert read_word("承認", RESULTS, 0.6) == ("承認", None)
    word, note = read_word("外部桔合", CATEGORIES, 0.75)
    assert (word, note.warning("categories") if note else None) == (
        "外部結合",
        "categories: 外部桔合: read as 外部結合",
    )
    word, note = read_word("外部提合", CATEGORIES, 0.75)
    assert word is None and note is not None
    assert note.problem == "reads as 外部提供 or 外部結合; kept as printed"


REVIEW_COLUMNS = {
    "seq_no": ["No.", "No", "番号", "項番"],
    "description": ["委託の内容", "委託内容", "利用目的", "の内容", "内容"],
    "department": ["担当部課", "担当課", "所管課", "所管部課"],
    "institution": ["実施機関"],
    "sensitive": ["要配慮個人情報"],
    "ordinance_sensitive": ["条例要配慮個人情報"],
}
LIST_COLUMNS = {k: v for k, v in vocabulary()["list_columns"].items() if k != "seq_no"}


@pytest.mark.parametrize(
    ("cell", "words", "expected"),
    [
        ("条例要配慮個入情報 (有/無)", REVIEW_COLUMNS, ("ordinance_sensitive", 8)),
        ("要配慮個入情報 (有/無)", REVIEW_COLUMNS, ("sensitive", 6)),
        ("条仞要配慮個人情報 (有/無)", REVIEW_COLUMNS, ("ordinance_sensitive", 8)),
        ("実施機閑", REVIEW_COLUMNS, ("institution", 3)),
        ("事業", LIST_COLUMNS, ("title", 2)),
        ("担当諜", LIST_COLUMNS, ("departments", 2)),
        ("審議結杲", LIST_COLUMNS, ("result", 3)),
        # A name printed right is the caller's exact look-up; no other name is one edit from it.
        ("要配慮個人情報 (有/無)", REVIEW_COLUMNS, None),
        # Nothing near.
        ("提供先", REVIEW_COLUMNS, None),
        ("該当条項", REVIEW_COLUMNS, None),
    ],
)
def test_match_header(cell: str, words, expected) -> None:
    assert match_header(cell, words) == expected


# --------------------------------------------------------------------------- registration numbers


@pytest.mark.parametrize(
    ("printed", "numbers", "warnings"),
    [
        ("230101-043", ["230101-043"], []),
        ("260108-001\n260108-002", ["260108-001", "260108-002"], []),
        ("２３０１０１－０４３", ["230101-043"], []),
        ("23O101-043", ["230101-043"], ["registration_numbers: 23O101-043: read as 230101-043"]),
        ("230l01-043", ["230101-043"], ["registration_numbers: 230l01-043: read as 230101-043"]),
        (
            "291701-25",
            ["291701-25"],
            ["registration_numbers: 291701-25: not in the printed form 000000-000; kept as printed"],
        ),
        (
            "3001155-022",
            ["3001155-022"],
            ["registration_numbers: 3001155-022: not in the printed form 000000-000; kept as printed"],
        ),
        ("未登録", [], []),
    ],
)
def test_read_registration_numbers(printed: str, numbers: list[str], warnings: list[str]) -> None:
    got, notes = read_registration_numbers(printed, r"\d{6}-\d{3}", "000000-000")
    assert got == numbers
    assert [n.warning("registration_numbers") for n in notes] == warnings


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("承認了外部結合事業内容ab"), min_size=1, max_size=12),
    st.text(alphabet=st.sampled_from("承認了外部結合事業内容ab"), max_size=12),
    st.sampled_from(sorted({*thresholds().values(), 0.5})),
)
def test_a_word_that_can_reach_the_threshold_is_scored(key: str, word: str, threshold: float) -> None:
    """`read_word` and `read_label` score only the words of a length `_may_reach` lets through: every
    word as near as the threshold must be among them."""
    lo, hi = _may_reach(key, threshold)
    if similarity(key, word) >= threshold:
        assert lo <= len(word) <= hi

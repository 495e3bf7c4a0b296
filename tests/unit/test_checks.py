"""The extraction checks (pipeline/checks/): quiet on every corpus file, loud on damaged copies.

Each damaged copy is made here from a corpus file by one edit of its text, the kind of loss a
reader or OCR causes (a row lost, cells blank, a list cut short, a row renumbered, a sheet lost).
Expected and found values were read against the damaged text by eye: e.g. with row 10 of 001
removed the list prints 29 rows numbered 1..9 and 11..30, and the sheet of No.10 has no row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.checks import CHECKS
from pipeline.checks.base import numbering_problems, out_of_sequence, runs
from pipeline.extract import extract_bytes
from schemas import FileExtraction

Edit = Callable[[str], str]


def _replace(old: str, new: str, count: int = 1) -> Edit:
    def edit(text: str) -> str:
        assert text.count(old) >= count, f"the corpus text no longer holds {old!r}"
        return text.replace(old, new, count)

    return edit


def _drop_lines(pattern: str) -> Edit:
    def edit(text: str) -> str:
        lines = text.split("\n")
        kept = [ln for ln in lines if not re.match(pattern, ln)]
        assert len(kept) < len(lines), pattern
        return "\n".join(kept)

    return edit


def _cut(start: str, end: str) -> Edit:
    """Remove the text from `start` (included) up to `end` (kept)."""

    def edit(text: str) -> str:
        a, b = text.index(start), text.index(end)
        assert a < b
        return text[:a] + text[b:]

    return edit


@pytest.fixture(scope="module")
def damaged(corpus_text) -> Callable[[str, Edit], FileExtraction]:
    def make(prefix: str, edit: Edit) -> FileExtraction:
        name, data = corpus_text(prefix)
        return extract_bytes(edit(data.decode("utf-8")).encode("utf-8"), name)

    return make


def _failed(ex: FileExtraction) -> dict[str, tuple[str | None, str | None]]:
    return {c.check_name: (c.expected, c.found) for c in ex.extraction_checks if not c.passed}


def _row(ex: FileExtraction, seq_no: int, nth: int = 0):
    return [m for m in ex.case_mentions if m.seq_no == seq_no][nth]


# --------------------------------------------------------------------------- quiet on good input

COMMON = ["title_read", "ward_read", "period_read", "known_departments"]
LIST = [
    "rows_read",
    "numbering_contiguous",
    "rows_complete",
    "titles_plausible",
    "sheets_read",
    "sheets_match_rows",
    "list_agrees_with_sheet",
    "dates_in_period",
]
REPORT = ["rows_read", "numbering_contiguous", "counts_match_lists", "counts_add_up", "flags_read"]


@pytest.mark.parametrize(
    ("name", "checks"),
    [
        ("text/000_", [[*COMMON, *REPORT, "registration_number_form"]]),
        ("text/001_", [[*COMMON, *LIST, "dates_cover_period"]]),
        ("text/002_", [[*COMMON, *LIST, "dates_cover_period"]]),
        (
            "text/003_",
            [
                [*COMMON, *REPORT],
                [*COMMON, "events_in_order", "discovered_after_occurred"],
            ],
        ),
        # A council item states no fiscal year or period of its own.
        ("text/004_", [["title_read", "ward_read", "known_departments"]]),
        # The PDF's sentence reads 令和5年度…で審議した: a fiscal year, no period to cover.
        ("pdf/001_", [[*COMMON, *LIST]]),
    ],
)
def test_every_corpus_document_passes_every_check(corpus: Path, name: str, checks: list[list[str]]) -> None:
    (path,) = [p for p in sorted(corpus.glob("*/*")) if f"{p.parent.name}/{p.name}".startswith(name)]
    ex = extract_bytes(path.read_bytes(), path.name)
    assert [
        [c.check_name for c in ex.extraction_checks if c.document_id == d.document_id] for d in ex.documents
    ] == checks
    assert [c for c in ex.extraction_checks if not c.passed] == []
    assert [d.suspect for d in ex.documents] == [False] * len(checks)
    assert all(d.warnings == [] for d in ex.documents)
    assert not any("suspect" in n for n in ex.notices)


def test_a_passed_check_says_what_it_saw(corpus_text) -> None:
    name, data = corpus_text("002")
    ex = extract_bytes(data, name)
    by_name = {c.check_name: c for c in ex.extraction_checks}
    # Sheets 26-51 are kept out of the corpus copy: the rows after the last sheet are named, not failed.
    sheets = by_name["sheets_match_rows"]
    assert (sheets.expected, sheets.found) == (
        "rows with a sheet: 25; sheets without a row: 0",
        "rows with a sheet: 25; sheets without a row: 0",
    )
    assert sheets.detail == (
        "Each of the 25 rows up to the last sheet has its sheet. "
        "Rows No.26..51 have no sheet: the packet's sheets stop at No.25."
    )
    assert (by_name["dates_in_period"].expected, by_name["dates_in_period"].found) == (
        "2023-07-01..2024-01-31",
        "2023-07-28..2024-01-15",
    )


def test_every_doc_type_with_checks_of_its_own_is_a_real_type() -> None:
    from pipeline.documents import registered

    assert set(CHECKS) <= {kind.doc_type for kind in registered()}


# --------------------------------------------------------------------------- case lists


def test_a_lost_row(damaged) -> None:
    ex = damaged("001", _drop_lines(r"^10\t"))
    (doc,) = ex.documents
    assert doc.suspect
    assert _failed(ex) == {
        "numbering_contiguous": ("1..29", "1..9, 11..30"),
        "sheets_match_rows": (
            "rows with a sheet: 29; sheets without a row: 0",
            "rows with a sheet: 29; sheets without a row: 1",
        ),
    }
    # Nothing is dropped: the sheet of No.10 stays a mention of its own.
    assert len(ex.case_mentions) == 30
    assert any(
        "is suspect: numbering_contiguous (expected 1..29, found 1..9, 11..30)" in n for n in ex.notices
    )


def test_blank_date_and_result_cells(damaged) -> None:
    def blank(text: str) -> str:
        for no in (3, 4, 5):
            text = re.sub(rf"(?m)^({no}\t[^\n]*)\t4月3日\t承認$", r"\1\t\t", text)
        return text

    ex = damaged("001", blank)
    assert ex.documents[0].suspect
    assert _failed(ex) == {
        "rows_complete": (
            "付議日, 審議結果, 担当課, 区分 on all 30 rows",
            "付議日 missing on No.3..5; 審議結果 missing on No.3..5",
        )
    }
    for no in (3, 4, 5):
        row = _row(ex, no)
        assert (row.deliberated_on, row.result) == (None, None)
        assert row.warnings == [
            "deliberated_on: : missing where the list's other rows have it",
            "result: : missing where the list's other rows have it",
        ]
    assert _row(ex, 3).title == "「広報新宿」に係る個別配達及びコールセンター業務の委託について"
    assert _row(ex, 6).warnings == []


def test_blank_cells_of_wrapped_rows(damaged) -> None:
    """In the raw-PDF shape the reader keeps rows without a date apart (it resynchronises on the next
    number); the document is flagged by the cells the other rows fill."""

    def blank(text: str) -> str:
        for dept in ("健康づくり課", "衛生課", "交通対策課"):
            text = _replace(f"{dept} 業務委託 1月15日 承認", f"{dept} 業務委託")(text)
        return text

    ex = damaged("002", blank)
    assert ex.documents[0].suspect
    assert _failed(ex) == {
        "rows_complete": (
            "付議日, 審議結果, 担当課, 区分 on all 51 rows",
            "付議日 missing on No.47..49; 審議結果 missing on No.47..49",
        )
    }
    assert _row(ex, 47).title == "バースデーサポート事業に係る業務の委託について"
    assert (_row(ex, 48).deliberated_on, _row(ex, 48).result) == (None, None)
    assert "deliberated_on: : missing where the list's other rows have it" in _row(ex, 49).warnings


def test_a_list_cut_short(damaged) -> None:
    ex = damaged("001", _drop_lines(r"^(2[1-9]|30)\t"))
    assert ex.documents[0].suspect
    assert _failed(ex) == {
        "sheets_match_rows": (
            "rows with a sheet: 20; sheets without a row: 0",
            "rows with a sheet: 20; sheets without a row: 10",
        ),
        "dates_cover_period": ("2023-04..2023-06", "2023-04..2023-05"),
    }
    assert len(ex.case_mentions) == 30


def test_a_list_cut_short_where_no_sheet_shows_it(damaged) -> None:
    """002 without its last ten rows (the January meeting): numbers 1..41 run on, and the rows
    after No.25 have no sheets in this copy; the period 令和5年7月から令和6年1月 tells."""
    ex = damaged("002", _cut("42\n東京共同電子申請", "個人情報保護管理運営会議にて審議した案件については"))
    assert len(ex.case_mentions) == 41
    assert ex.documents[0].suspect
    assert _failed(ex) == {"dates_cover_period": ("2023-07..2024-01", "2023-07..2023-12")}
    check = next(c for c in ex.extraction_checks if c.check_name == "dates_cover_period")
    assert check.detail == (
        "The last 付議日 is 2023-12-21, the period runs to 2024-01: the list may have lost rows at that "
        "end, or the period was misread."
    )


def test_a_renumbered_row(damaged) -> None:
    """OCR reads 15 as 3 (two edits: not read back from the rows around it): a second No.3, no
    No.15, and the sheet of No.15 without its row."""
    ex = damaged("001", _replace("\n15\t東京共同", "\n3\t東京共同"))
    assert ex.documents[0].suspect
    assert _failed(ex) == {
        "numbering_contiguous": ("1..30", "1..14, 3, 16..30"),
        "sheets_match_rows": (
            "rows with a sheet: 30; sheets without a row: 0",
            "rows with a sheet: 29; sheets without a row: 1",
        ),
    }
    second = _row(ex, 3, nth=1)
    assert second.title == "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)"
    assert "seq_no: 3: out of sequence in the list" in second.warnings
    assert "sheet: : none for this row, though sheets follow for later rows" in second.warnings
    assert _row(ex, 3).warnings == []


def test_a_row_number_one_edit_off_is_read_from_the_rows_around_it(damaged) -> None:
    """OCR reads 15 as 5, between 14 and 16: read as 15, with a warning; nothing fails."""
    ex = damaged("001", _replace("\n15\t東京共同", "\n5\t東京共同"))
    assert not ex.documents[0].suspect and _failed(ex) == {}
    row = _row(ex, 15)
    assert row.title == "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)"
    assert row.warnings == ["seq_no: 5: read as 15: the rows around it"]
    assert row.program_name is not None  # its detail sheet found it


def test_a_row_renumbered_past_the_list(damaged) -> None:
    ex = damaged("001", _replace("\n24\t医療扶助", "\n42\t医療扶助"))
    assert _failed(ex)["numbering_contiguous"] == ("1..30", "1..23, 42, 25..30")
    check = next(c for c in ex.extraction_checks if c.check_name == "numbering_contiguous")
    assert check.detail == (
        "The list's numbers are not 1..30: 24 missing; 42 beyond the 30 rows read; a row may be lost, "
        "merged into its neighbour or misnumbered."
    )


def test_a_lost_sheet(damaged) -> None:
    ex = damaged(
        "001",
        _cut(
            "新宿区産後ケア事業（アウトリーチ型）に係る業務の委託について（委託内容の追加）  \n (No. 10)",
            "女性の健康支援事業に係る業務の委託について (No.1 1)",
        ),
    )
    assert ex.documents[0].suspect
    assert _failed(ex) == {
        "sheets_match_rows": (
            "rows with a sheet: 30; sheets without a row: 0",
            "rows with a sheet: 29; sheets without a row: 0",
        )
    }
    row = _row(ex, 10)
    assert row.program_name is None
    assert row.warnings == ["sheet: : none for this row, though sheets follow for later rows"]


def _drop_markers(pattern: str, count: int = 0) -> Edit:
    def edit(text: str) -> str:
        out, n = re.subn(pattern, "", text, count=count)
        assert n
        return out

    return edit


def test_sheets_the_parser_cannot_take_apart(damaged) -> None:
    """Sheets printed without their (No.N) markers are not read as sheets at all: only their text
    (事業名 and 担当課 rows, 30 times) says they are there."""
    ex = damaged("001", _drop_markers(r"[（(]\s*N\s*o\s*\.?\s*[\d ]+[)）]"))
    assert ex.documents[0].suspect
    assert _failed(ex) == {"sheets_read": ("at least 30 sheets", "0 sheets read")}
    assert len(ex.case_mentions) == 30
    assert all(m.program_name is None for m in ex.case_mentions)


def test_one_sheet_the_parser_cannot_find(damaged) -> None:
    ex = damaged("001", _drop_markers(r"（No\.7）", count=1))
    assert _failed(ex) == {
        "sheets_read": ("at least 30 sheets", "29 sheets read"),
        "sheets_match_rows": (
            "rows with a sheet: 30; sheets without a row: 0",
            "rows with a sheet: 29; sheets without a row: 0",
        ),
    }


def test_a_title_that_swallowed_the_next_row(damaged) -> None:
    """Rows 16 and 17 read as one: No.16's title runs on into No.17's cells, No.17 is gone."""

    def merge(text: str) -> str:
        lines = text.split("\n")
        i = next(k for k, ln in enumerate(lines) if ln.startswith("16\t"))
        title16 = lines[i].split("\t")[1]
        lines[i] = lines[i + 1].replace("17\t", f"16\t{title16}17", 1)
        del lines[i + 1]
        return "\n".join(lines)

    ex = damaged("001", merge)
    failed = _failed(ex)
    assert failed["numbering_contiguous"] == ("1..29", "1..16, 18..30")
    assert failed["list_agrees_with_sheet"] == (
        "29 of 29 rows agree with their sheets",
        "28 of 29 rows agree with their sheets",
    )
    assert failed["sheets_match_rows"] == (
        "rows with a sheet: 29; sheets without a row: 0",
        "rows with a sheet: 29; sheets without a row: 1",
    )
    assert (
        "title: 区政モニターアンケートに係る封入封緘業務等の委託について（委託内容の変更）17ふるさと納税ポータル"
        "サイトサービスの導入に係る外部結合について（結合先の追加）: differs from its detail sheet's heading "
        "「区政モニターアンケートに係る封入封緘業務等の委託について(委託内容の変更)」"
    ).replace("（", "(").replace("）", ")") in _row(ex, 16).warnings


def test_a_department_not_in_the_registry(damaged) -> None:
    # A name no registered one is near (one OCR edit away would be read as the registered name).
    ex = damaged("001", _replace("\t区政情報課\t業務委託\t4月3日", "\t宇宙開発課\t業務委託\t4月3日"))
    failed = _failed(ex)
    assert failed["known_departments"] == ("26 of 26 課名 registered", "25 of 26 課名 registered")
    assert failed["list_agrees_with_sheet"] == (
        "30 of 30 rows agree with their sheets",
        "29 of 30 rows agree with their sheets",
    )
    assert "departments: 宇宙開発課: not in the 課名 registry" in _row(ex, 3).warnings
    assert _row(ex, 3).departments == ["宇宙開発課"]


def _to_nakano(text: str) -> str:
    assert "新宿区" in text
    return text.replace("新宿区", "中野区")


def test_a_ward_without_a_registry_is_checked_by_form(damaged) -> None:
    # 中野区 has no 課名 registry: its names cannot be told registered or not, so a clean list of it
    # fails no check; a cell holding words that are no 課名 still does.
    clean = damaged("001", _to_nakano)
    assert {d.municipality for d in clean.documents} == {"中野区"}
    assert _failed(clean) == {}
    (check,) = [c for c in clean.extraction_checks if c.check_name == "known_departments"]
    assert (check.passed, check.expected) == (True, "25 of 25 課名 of a 課名's form")
    misread = damaged(
        "001",
        lambda text: _replace("\t区政情報課\t業務委託\t4月3日", "\t委託内容の変更\t業務委託\t4月3日")(
            _to_nakano(text)
        ),
    )
    assert _failed(misread)["known_departments"] == (
        "26 of 26 課名 of a 課名's form",
        "25 of 26 課名 of a 課名's form",
    )
    assert (
        "departments: 委託内容の変更: not a 課名's form (中野区 has no registry)" in _row(misread, 3).warnings
    )


@pytest.mark.parametrize(
    ("old", "new", "warning", "found"),
    [
        (
            "令和5年4月から6月",
            "令和5年月から6月",  # the month lost (a doubled 月 is read through: issue 17)
            "period: 令和5年月から6月: not a period",
            "fiscal year 2023; period unread (令和5年月から6月)",
        ),
        (
            "## 令和5年度新宿区",
            "## 令和X年度新宿区",
            "fiscal_year: 令和X年度: not a fiscal year",
            "fiscal year 2023; period 2023-04-01..2023-06-30; fiscal year unread (令和X年度)",
        ),
        (
            "令和5年4月から6月",
            "令和5年4月から13月",
            "period: 令和5年4月から13月: no such month 13月",
            "fiscal year 2023; period unread (令和5年4月から13月)",
        ),
    ],
)
def test_an_unreadable_period_or_fiscal_year_is_a_document_warning(
    damaged, old: str, new: str, warning: str, found: str
) -> None:
    ex = damaged("001", _replace(old, new))
    (doc,) = ex.documents
    assert doc.warnings == [warning]
    assert doc.suspect
    assert _failed(ex) == {"period_read": ("a fiscal year or a period", found)}
    # Dates without a year still take it from what was read.
    assert _row(ex, 30).deliberated_on == dt.date(2023, 6, 30)


def test_a_period_with_a_doubled_unit_is_read_with_a_warning(damaged) -> None:
    ex = damaged("001", _replace("令和5年4月から6月", "令和5年4月月から6月"))
    (doc,) = ex.documents
    assert (doc.period_start, doc.period_end) == (dt.date(2023, 4, 1), dt.date(2023, 6, 30))
    assert len(doc.warnings) == 1 and doc.warnings[0].startswith("period: ")
    assert doc.warnings[0].endswith(": read as 令和5年4月から6月")
    assert not doc.suspect


# --------------------------------------------------------------------------- reports


def test_an_outsourcing_row_lost(damaged) -> None:
    ex = damaged("000", _drop_lines(r"^5\t産業振興課\t280301-046"))
    assert _failed(ex) == {
        "numbering_contiguous": (
            "new 1..52; discontinued 1..24; changed 1..6",
            "new 1..4, 6..53; discontinued 1..24; changed 1..6",
        ),
        "counts_match_lists": (
            "実施機関別個人情報業務委託件数 / 新たな業務委託数b (new list): 53",
            "実施機関別個人情報業務委託件数 / 新たな業務委託数b (new list): 52",
        ),
    }
    assert ex.documents[0].suspect


def test_a_misread_registration_number(damaged) -> None:
    ex = damaged("000", _replace("\t230101-043\t", "\t23010-043\t"))
    assert _failed(ex) == {
        "registration_number_form": (
            "83 of 83 entries with numbers of the form 000000-000",
            "82 of 83 entries with numbers of the form 000000-000",
        )
    }
    (entry,) = [e for e in ex.outsourcing_entries if e.section == "new" and e.seq_no == 1]
    assert entry.registration_numbers == ["23010-043"]
    assert entry.warnings == [
        "registration_numbers: 23010-043: not in the printed form 000000-000; kept as printed"
    ]


def test_a_count_table_that_does_not_add_up(damaged) -> None:
    ex = damaged("000", _replace("合計\t482\t53\t24\t511\t24", "合計\t482\t53\t24\t511\t42"))
    assert _failed(ex) == {
        "counts_add_up": ("1 of 1 count tables consistent", "0 of 1 count tables consistent"),
    }
    check = next(c for c in ex.extraction_checks if c.check_name == "counts_add_up")
    assert check.detail == (
        "実施機関別個人情報業務委託件数: 合計 of 内、特定個人情報の取扱いがあるものの数 is 42 but its rows sum "
        "to 24: a digit was misread (or the report's table is wrong)."
    )


def test_a_flag_read_the_other_way(damaged) -> None:
    ex = damaged(
        "003",
        _replace(
            "1\t避難行動要支援者の支援\t世田谷総合支所地域振興課\t区長\t有\t無",
            "1\t避難行動要支援者の支援\t世田谷総合支所地域振興課\t区長\t無\t無",
        ),
    )
    assert _failed(ex) == {
        "counts_match_lists": ("外部委託 / 区長 / sensitive: 305", "外部委託 / 区長 / sensitive: 304"),
    }
    assert [d.suspect for d in ex.documents] == [True, False]


def test_a_flag_not_read(damaged) -> None:
    ex = damaged(
        "003",
        _replace(
            "1\t避難行動要支援者の支援\t世田谷総合支所地域振興課\t区長\t有\t無",
            "1\t避難行動要支援者の支援\t世田谷総合支所地域振興課\t区長\tX\t無",
        ),
    )
    failed = _failed(ex)
    assert failed["flags_read"] == ("868 of 868 有/無 cells read", "867 of 868 有/無 cells read")
    assert ex.sensitive_items[0].warnings == ["sensitive: X: not 有 or 無"]


# --------------------------------------------------------------------------- incidents


def test_events_out_of_order(damaged) -> None:
    ex = damaged("003", _replace("- (3) 7月3日(月)", "- (3) 7月13日(月)"))
    assert _failed(ex) == {
        "events_in_order": ("7 dated events in date order", "event 4 (2023-07-07) after event 3 (2023-07-13)")
    }
    assert [d.suspect for d in ex.documents] == [False, True]


def test_discovered_before_it_happened(damaged) -> None:
    ex = damaged("003", _replace("- (1) 6月26日(月)", "- (1) 7月26日(月)"))
    assert _failed(ex) == {
        "events_in_order": (
            "7 dated events in date order",
            "event 2 (2023-06-27) after event 1 (2023-07-26)",
        ),
        "discovered_after_occurred": ("on or after 2023-07-26", "2023-07-07"),
    }


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("numbers", "printed", "problems", "rows"),
    [
        (list(range(1, 31)), "1..30", [], []),
        ([*range(1, 15), 5, *range(16, 31)], "1..14, 5, 16..30", ["15 missing", "5 repeated"], [14]),
        (
            [k for k in range(1, 31) if k != 10],
            "1..9, 11..30",
            ["10 missing", "30 beyond the 29 rows read"],
            [],
        ),
        (
            [*range(1, 34), 344, *range(35, 52)],
            "1..33, 344, 35..51",
            ["34 missing", "344 beyond the 51 rows read"],
            [33],
        ),
        ([1, 2, None, 4], "1..2, ?, 4", ["3 missing", "1 without a number"], []),
        # Two rows swapped: neither fits where it stands.
        ([1, 3, 2], "1, 3, 2", ["out of order"], [1, 2]),
        ([2], "2", ["1 missing", "2 beyond the 1 rows read"], [0]),
    ],
)
def test_numbering(numbers, printed: str, problems: list[str], rows: list[int]) -> None:
    assert runs(numbers) == printed
    assert numbering_problems(numbers) == problems
    assert out_of_sequence(numbers) == rows

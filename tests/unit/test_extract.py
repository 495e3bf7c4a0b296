"""The extraction seam: documents and their metadata for every corpus file; PDF and text agree."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.extract import extract_bytes
from schemas import LIST_FIELDS as SCHEMA_LIST_FIELDS
from schemas import CaseMention, Document

D = dt.date


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        # (doc_type, report_no, municipality, title, issued_on, fiscal_year, period_start, period_end),
        # read off each document by eye.
        (
            "000",
            [("outsourcing_report", None, "新宿区", "個人情報業務委託の状況", None, 2021, None, None)],
        ),
        (
            "001",
            [
                (
                    "deliberation_list",
                    None,
                    "新宿区",
                    "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧",
                    None,
                    2023,
                    D(2023, 4, 1),
                    D(2023, 6, 30),
                )
            ],
        ),
        (
            "002",
            [
                (
                    "deliberation_list",
                    None,
                    "新宿区",
                    "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧",
                    D(2024, 1, 18),
                    2023,
                    D(2023, 7, 1),
                    D(2024, 1, 31),
                )
            ],
        ),
        (
            "003",
            [
                (
                    "review_status_report",
                    359,
                    "世田谷区",
                    "個人情報を取り扱う業務の審査の状況について(令和5年4月1日時点)",
                    D(2023, 8, 18),
                    2023,
                    None,
                    None,
                ),
                (
                    "incident_report",
                    360,
                    "世田谷区",
                    "個人情報を含む保存期間中の文書の誤廃棄について",
                    D(2023, 8, 18),
                    2023,
                    None,
                    None,
                ),
            ],
        ),
        (
            "004",
            [
                (
                    "council_item",
                    None,
                    "新宿区",
                    "情報公開・個人情報保護審議会諮問・報告事項",
                    None,
                    None,
                    None,
                    None,
                )
            ],
        ),
    ],
)
def test_documents_of_each_corpus_file(corpus_text, prefix: str, expected: list[tuple[object, ...]]) -> None:
    name, data = corpus_text(prefix)
    ex = extract_bytes(data, name)
    got = [
        (
            d.doc_type,
            d.report_no,
            d.municipality,
            d.title,
            d.issued_on,
            d.fiscal_year,
            d.period_start,
            d.period_end,
        )
        for d in ex.documents
    ]
    assert got == expected
    for position, d in enumerate(ex.documents):
        assert d.document_id == f"{ex.file_sha256[:16]}-{position:02d}"
        assert d.source_format == "text" and d.encoding == "utf-8" and d.page_count is None
        assert d.text and "\u3000" not in d.text


def test_document_ids_do_not_depend_on_the_file_name(corpus_text) -> None:
    name, data = corpus_text("001")
    a, b = extract_bytes(data, name), extract_bytes(data, "elsewhere/renamed.txt")
    assert [d.document_id for d in a.documents] == [d.document_id for d in b.documents]
    assert [m.mention_id for m in a.case_mentions] == [m.mention_id for m in b.case_mentions]


# the list's fields and the two a sheet prints beside them
LIST_FIELDS = (*SCHEMA_LIST_FIELDS, "program_name", "detail_departments_raw")


def test_pdf_gives_the_same_cases_as_its_text(corpus_text, corpus_pdf) -> None:
    """The corpus PDF was made from text/001: the same 30 cases, field for field.

    Its detail sheets are shortened (no 目的 / 対象者), so only the fields both carry are compared.
    """
    name, data = corpus_text("001")
    text = extract_bytes(data, name)
    pdf = extract_bytes(corpus_pdf.read_bytes(), corpus_pdf.name)
    assert pdf.documents[0].source_format == "pdf" and pdf.documents[0].page_count == 32
    assert len(pdf.case_mentions) == len(text.case_mentions) == 30
    for a, b in zip(text.case_mentions, pdf.case_mentions, strict=True):
        assert {f: getattr(a, f) for f in LIST_FIELDS} == {f: getattr(b, f) for f in LIST_FIELDS}
    pages = [(m.seq_no, m.page_start, m.page_end) for m in pdf.case_mentions]
    assert pages[0] == (1, 1, 3) and pages[-1] == (30, 2, 32)


def test_mentions_merge_list_row_and_sheet(corpus_text) -> None:
    name, data = corpus_text("001")
    m = extract_bytes(data, name).case_mentions[0]
    assert (m.program_name, m.detail_departments_raw, m.target_count, m.target_count_unit) == (
        "行政手続のオンライン化等の推進",
        "行政管理課、情報システム課外10課",
        12100,
        "件",
    )
    # The list names the departments; the sheet's `外10課` text stays in its raw column.
    assert m.departments == ["行政管理課", "情報システム課"] and m.unnamed_department_count == 10
    assert m.line_start == 12 and m.line_end > 50


def test_records_round_trip_through_json(corpus_text) -> None:
    for prefix in ("001", "003"):
        name, data = corpus_text(prefix)
        ex = extract_bytes(data, name)
        for d in ex.documents:
            assert Document.model_validate_json(d.model_dump_json()) == d
        for m in ex.case_mentions:
            assert CaseMention.model_validate_json(m.model_dump_json()) == m

"""The case field set is defined once (schemas.ListFields, SheetFields); the models and the parsers'
rows that inherit it keep the contract's column order, and the store's tables come from the models."""

from __future__ import annotations

from pipeline.documents.deliberation_list.rows import ListRow
from pipeline.documents.deliberation_list.sheets import Sheet
from pipeline.store import schema
from schemas import (
    CASE_FIELDS,
    FILE_TABLES,
    LIST_FIELDS,
    SHEET_FIELDS,
    TABLES,
    Case,
    CaseMention,
    FileExtraction,
)

# ../shared/CONTRACT.md §2, case_mentions and cases, typed from the contract.
CONTRACT_CASE_FIELDS = (
    "seq_no",
    "title",
    "departments",
    "departments_raw",
    "unnamed_department_count",
    "categories",
    "deliberated_on",
    "result",
    "program_name",
    "detail_departments_raw",
    "purpose",
    "target",
    "summary",
    "target_count",
    "target_count_unit",
)


def test_case_fields_in_the_contracts_order() -> None:
    assert CASE_FIELDS == CONTRACT_CASE_FIELDS
    assert LIST_FIELDS + SHEET_FIELDS == CASE_FIELDS
    assert list(CaseMention.model_fields) == [
        "mention_id",
        "document_id",
        "case_id",
        *CONTRACT_CASE_FIELDS,
        "page_start",
        "page_end",
        "line_start",
        "line_end",
        "warnings",
    ]
    assert list(Case.model_fields) == [
        "case_id",
        "series_id",
        "municipality",
        "fiscal_year",
        *CONTRACT_CASE_FIELDS,
        "mention_count",
        "document_ids",
    ]


def test_the_parsers_rows_carry_the_case_fields_they_read() -> None:
    assert set(LIST_FIELDS) <= set(ListRow.model_fields)
    assert set(SHEET_FIELDS) <= set(Sheet.model_fields)
    assert ListRow.store_table is None and Sheet.store_table is None


def test_the_stores_tables_are_the_models_that_declare_one() -> None:
    assert list(TABLES) == [
        "documents",
        "case_mentions",
        "cases",
        "case_links",
        "outsourcing_entries",
        "institution_counts",
        "sensitive_items",
        "incidents",
        "departments",
        "ingest_runs",
        "ingest_errors",
        "extraction_checks",
    ]
    assert schema.TABLES == TABLES
    assert FILE_TABLES == schema.FILE_TABLES
    assert FILE_TABLES == (
        "case_mentions",
        "outsourcing_entries",
        "institution_counts",
        "sensitive_items",
        "incidents",
        "extraction_checks",
    )
    assert all(name in FileExtraction.model_fields for name in FILE_TABLES)

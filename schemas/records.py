"""Pydantic models, one per table of ../shared/CONTRACT.md §2.

The field names, order and types are the contract; `pipeline/store` derives the DuckDB DDL and the
list of tables from these models, so a column or a table can only be added here.

The case fields (what a case list row and a detail sheet say about a case) are defined once, in
`ListFields` and `SheetFields`; `CaseMention`, `Case` and the parsers' rows inherit them, and
`LIST_FIELDS`, `SHEET_FIELDS` and `CASE_FIELDS` name them for code that copies them across.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

# Every table of the store, in the order its models are defined here: filled by `Record`.
TABLES: dict[str, type[Record]] = {}


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # The store table a model's rows go to; None for the parts of a row (IncidentEvent, the case
    # field sets) and for what is not stored (FileExtraction, the parsers' rows).
    store_table: ClassVar[str | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # Only a model that names its table itself: a subclass of a table's model is not that table.
        table = cls.__dict__.get("store_table")
        if table is not None:
            if table in TABLES:
                raise TypeError(f"two models for the table {table}: {TABLES[table].__name__}, {cls.__name__}")
            TABLES[table] = cls


class Document(Record):
    store_table = "documents"

    document_id: str
    file_sha256: str
    source_path: str
    source_format: Literal["pdf", "text"]
    encoding: str | None = None
    municipality: str | None = None
    doc_type: str = "unknown"  # a registered type's name (pipeline/documents), else unknown
    report_no: int | None = None
    title: str | None = None
    issued_on: dt.date | None = None
    fiscal_year: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    page_count: int | None = None
    text: str = ""
    parser_version: str
    ingested_at: dt.datetime | None = None
    warnings: list[str] = Field(default_factory=list)
    suspect: bool = False


class ListFields(Record):
    """What a case list's row says about a case: the list columns of case_mentions and cases."""

    seq_no: int | None = None
    title: str | None = None
    departments: list[str] = Field(default_factory=list)
    departments_raw: str | None = None
    unnamed_department_count: int = 0
    categories: list[str] = Field(default_factory=list)
    deliberated_on: dt.date | None = None
    result: str | None = None


class SheetFields(Record):
    """What a case's detail sheet (別紙) says: NULL where a document has no sheet for the case."""

    program_name: str | None = None
    detail_departments_raw: str | None = None
    purpose: str | None = None
    target: str | None = None
    summary: str | None = None
    target_count: int | None = None
    target_count_unit: str | None = None


# pydantic orders fields base first along the reversed MRO: a class listing its bases as
# (later columns, earlier columns) gets the earlier ones first, then its own.
class CaseFields(SheetFields, ListFields):
    """Every case field: the list's, then the sheet's."""


LIST_FIELDS: tuple[str, ...] = tuple(ListFields.model_fields)
SHEET_FIELDS: tuple[str, ...] = tuple(SheetFields.model_fields)
CASE_FIELDS: tuple[str, ...] = tuple(CaseFields.model_fields)


class _MentionKey(Record):
    mention_id: str
    document_id: str
    case_id: str | None = None


class CaseMention(CaseFields, _MentionKey):
    """Columns: the key, the case fields, then where in the file the mention was printed."""

    store_table = "case_mentions"

    page_start: int | None = None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    warnings: list[str] = Field(default_factory=list)
    # Not stored; what the checks (pipeline/checks/) compare: whether a list row printed the
    # mention, whether a detail sheet was merged into it, and that sheet's heading.
    _listed: bool = PrivateAttr(default=False)
    _has_sheet: bool = PrivateAttr(default=False)
    _sheet_heading: str | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        # Mentions are equal when the values they store are: the checks' notes above are not
        # compared (they do not survive a round trip through JSON to the ingest process).
        if not isinstance(other, CaseMention):
            return NotImplemented
        return self.__dict__ == other.__dict__


class _CaseKey(Record):
    case_id: str
    series_id: str
    municipality: str | None = None
    fiscal_year: int | None = None


class Case(CaseFields, _CaseKey):
    """Columns: the key, the case fields (best supported across the mentions), then the mentions."""

    store_table = "cases"

    mention_count: int
    document_ids: list[str]


class CaseLink(Record):
    store_table = "case_links"

    left_mention_id: str
    right_mention_id: str
    decision: Literal["same_case", "same_series", "distinct"]
    rule: str
    score: float
    details: str


class OutsourcingEntry(Record):
    store_table = "outsourcing_entries"

    document_id: str
    section: Literal["new", "discontinued", "changed"]
    seq_no: int | None = None
    department: str | None = None
    registration_numbers: list[str] = Field(default_factory=list)
    business_name: str | None = None
    content: str | None = None
    specific_personal_info: bool | None = None
    start_fiscal_year: int | None = None
    end_fiscal_year: int | None = None
    change_fiscal_year: int | None = None
    reason: str | None = None
    warnings: list[str] = Field(default_factory=list)


class InstitutionCount(Record):
    store_table = "institution_counts"

    document_id: str
    table_name: str
    institution: str
    metric: str
    value: int | None = None


class SensitiveItem(Record):
    store_table = "sensitive_items"

    document_id: str
    seq_no: int | None = None
    review_category: str | None = None
    description: str | None = None
    department: str | None = None
    bureau: str | None = None
    institution: str | None = None
    sensitive: bool | None = None
    ordinance_sensitive: bool | None = None
    extra: str | None = None
    warnings: list[str] = Field(default_factory=list)


class IncidentEvent(Record):
    date: dt.date | None = None
    text: str


class Incident(Record):
    store_table = "incidents"

    document_id: str
    report_no: int | None = None
    title: str | None = None
    departments: list[str] = Field(default_factory=list)
    incident_kind: str | None = None
    affected_count: int | None = None
    affected_unit: str | None = None
    records: str | None = None
    occurred_on: dt.date | None = None
    discovered_on: dt.date | None = None
    events: list[IncidentEvent] = Field(default_factory=list)


class Department(Record):
    store_table = "departments"

    municipality: str
    name: str
    bureau: str | None = None
    aliases: list[str] = Field(default_factory=list)


class IngestRun(Record):
    store_table = "ingest_runs"

    run_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    status: Literal["ok", "partial", "failed", "running"]
    files_seen: int = 0
    files_new: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    parser_version: str


class IngestError(Record):
    store_table = "ingest_errors"

    run_id: str
    source_path: str
    file_sha256: str | None = None
    error_kind: str
    message: str


class ExtractionCheck(Record):
    """One thing the pipeline verified about a document it stored (pipeline/checks/)."""

    store_table = "extraction_checks"

    document_id: str
    check_name: str
    passed: bool
    expected: str
    found: str
    detail: str


class FileExtraction(Record):
    """Everything one file contributes to the store: the unit of atomic loading."""

    source_path: str
    file_sha256: str
    documents: list[Document] = Field(default_factory=list)
    case_mentions: list[CaseMention] = Field(default_factory=list)
    outsourcing_entries: list[OutsourcingEntry] = Field(default_factory=list)
    institution_counts: list[InstitutionCount] = Field(default_factory=list)
    sensitive_items: list[SensitiveItem] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    extraction_checks: list[ExtractionCheck] = Field(default_factory=list)
    # Problems worth a line in the ingest summary (unknown 課名, self-inconsistent counts, ...).
    notices: list[str] = Field(default_factory=list)


# The tables a file's documents fill besides `documents`: FileExtraction's record lists, in order.
FILE_TABLES: tuple[str, ...] = tuple(
    name for name in FileExtraction.model_fields if name in TABLES and name != "documents"
)

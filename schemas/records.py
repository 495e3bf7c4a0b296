"""Pydantic models, one per table of ../shared/CONTRACT.md §2.

The field names, order and types are the contract; `pipeline/load.py` derives the DuckDB DDL
from these models, so a column can only be added here.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

DocType = Literal[
    "deliberation_list",
    "outsourcing_report",
    "review_status_report",
    "incident_report",
    "council_item",
    "unknown",
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Document(Record):
    document_id: str
    file_sha256: str
    source_path: str
    source_format: Literal["pdf", "text"]
    encoding: str | None = None
    municipality: str | None = None
    doc_type: DocType = "unknown"
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


class CaseMention(Record):
    mention_id: str
    document_id: str
    case_id: str | None = None
    seq_no: int | None = None
    title: str | None = None
    departments: list[str] = Field(default_factory=list)
    departments_raw: str | None = None
    unnamed_department_count: int = 0
    categories: list[str] = Field(default_factory=list)
    deliberated_on: dt.date | None = None
    result: str | None = None
    program_name: str | None = None
    detail_departments_raw: str | None = None
    purpose: str | None = None
    target: str | None = None
    summary: str | None = None
    target_count: int | None = None
    target_count_unit: str | None = None
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


class Case(Record):
    case_id: str
    series_id: str
    municipality: str | None = None
    fiscal_year: int | None = None
    seq_no: int | None = None
    title: str | None = None
    departments: list[str] = Field(default_factory=list)
    departments_raw: str | None = None
    unnamed_department_count: int = 0
    categories: list[str] = Field(default_factory=list)
    deliberated_on: dt.date | None = None
    result: str | None = None
    program_name: str | None = None
    detail_departments_raw: str | None = None
    purpose: str | None = None
    target: str | None = None
    summary: str | None = None
    target_count: int | None = None
    target_count_unit: str | None = None
    mention_count: int
    document_ids: list[str]


class CaseLink(Record):
    left_mention_id: str
    right_mention_id: str
    decision: Literal["same_case", "same_series", "distinct"]
    rule: str
    score: float
    details: str


class OutsourcingEntry(Record):
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
    document_id: str
    table_name: str
    institution: str
    metric: str
    value: int | None = None


class SensitiveItem(Record):
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
    municipality: str
    name: str
    bureau: str | None = None
    aliases: list[str] = Field(default_factory=list)


class IngestRun(Record):
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
    run_id: str
    source_path: str
    file_sha256: str | None = None
    error_kind: str
    message: str


class ExtractionCheck(Record):
    """One thing the pipeline verified about a document it stored (pipeline/checks/)."""

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
    checks: list[ExtractionCheck] = Field(default_factory=list)
    # Problems worth a line in the ingest summary (unknown 課名, self-inconsistent counts, ...).
    notices: list[str] = Field(default_factory=list)

    @property
    def extraction_checks(self) -> list[ExtractionCheck]:
        """`checks` under its table's name, so the loader takes every per-file table alike."""
        return self.checks

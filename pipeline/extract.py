"""The seam of the pipeline: one file's bytes (and its name) → every record it contributes.

`extract_bytes` is a pure function with no access to the store: the local process pool and any
distributed executor call it the same way, and `council extract` prints its result. It loops over
the registered document types (pipeline/documents): each document goes to its type's `parse`.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from pipeline import documents
from pipeline.checks import run_checks
from pipeline.documents import layout_hints
from pipeline.documents.registry import DocumentType, check
from pipeline.model import Source
from pipeline.normalise.departments import has_registry, split_departments
from pipeline.normalise.text import clean_multiline
from pipeline.read import read_bytes
from pipeline.segment import Segment, segment
from schemas import CaseMention, Document, FileExtraction, Record

# Bump when parsing changes what a file yields: every file is re-parsed on the next ingest.
PARSER_VERSION = "0.3.1"


def document_id(sha256: str, position: int) -> str:
    """Stable: the same bytes give the same ids, whatever the file is called or when it is read."""
    return f"{sha256[:16]}-{position:02d}"


def _notice_unknown_departments(mentions: Sequence[Record], municipality: str | None) -> list[str]:
    unknown: set[str] = set()
    for m in mentions:
        assert isinstance(m, CaseMention)  # `check` has seen to it
        unknown.update(split_departments(m.departments_raw, municipality).unknown)
    if unknown and not has_registry(municipality):
        # One line, not one a name: every name of such a ward is unregistered.
        return [f"{municipality} has no 課名 registry: {len(unknown)} 課名 kept as printed"]
    return [f"課名 not in the registry: {name}" for name in sorted(unknown)]


def _parse(kind: DocumentType, seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    parsed = kind.parse(seg, doc_id)
    check(kind, parsed)
    for table, records in parsed.records.items():
        getattr(out, table).extend(records)
    notices = list(parsed.notices)
    if "case_mentions" in parsed.records:
        notices += _notice_unknown_departments(parsed.records["case_mentions"], seg.municipality)
    return notices


def extract_source(src: Source) -> FileExtraction:
    out = FileExtraction(source_path=src.source_path, file_sha256=src.sha256)
    for position, seg in enumerate(segment(src.lines, documents.recognitions())):
        doc_id = document_id(src.sha256, position)
        out.documents.append(
            Document(
                document_id=doc_id,
                file_sha256=src.sha256,
                source_path=src.source_path,
                source_format="pdf" if src.source_format == "pdf" else "text",
                encoding=src.encoding,
                municipality=seg.municipality,
                doc_type=seg.doc_type,
                report_no=seg.report_no,
                title=seg.title,
                issued_on=seg.issued_on,
                fiscal_year=seg.fiscal_year,
                period_start=seg.period_start,
                period_end=seg.period_end,
                page_count=src.page_count,
                text=clean_multiline(seg.text) or "",
                parser_version=PARSER_VERSION,
                warnings=list(seg.warnings),
            )
        )
        label = f"{src.source_path} document {position + 1} ({seg.doc_type})"
        notices = [f"{label}: {w}" for w in seg.warnings]
        kind = documents.get(seg.doc_type)
        if kind is None:
            notices.append(f"{label}: type not recognised; kept as an unknown document with its text")
        else:
            notices += [f"{label}: {n}" for n in _parse(kind, seg, doc_id, out)]
        out.notices.extend(notices)
    _unique_mention_ids(out.case_mentions)
    run_checks(out)
    return out


def _unique_mention_ids(mentions: list[CaseMention]) -> None:
    """A number printed twice (OCR reads 15 as 5) must not cost the file its load: the store keys
    mentions by id, so a repeated id takes `~2`, `~3` … in printed order."""
    seen: dict[str, int] = {}
    for m in mentions:
        n = seen[m.mention_id] = seen.get(m.mention_id, 0) + 1
        if n > 1:
            m.mention_id = f"{m.mention_id}~{n}"


def extract_bytes(data: bytes, source_path: str) -> FileExtraction:
    """Parse one file. Raises `pipeline.read.ExtractionError` for a file that is not a usable packet."""
    return extract_source(read_bytes(data, source_path, layout_hints()))


def warm_up() -> None:
    """Fill the parsers' caches (rules files, compiled patterns, the 課名 registry) in this process by
    parsing one small packet that holds every built-in document type (pipeline/documents/warm_up.txt),
    so that forked workers start warm; never fails."""
    try:
        sample = resources.files("pipeline.documents").joinpath("warm_up.txt").read_bytes()
        extract_bytes(sample, "warm-up.txt")
    except Exception:  # warming is an optimisation only: a failure here is found again per file
        return

"""Stage 4: know when an extraction is wrong. Every document gets checks over the records it
yielded; a failed check marks it `suspect` and is stored with it (table `extraction_checks`).

The checks are data-driven functions of the parsed records (pipeline/checks/base.py says what one
is). A check that does not apply to a document (a list without sheets, a document without a
period) is not recorded; every document is recorded with at least `title_read` and `ward_read`.
A failed check never drops or changes a row's values: it adds warnings (`field: printed text:
problem`) to the rows concerned, marks the document suspect and names it in one notice.
"""

from __future__ import annotations

from pipeline.checks import common, deliberation_list, incident, reports
from pipeline.checks.base import CheckFn, by_document
from schemas import ExtractionCheck, FileExtraction

# The checks of each doc_type beyond the common ones; a type without an entry gets those only.
CHECKS: dict[str, tuple[CheckFn, ...]] = {
    "deliberation_list": deliberation_list.CHECKS,
    "outsourcing_report": reports.OUTSOURCING_CHECKS,
    "review_status_report": reports.CHECKS,
    "incident_report": incident.CHECKS,
}


def run_checks(extraction: FileExtraction) -> list[ExtractionCheck]:
    """Check every document of one file's extraction, in place: `checks`, `suspect`, row
    warnings and one notice per suspect document. Returns the checks it recorded."""
    done: list[ExtractionCheck] = []
    for records in by_document(extraction):
        doc = records.document
        found = [c for fn in (*common.CHECKS, *CHECKS.get(doc.doc_type, ())) if (c := fn(records))]
        failed = [c for c in found if not c.passed]
        doc.suspect = bool(failed)
        done += found
        if failed:
            names = ", ".join(f"{c.check_name} (expected {c.expected}, found {c.found})" for c in failed)
            extraction.notices.append(
                f"{doc.source_path} document {doc.document_id} ({doc.doc_type}) is suspect: {names}"
            )
    extraction.extraction_checks = done
    return done

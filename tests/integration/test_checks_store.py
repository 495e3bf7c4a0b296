"""Checks in the store: a damaged packet is loaded as read and marked suspect, counted in the run's
summary, listed by v_suspect_documents and the report; its checks leave with the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from ingest_support import orphans, query, run

from pipeline.publish.report import render
from pipeline.run import ingest
from pipeline.store import migrate, schema

ROW_10 = "10\t新宿区産後ケア事業"


@pytest.fixture()
def raw(tmp_path: Path, corpus: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(corpus / "text", raw / "text")
    original = next((raw / "text").glob("001_*.txt")).read_text(encoding="utf-8")
    # A copy of 001 that lost its row 10 (its sheet is still there).
    lines = [ln for ln in original.split("\n") if not ln.startswith(ROW_10)]
    assert len(lines) == original.count("\n")
    (raw / "damaged").mkdir()
    (raw / "damaged" / "001_row_lost.txt").write_text("\n".join(lines), encoding="utf-8")
    return raw


def test_a_damaged_packet_is_stored_as_read_and_marked(raw: Path, tmp_path: Path) -> None:
    db = tmp_path / "council.duckdb"
    summary = run(raw, db)
    assert (summary.status, summary.files_new, summary.documents, summary.suspect) == ("ok", 6, 7, 1)
    assert "suspect=1 errors=none" in summary.line()
    suspect_notices = [n for n in summary.notices if "is suspect" in n]
    assert len(suspect_notices) == 1
    assert suspect_notices[0].startswith("damaged/001_row_lost.txt document ")
    assert "numbering_contiguous (expected 1..29, found 1..9, 11..30)" in suspect_notices[0]

    (doc_id,) = query(db, "SELECT document_id FROM documents WHERE source_path = 'damaged/001_row_lost.txt'")[
        0
    ]
    assert query(db, "SELECT source_path FROM documents WHERE suspect") == [("damaged/001_row_lost.txt",)]
    # Every stored document has its checks; the damaged one keeps all 30 mentions (29 rows + a sheet).
    assert query(
        db,
        "SELECT count(*) FROM documents WHERE document_id NOT IN (SELECT document_id FROM extraction_checks)",
    ) == [(0,)]
    assert query(db, "SELECT count(*) FROM case_mentions WHERE document_id = ?", [doc_id]) == [(30,)]
    assert query(db, "SELECT source_path, doc_type, failed_checks FROM v_suspect_documents") == [
        ("damaged/001_row_lost.txt", "deliberation_list", ["numbering_contiguous", "sheets_match_rows"])
    ]
    assert query(
        db,
        "SELECT expected, found FROM extraction_checks WHERE document_id = ? AND check_name = 'sheets_match_rows'",
        [doc_id],
    ) == [
        ("rows with a sheet: 29; sheets without a row: 0", "rows with a sheet: 29; sheets without a row: 1")
    ]
    assert query(db, "SELECT count(*) FROM extraction_checks WHERE NOT passed") == [(2,)]
    assert set(orphans(db).values()) == {0}

    page = render(db)
    section = page[page.index("<section id='suspect-documents'>") :]
    section = section[: section.index("</section>")]
    assert "damaged/001_row_lost.txt" in section and "numbering_contiguous, sheets_match_rows" in section


def test_checks_leave_with_the_file(raw: Path, tmp_path: Path) -> None:
    db = tmp_path / "council.duckdb"
    run(raw, db)
    before = query(db, "SELECT count(*) FROM extraction_checks")[0][0]
    damaged = raw / "damaged" / "001_row_lost.txt"
    # The packet repaired and re-extracted: its old checks go with its old documents. (A last line
    # keeps its bytes apart from text/001's, whose documents would otherwise move to this path.)
    repaired = next((raw / "text").glob("001_*.txt")).read_text(encoding="utf-8") + "\n\n(写し)\n"
    damaged.write_text(repaired, encoding="utf-8")
    assert ingest.reextract(damaged, "damaged/001_row_lost.txt", db) == 1
    assert query(db, "SELECT count(*) FROM extraction_checks")[0][0] == before
    assert query(db, "SELECT count(*) FROM documents WHERE suspect") == [(0,)]
    assert query(db, "SELECT count(*) FROM v_suspect_documents") == [(0,)]
    # Removed on a changed file too: the next ingest of a damaged version brings its failures back.
    damaged.write_text(damaged.read_text(encoding="utf-8").replace("\n" + ROW_10, "\nx"), encoding="utf-8")
    again = run(raw, db)
    assert (again.files_new, again.suspect) == (1, 1)
    assert query(db, "SELECT count(*) FROM extraction_checks")[0][0] == before
    assert set(orphans(db).values()) == {0}


def test_a_store_of_the_first_edition_gains_the_new_columns(tmp_path: Path) -> None:
    """documents as the first edition made it (no warnings, no suspect): the next ingest adds them."""
    db = tmp_path / "old.duckdb"
    fields = [
        (n, f) for n, f in schema.TABLES["documents"].model_fields.items() if n not in ("warnings", "suspect")
    ]
    columns = ", ".join(
        f"{n} {schema.duck_type(n, f.annotation)}" + (" PRIMARY KEY" if n == "document_id" else "")
        for n, f in fields
    )
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE documents ({columns})")
        con.execute(
            "INSERT INTO documents (document_id, file_sha256, source_path, source_format, parser_version) "
            "VALUES ('old-00', 'x', 'gone.txt', 'text', '0.1.0')"
        )
        migrate.ensure_schema(con)
        assert con.execute("SELECT document_id, warnings, suspect FROM documents").fetchall() == [
            ("old-00", None, None)
        ]
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'documents'"
            ).fetchall()
        )
    assert (types["warnings"], types["suspect"]) == ("VARCHAR[]", "BOOLEAN")

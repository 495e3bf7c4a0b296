"""The nightly ingest, in process: incremental, atomic per file, a bad file never stops the run."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from ingest_support import (
    copy_corpus,
    orphans,
    query,
    run,
    snapshot,
)

from pipeline import extract
from pipeline.run import ingest

NO_ORPHANS = {
    "case_mentions.document_id": 0,
    "outsourcing_entries.document_id": 0,
    "institution_counts.document_id": 0,
    "sensitive_items.document_id": 0,
    "incidents.document_id": 0,
    "extraction_checks.document_id": 0,
    "case_mentions.case_id": 0,
    "cases.document_ids": 0,
    "case_links": 0,
}
# Checked by eye in ../shared/corpus: one document per file but 003 (報告第359号 and 第360号);
# 30 cases in 001 (text and PDF), 51 in 002, one 諮問・報告事項 in 004.
DOCS_BY_FILE = [
    ("pdf/001_1994ceeb1dad16c3.rendered.pdf", "deliberation_list", 30),
    ("text/000_3cc04f1daad86607.txt", "outsourcing_report", 0),
    ("text/001_1994ceeb1dad16c3.txt", "deliberation_list", 30),
    ("text/002_4c38fdec3a8dbe73.part-a.txt", "deliberation_list", 51),
    ("text/003_1a821361b52e8a76.txt", "incident_report", 0),
    ("text/003_1a821361b52e8a76.txt", "review_status_report", 0),
    ("text/004_84126b543154b082.txt", "council_item", 1),
]
DOCS_SQL = """SELECT d.source_path, d.doc_type, count(m.mention_id) FROM documents d
              LEFT JOIN case_mentions m USING (document_id) GROUP BY ALL ORDER BY 1, 2"""


def test_rerun_over_unchanged_input_changes_nothing(tmp_path: Path, corpus: Path) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", pdf=True)
    db = tmp_path / "out" / "council.duckdb"
    first = run(raw, db)
    assert (first.status, first.files_seen, first.files_new, first.files_skipped, first.files_failed) == (
        "ok",
        6,
        6,
        0,
        0,
    )
    assert (first.documents, first.case_mentions) == (7, 112)
    assert query(db, DOCS_SQL) == DOCS_BY_FILE
    assert orphans(db) == NO_ORPHANS
    before = snapshot(db)

    again = run(raw, db)
    assert (again.status, again.files_seen, again.files_new, again.files_skipped, again.files_failed) == (
        "ok",
        6,
        0,
        6,
        0,
    )
    assert snapshot(db) == before  # ingested_at included: nothing was rewritten
    runs = query(
        db,
        "SELECT status, files_seen, files_new, files_skipped, files_failed, parser_version, finished_at IS NOT NULL "
        "FROM ingest_runs ORDER BY started_at, files_new DESC",
    )
    assert runs == [
        ("ok", 6, 6, 0, 0, extract.PARSER_VERSION, True),
        ("ok", 6, 0, 6, 0, extract.PARSER_VERSION, True),
    ]
    # The working copy is gone once published; only the store and its lock file remain.
    assert sorted(p.name for p in db.parent.iterdir()) == ["council.duckdb", "council.duckdb.ingest.lock"]


def test_a_changed_file_replaces_what_its_previous_version_contributed(tmp_path: Path, corpus: Path) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", ("001", "004"))
    db = tmp_path / "council.duckdb"
    run(raw, db)
    old_ids = [r[0] for r in query(db, "SELECT document_id FROM documents WHERE source_path LIKE '%001_%'")]
    assert old_ids == ["f471addce03ac6a9-00"]
    # The packet under 001's name is replaced by another one: an outsourcing report, no cases.
    shutil.copy(next((corpus / "text").glob("000_*.txt")), raw / "text" / "001_1994ceeb1dad16c3.txt")
    summary = run(raw, db)
    assert (summary.files_new, summary.files_skipped, summary.files_failed) == (1, 1, 0)
    assert query(db, DOCS_SQL) == [
        ("text/001_1994ceeb1dad16c3.txt", "outsourcing_report", 0),
        ("text/004_84126b543154b082.txt", "council_item", 1),
    ]
    for table in ("documents", "case_mentions", "outsourcing_entries", "institution_counts"):
        assert query(db, f"SELECT count(*) FROM {table} WHERE document_id = ?", old_ids) == [(0,)], table
    assert query(db, "SELECT count(*) FROM cases") == [(1,)]  # dedupe re-planned without the 30 cases
    assert orphans(db) == NO_ORPHANS
    # Incremental ends where a clean run over the same folder does.
    clean = tmp_path / "clean.duckdb"
    run(raw, clean)
    assert snapshot(db, drop=("ingested_at",)) == snapshot(clean, drop=("ingested_at",))


def test_a_new_parser_version_or_reparse_parses_everything_again(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", ("000", "004"))
    db = tmp_path / "council.duckdb"
    run(raw, db)
    original = extract.PARSER_VERSION
    monkeypatch.setattr(extract, "PARSER_VERSION", "99.0-test")  # forked parsers inherit it
    bumped = run(raw, db)
    assert (bumped.files_new, bumped.files_skipped) == (2, 0)
    assert query(db, "SELECT DISTINCT parser_version FROM documents") == [("99.0-test",)]
    assert run(raw, db).files_skipped == 2
    reparsed = run(raw, db, reparse=True)
    assert (reparsed.files_new, reparsed.files_skipped) == (2, 0)
    assert sorted(query(db, "SELECT parser_version, files_new, files_skipped FROM ingest_runs")) == sorted(
        [(original, 2, 0), ("99.0-test", 2, 0), ("99.0-test", 0, 2), ("99.0-test", 2, 0)]
    )


def test_identical_files_are_parsed_once_and_a_renamed_file_moves(tmp_path: Path, corpus: Path) -> None:
    src = next((corpus / "text").glob("004_*.txt"))
    raw = tmp_path / "raw"
    (raw / "a").mkdir(parents=True)
    (raw / "b").mkdir()
    shutil.copy(src, raw / "a" / "packet.txt")
    shutil.copy(src, raw / "b" / "same-packet.txt")
    db = tmp_path / "council.duckdb"
    first = run(raw, db)
    assert (first.files_seen, first.files_new, first.files_skipped, first.documents) == (2, 1, 1, 1)
    assert (
        first.notices[0]
        == "b/same-packet.txt: same bytes as a/packet.txt; its documents are stored once, there"
    )
    assert query(db, "SELECT source_path FROM documents") == [("a/packet.txt",)]
    assert query(db, "SELECT source_path, status FROM ingested_files ORDER BY 1") == [
        ("a/packet.txt", "ok"),
        ("b/same-packet.txt", "duplicate"),
    ]
    before = snapshot(db)
    assert run(raw, db).files_skipped == 2
    assert snapshot(db) == before
    # The first copy goes away: the other takes its documents over (same ids, new path).
    shutil.rmtree(raw / "a")
    moved = run(raw, db)
    assert (moved.files_new, moved.documents, moved.case_mentions) == (1, 1, 1)
    assert query(db, "SELECT document_id, source_path FROM documents") == [
        ("e5e8ba290a2307df-00", "b/same-packet.txt")
    ]
    assert orphans(db) == NO_ORPHANS


def test_a_changed_file_that_fails_keeps_its_previous_version(tmp_path: Path, corpus: Path) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", ("004",))
    db = tmp_path / "council.duckdb"
    run(raw, db)
    path = raw / "text" / "004_84126b543154b082.txt"
    path.write_bytes(path.read_bytes()[:500] + b"\xff\xfe\xfd")
    summary = run(raw, db)
    assert (summary.status, summary.files_failed) == ("failed", 1)
    assert query(db, "SELECT error_kind, message FROM ingest_errors") == [
        (
            "unreadable",
            "text/004_84126b543154b082.txt: is UTF-8 text with 3 invalid byte(s), the first at byte "
            "500; the file is damaged: download or convert it again; the documents of its previous version "
            "stay in the store.",
        )
    ]
    assert query(db, "SELECT document_id FROM documents") == [("e5e8ba290a2307df-00",)]


def _age(raw: Path, seconds: float = 3600) -> None:
    """Set every file's modification time well in the past, as files of an earlier night are."""
    for f in raw.rglob("*"):
        if f.is_file():
            st = f.stat()
            os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_a_file_with_its_size_and_time_unchanged_is_not_read_again(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", ("001", "004"))
    _age(raw)
    db = tmp_path / "council.duckdb"
    assert run(raw, db).files_new == 2
    hashed: list[str] = []
    real = ingest.file_sha256
    monkeypatch.setattr(ingest, "file_sha256", lambda p: hashed.append(Path(p).name) or real(p))
    assert (run(raw, db).files_skipped, hashed) == (2, [])
    # Touched (a copy, a restore): read again, found unchanged, and its new time remembered.
    _age(raw, 60)
    assert (run(raw, db).files_skipped, sorted(hashed)) == (
        2,
        sorted(p.name for p in (raw / "text").iterdir()),
    )
    hashed.clear()
    assert (run(raw, db).files_skipped, hashed) == (2, [])
    assert run(raw, db, reparse=True).files_new == 2 and len(hashed) == 2


def test_a_file_changed_within_a_tick_of_its_hashing_is_still_seen(tmp_path: Path, corpus: Path) -> None:
    # Written and hashed in the same moment: a second write of the same size may keep its time.
    # (A time just ahead of the clock stands for "this very moment", whatever the machine's speed.)
    raw = copy_corpus(corpus, tmp_path / "raw", ("004",))
    f = next((raw / "text").glob("004_*"))
    os.utime(f, ns=(f.stat().st_atime_ns, time.time_ns() + 60_000_000_000))
    db = tmp_path / "council.duckdb"
    assert run(raw, db).files_new == 1
    st = f.stat()
    data = f.read_bytes()
    f.write_bytes(data.replace("個人情報".encode(), "個人情況".encode(), 1))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (f.stat().st_size, f.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert run(raw, db).files_new == 1

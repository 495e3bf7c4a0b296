"""Loading parsed files into the store, in the caller's transaction: each file replaces all it
contributed before, so a file is all-or-nothing with the transaction that loads it."""

from __future__ import annotations

import datetime as dt

import duckdb

from pipeline import extract
from pipeline.dedupe import apply as dedupe_store
from pipeline.rules import department_registry
from pipeline.store import files, schema
from schemas import Department, FileExtraction


def parser_version() -> str:
    # Read at call time: a test (or a hot fix) that changes extract.PARSER_VERSION is seen here.
    return extract.PARSER_VERSION


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def load_departments(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        Department(municipality=e.municipality, name=e.name, bureau=e.bureau, aliases=list(e.aliases))
        for e in department_registry()
    ]
    con.execute("DELETE FROM departments")
    schema.insert(con, "departments", rows)


def delete_file_rows(con: duckdb.DuckDBPyConnection, source_path: str) -> None:
    """Everything a file contributed: its documents and every row hanging off them."""
    ids = "SELECT document_id FROM documents WHERE source_path = ?"
    dedupe_store.forget(con, ids, [source_path])
    for table in schema.FILE_TABLES:
        con.execute(f"DELETE FROM {table} WHERE document_id IN ({ids})", [source_path])
    con.execute("DELETE FROM documents WHERE source_path = ?", [source_path])
    files.forget(con, [source_path])


def load_extraction(con: duckdb.DuckDBPyConnection, ex: FileExtraction) -> None:
    """Replace what the file contributed, in the caller's transaction."""
    load_extractions(con, [ex])


FileStat = tuple[int, int | None]  # (size, mtime_ns) of a file when it was hashed; see _plan


def load_extractions(
    con: duckdb.DuckDBPyConnection, batch: list[FileExtraction], stats: dict[str, FileStat] | None = None
) -> None:
    """Replace what each file of the batch contributed, in the caller's transaction.

    One insert per table for the whole batch: per-statement cost, not rows, dominates small files.
    Each file is still all-or-nothing, since the batch is.
    """
    # Whatever these paths held before, and the documents of the same bytes under another name (a
    # renamed file gives the same document ids): found in one query, since most files are new.
    paths = [ex.source_path for ex in batch]
    doc_ids = [d.document_id for ex in batch for d in ex.documents]
    path_marks = ",".join("?" * len(paths))
    where = f"source_path IN ({path_marks})"
    if doc_ids:
        where += f" OR document_id IN ({','.join('?' * len(doc_ids))})"
    holders = con.execute(
        f"SELECT DISTINCT source_path FROM documents WHERE {where}", paths + doc_ids
    ).fetchall()
    for (held,) in sorted(holders):
        delete_file_rows(con, held)
    files.forget(con, paths)
    at = now()
    for ex in batch:
        for d in ex.documents:
            d.ingested_at = at
    for table in ("documents", *schema.FILE_TABLES):
        schema.insert(con, table, [r for ex in batch for r in getattr(ex, table)])
    version = parser_version()
    stats = stats or {}
    files.put(
        con,
        (
            files.FileRecord(
                ex.source_path,
                ex.file_sha256,
                version,
                "ok",
                len(ex.documents),
                at,
                None,
                None,
                *stats.get(ex.source_path, (None, None)),
            )
            for ex in batch
        ),
    )
    docs = {d.document_id: (d.municipality, d.fiscal_year) for ex in batch for d in ex.documents}
    dedupe_store.mark(con, dedupe_store.scopes_of((m for ex in batch for m in ex.case_mentions), docs))

"""Loading parsed files into the store, in the caller's transaction: each file replaces all it
contributed before, so a file is all-or-nothing with the transaction that loads it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipeline import extract
from pipeline.dedupe import apply as dedupe_store
from pipeline.dedupe.series import Scope
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


@dataclass(eq=False)
class FileRows:
    """One parsed file as the store's writer loads it: its records already in the store's Arrow columns.

    Made by `file_rows` in the worker that parsed the file, so the one writer neither rebuilds models
    from what crossed the pipe (validating them again) nor turns them into columns: at 10,000 packets
    that was about 50 of the writer's 180 CPU-seconds, on a machine where every core is parsing."""

    source_path: str
    file_sha256: str
    tables: dict[str, pa.Table]  # "documents" and schema.FILE_TABLES, in arrow_schema(table)
    document_ids: list[str]
    doc_types: list[str]
    suspect: int  # documents marked suspect
    notices: list[str]
    scopes: set[Scope]  # what its mentions make pending for dedupe (dedupe.apply.scopes_of)


def file_rows(ex: FileExtraction) -> FileRows:
    docs = {d.document_id: (d.municipality, d.fiscal_year) for d in ex.documents}
    return FileRows(
        ex.source_path,
        ex.file_sha256,
        {
            table: schema.arrow_table(table, getattr(ex, table))
            for table in ("documents", *schema.FILE_TABLES)
        },
        list(docs),
        [d.doc_type for d in ex.documents],
        sum(d.suspect for d in ex.documents),
        list(ex.notices),
        dedupe_store.scopes_of(ex.case_mentions, docs),
    )


def load_extraction(con: duckdb.DuckDBPyConnection, ex: FileExtraction) -> None:
    """Replace what the file contributed, in the caller's transaction."""
    load_extractions(con, [file_rows(ex)])


FileStat = tuple[int, int | None]  # (size, mtime_ns) of a file when it was hashed; see _plan


def load_extractions(
    con: duckdb.DuckDBPyConnection, batch: list[FileRows], stats: dict[str, FileStat] | None = None
) -> None:
    """Replace what each file of the batch contributed, in the caller's transaction.

    One insert per table for the whole batch: per-statement cost, not rows, dominates small files.
    Each file is still all-or-nothing, since the batch is.
    """
    # Whatever these paths held before, and the documents of the same bytes under another name (a
    # renamed file gives the same document ids): found in one query, since most files are new.
    paths = [ex.source_path for ex in batch]
    doc_ids = [d for ex in batch for d in ex.document_ids]
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
    for table in ("documents", *schema.FILE_TABLES):
        tbl = pa.concat_tables([ex.tables[table] for ex in batch])
        if table == "documents":
            stamp = tbl.schema.get_field_index("ingested_at")
            field = tbl.schema.field(stamp)
            tbl = tbl.set_column(stamp, field, pa.repeat(pa.scalar(at, field.type), tbl.num_rows))
        schema.insert_arrow(con, table, tbl)
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
                len(ex.document_ids),
                at,
                None,
                None,
                *stats.get(ex.source_path, (None, None)),
            )
            for ex in batch
        ),
    )
    dedupe_store.mark(con, set().union(*(ex.scopes for ex in batch)))

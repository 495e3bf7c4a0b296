"""The ingest's memory between runs: which version of which file produced what (`ingested_files`).

Internal, not part of the contract. A row per path: `ok` (its documents are loaded), `failed`
(with the error kind and the limits it failed under, so an unchanged file is not retried until the
file, the parser or the limits change) or `duplicate` (the same bytes as a path loaded earlier).
Size and modification time let an unchanged file be skipped without reading it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class FileRecord:
    source_path: str
    file_sha256: str | None
    parser_version: str
    status: str  # ok | failed | duplicate
    document_count: int
    ingested_at: dt.datetime
    error_kind: str | None = None
    limits: str | None = None
    file_size: int | None = None
    file_mtime_ns: int | None = None  # None: modified too recently to trust (see run/ingest.py)


COLUMNS = tuple(f.name for f in fields(FileRecord))
_COLUMN_LIST = ", ".join(COLUMNS)
# Rows go in through Arrow, one statement per call: executemany costs a statement per row, which
# made recording the files of a 10,000-packet archive take longer than loading their documents.
_ARROW = pa.schema(
    [
        ("source_path", pa.string()),
        ("file_sha256", pa.string()),
        ("parser_version", pa.string()),
        ("status", pa.string()),
        ("document_count", pa.int32()),
        ("ingested_at", pa.timestamp("us")),
        ("error_kind", pa.string()),
        ("limits", pa.string()),
        ("file_size", pa.int64()),
        ("file_mtime_ns", pa.int64()),
    ]
)


def known(con: duckdb.DuckDBPyConnection) -> dict[str, FileRecord]:
    """Every file the store knows, by path; `ingested_at` is left out (None): a plan does not need it,
    and making 10,000 datetimes was half the cost of this call on a rerun."""
    columns = _COLUMN_LIST.replace("ingested_at", "NULL")
    rows = con.execute(f"SELECT {columns} FROM ingested_files").fetchall()
    return {row[0]: FileRecord(*row) for row in rows}


def put(con: duckdb.DuckDBPyConnection, records: Iterable[FileRecord]) -> None:
    """Insert or replace, in the caller's transaction (the last record of a path wins)."""
    rows = [astuple(r) for r in {r.source_path: r for r in records}.values()]
    if rows:
        table = pa.Table.from_arrays(
            [
                pa.array(column, type=f.type)
                for column, f in zip(zip(*rows, strict=True), _ARROW, strict=True)
            ],
            schema=_ARROW,
        )
        con.register("_incoming_files", table)
        try:
            con.execute(
                f"INSERT OR REPLACE INTO ingested_files ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM _incoming_files"
            )
        finally:
            con.unregister("_incoming_files")


def restat(con: duckdb.DuckDBPyConnection, stats: Iterable[tuple[str, int, int]]) -> None:
    """New (size, mtime) of unchanged files, by path: a copied or touched file is not hashed again."""
    rows = list(stats)
    if not rows:
        return
    paths, sizes, mtimes = zip(*rows, strict=True)
    table = pa.table(
        {
            "source_path": pa.array(paths, pa.string()),
            "file_size": pa.array(sizes, pa.int64()),
            "file_mtime_ns": pa.array(mtimes, pa.int64()),
        }
    )
    con.register("_incoming_stats", table)
    try:
        con.execute(
            """UPDATE ingested_files SET file_size = s.file_size, file_mtime_ns = s.file_mtime_ns
               FROM _incoming_stats s WHERE ingested_files.source_path = s.source_path"""
        )
    finally:
        con.unregister("_incoming_stats")


def forget(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    if paths:
        con.execute(f"DELETE FROM ingested_files WHERE source_path IN ({','.join('?' * len(paths))})", paths)

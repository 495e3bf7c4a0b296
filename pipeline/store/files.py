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


def known(con: duckdb.DuckDBPyConnection) -> dict[str, FileRecord]:
    rows = con.execute(f"SELECT {_COLUMN_LIST} FROM ingested_files").fetchall()
    return {row[0]: FileRecord(*row) for row in rows}


def put(con: duckdb.DuckDBPyConnection, records: Iterable[FileRecord]) -> None:
    """Insert or replace, in the caller's transaction."""
    rows = [list(astuple(r)) for r in records]
    if rows:
        marks = ", ".join("?" * len(COLUMNS))
        con.executemany(f"INSERT OR REPLACE INTO ingested_files ({_COLUMN_LIST}) VALUES ({marks})", rows)


def restat(con: duckdb.DuckDBPyConnection, stats: Iterable[tuple[str, int, int]]) -> None:
    """New (size, mtime) of unchanged files, by path: a copied or touched file is not hashed again."""
    con.executemany(
        "UPDATE ingested_files SET file_size = ?, file_mtime_ns = ? WHERE source_path = ?",
        [[size, mtime, path] for path, size, mtime in stats],
    )


def forget(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    if paths:
        con.execute(f"DELETE FROM ingested_files WHERE source_path IN ({','.join('?' * len(paths))})", paths)

"""The DuckDB store: DDL derived from the pydantic models, bulk loads through Arrow, snapshot publishing.

Why snapshots: DuckDB lets one process open a file read-write and then refuses every other
process, readers included; and a process that has the file open read-only keeps a writer out. Short
write transactions on the analysts' file would still lock readers out for each commit, and an
analyst's notebook left open overnight would stop the nightly ingest. So the ingest never writes
the file analysts read (`council.duckdb`):

* under the ingest lock (`council.duckdb.ingest.lock`, one writer at a time) it copies the store to
  a working copy (`council.duckdb.work`) and writes there: one transaction per file, so the copy
  only ever holds whole files;
* at the end it checkpoints the copy and renames it over `council.duckdb` (an atomic replace).
  A reader that opens the store sees the state before the run or after it, never part of a file
  and never a lock; a reader that was already connected keeps reading the old snapshot (the
  replaced file stays alive for it) until it reconnects (DuckDB's Python client shares one
  database per process: all of that process's connections must close).
* After a crash (`kill -9`, power loss) the published store is untouched and opens as before; the
  working copy holds every file committed so far and the next run resumes from it, provided the
  published store is still the one it was copied from (`store_state.base`), else it is discarded.

The cost: each run copies the store once (a 100 MB store: a fraction of a second on a local disk)
and needs twice its size on disk while it runs; analysts see a run's files when the run ends, not
one by one. Only `council ingest` and `council reextract` may write the store: changes made to
`council.duckdb` directly by another program are lost at the next publish.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import time
import types
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import BaseModel

from schemas import (
    Case,
    CaseLink,
    CaseMention,
    Department,
    Document,
    ExtractionCheck,
    Incident,
    IngestError,
    IngestRun,
    InstitutionCount,
    OutsourcingEntry,
    SensitiveItem,
)

DEFAULT_DB = Path("data/out/council.duckdb")

TABLES: dict[str, type[BaseModel]] = {
    "documents": Document,
    "case_mentions": CaseMention,
    "cases": Case,
    "case_links": CaseLink,
    "outsourcing_entries": OutsourcingEntry,
    "institution_counts": InstitutionCount,
    "sensitive_items": SensitiveItem,
    "incidents": Incident,
    "departments": Department,
    "ingest_runs": IngestRun,
    "ingest_errors": IngestError,
    "extraction_checks": ExtractionCheck,
}
PRIMARY_KEYS = {"documents": "document_id", "case_mentions": "mention_id", "cases": "case_id"}
# Counts that can outgrow 2^31 in a national archive; other integers are INTEGER.
BIGINT_COLUMNS = {"target_count", "value", "affected_count"}
# Tables whose rows come from one file, deleted through their document_id when the file changes.
FILE_TABLES = (
    "case_mentions",
    "outsourcing_entries",
    "institution_counts",
    "sensitive_items",
    "incidents",
    "extraction_checks",
)

# Internal bookkeeping (not part of the contract): which file version produced which documents, or
# failed with which error under which limits, or is a copy of another file (status `ok` | `failed` |
# `duplicate`); and key/value state: `dedupe_pending` (dedupe has not caught up with the loaded
# mentions), `base` (which published store a working copy came from).
INTERNAL_DDL = """
CREATE TABLE IF NOT EXISTS ingested_files (
    source_path VARCHAR PRIMARY KEY, file_sha256 VARCHAR, parser_version VARCHAR,
    status VARCHAR, document_count INTEGER, ingested_at TIMESTAMP, error_kind VARCHAR, limits VARCHAR);
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS error_kind VARCHAR;
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS limits VARCHAR;
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS file_size BIGINT;
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS file_mtime_ns BIGINT;
CREATE TABLE IF NOT EXISTS store_state (key VARCHAR PRIMARY KEY, value VARCHAR);
"""


class StoreError(Exception):
    pass


# --------------------------------------------------------------------------- types


def _unwrap(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0]
    return tp


def duck_type(name: str, tp: Any) -> str:
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is list:
        (inner,) = typing.get_args(tp)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            fields = ", ".join(f"{n} {duck_type(n, f.annotation)}" for n, f in inner.model_fields.items())
            return f"STRUCT({fields})[]"
        return f"{duck_type(name, inner)}[]"
    if origin is typing.Literal:
        return "VARCHAR"
    if tp is bool:
        return "BOOLEAN"
    if tp is int:
        return "BIGINT" if name in BIGINT_COLUMNS else "INTEGER"
    if tp is float:
        return "DOUBLE"
    if tp is dt.datetime:
        return "TIMESTAMP"
    if tp is dt.date:
        return "DATE"
    if tp is str:
        return "VARCHAR"
    raise TypeError(f"no DuckDB type for {name}: {tp!r}")


def arrow_type(name: str, tp: Any) -> pa.DataType:
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is list:
        (inner,) = typing.get_args(tp)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return pa.list_(
                pa.struct([pa.field(n, arrow_type(n, f.annotation)) for n, f in inner.model_fields.items()])
            )
        return pa.list_(arrow_type(name, inner))
    if origin is typing.Literal or tp is str:
        return pa.string()
    if tp is bool:
        return pa.bool_()
    if tp is int:
        return pa.int64() if name in BIGINT_COLUMNS else pa.int32()
    if tp is float:
        return pa.float64()
    if tp is dt.datetime:
        return pa.timestamp("us")
    if tp is dt.date:
        return pa.date32()
    raise TypeError(f"no Arrow type for {name}: {tp!r}")


def ddl(table: str) -> str:
    model = TABLES[table]
    cols = []
    for name, f in model.model_fields.items():
        col = f"{name} {duck_type(name, f.annotation)}"
        if PRIMARY_KEYS.get(table) == name:
            col += " PRIMARY KEY"
        cols.append(col)
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"


def arrow_table(table: str, records: Sequence[BaseModel]) -> pa.Table:
    model = TABLES[table]
    schema = pa.schema([pa.field(n, arrow_type(n, f.annotation)) for n, f in model.model_fields.items()])
    rows = [r.model_dump() for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


# --------------------------------------------------------------------------- connections


def _connect(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            # Another program holds the file read-write for a moment: wait, then give up clearly.
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise StoreError(f"cannot open the store {path}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextlib.contextmanager
def writer(path: Path, wait_seconds: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection on `path` itself, for tools and tests; the ingest writes a working copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only=False, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def reader(path: Path, wait_seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: never blocked by an ingest, which only ever renames a new file into place."""
    if not path.exists():
        raise StoreError(f"there is no store at {path}; run `council ingest` first")
    con = _connect(path, read_only=True, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


# Lock descriptors this process holds: a forked parser closes them, so that a parser which outlives
# its ingest (it should not: see workers.py) cannot keep the next ingest waiting.
HELD_LOCKS: set[int] = set()


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".ingest.lock")


@contextlib.contextmanager
def ingest_lock(path: Path, wait_seconds: float) -> Iterator[None]:
    """One writer at a time: a second ingest waits up to `wait_seconds`, then fails with a clear message.

    flock is released by the kernel when the process dies, so a killed ingest never leaves a stale lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(path), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"another ingest is writing to {path}; try again when it has finished"
                    ) from None
                time.sleep(min(0.2, max(0.01, deadline - time.monotonic())))
        HELD_LOCKS.add(fd)
        yield
    finally:
        HELD_LOCKS.discard(fd)
        os.close(fd)


def close_inherited_locks() -> None:
    """In a forked child: drop the parent's lock descriptors (the parent keeps its lock)."""
    for fd in list(HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    HELD_LOCKS.clear()


# --------------------------------------------------------------------------- the working copy


def work_path(path: Path) -> Path:
    return path.with_name(path.name + ".work")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _signature(path: Path) -> str:
    """Which published file a working copy was made from: a publish always brings a new inode."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "absent"
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _remove(path: Path) -> None:
    for p in (path, _wal(path)):
        p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(1 << 22):
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())


def _resume(work: Path, base: str) -> duckdb.DuckDBPyConnection | None:
    try:
        con = duckdb.connect(str(work))
    except duckdb.Error:
        return None
    try:
        tables = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_state'"
        ).fetchall()
        if tables == [(1,)] and get_state(con, "base") == base:
            return con
    except duckdb.Error:
        pass
    con.close()
    return None


def open_work(path: Path, memory_mb: int = 0) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A read-write connection on the working copy of the store at `path`, and whether it resumes an
    interrupted run. Call it under `ingest_lock`; end with `publish`, or just close the connection to
    leave the copy for the next run. `memory_mb` > 0 caps DuckDB's memory on that connection."""
    con, resumed = _open_work(path)
    if memory_mb > 0:
        con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
    return con, resumed


def _open_work(path: Path) -> tuple[duckdb.DuckDBPyConnection, bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    work = work_path(path)
    base = _signature(path)
    if work.exists():
        con = _resume(work, base)
        if con is not None:
            return con, True
        _remove(work)
    # Built under a temporary name, so a copy interrupted half-way is never mistaken for a working copy.
    tmp = path.with_name(path.name + ".work-tmp")
    _remove(tmp)
    try:
        if path.exists():
            _copy(path, tmp)
            if _wal(path).exists():
                _copy(_wal(path), _wal(tmp))
        con = duckdb.connect(str(tmp))
        con.execute(INTERNAL_DDL)
        set_state(con, "base", base)
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp, work)
        return duckdb.connect(str(work)), False
    except (OSError, duckdb.Error) as exc:
        _remove(tmp)
        raise StoreError(f"cannot make a working copy of the store {path}: {exc}") from exc


def publish(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Close the working copy and make it the store readers see, in one atomic rename."""
    work = work_path(path)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if _wal(work).exists():
        raise StoreError(f"the working copy {work} still has a write-ahead log after its checkpoint")
    try:
        _fsync(work)
        # A log left by another writer was copied into the working copy: it must not be replayed
        # onto the new file.
        _wal(path).unlink(missing_ok=True)
        os.replace(work, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise StoreError(f"cannot publish the working copy {work} as {path}: {exc}") from exc


# --------------------------------------------------------------------------- schema and loads


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    from pipeline.store.catalog import apply_catalog

    for table in TABLES:
        con.execute(ddl(table))
        _add_missing_columns(con, table)
    con.execute(INTERNAL_DDL)
    apply_catalog(con)


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """A store made by an older version gains the columns added to its models since (documents.warnings,
    documents.suspect): CREATE TABLE IF NOT EXISTS leaves an existing table as it was."""
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database()",
            [table],
        ).fetchall()
    }
    for name, f in TABLES[table].model_fields.items():
        if name not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {duck_type(name, f.annotation)}")


def insert(con: duckdb.DuckDBPyConnection, table: str, records: Sequence[BaseModel]) -> int:
    """Bulk insert through Arrow: orders of magnitude faster than executemany."""
    if not records:
        return 0
    tbl = arrow_table(table, records)
    cols = ", ".join(TABLES[table].model_fields)
    con.register("_incoming", tbl)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
    finally:
        con.unregister("_incoming")
    return len(records)


def set_state(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO store_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def get_state(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    # fetchall, not fetchone: DuckDB refuses other work while a result is left unfinished.
    rows = con.execute("SELECT value FROM store_state WHERE key = ?", [key]).fetchall()
    return str(rows[0][0]) if rows else None

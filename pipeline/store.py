"""The DuckDB store: DDL derived from the pydantic models, bulk loads through Arrow, short write locks.

Locking: DuckDB lets one process open a file read-write and then refuses every other process,
readers included. So the writer never keeps the file open: it connects, writes one file's rows
in one transaction, and closes. Readers (`council sql`) retry for a bounded time when they land
inside such a commit. A lock file serialises writers (one `ingest` at a time).
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
}
PRIMARY_KEYS = {"documents": "document_id", "case_mentions": "mention_id", "cases": "case_id"}
# Counts that can outgrow 2^31 in a national archive; other integers are INTEGER.
BIGINT_COLUMNS = {"target_count", "value", "affected_count"}
# Tables whose rows come from one file, deleted through their document_id when the file changes.
FILE_TABLES = ("case_mentions", "outsourcing_entries", "institution_counts", "sensitive_items", "incidents")

# Internal bookkeeping (not part of the contract): which file version produced which documents,
# and whether dedupe has caught up with the loaded mentions.
INTERNAL_DDL = """
CREATE TABLE IF NOT EXISTS ingested_files (
    source_path VARCHAR PRIMARY KEY, file_sha256 VARCHAR, parser_version VARCHAR,
    status VARCHAR, document_count INTEGER, ingested_at TIMESTAMP);
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
            # Another process holds the file for a moment (a commit): wait, then give up clearly.
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise StoreError(f"cannot open the store {path}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextlib.contextmanager
def writer(path: Path, wait_seconds: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection held only for the block: one transaction's worth of time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only=False, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def reader(path: Path, wait_seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    if not path.exists():
        raise StoreError(f"there is no store at {path}; run `council ingest` first")
    con = _connect(path, read_only=True, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def ingest_lock(path: Path, wait_seconds: float) -> Iterator[None]:
    """One writer at a time: a second ingest waits up to `wait_seconds`, then fails with a clear message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".ingest.lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
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
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- schema and loads


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    from pipeline.catalog import apply_catalog

    for table in TABLES:
        con.execute(ddl(table))
    con.execute(INTERNAL_DDL)
    apply_catalog(con)


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
    row = con.execute("SELECT value FROM store_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])

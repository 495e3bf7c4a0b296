"""The store's tables, derived from the pydantic models: DDL, Arrow types, bulk loads, state.

A column exists only because a model field does (schemas/records.py); the internal bookkeeping
tables are the only DDL written by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import BaseModel

import schemas
from pipeline.store import access

# Every table of the contract, from the models that declare one (schemas/records.py).
TABLES: dict[str, type[BaseModel]] = dict(schemas.TABLES)
PRIMARY_KEYS = {"documents": "document_id", "case_mentions": "mention_id", "cases": "case_id"}
# Counts that can outgrow 2^31 in a national archive; other integers are INTEGER.
BIGINT_COLUMNS = {"target_count", "value", "affected_count"}
# Tables whose rows come from one file, deleted through their document_id when the file changes.
FILE_TABLES = schemas.FILE_TABLES


# --------------------------------------------------------------------------- types


def _unwrap(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0]
    return tp


def _listed_model(tp: Any) -> type[BaseModel] | None:
    """The model of a list of models (a column of STRUCTs, Incident.events), else None."""
    tp = _unwrap(tp)
    if typing.get_origin(tp) is list:
        (inner,) = typing.get_args(tp)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def duck_type(name: str, tp: Any) -> str:
    if (model := _listed_model(tp)) is not None:
        fields = ", ".join(f"{n} {duck_type(n, f.annotation)}" for n, f in model.model_fields.items())
        return f"STRUCT({fields})[]"
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is list:
        (inner,) = typing.get_args(tp)
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
    if (model := _listed_model(tp)) is not None:
        return pa.list_(
            pa.struct([pa.field(n, arrow_type(n, f.annotation)) for n, f in model.model_fields.items()])
        )
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is list:
        (inner,) = typing.get_args(tp)
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


@functools.cache
def _arrow_schema(table: str) -> tuple[pa.Schema, frozenset[str]]:
    """A table's Arrow schema, and its columns that hold models (Incident.events)."""
    fields = TABLES[table].model_fields
    schema = pa.schema([pa.field(n, arrow_type(n, f.annotation)) for n, f in fields.items()])
    return schema, frozenset(n for n, f in fields.items() if _listed_model(f.annotation) is not None)


def arrow_table(table: str, records: Sequence[BaseModel]) -> pa.Table:
    """Column by column from the records' attributes: a record's fields hold validated values of their
    types already, so only the columns that hold models are dumped (a model_dump of every record was
    most of an insert's Python time)."""
    schema, nested = _arrow_schema(table)
    columns: dict[str, list[Any]] = {}
    for name in schema.names:
        values = [getattr(r, name) for r in records]
        if name in nested:
            values = [None if v is None else [e.model_dump() for e in v] for v in values]
        columns[name] = values
    return pa.Table.from_pydict(columns, schema=schema)


# --------------------------------------------------------------------------- schema and loads


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        con.execute(ddl(table))
        add_missing_columns(con, table)
    con.execute(access.INTERNAL_DDL)


def add_missing_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
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

"""Bring any store, new or written by an older version, to the current schema, comments and views."""

from __future__ import annotations

import duckdb

from pipeline.store.catalog import apply_catalog
from pipeline.store.schema import create_tables


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotent: run at the start of every ingest and reextract, inside their transaction."""
    create_tables(con)
    apply_catalog(con)

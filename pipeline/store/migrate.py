"""Bring any store, new or written by an older version, to the current schema, comments and views."""

from __future__ import annotations

import hashlib

import duckdb

from pipeline.store import access
from pipeline.store.catalog import VIEWS, apply_catalog, catalog
from pipeline.store.schema import create_tables

# store_state key: which catalog (comments and views) the store carries.
CATALOG_STATE = "catalog"


def _catalog_key() -> str:
    tables, views = catalog()
    described = sorted(
        (e.name, e.comment, sorted(e.columns.items())) for e in [*tables.values(), *views.values()]
    )
    return hashlib.sha1(repr((described, sorted(VIEWS.items()))).encode()).hexdigest()[:16]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotent: run at the start of every ingest and reextract, inside their transaction. The
    comments and views are written again only when rules/catalog.toml or a view changed: some two
    hundred statements, a fifth of a second of every run that loads nothing."""
    create_tables(con)
    key = _catalog_key()
    if access.get_state(con, CATALOG_STATE) != key:
        apply_catalog(con)
        access.set_state(con, CATALOG_STATE, key)

"""Stage 5: the DuckDB store.

`schema` derives tables from the pydantic models and loads records; `snapshot` owns connections,
the ingest lock and the atomic publish of a working copy; `files` keeps the internal record of which
file version produced what; `catalog` applies comments and views from rules/catalog.toml.
"""

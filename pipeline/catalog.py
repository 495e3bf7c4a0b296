"""Table and column comments and the analysts' views, applied with the schema. (Being written.)"""

from __future__ import annotations

import duckdb


def apply_catalog(con: duckdb.DuckDBPyConnection) -> None:
    return None

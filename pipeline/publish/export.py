"""`council export`: every table to Parquet or to CSV.

Parquet: one dataset per table, `OUT/<table>/…/*.parquet`, hive-partitioned by municipality and
fiscal_year where the table has both (documents, cases), so `read_parquet('OUT/cases/**/*.parquet',
hive_partitioning=true)` and `pyarrow.dataset.dataset('OUT/cases', partitioning='hive')` read it
back. Partition values are URL-encoded in folder names (`municipality=%E6%96%B0…`) and a NULL
fiscal_year is `__HIVE_DEFAULT_PARTITION__`; both readers decode these.

CSV: `OUT/<table>.csv` in UTF-8 with a BOM, which Excel in Japan opens without mojibake; a list or
struct column is one cell holding JSON (`["外部結合","業務委託"]`), which any language reads back,
where DuckDB's own text (`[外部結合, 業務委託]`) cannot be told apart from a name with a comma in it.
All tables are read in one read-only connection, so they are one consistent snapshot.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipeline.store import access, schema

PARTITIONS = ("municipality", "fiscal_year")
BOM = b"\xef\xbb\xbf"


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _remove(target: Path) -> None:
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()


def _csv_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's columns, lists and structs as JSON text."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    out = []
    for name, dtype in rows:
        quoted = '"' + str(name).replace('"', '""') + '"'
        nested = str(dtype).endswith("]") or str(dtype).startswith(("STRUCT", "MAP"))
        out.append(f"to_json({quoted}) AS {quoted}" if nested else quoted)
    return ", ".join(out)


def export(db: Path, out: Path, fmt: str) -> dict[str, int]:
    """Write every table of the store under `out`; returns the rows written per table."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown export format {fmt!r}")
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    with access.reader(db) as con:
        for table in schema.TABLES:
            row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            written[table] = int(row[0]) if row else 0
            if fmt == "parquet":
                target = out / table
                _remove(target)
                if set(PARTITIONS) <= set(schema.TABLES[table].model_fields) and written[table]:
                    con.execute(
                        f"COPY {table} TO {_literal(target)} "
                        f"(FORMAT PARQUET, PARTITION_BY ({', '.join(PARTITIONS)}))"
                    )
                else:
                    # A folder with one file, so every table is read back with the same glob.
                    target.mkdir(parents=True)
                    con.execute(f"COPY {table} TO {_literal(target / 'data.parquet')} (FORMAT PARQUET)")
            else:
                path = out / f"{table}.csv"
                tmp = out / f".{table}.csv.tmp"
                con.execute(
                    f"COPY (SELECT {_csv_columns(con, table)} FROM {table}) TO {_literal(tmp)} (FORMAT CSV, HEADER)"
                )
                with path.open("wb") as dst, tmp.open("rb") as src:
                    dst.write(BOM)
                    shutil.copyfileobj(src, dst)
                tmp.unlink()
    return written

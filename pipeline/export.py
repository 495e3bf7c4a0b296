"""`council export`: every table to Parquet (hive-partitioned where it has municipality and
fiscal_year) or to CSV in UTF-8 with a BOM, which Excel in Japan opens without mojibake."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import store

PARTITIONS = ("municipality", "fiscal_year")


def export(db: Path, out: Path, fmt: str) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    with store.reader(db) as con:
        for table in store.TABLES:
            cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            written[table] = int(row[0]) if row else 0
            target = out / table
            if fmt == "parquet":
                if target.exists():
                    shutil.rmtree(target) if target.is_dir() else target.unlink()
                if set(PARTITIONS) <= cols and written[table]:
                    con.execute(
                        f"COPY {table} TO '{target}' (FORMAT PARQUET, PARTITION_BY ({', '.join(PARTITIONS)}))"
                    )
                else:
                    target.mkdir(parents=True)
                    con.execute(f"COPY {table} TO '{target / 'data.parquet'}' (FORMAT PARQUET)")
            else:
                path = out / f"{table}.csv"
                tmp = out / f".{table}.csv.tmp"
                con.execute(f"COPY {table} TO '{tmp}' (FORMAT CSV, HEADER)")
                with path.open("wb") as dst, tmp.open("rb") as src:
                    dst.write(b"\xef\xbb\xbf")
                    shutil.copyfileobj(src, dst)
                tmp.unlink()
    return written

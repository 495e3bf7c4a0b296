"""Checksums of a store's contract tables, to prove a refactor changed nothing a user sees.

    .venv/bin/python bench/store_checksums.py STORE.duckdb [--json OUT] [--compare OTHER.json]

Per table: the row count and a sha256 over every row, rows sorted, columns in name order. Columns
that record *when* or *which run* (ingested_at, run ids, times) differ between any two runs and are
left out; so are tables that only describe runs (ingest_runs). Everything parsed is in.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import duckdb

TABLES = (
    "documents",
    "case_mentions",
    "cases",
    "case_links",
    "outsourcing_entries",
    "institution_counts",
    "sensitive_items",
    "incidents",
    "departments",
    "ingest_errors",
)
VOLATILE = {"ingested_at", "run_id", "started_at", "finished_at", "parser_version"}


def checksums(path: Path) -> dict[str, dict[str, object]]:
    con = duckdb.connect(str(path), read_only=True)
    out: dict[str, dict[str, object]] = {}
    try:
        for table in TABLES:
            cols = sorted(
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND NOT internal", [table]
                ).fetchall()
                if c not in VOLATILE
            )
            if not cols:
                continue
            # Compare only the columns both editions have: the second edition adds columns.
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            lines = sorted(json.dumps(row, default=str, ensure_ascii=False) for row in rows)
            digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
            out[table] = {"rows": len(rows), "columns": cols, "sha256": digest}
    finally:
        con.close()
    return out


def compare(a: dict[str, dict[str, object]], b: dict[str, dict[str, object]]) -> list[str]:
    diffs = []
    for table in sorted(set(a) | set(b)):
        if table not in a or table not in b:
            diffs.append(f"{table}: present in one store only")
        elif a[table]["columns"] != b[table]["columns"]:
            diffs.append(f"{table}: columns differ ({a[table]['columns']} vs {b[table]['columns']})")
        elif a[table]["sha256"] != b[table]["sha256"]:
            diffs.append(f"{table}: {a[table]['rows']} vs {b[table]['rows']} rows, contents differ")
    return diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--json", type=Path, help="write the checksums here")
    ap.add_argument("--compare", type=Path, help="checksums of another store (JSON) to compare with")
    ap.add_argument("--columns-of", type=Path, help="keep only the columns this JSON's tables have")
    args = ap.parse_args()
    sums = checksums(args.store)
    if args.columns_of:
        # A store of a later edition has more columns: checksum it over the earlier edition's.
        base = json.loads(args.columns_of.read_text())
        con = duckdb.connect(str(args.store), read_only=True)
        for table, entry in base.items():
            cols = entry["columns"]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            lines = sorted(json.dumps(row, default=str, ensure_ascii=False) for row in rows)
            sums[table] = {
                "rows": len(rows),
                "columns": cols,
                "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
            }
        con.close()
    for table, entry in sums.items():
        print(f"{table:22} {entry['rows']:>8} rows  {str(entry['sha256'])[:16]}")
    if args.json:
        args.json.write_text(json.dumps(sums, indent=1, ensure_ascii=False))
    if args.compare:
        diffs = compare(json.loads(args.compare.read_text()), sums)
        for d in diffs:
            print("DIFFERS", d, file=sys.stderr)
        print("identical" if not diffs else f"{len(diffs)} tables differ")
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

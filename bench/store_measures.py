"""Measures of a built store for bench/run.py: `council sql` latency and dedupe against the manifest."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
QUERIES = {
    "count documents": "SELECT count(*) FROM documents",
    "cases per ward and year": "SELECT municipality, fiscal_year, count(*) FROM cases GROUP BY ALL ORDER BY ALL",
    "title search": "SELECT case_id, title FROM cases WHERE title LIKE '%外部結合%' ORDER BY case_id LIMIT 50",
    "mentions join documents": (
        "SELECT d.municipality, count(DISTINCT m.case_id) FROM case_mentions m "
        "JOIN documents d USING (document_id) GROUP BY ALL ORDER BY ALL"
    ),
    "one department": ("SELECT count(*) FROM cases WHERE list_contains(departments, '情報システム課')"),
}


def sql_latency(db: Path, reps: int) -> dict[str, Any]:
    """`council sql` as a user runs it (a new process: start-up included) and the query alone."""
    con = duckdb.connect(str(db), read_only=True)
    views = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' "
            "AND table_name LIKE 'v\\_%' ESCAPE '\\' ORDER BY 1"
        ).fetchall()
    ]
    queries = dict(QUERIES)
    queries.update({f"view {v}": f"SELECT * FROM {v}" for v in views})
    out: dict[str, Any] = {}
    for label, q in queries.items():
        inner = []
        rows = 0
        error = None
        for _ in range(reps):
            start = time.perf_counter()
            try:
                rows = len(con.execute(q).fetchall())
            except duckdb.Error as exc:
                error = str(exc).splitlines()[0]
                break
            inner.append(time.perf_counter() - start)
        if error:
            out[label] = {"error": error}
            continue
        cli = []
        for _ in range(reps):
            start = time.perf_counter()
            proc = subprocess.run(
                [PY, "cli.py", "sql", q, "--db", str(db), "--format", "csv"], capture_output=True, cwd=ROOT
            )
            cli.append(time.perf_counter() - start)
            if proc.returncode != 0:
                error = " ".join(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:])
        out[label] = {
            "rows": rows,
            "query_ms": round(1000 * statistics.median(inner), 1),
            "cli_ms": round(1000 * statistics.median(cli), 0),
            **({"cli_error": error} if error else {}),
        }
    con.close()
    return out


def dedupe_quality(db: Path, man: dict[str, Any]) -> dict[str, Any]:
    """Mentions of each known pair matched by case number: share of the same case_id, per kind."""
    con = duckdb.connect(str(db), read_only=True)

    def mentions(path: str) -> dict[int, str]:
        return {
            int(seq): str(case)
            for seq, case in con.execute(
                "SELECT m.seq_no, m.case_id FROM case_mentions m JOIN documents d USING (document_id) "
                "WHERE d.source_path = ? AND m.seq_no IS NOT NULL",
                [path],
            ).fetchall()
        }

    def stored(path: str) -> bool:
        row = con.execute("SELECT count(*) FROM documents WHERE source_path = ?", [path]).fetchone()
        return bool(row and row[0])

    result: dict[str, dict[str, int]] = {}
    for group, pairs in (("duplicates", man["duplicates"]), ("lookalikes", man["lookalikes"])):
        for pair in pairs:
            key = f"{group}:{pair['kind']}"
            r = result.setdefault(key, {"pairs": 0, "mentions": 0, "same_case": 0, "stored_once": 0})
            r["pairs"] += 1
            if pair["kind"] == "renamed_copy":
                r["stored_once"] += int(stored(pair["left"]) != stored(pair["right"]))
                continue
            left, right = mentions(pair["left"]), mentions(pair["right"])
            for seq in left.keys() & right.keys():
                r["mentions"] += 1
                r["same_case"] += int(left[seq] == right[seq])
    con.close()
    return result

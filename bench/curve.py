"""The memory curve: peak RSS and time of a first ingest against archive size, every packet a new scope.

    .venv/bin/python bench/curve.py                              # 200, 400, 800, 1,600 packets
    .venv/bin/python bench/curve.py --sizes 100,200 --reps 1     # a smoke run

The archives are make_corpus.py --distinct-scopes: the 51-case list of 002 with its sheets, each packet
in a ward-year no other packet has (the 23 wards through 35 fiscal years, then the rest of Tokyo), so
every packet adds a dedupe scope and a document of 138 KB: what the writer holds per scope or per
document shows as growth. Each ingest runs in a fresh child process (run.py --child-ingest), so the
peak RSS (ru_maxrss) of the writer and of its largest parser process are that ingest's own; CPU time
(user + system of the writer and its parsers) is reported beside wall time, which depends on what
else the machine runs. Writes bench/results/curve-<date>.json (-<HHMM> for a later run that day), prints a table.

Each store is then ingested again with nothing changed (the median of at least 3 reruns).

Targets (issue 19): peak RSS of every process at most 1.2x from one size to its double and under
600 MB; log-log exponent of time against packets at most 1.15; a rerun under 5 % of the first ingest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402


def measure(work: Path, n: int, seed: int, places: str, reps: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    raw, man = run.archive(work, n, seed, pdf_share=0.0, places=places, distinct_scopes=True)
    generate = time.perf_counter() - t0
    db = work / f"store-scopes-{n}" / "council.duckdb"
    runs = [run.ingest_once(raw, db, 0, fresh=True) for _ in range(reps)]
    last = runs[-1]
    reruns = [run.ingest_once(raw, db, 0, fresh=False) for _ in range(max(reps, 3))]
    return {
        "packets": n,
        "mb": round(man["bytes"] / 1e6, 1),
        "generate_s": round(generate, 1),
        "seconds": round(statistics.median(r["seconds"] for r in runs), 2),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 1),
        "writer_cpu_s": round(statistics.median(r["writer_cpu_s"] for r in runs), 1),
        "peak_rss_writer_mb": round(max(r["maxrss_self_mb"] for r in runs)),
        "peak_rss_parser_mb": round(max(r["maxrss_children_mb"] for r in runs)),
        "store_mb": round(db.stat().st_size / 1e6, 1),
        "rerun_s": round(statistics.median(r["seconds"] for r in reruns), 3),
        "rerun_cpu_s": round(statistics.median(r["cpu_s"] for r in reruns), 2),
        "phases": last["phases"],
        **{k: last[k] for k in ("files_new", "files_failed", "documents", "case_mentions", "cases")},
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    peaks = [max(r["peak_rss_writer_mb"], r["peak_rss_parser_mb"]) for r in rows]
    return {
        "exponent_wall": round(run.loglog_exponent([(r["packets"], r["seconds"]) for r in rows]), 3),
        "exponent_cpu": round(run.loglog_exponent([(r["packets"], r["cpu_s"]) for r in rows]), 3),
        "peak_ratios": [round(b / a, 2) for a, b in itertools.pairwise(peaks)],
        "peak_max_mb": max(peaks),
        "rerun_share_max": round(max(r["rerun_s"] / r["seconds"] for r in rows), 4),
    }


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"machine: {m['nproc']} CPUs, {m['cpu']}, {m['memory_gb']} GB, Python {m['python']}, DuckDB {m['duckdb']}",
        "",
        "| packets | MB | ingest s | CPU s | writer CPU s | peak RSS writer MB | peak RSS parser MB | store MB "
        "| rerun s | mentions | cases |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["curve"]:
        lines.append(
            f"| {r['packets']:,} | {r['mb']} | {r['seconds']} | {r['cpu_s']} | {r['writer_cpu_s']} | "
            f"{r['peak_rss_writer_mb']} | "
            f"{r['peak_rss_parser_mb']} | {r['store_mb']} | {r['rerun_s']} | {r['case_mentions']:,} | "
            f"{r['cases']:,} |"
        )
    s = report["summary"]
    lines.append(
        f"\nlog-log exponent: wall {s['exponent_wall']}, CPU {s['exponent_cpu']} (target <= 1.15); "
        f"peak RSS ratio from each size to the next: {', '.join(map(str, s['peak_ratios']))} (target <= 1.2); "
        f"largest peak {s['peak_max_mb']} MB (target < 600); "
        f"rerun / first ingest at most {s['rerun_share_max']:.2%} (target < 5 %)"
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="200,400,800,1600")
    ap.add_argument("--places", default="tokyo", help="bench/places.toml choice; wards holds 805 scopes")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": run.machine(),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "curve": [],
    }
    for n in sorted(int(s) for s in args.sizes.split(",")):
        row = measure(args.work, n, args.seed, args.places, args.reps)
        report["curve"].append(row)
        print(
            f"{n} packets: {row['seconds']} s, CPU {row['cpu_s']} s, peak {row['peak_rss_writer_mb']} MB "
            f"(parser {row['peak_rss_parser_mb']} MB), store {row['store_mb']} MB",
            file=sys.stderr,
            flush=True,
        )
    report["summary"] = summarise(report["curve"])
    report["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
    out = run.results_file(args.results, "curve")
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(render(report))
    print(f"written {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

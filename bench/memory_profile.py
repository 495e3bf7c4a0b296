"""Where an ingest's memory goes, batch by batch: the profile behind the memory figures of bench/README.md.

    .venv/bin/python bench/memory_profile.py RAW_DIR --db STORE.duckdb [--tracemalloc] [--jobs 2] [--out P.json]

One fresh ingest through the public API (`pipeline.run.ingest.ingest`), with probes installed on the
writer's steps. After every committed batch, after the dedupe re-plan and at the end it records:
- RSS of the writer (VmRSS and its peak VmHWM) and of each parser process it has forked;
- DuckDB's own accounting: `duckdb_memory()` by tag and `pragma database_size` (memory_usage);
- with `--tracemalloc`, Python's allocations: the total, and the lines that grew most since the
  previous sample (tracemalloc slows the writer about 2×: use it on small archives).
Prints the samples as a table, writes them all as JSON with `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.dedupe import apply as dedupe_store  # noqa: E402
from pipeline.run import ingest as ingest_mod  # noqa: E402


def _status(pid: int | str) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[key] = int(value.split()[0]) // 1024  # MB
    except (OSError, ValueError):
        pass
    return out


def _children(parent: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            kids.append(int(entry))
    return kids


class Probe:
    def __init__(self, trace: bool, top: int = 8) -> None:
        self.samples: list[dict[str, Any]] = []
        self.trace = trace
        self.top = top
        self.previous: tracemalloc.Snapshot | None = None
        self.start = time.perf_counter()
        self.files = 0
        self.worker_peak = 0

    def sample(self, label: str, con: Any) -> None:
        me = _status("self")
        workers = {pid: _status(pid).get("VmRSS", 0) for pid in _children(os.getpid())}
        self.worker_peak = max([self.worker_peak, *workers.values()])
        row: dict[str, Any] = {
            "label": label,
            "files": self.files,
            "seconds": round(time.perf_counter() - self.start, 1),
            "rss_mb": me.get("VmRSS"),
            "hwm_mb": me.get("VmHWM"),
            "anon_mb": me.get("RssAnon"),
            "workers_mb": sorted(workers.values(), reverse=True),
        }
        if con is not None:
            mem = con.execute(
                "SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory() "
                "WHERE memory_usage_bytes > 0 OR temporary_storage_bytes > 0"
            ).fetchall()
            row["duckdb_mb"] = {tag: round(used / 2**20, 1) for tag, used, _ in mem}
            row["duckdb_temp_mb"] = round(sum(t for _, _, t in mem) / 2**20, 1)
            ((size, usage),) = con.execute(
                "SELECT database_size, memory_usage FROM pragma_database_size() WHERE database_name = current_database()"
            ).fetchall()
            row["database_size"], row["database_memory"] = size, usage
        if self.trace:
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
            )
            row["python_mb"] = round(sum(s.size for s in snap.statistics("filename")) / 2**20, 1)
            if self.previous is not None:
                diff = snap.compare_to(self.previous, "lineno")
                row["grew"] = [
                    f"{d.size_diff / 2**20:+.2f} MB {d.count_diff:+d} {d.traceback[0].filename.split('site-packages/')[-1]}"
                    f":{d.traceback[0].lineno}"
                    for d in diff[: self.top]
                    if d.size_diff > 0
                ]
            self.previous = snap
        self.samples.append(row)
        print(_line(row), file=sys.stderr, flush=True)


def _line(r: dict[str, Any]) -> str:
    duck = r.get("duckdb_mb", {})
    top = ", ".join(f"{k} {v:.0f}" for k, v in sorted(duck.items(), key=lambda kv: -kv[1])[:4])
    py = f" py {r['python_mb']} MB" if "python_mb" in r else ""
    return (
        f"{r['label']:<10} files {r['files']:>5} {r['seconds']:>7.1f}s rss {r['rss_mb']} hwm {r['hwm_mb']} "
        f"anon {r['anon_mb']} workers {r['workers_mb']} duckdb[{top}] db {r.get('database_size', '')}{py}"
        + "".join(f"\n    {g}" for g in r.get("grew", []))
    )


def install(probe: Probe, every: int) -> None:
    flush, replan = ingest_mod._flush, dedupe_store.run
    batches = 0

    def probed_flush(run: Any) -> None:
        nonlocal batches
        n = len(run.pending)
        flush(run)
        if n:
            probe.files += n
            batches += 1
            if batches % every == 0:
                probe.sample("batch", run.con)

    def probed_replan(con: Any, *a: Any, **kw: Any) -> int:
        probe.sample("pre-dedupe", con)
        out = replan(con, *a, **kw)
        probe.sample("dedupe", con)
        return out

    ingest_mod._flush = probed_flush  # type: ignore[assignment]
    dedupe_store.run = probed_replan  # type: ignore[assignment]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw", type=Path)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--every", type=int, default=1, help="sample every N batches")
    ap.add_argument("--tracemalloc", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.tracemalloc:
        tracemalloc.start(1)
    probe = Probe(args.tracemalloc)
    install(probe, args.every)
    summary = ingest_mod.ingest(ingest_mod.Options(raw_dir=args.raw, db=args.db, jobs=args.jobs))
    probe.sample("end", None)
    print(summary.line(), file=sys.stderr)
    result = {
        "summary": summary.line(),
        "peak_rss_writer_mb": _status("self").get("VmHWM"),
        "peak_rss_worker_sampled_mb": probe.worker_peak,
        "store_mb": round(args.db.stat().st_size / 1e6, 1),
        "samples": probe.samples,
    }
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

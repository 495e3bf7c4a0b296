"""Benchmarks of the whole pipeline on synthetic archives (bench/make_corpus.py), one run, one machine.

    .venv/bin/python bench/run.py                      # the full run (a few minutes)
    .venv/bin/python bench/run.py --sizes 100,200 --large 200 --pdf-packets 6 --reps 1   # a smoke run

Measures, each ingest in a fresh child process so its peak memory is its own:
- scaling: a fresh ingest of text archives of the given sizes (each a prefix of the next), with
  the exponent of a log–log fit of time against packets (near-linear: ≤ 1.1);
- throughput: files/s and MB/s for text, files/s, pages/s and MB/s for PDF;
- on the `--large` store: a rerun with nothing changed, one new packet, a whole-store dedupe re-plan,
  `council sql` latency of a few queries and of every `v_%` view;
- parallel speed-up: the same ingest with 1 and with 2 worker processes;
- peak memory (ru_maxrss of the ingest process and of its largest child) at every size;
- dedupe against the manifest: how many mentions of known duplicates share a case, how many
  mentions of known look-alikes wrongly do.
Prints a table, writes bench/results/bench-<date>.json (-<HHMM> for a later run that day). Medians of `--reps` repetitions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_corpus  # noqa: E402
from store_measures import dedupe_quality, sql_latency  # noqa: E402

PY = sys.executable


# --------------------------------------------------------------------------- the child


# Steps of the ingest timed in the child (cumulative seconds; nested steps count in their callers too).
# A name the pipeline no longer has is skipped.
PHASES = [
    ("pipeline.run.ingest", "_plan"),
    ("pipeline.run.ingest", "_handle"),
    ("pipeline.run.ingest", "load_extractions"),
    ("pipeline.run.load", "delete_file_rows"),
    ("pipeline.run.ingest", "_fail"),
    ("pipeline.run.ingest", "_finish"),
    ("pipeline.store.access", "open_in_place"),
    ("pipeline.store.access", "close_in_place"),
    ("pipeline.dedupe.apply", "run"),
    ("pipeline.dedupe.plan", "plan"),
    ("pipeline.store.access", "open_work"),
    ("pipeline.store.access", "publish"),
    ("pipeline.store.schema", "insert"),
    ("pipeline.store.files", "put"),
]


def _time_phases() -> dict[str, float]:
    import functools
    import importlib

    spent: dict[str, float] = {}
    for module_name, attr in PHASES:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr, None)
        if not callable(fn):
            continue
        label = f"{module_name.rsplit('.', 1)[-1]}.{attr}"
        spent[label] = 0.0

        def timed(*a: Any, _fn: Any = fn, _label: str = label, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                spent[_label] += time.perf_counter() - start

        setattr(module, attr, functools.wraps(fn)(timed))
    return spent


def _cpu_seconds(who: int | None = None) -> float:
    """User + system time of this process and its waited-for children (or of `who` alone, a
    resource.RUSAGE_* constant): robust to a busy machine."""
    if who is not None:
        use = resource.getrusage(who)
        return use.ru_utime + use.ru_stime
    return _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)


def child_ingest(raw: str, db: str, jobs: int, profile: str | None) -> None:
    """Runs in its own process: one ingest, its time and peak memory as one JSON line on stdout."""
    from pipeline.run.ingest import Options, ingest

    phases = _time_phases()

    opts = Options(raw_dir=Path(raw), db=Path(db), jobs=jobs)
    cpu_start = _cpu_seconds()  # the interpreter's start-up and imports are not the ingest's
    writer_start = _cpu_seconds(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        summary = prof.runcall(ingest, opts)
        prof.dump_stats(profile)
    else:
        summary = ingest(opts)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "status": summary.status,
                "files_seen": summary.files_seen,
                "files_new": summary.files_new,
                "files_skipped": summary.files_skipped,
                "files_failed": summary.files_failed,
                "documents": summary.documents,
                "case_mentions": summary.case_mentions,
                "cases": summary.cases,
                "errors": dict(summary.errors),
                "maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "maxrss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "cpu_s": round(_cpu_seconds() - cpu_start, 2),
                "writer_cpu_s": round(_cpu_seconds(resource.RUSAGE_SELF) - writer_start, 2),
                "phases": {k: round(v, 3) for k, v in phases.items()},
            }
        )
    )


def child_dedupe(db: str) -> None:
    """A whole-store dedupe re-plan as the ingest makes one (batch by batch, committed as it goes), on
    a working copy of the store that is then thrown away, so the store is unchanged."""
    from pipeline.dedupe import apply as dedupe_store
    from pipeline.rules import limits
    from pipeline.store import access

    store = Path(db)
    con, _ = access.open_work(store, int(limits()["writer_memory_mb"]))
    try:
        con.execute("BEGIN")
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        cases = dedupe_store.run(con, full=True, commit=True)
        con.execute("COMMIT")
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu_start
    finally:
        con.close()
        for leftover in (
            access.work_path(store),
            access.work_path(store).with_name(store.name + ".work.wal"),
        ):
            leftover.unlink(missing_ok=True)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_s": round(cpu, 2),
                "cases": cases,
                "maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def _child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([PY, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"bench child {args} failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def ingest_once(raw: Path, db: Path, jobs: int, fresh: bool, profile: Path | None = None) -> dict[str, Any]:
    if fresh and db.parent.exists():
        shutil.rmtree(db.parent)
    db.parent.mkdir(parents=True, exist_ok=True)
    args = ["--child-ingest", str(raw), str(db), str(jobs)]
    if profile:
        args += ["--child-profile", str(profile)]
    return _child(args)


# --------------------------------------------------------------------------- measures


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    mem_gb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import duckdb

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def results_file(folder: Path, kind: str) -> Path:
    """`KIND-DATE.json` in `folder`, or `KIND-DATE-HHMM.json` when a run of the same day wrote the first
    (the README cites each run's file: a second run must not overwrite it)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now()
    out = folder / f"{kind}-{now.date().isoformat()}.json"
    return out if not out.exists() else folder / f"{kind}-{now.date().isoformat()}-{now:%H%M}.json"


def loglog_exponent(points: list[tuple[float, float]]) -> float:
    """Slope of log(time) against log(size), least squares."""
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def archive(work: Path, packets: int, seed: int, pdf_share: float, **kw: Any) -> tuple[Path, dict[str, Any]]:
    places = kw.get("places", "wards")
    tags = ("" if places == "wards" else f"-{places}") + ("-scopes" if kw.get("distinct_scopes") else "")
    out = work / f"archive-{packets}-{seed}-{pdf_share:g}{tags}"
    man_path = out / "manifest.json"
    # Packets a previous run added to measure "one new packet" are not part of the archive.
    shutil.rmtree(out / "raw" / "incoming", ignore_errors=True)
    if man_path.exists():
        return out / "raw", json.loads(man_path.read_text(encoding="utf-8"))
    arch = make_corpus.build(packets, seed, pdf_share=pdf_share, **kw)
    man = make_corpus.write(arch, out)
    return out / "raw", man


def median_of(runs: list[dict[str, Any]], key: str = "seconds") -> float:
    return float(statistics.median(r[key] for r in runs))


# --------------------------------------------------------------------------- the run


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmarks of the whole pipeline on synthetic archives.")
    ap.add_argument("--sizes", default="250,500,1000,2000", help="packets per archive, for the scaling fit")
    ap.add_argument("--large", type=int, default=1000, help="the size whose store is measured further")
    ap.add_argument("--pdf-packets", type=int, default=30, help="packets of the PDF throughput archive")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the short measures (median)")
    ap.add_argument("--scale-reps", type=int, default=1, help="repetitions of each scaling ingest")
    ap.add_argument("--parallel-size", type=int, default=250, help="archive size of the 1-vs-2 process run")
    ap.add_argument("--dedupe-reps", type=int, default=1, help="repetitions of the whole-store re-plan")
    ap.add_argument("--parallel-reps", type=int, default=1, help="repetitions of each 1-vs-2 process ingest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--places", choices=sorted(make_corpus.PLACES), default="wards", help="municipalities of the archives"
    )
    ap.add_argument(
        "--work", type=Path, default=ROOT / "bench" / "out", help="archives and stores (git-ignored)"
    )
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--profile", action="store_true", help="also write a cProfile of the --large ingest")
    ap.add_argument("--child-ingest", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--child-profile", help=argparse.SUPPRESS)
    ap.add_argument("--child-dedupe", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_ingest:
        raw, db, jobs = args.child_ingest
        child_ingest(raw, db, int(jobs), args.child_profile)
        return
    if args.child_dedupe:
        child_dedupe(args.child_dedupe)
        return

    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.large not in sizes:
        sizes = sorted({*sizes, args.large})
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": machine(),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    report["settings"] = {k: str(v) for k, v in vars(args).items() if not k.startswith("child")}
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    # Scaling and text throughput: fresh text-only stores of growing size.
    scaling = []
    for n in sizes:
        t0 = time.perf_counter()
        raw, man = archive(work, n, args.seed, pdf_share=0.0, places=args.places)
        gen = time.perf_counter() - t0
        db = work / f"store-{n}" / "council.duckdb"
        runs = []
        for rep in range(args.scale_reps):
            prof = work / f"profile-{n}.pstats" if (args.profile and n == args.large and rep == 0) else None
            runs.append(ingest_once(raw, db, 0, fresh=True, profile=prof))
        r = runs[-1]
        row = {
            "packets": n,
            "mb": round(man["bytes"] / 1e6, 2),
            "generate_s": round(gen, 2),
            "seconds": round(median_of(runs), 2),
            "cpu_s": round(median_of(runs, "cpu_s"), 1),
            "writer_cpu_s": round(median_of(runs, "writer_cpu_s"), 1),
            "phases": runs[-1]["phases"],
            "files_per_s": round(n / median_of(runs), 1),
            "mb_per_s": round(man["bytes"] / 1e6 / median_of(runs), 2),
            "peak_rss_ingest_mb": round(max(x["maxrss_self_mb"] for x in runs), 0),
            "peak_rss_worker_mb": round(max(x["maxrss_children_mb"] for x in runs), 0),
            **{
                k: r[k]
                for k in ("files_new", "files_skipped", "files_failed", "documents", "case_mentions", "cases")
            },
            "errors": r["errors"],
        }
        scaling.append(row)
        log(
            f"scale {n}: {row['seconds']} s, {row['files_per_s']} files/s, peak {row['peak_rss_ingest_mb']} MB"
        )
    report["scaling"] = scaling
    report["scaling_exponent"] = round(loglog_exponent([(r["packets"], r["seconds"]) for r in scaling]), 3)
    report["scaling_exponent_cpu"] = round(loglog_exponent([(r["packets"], r["cpu_s"]) for r in scaling]), 3)

    # The large store: rerun, one new packet, dedupe alone, sql latency, dedupe quality.
    raw, man = archive(work, args.large, args.seed, pdf_share=0.0, places=args.places)
    db = work / f"store-{args.large}" / "council.duckdb"
    large: dict[str, Any] = {"packets": args.large}
    reruns = [ingest_once(raw, db, 0, fresh=False) for _ in range(args.reps)]
    large["rerun_s"] = round(median_of(reruns), 3)
    large["rerun_cpu_s"] = round(median_of(reruns, "cpu_s"), 3)
    large["rerun_files_skipped"] = reruns[-1]["files_skipped"]
    large["dedupe_quality"] = dedupe_quality(db, man)
    extra = make_corpus.build(
        args.reps, seed=args.seed + 1000, pdf_share=0.0, dup_share=0.0, look_share=0.0, places=args.places
    )
    new_runs = []
    for k, p in enumerate(extra.packets):
        target = raw / "incoming" / f"new_{k}_{Path(p.path).name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(extra.files[p.path])
        new_runs.append(ingest_once(raw, db, 0, fresh=False))
    large["one_new_packet_s"] = round(median_of(new_runs), 3)
    large["one_new_packet_cpu_s"] = round(median_of(new_runs, "cpu_s"), 3)
    large["one_new_packet_files_new"] = [r["files_new"] for r in new_runs]
    if any(r["files_new"] != 1 for r in new_runs):
        log("warning: a 'one new packet' run did not load exactly one new file")
    dedupes = [_child(["--child-dedupe", str(db)]) for _ in range(args.dedupe_reps)]
    large["dedupe_s"] = round(median_of(dedupes), 3)
    large["dedupe_cpu_s"] = round(median_of(dedupes, "cpu_s"), 3)
    large["dedupe_peak_rss_mb"] = round(max(d["maxrss_self_mb"] for d in dedupes), 0)
    large["sql"] = sql_latency(db, args.reps)
    report["large"] = large
    log(f"large {args.large}: rerun {large['rerun_s']} s, new packet {large['one_new_packet_s']} s")

    # Parallel speed-up.
    raw_p, _ = archive(work, args.parallel_size, args.seed, pdf_share=0.0, places=args.places)
    db_p = work / "store-parallel" / "council.duckdb"
    one = [ingest_once(raw_p, db_p, 1, fresh=True) for _ in range(args.parallel_reps)]
    two = [ingest_once(raw_p, db_p, 2, fresh=True) for _ in range(args.parallel_reps)]
    report["parallel"] = {
        "packets": args.parallel_size,
        "jobs_1_s": round(median_of(one), 2),
        "jobs_2_s": round(median_of(two), 2),
        "speedup_2_vs_1": round(median_of(one) / median_of(two), 2),
    }

    # PDF throughput: an archive of rendered packets only (and the corpus PDF).
    raw_pdf, man_pdf = archive(
        work, args.pdf_packets, args.seed, pdf_share=1.0, dup_share=0.0, look_share=0.0
    )
    db_pdf = work / "store-pdf" / "council.duckdb"
    pdf_runs = [ingest_once(raw_pdf, db_pdf, 0, fresh=True) for _ in range(args.reps)]
    import duckdb

    con = duckdb.connect(str(db_pdf), read_only=True)
    pages_row = con.execute(
        "SELECT sum(p) FROM (SELECT any_value(page_count) AS p FROM documents WHERE source_format = 'pdf' "
        "GROUP BY file_sha256)"
    ).fetchone()
    con.close()
    pages = int(pages_row[0] or 0) if pages_row else 0
    pdf_files = sum(1 for f in man_pdf["files"] if f["format"] == "pdf")
    s = median_of(pdf_runs)
    report["pdf"] = {
        "files": man_pdf["packets"],
        "pdf_files": pdf_files,
        "pages": pages,
        "mb": round(man_pdf["bytes"] / 1e6, 2),
        "seconds": round(s, 2),
        "files_per_s": round(man_pdf["packets"] / s, 2),
        "pages_per_s": round(pages / s, 1),
        "mb_per_s": round(man_pdf["bytes"] / 1e6 / s, 2),
        "peak_rss_worker_mb": round(max(r["maxrss_children_mb"] for r in pdf_runs), 0),
        "files_failed": pdf_runs[-1]["files_failed"],
    }
    report["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")

    out = results_file(args.results, "bench")
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(render(report))
    log(f"written {out}")


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"machine: {m['nproc']} CPUs, {m['cpu']}, {m['memory_gb']} GB, Python {m['python']}, DuckDB {m['duckdb']}",
        "",
        "| packets | MB | ingest s | CPU s | of which writer | files/s | MB/s | peak RSS ingest MB | peak RSS worker MB "
        "| mentions | cases | failed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r["scaling"]:
        lines.append(
            f"| {s['packets']} | {s['mb']} | {s['seconds']} | {s['cpu_s']} | {s.get('writer_cpu_s', '–')} | "
            f"{s['files_per_s']} | {s['mb_per_s']} | "
            f"{s['peak_rss_ingest_mb']:.0f} | {s['peak_rss_worker_mb']:.0f} | {s['case_mentions']} | {s['cases']} | "
            f"{s['files_failed']} |"
        )
    lines.append(
        f"\nlog–log exponent vs packets: wall time {r['scaling_exponent']}, CPU time {r['scaling_exponent_cpu']}"
        " (target ≤ 1.1)"
    )
    lines += ["", "| packets | " + " | ".join(r["scaling"][0]["phases"]) + " |"]
    lines.append("|---:" * (1 + len(r["scaling"][0]["phases"])) + "|")
    for s in r["scaling"]:
        lines.append(f"| {s['packets']} | " + " | ".join(f"{v:.1f}" for v in s["phases"].values()) + " |")
    lg, p, pdf = r["large"], r["parallel"], r["pdf"]
    lines += [
        "",
        f"| on the {lg['packets']}-packet store | value |",
        "|---|---:|",
        f"| rerun, nothing changed | {lg['rerun_s']} s (CPU {lg.get('rerun_cpu_s', '–')} s) |",
        f"| one new packet | {lg['one_new_packet_s']} s (CPU {lg.get('one_new_packet_cpu_s', '–')} s) |",
        f"| whole-store dedupe re-plan | {lg['dedupe_s']} s (CPU {lg.get('dedupe_cpu_s', '–')} s, "
        f"peak RSS {lg['dedupe_peak_rss_mb']:.0f} MB) |",
        f"| parallel, {p['packets']} packets: 1 process / 2 processes | {p['jobs_1_s']} s / {p['jobs_2_s']} s "
        f"(speed-up {p['speedup_2_vs_1']}) |",
        f"| PDF: {pdf['files']} files, {pdf['pages']} pages, {pdf['mb']} MB | {pdf['seconds']} s: "
        f"{pdf['files_per_s']} files/s, {pdf['pages_per_s']} pages/s, {pdf['mb_per_s']} MB/s |",
        "",
        "| `council sql` query | rows | query ms | CLI ms (with start-up) |",
        "|---|---:|---:|---:|",
    ]
    for label, q in lg["sql"].items():
        if "error" in q:
            lines.append(f"| {label} | error: {q['error']} | | |")
        else:
            lines.append(f"| {label} | {q['rows']} | {q['query_ms']} | {q['cli_ms']:.0f} |")
    lines += ["", "| dedupe vs manifest | pairs | mentions compared | same case |", "|---|---:|---:|---:|"]
    for kind, q in lg["dedupe_quality"].items():
        same = f"{q['stored_once']} stored once" if kind.endswith("renamed_copy") else str(q["same_case"])
        lines.append(f"| {kind} | {q['pairs']} | {q['mentions']} | {same} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

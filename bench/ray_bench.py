"""The local process pool against Ray on this machine, over the same files; and the PDF path's pages/s.

    .venv/bin/python bench/ray_bench.py [--copies 30] [--runs 3]

The corpus text files are copied `--copies` times under different names into a temporary folder
(5 files × 30 = 150 jobs). Each executor parses them all, `--runs` times; the medians are printed
as a markdown table. Overhead per file is the core time an executor spends per file beyond parsing
it inline in one process: (wall × cores − inline wall) / files. Ray's start-up and its first pass
(cold workers importing the pipeline) are reported apart, since a long backfill pays them once.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import extract_bytes  # noqa: E402
from pipeline.run.ray import require_ray, run_jobs_ray  # noqa: E402
from pipeline.run.workers import Job, Outcome, run_jobs  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
TIMEOUT = 120.0
MEMORY_MB = 2048


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def make_jobs(folder: Path, copies: int) -> list[Job]:
    jobs = []
    for src in sorted((CORPUS / "text").glob("*.txt")):
        for i in range(copies):
            dest = folder / f"c{i:03d}_{src.name}"
            shutil.copy(src, dest)
            jobs.append(Job(str(dest), dest.name, f"{i:064d}"))
    return jobs


def timed(run: Callable[[], Iterator[Outcome]], expected: int) -> float:
    start = time.perf_counter()
    outcomes = list(run())
    elapsed = time.perf_counter() - start
    failed = [o for o in outcomes if o.extraction is None]
    assert len(outcomes) == expected and not failed, failed[:1]
    return elapsed


def cpu_seconds(run: Callable[[], Iterator[Outcome]], expected: int) -> float:
    """CPU time of this process: what a parse costs, whatever else the machine is doing."""
    start = time.process_time()
    assert len(list(run())) == expected
    return time.process_time() - start


def pdf_pages_per_second(runs: int) -> tuple[str, int, float, float]:
    """Pages per second of wall time and per CPU-second, medians of `runs` parses of the corpus PDF."""
    pdf = sorted((CORPUS / "pdf").glob("*.pdf"))[0]
    data = pdf.read_bytes()
    pages = extract_bytes(data, pdf.name).documents[0].page_count or 0  # also the warm-up
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        extract_bytes(data, pdf.name)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return pdf.name, pages, pages / statistics.median(walls), pages / statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ray = require_ray()
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory() as tmp:
        jobs = make_jobs(Path(tmp), args.copies)
        n = len(jobs)
        start = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False)
        startup = time.perf_counter() - start

        def inline_run() -> Iterator[Outcome]:
            return run_jobs(jobs, processes=0, timeout=TIMEOUT, memory_mb=0)

        def pool_run() -> Iterator[Outcome]:
            return run_jobs(jobs, processes=cores, timeout=TIMEOUT, memory_mb=MEMORY_MB)

        def ray_run() -> Iterator[Outcome]:
            return run_jobs_ray(jobs, address=None, timeout=TIMEOUT, memory_mb=MEMORY_MB)

        times: dict[str, list[float]] = {"inline": [], "pool": [], "ray": []}
        try:
            cold = timed(ray_run, n)
            # Interleaved rounds, so a neighbour's load falls on every executor alike.
            for _ in range(args.runs):
                for name, run in (("inline", inline_run), ("pool", pool_run), ("ray", ray_run)):
                    times[name].append(timed(run, n))
        finally:
            ray.shutdown()
        inline_cpu = statistics.median(cpu_seconds(inline_run, n) for _ in range(args.runs))
    inline, pool, warm = (statistics.median(times[k]) for k in ("inline", "pool", "ray"))
    pdf_name, pages, pps, cpu_pps = pdf_pages_per_second(args.runs)
    load_after = os.getloadavg()[0]

    def overhead(wall: float) -> float:
        return (wall * cores - inline) / n * 1000

    print(f"Machine: {cores} × {cpu_model()}, Python {platform.python_version()}, Ray {ray.__version__}")
    print(
        f"{n} text files ({args.copies} copies of the {n // args.copies} corpus text files); "
        f"medians of {args.runs} interleaved runs; load average {load_before:.1f} before, {load_after:.1f} after."
    )
    print()
    print("| executor | wall (s) | files/s | overhead per file (core-ms) |")
    print("|---|---:|---:|---:|")
    print(f"| inline, 1 process (the parse alone) | {inline:.2f} | {n / inline:.1f} | 0 |")
    print(f"| local process pool, {cores} processes | {pool:.2f} | {n / pool:.1f} | {overhead(pool):.1f} |")
    print(f"| Ray, {cores} CPUs, warm workers | {warm:.2f} | {n / warm:.1f} | {overhead(warm):.1f} |")
    print(f"| Ray, first pass (cold workers) | {cold:.2f} | {n / cold:.1f} | {overhead(cold):.1f} |")
    print()
    print(f"Parse cost, inline: {inline_cpu / n * 1000:.0f} CPU-ms per text file.")
    print(f"Ray start-up (local `ray.init`): {startup:.1f} s, once per run.")
    print(
        f"PDF path (`extract_bytes`, one process): {pdf_name}, {pages} pages, "
        f"{pps:.0f} pages/s wall, {cpu_pps:.0f} pages per CPU-second."
    )


if __name__ == "__main__":
    main()

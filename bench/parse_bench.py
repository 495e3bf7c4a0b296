"""CPU seconds a packet of the parse alone, in one process, as an ingest worker does it.

    .venv/bin/python bench/parse_bench.py                       # 300 packets of the 10,000 archive
    .venv/bin/python bench/parse_bench.py --cold                # every memo cleared between packets
    .venv/bin/python bench/parse_bench.py RAW --n 50 --repeat 5 --profile /tmp/p.prof
    .venv/bin/python bench/parse_bench.py /work/shared/corpus/text --n 0    # every file of a folder

A fixed, seeded sample of `--n` files of a raw folder (`--glob`, text packets by default) goes
through `pipeline.run.workers._parse`, the per-file entry of an ingest worker (read, page check,
`extract_bytes`, `model_dump`). Each repetition starts as a worker does: the memos (every functools
cache of a function that takes an argument, outside `pipeline.rules`' rules files) emptied,
`warm_up()` run, `gc.freeze()`. The figure of a repetition is its CPU time (user + system of this
process) over the files; the median of `--repeat` is printed.

`--cold` also empties the memos before every packet. The bench's archive repeats five base packets
in every ward and year, so a memo keyed on a string (a 課名, a header, a label) finds on it what a
real archive of different offices would find less often: the warm figure is what the archive costs,
the cold one what the work itself costs. `--digest` prints a sha256 of every file's parse output, to
show that a change of the parser changed no value.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import warm_up  # noqa: E402
from pipeline.run.workers import Job, _parse  # noqa: E402

ARCHIVE = ROOT / "bench" / "out" / "archive-10000-1-0-japan" / "raw"  # made by `make bench`
MEMORY_MB = 0  # no cap: this process is not a worker that may be killed
MAX_PAGES = 0


def sample(raw: Path, n: int, seed: int, pattern: str) -> list[Path]:
    files = sorted(p for p in raw.rglob(pattern) if p.is_file())
    if n <= 0 or n >= len(files):
        return files
    return sorted(random.Random(seed).sample(files, n))


def memos() -> list[Callable[..., Any]]:
    """Every functools cache of the parser keyed on an argument: what a fresh worker has not got.

    Zero-argument caches hold rules files and compiled patterns, which `warm_up` fills before a
    worker is forked; `pipeline.rules` reads TOML files per document type, the same for every packet."""
    found: list[Callable[..., Any]] = []
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("pipeline.") or name == "pipeline.rules" or module is None:
            continue
        for value in vars(module).values():
            if not callable(value) or not hasattr(value, "cache_clear"):
                continue
            if getattr(value, "__module__", None) != name:
                continue  # imported from another module: cleared there
            wrapped = getattr(value, "__wrapped__", None)
            if wrapped is not None and wrapped.__code__.co_argcount > 0:
                found.append(value)
    return found


def clear(caches: list[Callable[..., Any]]) -> None:
    for fn in caches:
        fn.cache_clear()  # type: ignore[attr-defined]


def run_once(jobs: list[Job], caches: list[Callable[..., Any]], cold: bool, digest: Any) -> float:
    gc.unfreeze()
    clear(caches)
    warm_up()
    gc.freeze()
    spent = 0.0
    for job in jobs:
        if cold:
            clear(caches)
        start = time.process_time()
        status, payload = _parse(job, MEMORY_MB, MAX_PAGES)
        spent += time.process_time() - start
        if digest is not None:
            digest.update(job.source_path.encode())
            digest.update(json.dumps([status, payload], sort_keys=True, ensure_ascii=False).encode())
    return spent / len(jobs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw", nargs="?", type=Path, default=ARCHIVE, help="folder of packets (read only)")
    ap.add_argument("--n", type=int, default=300, help="files in the sample (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--glob", default="*.txt", help="which files of the folder (default: text packets)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="empty every memo before each packet")
    ap.add_argument("--profile", type=Path, help="write a cProfile dump of one more repetition")
    ap.add_argument("--digest", action="store_true", help="print a sha256 of every parse output")
    args = ap.parse_args()

    files = sample(args.raw, args.n, args.seed, args.glob)
    if not files:
        sys.exit(f"no {args.glob} under {args.raw}")
    jobs = [Job(str(p), str(p.relative_to(args.raw)), "0" * 64) for p in files]
    warm_up()  # imports every parser module, so `memos` sees them all
    caches = memos()
    figures = []
    digest = hashlib.sha256() if args.digest else None
    for rep in range(args.repeat):
        figures.append(run_once(jobs, caches, args.cold, digest if rep == 0 else None))
    if args.profile:  # one more repetition, not counted: the profiler's overhead would be
        profiler = cProfile.Profile()
        profiler.enable()
        run_once(jobs, caches, args.cold, None)
        profiler.disable()
        profiler.dump_stats(args.profile)
    size = sum(os.path.getsize(p) for p in files) / len(files) / 1024
    print(
        f"{len(files)} files ({size:.0f} KB mean) of {args.raw}, seed {args.seed}, "
        f"{'cold' if args.cold else 'warm'}, {len(caches)} memos; load {os.getloadavg()[0]:.2f}"
    )
    print("CPU s a packet, each repetition: " + ", ".join(f"{f:.4f}" for f in figures))
    print(f"median {statistics.median(figures):.4f} CPU-s a packet")
    if digest is not None:
        print(f"digest {digest.hexdigest()}")


if __name__ == "__main__":
    main()

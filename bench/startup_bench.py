"""Start-up of the everyday commands against a bare DuckDB query from Python.

    .venv/bin/python bench/startup_bench.py [--runs N] [--db STORE]

Each command runs N times (default 21) in a fresh subprocess, the commands taking turns so that a
busy machine slows them alike; the figure is the median wall time. The targets (issue 18):
`council --help` no slower than the bare query, `council sql "select 1"` within 1.5x of it.
Without --db, `sql` runs against an empty DuckDB file made in a temporary folder (its start-up is
what is measured, not the query). It also lists the heavy modules each command imported: none
should be on the path of `--help` or `sql`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.cli_support import HEAVY_MODULES  # noqa: E402

HEAVY = HEAVY_MODULES


def council() -> list[str]:
    script = Path(sys.executable).with_name("council")
    return [str(script)] if script.exists() else [sys.executable, str(ROOT / "cli.py")]


def commands(db: Path) -> dict[str, list[str]]:
    return {
        "bare duckdb query": [sys.executable, "-c", "import duckdb; duckdb.connect().execute('select 1')"],
        "council --help": [*council(), "--help"],
        'council sql "select 1"': [*council(), "sql", "select 1", "--db", str(db)],
    }


def heavy_imports(argv: list[str]) -> list[str]:
    """The heavy modules loaded by running the CLI with `argv`, in this interpreter."""
    probe = "\n".join(
        [
            "import runpy, sys",
            f"sys.argv = ['council', *{argv!r}]",
            "try:",
            f"    runpy.run_path({str(ROOT / 'cli.py')!r}, run_name='__main__')",
            "except SystemExit:",
            "    pass",
            f"print(' '.join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.splitlines()
    return out[-1].split() if out else []


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--db", type=Path, help="a store for `sql` (default: an empty DuckDB file)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "empty.duckdb"
            duckdb.connect(str(db)).close()
        cmds = commands(db)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for cmd in cmds.values():  # one untimed run each: the page cache, .pyc files
            subprocess.run(cmd, capture_output=True, check=True)
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                t0 = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True)
                times[name].append(time.perf_counter() - t0)
        heavy = {
            "council --help": heavy_imports(["--help"]),
            'council sql "select 1"': heavy_imports(["sql", "select 1", "--db", str(db)]),
        }
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    base = medians["bare duckdb query"]
    print(
        f"{args.runs} runs each, median wall time; {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("| command | median s | × bare query | heavy modules imported |")
    print("|---|---|---|---|")
    for name, m in medians.items():
        mods = ", ".join(heavy.get(name, [])) or ("none" if name in heavy else "")
        print(f"| `{name}` | {m:.3f} | {m / base:.2f} | {mods} |")
    print()
    print(
        json.dumps({"runs": args.runs, "median_seconds": medians, "heavy_imports": heavy}, ensure_ascii=False)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

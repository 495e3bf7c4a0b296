"""Small runs written in place (pipeline/run/ingest.py `_in_place`): one transaction on the published
store when no reader holds it, else the working copy, and the same store either way."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_support import ROOT, descendants, many_packets, orphans, query, run, snapshot, start_ingest

from pipeline.rules import limits
from pipeline.store import access

CLI = [sys.executable, str(ROOT / "cli.py"), "ingest"]
VOLATILE = {"skip": ("ingest_runs", "ingest_errors"), "drop": ("ingested_at",)}
# A process that holds the store open read-only, as an analyst's notebook does, until told to stop.
HOLDER = """
import sys, time
from pathlib import Path
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM documents").fetchall()[0][0], flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.02)
print(con.execute("SELECT count(*) FROM documents").fetchall()[0][0], flush=True)
"""


@pytest.fixture(scope="module")
def batches(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(raw of two batches of the corpus, a store of the first batch only, a store of both made in one run)."""
    base = tmp_path_factory.mktemp("in_place")
    raw = many_packets(corpus, base / "raw", copies=2)
    first = base / "first"
    shutil.copytree(raw / "batch00", first / "batch00")
    published_first = base / "first.duckdb"
    run(first, published_first)
    both = base / "both.duckdb"
    run(raw, both)
    return raw, published_first, both


def _store(published_first: Path, tmp_path: Path) -> Path:
    db = tmp_path / "out" / "council.duckdb"
    db.parent.mkdir()
    shutil.copy(published_first, db)
    return db


def test_the_second_batch_fits_the_in_place_cap(batches: tuple[Path, Path, Path]) -> None:
    # The tests below rely on it: a run of one batch of the corpus is small.
    raw = batches[0]
    files = list((raw / "batch01").iterdir())
    assert len(files) == 6 <= int(limits()["in_place_max_files"])
    assert sum(f.stat().st_size for f in files) <= float(limits()["in_place_max_mb"]) * 1e6


def test_a_small_run_writes_the_store_in_place_and_ends_as_one_run_would(
    batches: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    raw, published_first, both = batches
    db = _store(published_first, tmp_path)
    inode = db.stat().st_ino
    summary = run(raw, db)
    assert (summary.status, summary.files_new, summary.files_skipped) == ("ok", 6, 6)
    assert db.stat().st_ino == inode  # written in place: no working copy was renamed over it
    assert not access.work_path(db).exists() and not db.with_name(db.name + ".wal").exists()
    assert snapshot(db, **VOLATILE) == snapshot(both, **VOLATILE)  # type: ignore[arg-type]
    assert orphans(db) == dict.fromkeys(orphans(db), 0)
    runs = query(db, "SELECT status, files_new FROM ingest_runs ORDER BY started_at, files_new")
    assert [r[0] for r in runs] == ["ok", "ok"] and sorted(r[1] for r in runs) == [6, 6]
    # A rerun with nothing new is in place too, and changes no contract table but the run log.
    again = run(raw, db)
    assert (again.files_new, again.files_skipped, db.stat().st_ino) == (0, 12, inode)
    assert snapshot(db, **VOLATILE) == snapshot(both, **VOLATILE)  # type: ignore[arg-type]
    assert query(db, "SELECT count(*) FROM ingest_runs") == [(3,)]


def test_a_reader_holding_the_store_sends_the_run_to_a_working_copy(
    batches: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    raw, published_first, both = batches
    db = _store(published_first, tmp_path)
    inode = db.stat().st_ino
    stop = tmp_path / "stop"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        before = int(holder.stdout.readline())
        summary = run(raw, db, lock_wait=0)
        assert (summary.status, summary.files_new) == ("ok", 6)
        assert db.stat().st_ino != inode  # the working copy was published over the held file
    finally:
        stop.touch()
        out, _ = holder.communicate(timeout=30)
    assert int(out) == before  # the holder kept reading the store it had opened
    assert snapshot(db, **VOLATILE) == snapshot(both, **VOLATILE)  # type: ignore[arg-type]


def test_more_files_than_the_cap_are_written_on_a_working_copy(
    corpus: Path, batches: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    raw = many_packets(corpus, tmp_path / "raw", copies=3)
    _, published_first, _ = batches
    db = _store(published_first, tmp_path)
    inode = db.stat().st_ino
    summary = run(raw, db)
    assert (summary.status, summary.files_new) == ("ok", 12)  # batch00 is the store's already
    assert db.stat().st_ino != inode
    assert orphans(db) == dict.fromkeys(orphans(db), 0)
    assert query(db, "SELECT count(DISTINCT source_path) FROM documents") == [(18,)]


def test_kill_9_during_an_in_place_run_leaves_the_store_as_before_then_the_next_run_ends_as_one_run(
    batches: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    raw, published_first, both = batches
    db = _store(published_first, tmp_path)
    before = snapshot(db, skip=())
    # Killed once it has forked its zygote (before it plans): inside the run's one transaction, so
    # nothing of it may be seen.
    proc = start_ingest(raw, db)
    deadline = time.monotonic() + 60
    while not descendants(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before its zygote was seen"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert snapshot(db, skip=()) == before  # the run row included: the transaction never committed
    assert not access.work_path(db).exists()
    # Killed at other moments: the store is the one before or the one after, never something between.
    after = snapshot(both, **VOLATILE)  # type: ignore[arg-type]
    for delay in (0.3, 0.6, 0.9, 1.2, 1.6, 2.0, 2.6):
        proc = start_ingest(raw, db)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        now = snapshot(db, **VOLATILE)  # type: ignore[arg-type]
        assert now in (snapshot(published_first, **VOLATILE), after)  # type: ignore[arg-type]
        if now == after:
            break
    final = subprocess.run(
        [*CLI, str(raw), "--db", str(db), "--quiet"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert final.returncode == 0, final.stderr
    assert snapshot(db, **VOLATILE) == after  # type: ignore[arg-type]
    assert orphans(db) == dict.fromkeys(orphans(db), 0)
    assert not db.with_name(db.name + ".wal").exists()
    assert "running" not in {s for (s,) in query(db, "SELECT status FROM ingest_runs")}

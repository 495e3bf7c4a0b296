"""The ingest as the nightly job runs it, in real processes: killed with SIGKILL, run twice at once,
read by analysts while it writes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from ingest_support import ROOT, descendants, many_packets, orphans, query, run, snapshot, start_ingest

from pipeline.store import access

CLI = [sys.executable, str(ROOT / "cli.py"), "ingest"]
# Compared after a crash: what an uninterrupted run yields, bar the run log and load times.
VOLATILE = {"skip": ("ingest_runs", "ingest_errors"), "drop": ("ingested_at",)}


@dataclass
class Packets:
    raw: Path  # three batches of copies of the corpus
    first: Path  # the first batch alone, loaded into `published_first`
    published_first: Path  # a store holding batch 0 only
    clean: Path  # a store from one uninterrupted run over `raw`, for comparison


@pytest.fixture(scope="module")
def packets(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Packets:
    base = tmp_path_factory.mktemp("packets")
    raw = many_packets(corpus, base / "raw", copies=3)
    first = base / "first"
    shutil.copytree(raw / "batch00", first / "batch00")
    published_first = base / "first.duckdb"
    run(first, published_first)
    clean = base / "clean.duckdb"
    run(raw, clean)
    return Packets(raw, first, published_first, clean)


def _store_with_first_batch(packets: Packets, tmp_path: Path) -> Path:
    db = tmp_path / "out" / "council.duckdb"
    db.parent.mkdir()
    shutil.copy(packets.published_first, db)
    return db


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_at_any_moment_then_the_next_run_ends_as_an_uninterrupted_one(
    packets: Packets, tmp_path: Path
) -> None:
    db = _store_with_first_batch(packets, tmp_path)
    published = snapshot(db)
    resumed_from_work = 0
    # Fixed moments, then (None) once the working copy exists: on a loaded machine the interpreter
    # may take longer to start than every fixed delay, and the resume path must still be tested.
    for delay in (0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2.2, 3.0, None):
        if delay is None and resumed_from_work:
            break
        proc = start_ingest(packets.raw, db)
        if delay is None:
            deadline = time.monotonic() + 60
            while not access.work_path(db).exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)
        else:
            time.sleep(delay)
        parsers = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        if proc.returncode == 0:
            break  # it finished first: the rest of the check still holds
        # Analysts' store: untouched, opens; the parsers died with their parent. A kill that lands
        # after the swap (while the process exits) finds the finished store published instead.
        if snapshot(db) != published:
            assert snapshot(db, **VOLATILE) == snapshot(packets.clean, **VOLATILE)  # type: ignore[arg-type]
            assert not access.work_path(db).exists()
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in parsers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in parsers)
        resumed_from_work += access.work_path(db).exists()
    assert resumed_from_work, "no kill landed while a working copy existed: the resume path was not tested"
    final = start_ingest(packets.raw, db)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    assert "ingest status=ok" in out
    assert snapshot(db, **VOLATILE) == snapshot(packets.clean, **VOLATILE)  # type: ignore[arg-type]
    assert orphans(db) == dict.fromkeys(orphans(db), 0)
    # Runs that were killed are marked failed in the run log (those whose working copy was resumed).
    statuses = [s for (s,) in query(db, "SELECT status FROM ingest_runs")]
    assert "running" not in statuses and statuses.count("ok") >= 2
    assert not access.work_path(db).exists()


def test_a_second_ingest_waits_or_gives_up_with_a_clear_message(packets: Packets, tmp_path: Path) -> None:
    # The test holds the writer's lock itself: an ingest of 18 files can end before a second
    # interpreter has even started, so racing two real runs would not test the waiting.
    db = tmp_path / "council.duckdb"
    with access.ingest_lock(db, wait_seconds=0):
        impatient = subprocess.run(
            [*CLI, str(packets.raw), "--db", str(db), "--lock-wait", "0.3", "--quiet"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert impatient.returncode == 2
        assert (
            # Every error of the CLI is a sentence ending with a full stop.
            impatient.stderr == f"Error: another ingest is writing to {db}; try again when it has finished.\n"
        )
        assert not db.exists() and not access.work_path(db).exists()  # it gave up before touching anything
        patient = [start_ingest(packets.raw, db, "--lock-wait", "120") for _ in range(2)]
        time.sleep(1.5)
        assert all(p.poll() is None for p in patient), "an ingest ran while another held the lock"
        assert not access.work_path(db).exists()
    outs = [p.communicate(timeout=120) for p in patient]
    assert [p.returncode for p in patient] == [0, 0], outs
    # One of them loaded everything; the other waited for it, then found everything loaded.
    assert sorted("files_new=18 files_skipped=0" in out for out, _ in outs) == [False, True]
    assert sorted("files_new=0 files_skipped=18" in out for out, _ in outs) == [False, True]
    assert snapshot(db, **VOLATILE) == snapshot(packets.clean, **VOLATILE)  # type: ignore[arg-type]


COUNTS = """SELECT d.source_path, count(DISTINCT d.document_id), count(m.mention_id)
            FROM documents d LEFT JOIN case_mentions m USING (document_id) GROUP BY 1"""
# One process per reader: DuckDB's Python client shares one database instance between the
# connections of a process, so a process that holds a connection keeps seeing that snapshot.
READER = """
import json, sys, time
from pathlib import Path
from pipeline.store import access
db, stop, held, sql = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "held", sys.argv[4]
if held:  # an analyst's notebook: connected before the ingest, never closed
    held_cm = access.reader(db)
    con = held_cm.__enter__()
while not stop.exists():
    try:
        if held:
            rows = con.execute(sql).fetchall()
        else:
            with access.reader(db, wait_seconds=0) as fresh:
                rows = fresh.execute(sql).fetchall()
        print(json.dumps(sorted(rows)), flush=True)
    except Exception as exc:
        print(json.dumps({"error": repr(exc)}), flush=True)
    time.sleep(0.01)
"""


def _per_file(rows: list[list[object]] | list[tuple[object, ...]]) -> dict[str, tuple[object, object]]:
    return {str(path): (docs, mentions) for path, docs, mentions in rows}


def test_analysts_read_while_an_ingest_writes(packets: Packets, tmp_path: Path) -> None:
    db = _store_with_first_batch(packets, tmp_path)
    before = _per_file(query(db, COUNTS))
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", READER, str(db), str(stop), mode, COUNTS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for mode in ("held", "fresh")
    }
    # Each reader has read the store once before the ingest starts (a slow start would miss "before").
    first_reads = {mode: proc.stdout.readline() for mode, proc in readers.items()}  # type: ignore[union-attr]
    ingest = start_ingest(packets.raw, db)
    _, err = ingest.communicate(timeout=120)
    time.sleep(0.5)
    stop.touch()
    observed = {}
    for mode, proc in readers.items():
        reads, reader_err = proc.communicate(timeout=30)
        assert proc.returncode == 0, reader_err
        observed[mode] = [json.loads(line) for line in [first_reads[mode], *reads.splitlines()]]
        assert [o for o in observed[mode] if "error" in o] == []  # never locked out
        assert len(observed[mode]) > 10
    assert ingest.returncode == 0, err
    after = _per_file(query(db, COUNTS))
    assert len(after) == 3 * len(before)
    for rows in observed["fresh"]:
        seen = _per_file(rows)
        # Every file is wholly there or absent, as its final state says ...
        assert all(after[path] == counts for path, counts in seen.items())
        # ... and in fact a reader sees the store before the run or after it.
        assert seen in (before, after)
    assert _per_file(observed["fresh"][0]) == before
    assert _per_file(observed["fresh"][-1]) == after
    # A connection opened before the run keeps its snapshot until it reconnects.
    assert all(_per_file(rows) == before for rows in observed["held"])

"""The worker pool: workers parse many files each, and are replaced when they have parsed enough,
grown too much, died or overrun their time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import pipeline.run.workers
from pipeline.run.workers import Job, run_jobs

_real_extract = pipeline.run.workers.extract_bytes
_hoard: list[bytearray] = []


def _with_pid(data: bytes, source_path: str) -> Any:
    ex = _real_extract(data, source_path)
    ex.notices.append(f"pid {os.getpid()}")
    if Path(source_path).stem.startswith("big"):
        _hoard.append(bytearray(40 << 20))  # kept: the worker's address space has grown
    if Path(source_path).stem.startswith("dies"):
        os._exit(5)
    return ex


def _jobs(tmp_path: Path, corpus: Path, names: list[str]) -> list[Job]:
    good = next((corpus / "text").glob("004_*.txt")).read_bytes()
    jobs = []
    for name in names:
        path = tmp_path / f"{name}.txt"
        path.write_bytes(good + name.encode())
        jobs.append(Job(str(path), path.name, name))
    return jobs


def _pids(outcomes: list[Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for o in outcomes:
        pid = None if o.extraction is None else o.extraction.notices[-1]
        out[o.job.source_path] = pid
    return out


@pytest.mark.parametrize(
    ("names", "max_jobs", "expected_workers"),
    [
        (["a", "b", "c", "d", "e"], 500, 1),  # one worker parses them all
        (["a", "b", "c", "d", "e"], 2, 3),  # retired after two files each
        (["big1", "big2", "big3"], 500, 3),  # retired after growing by more than 10% of the cap
        (["a", "dies", "b"], 500, 2),  # a dead worker is replaced: `a` and `b` in two workers
    ],
)
def test_workers_are_reused_and_replaced(
    tmp_path: Path,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    names: list[str],
    max_jobs: int,
    expected_workers: int,
) -> None:
    monkeypatch.setattr(pipeline.run.workers, "extract_bytes", _with_pid)
    monkeypatch.setattr(pipeline.run.workers, "MAX_JOBS_PER_WORKER", max_jobs)
    outcomes = list(run_jobs(_jobs(tmp_path, corpus, names), processes=1, timeout=30, memory_mb=300))
    pids = _pids(outcomes)
    assert sorted(pids) == sorted(f"{n}.txt" for n in names)
    died = [o for o in outcomes if o.extraction is None]
    assert [(o.job.source_path, o.error_kind) for o in died] == [
        (f"{n}.txt", "crashed") for n in names if n == "dies"
    ]
    assert len({p for p in pids.values() if p is not None}) == expected_workers


def test_no_worker_outlives_the_run(tmp_path: Path, corpus: Path) -> None:
    before = set(Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split())
    outcomes = list(
        run_jobs(_jobs(tmp_path, corpus, ["a", "b", "c"]), processes=2, timeout=30, memory_mb=300)
    )
    assert len(outcomes) == 3 and all(o.extraction for o in outcomes)
    after = set(Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split())
    assert after <= before


def _with_rss(data: bytes, source_path: str) -> Any:
    ex = _real_extract(data, source_path)
    status = Path("/proc/self/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    ex.notices.append(f"rss {rss_kb // 1024}")
    return ex


def test_a_worker_that_replaces_a_retired_one_starts_without_what_the_writer_grew_since(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each worker retires after one file; the writer grows by 300 MB after the first outcome. Forked
    # from the writer, the next workers would hold those pages (resident: RSS > 300 MB); forked from
    # the zygote, they start as the first did.
    monkeypatch.setattr(pipeline.run.workers, "extract_bytes", _with_rss)
    monkeypatch.setattr(pipeline.run.workers, "MAX_JOBS_PER_WORKER", 1)
    outcomes = run_jobs(_jobs(tmp_path, corpus, ["a", "b", "c"]), processes=1, timeout=30, memory_mb=600)
    first = next(outcomes)
    grown = bytearray(300 << 20)
    grown[::4096] = b"x" * len(grown[::4096])  # touched: resident in this process
    rest = list(outcomes)
    rss = [int(o.extraction.notices[-1].split()[1]) for o in [first, *rest] if o.extraction]
    assert len(rss) == 3
    assert max(rss) < 300, rss
    assert max(rss) < rss[0] * 1.5 + 20, rss

"""The Ray executor keeps the local pool's contract: same records, same error kinds, same store."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip(
    "ray", reason="the Ray executor is an optional extra: pip install 'council-packets[ray]'"
)

from pipeline.extract import extract_bytes  # noqa: E402
from pipeline.run import ingest, load, scan  # noqa: E402
from pipeline.run.ray import RayUnavailable, run_jobs_ray  # noqa: E402
from pipeline.run.workers import Job, Outcome, run_jobs  # noqa: E402
from pipeline.store import access, migrate, schema  # noqa: E402
from schemas import FileExtraction  # noqa: E402

TIMEOUT = 60.0
MEMORY_MB = 2048


def test_nothing_to_parse_starts_no_ray() -> None:
    """First in the module, before the shared cluster exists: a run with no new files costs nothing."""
    if ray.is_initialized():
        pytest.skip("a Ray is already running in this process")
    assert list(run_jobs_ray([], address=None, timeout=1.0, memory_mb=0)) == []
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def cluster():
    """One local Ray for the module, started by the caller: run_jobs_ray must leave it running."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def raw_dir(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    for sub in ("text", "pdf"):
        (raw / sub).mkdir()
        for f in sorted((corpus / sub).iterdir()):
            if f.suffix in (".txt", ".pdf"):
                shutil.copy(f, raw / sub / f.name)
    return raw


@pytest.fixture(scope="module")
def jobs(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Job]:
    """The corpus, plus random bytes named .pdf (kept outside the raw folder the store test ingests)."""
    bad = tmp_path_factory.mktemp("bad") / "random.pdf"
    bad.write_bytes(random.Random(0).randbytes(4096))
    found = [Job(str(p), p.relative_to(raw_dir).as_posix(), scan.file_sha256(p)) for p in scan.scan(raw_dir)]
    return [*found, Job(str(bad), "bad/random.pdf", scan.file_sha256(bad))]


@pytest.fixture(scope="module")
def local(jobs: list[Job]) -> dict[str, Outcome]:
    outcomes = run_jobs(jobs, processes=1, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    return {o.job.source_path: o for o in outcomes}


@pytest.fixture(scope="module")
def on_ray(cluster: None, jobs: list[Job]) -> list[Outcome]:
    """In the order the tasks finished: the order the single writer loads them."""
    return list(run_jobs_ray(jobs, address=None, timeout=TIMEOUT, memory_mb=MEMORY_MB))


def extraction(outcomes: list[Outcome], source_path: str) -> FileExtraction:
    (outcome,) = [o for o in outcomes if o.job.source_path == source_path]
    assert outcome.extraction is not None, outcome.message
    return outcome.extraction


# Read off each source: 001 lists cases No.1-30 (the PDF is the same packet), 002 lists No.1-51,
# 003 holds 報告第359号 (review status) and 報告第360号 (one incident), 004 is one 諮問・報告事項.
@pytest.mark.parametrize(
    ("source_path", "doc_types", "mentions", "incidents"),
    [
        ("pdf/001_1994ceeb1dad16c3.rendered.pdf", ["deliberation_list"], 30, 0),
        ("text/000_3cc04f1daad86607.txt", ["outsourcing_report"], 0, 0),
        ("text/001_1994ceeb1dad16c3.txt", ["deliberation_list"], 30, 0),
        ("text/002_4c38fdec3a8dbe73.part-a.txt", ["deliberation_list"], 51, 0),
        ("text/003_1a821361b52e8a76.txt", ["review_status_report", "incident_report"], 0, 1),
        ("text/004_84126b543154b082.txt", ["council_item"], 1, 0),
    ],
)
def test_same_extraction_as_local_pool(
    on_ray: list[Outcome],
    local: dict[str, Outcome],
    source_path: str,
    doc_types: list[str],
    mentions: int,
    incidents: int,
) -> None:
    ex = extraction(on_ray, source_path)
    assert [d.doc_type for d in ex.documents] == doc_types
    assert (len(ex.case_mentions), len(ex.incidents)) == (mentions, incidents)
    expected = local[source_path].extraction
    assert expected is not None
    assert ex.model_dump(mode="json") == expected.model_dump(mode="json")


def test_every_job_yields_exactly_one_outcome(on_ray: list[Outcome], jobs: list[Job]) -> None:
    assert len(jobs) == 7
    assert sorted(o.job.source_path for o in on_ray) == sorted(j.source_path for j in jobs)


def test_bad_file_has_the_local_error_kind(on_ray: list[Outcome], local: dict[str, Outcome]) -> None:
    (bad,) = [o for o in on_ray if o.job.source_path == "bad/random.pdf"]
    assert bad.extraction is None
    assert bad.error_kind == local["bad/random.pdf"].error_kind == "unreadable"
    assert (
        bad.message
        == "bad/random.pdf: is not a readable PDF (damaged or truncated); export or download it again."
    )


def test_a_ray_the_caller_started_is_left_running(on_ray: list[Outcome]) -> None:
    assert ray.is_initialized()


def test_slow_and_crashing_tasks_fail_alone(cluster: None, corpus_text, tmp_path: Path) -> None:
    _, data = corpus_text("004")
    for name in ("slow.txt", "crash.txt", "fine.txt"):
        (tmp_path / name).write_bytes(data)

    # The deadline counts from submission and so includes starting a fresh worker after the crash
    # (about a second here, several on a loaded machine: 6 s failed there twice): 15 s leaves room.
    # Nested, so cloudpickle sends it by value: the workers cannot import this test module.
    def flaky(data: bytes, source_path: str) -> FileExtraction:
        if source_path == "slow.txt":
            time.sleep(60)
        if source_path == "crash.txt":
            os._exit(3)
        return extract_bytes(data, source_path)

    jobs = [Job(str(tmp_path / n), n, "0" * 64) for n in ("slow.txt", "crash.txt", "fine.txt")]
    start = time.monotonic()
    outcomes = {
        o.job.source_path: o
        for o in run_jobs_ray(jobs, address=None, timeout=15.0, memory_mb=MEMORY_MB, extract=flaky)
    }
    assert time.monotonic() - start < 40  # the slow task sleeps 60 s: it was stopped
    assert (outcomes["slow.txt"].error_kind, outcomes["slow.txt"].message) == (
        "timeout",
        "slow.txt: parsing took longer than 15 s and was stopped (rules/limits.toml timeout_seconds); "
        "it is tried again on the next run.",
    )
    crash = outcomes["crash.txt"]
    assert crash.error_kind == "crashed" and crash.extraction is None
    assert crash.message is not None and crash.message.startswith(
        "crash.txt: the Ray worker parsing it died ("
    )
    fine = outcomes["fine.txt"].extraction
    assert fine is not None and [d.doc_type for d in fine.documents] == ["council_item"]


def test_a_memory_cap_no_node_offers_is_refused_at_the_start(cluster: None, tmp_path: Path) -> None:
    job = Job(str(tmp_path / "never-read.txt"), "never-read.txt", "0" * 64)
    with pytest.raises(RayUnavailable) as info:
        run_jobs_ray([job], address=None, timeout=1.0, memory_mb=10**9)
    assert str(info.value).startswith(
        "no Ray node offers 1000000000 MB for one parse (rules/limits.toml memory_mb); the largest offers "
    )
    assert ray.is_initialized()


def test_missing_ray_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RayUnavailable) as info:
        run_jobs_ray([], address=None, timeout=1.0, memory_mb=0)
    assert str(info.value) == "the Ray executor needs the optional extra: pip install 'council-packets[ray]'"


# Bookkeeping that differs between two runs by design; everything else must match to the byte.
SKIP_TABLES = {"ingest_runs", "ingest_errors"}
SKIP_COLUMNS = {"ingested_at", "run_id"}


def checksums(db: Path) -> dict[str, tuple[int, str]]:
    out = {}
    with access.reader(db) as con:
        for table, model in schema.TABLES.items():
            if table in SKIP_TABLES:
                continue
            cols = ", ".join(c for c in model.model_fields if c not in SKIP_COLUMNS)
            rows = con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


def test_store_from_ray_outcomes_equals_local_ingest(
    on_ray: list[Outcome], raw_dir: Path, tmp_path: Path
) -> None:
    db_local, db_ray = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    ingest.ingest(ingest.Options(raw_dir=raw_dir, db=db_local, jobs=1))

    with access.writer(db_ray) as con:
        con.execute("BEGIN")
        migrate.ensure_schema(con)
        load.load_departments(con)
        con.execute("COMMIT")
    for outcome in on_ray:  # one transaction per file, in order of completion, as ingest does
        if outcome.extraction is not None:
            with access.writer(db_ray) as con:
                con.execute("BEGIN")
                load.load_extraction(con, outcome.extraction)
                con.execute("COMMIT")
    with access.writer(db_ray) as con:
        con.execute("BEGIN")
        ingest.run_dedupe(con)
        con.execute("COMMIT")

    local_sums, ray_sums = checksums(db_local), checksums(db_ray)
    # Not a comparison of two empty stores: 7 documents, 30 + 30 + 51 + 1 mentions, the cases.
    assert local_sums["documents"][0] == 7
    assert local_sums["case_mentions"][0] == 112
    assert local_sums["cases"][0] > 0 and local_sums["incidents"][0] == 1
    assert ray_sums == local_sums

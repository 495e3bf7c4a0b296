"""Parse files as Ray tasks: the same contract as `pipeline.run.workers.run_jobs`, on one machine or a cluster.

Plain remote tasks, one per file, rather than Ray Data (`read_binary_files` + `map_batches`):
the driver already holds the exact list of new files with their sha256, every file needs its own
outcome (records, or an error kind and message for `ingest_errors`), its own time limit and its
own cancellation, and the single DuckDB writer wants results one file at a time as they finish.
A task per file gives all of that directly through `ray.wait` and `ray.cancel`; in Ray Data an
exception in a batch fails the dataset, a timeout has no per-row form, and results come back in
blocks. The cost of a task (a few ms) is small beside the cost of parsing a packet.

Limits, and how they differ from the local pool:
- time: no more tasks are in flight than the live nodes can run at once (CPUs, and memory hints),
  so a task starts when it is submitted and its deadline counts from submission (a fresh worker's
  start-up included); a task past it is cancelled with `force=True` (its worker process is killed)
  and becomes a `timeout` outcome. Nodes that join later are not used by a run already going.
- memory: `memory_mb` is passed as Ray's `memory=` resource, a scheduling hint that keeps a node
  from taking more parses than it can hold; it is not enforced. A hint no node can meet is refused
  at the start (such tasks would never run). The hard cap on a cluster is Ray's
  memory monitor (`RAY_memory_usage_threshold`, default 95 % of a node's RAM), which kills the
  worker of a task that pushes the node over it; that outcome is a `crashed` error naming the file.
  The local pool's per-file RLIMIT_AS cannot be used here: Ray workers are long-lived processes
  that already map the object store, so an address-space limit would outlive the task and fail it.
- retries: none (`max_retries=0`): a file that kills its worker would kill the next three. A failed
  file is not marked loaded, so the next ingest tries it again.

On a cluster every node needs the project installed at the driver's parser version (an extraction
made by other code is refused) and the raw folder mounted at the same path, because a task reads
its file where it runs rather than shipping every packet through the driver.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

from pipeline.extract import PARSER_VERSION, extract_bytes
from pipeline.model import ExtractionError
from pipeline.run.workers import Job, Outcome, check_pages, timeout_outcome
from schemas import FileExtraction

ExtractFn = Callable[[bytes, str], FileExtraction]

_MB = 1024 * 1024


class RayUnavailable(RuntimeError):
    """Ray is not installed or the cluster cannot be reached: a usage error for the CLI (exit 2)."""


def require_ray() -> ModuleType:
    """The `ray` module, or the error the CLI turns into `Error: …` before anything is written."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(
            "the Ray executor needs the optional extra: pip install 'council-packets[ray]'"
        ) from exc
    return ray


def parse_file(path: str, source_path: str, max_pages: int, extract: ExtractFn) -> tuple[str, Any]:
    """The body of one task. Returns plain data: a JSON-ready dict is far cheaper to move than models."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        check_pages(data, source_path, max_pages)
        return "ok", extract(data, source_path).model_dump(mode="json")
    except ExtractionError as exc:
        return "error", (exc.kind, exc.message)
    except MemoryError:
        return "error", ("too_large", f"{source_path}: ran out of memory while parsing on a Ray worker.")
    except OSError as exc:
        return "error", (
            "unreadable",
            f"{source_path}: cannot be read on the Ray worker ({exc.strerror}); on a cluster the raw "
            "folder must be mounted at the same path on every node.",
        )
    except Exception as exc:  # a parser bug on one file must not take the run down
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{os.path.basename(last.filename)}:{last.lineno}"
        return "error", (
            "parse_error",
            f"{source_path}: the parser failed ({type(exc).__name__} at {where}: {exc}); "
            "report the file to the pipeline's maintainers.",
        )


def run_jobs_ray(
    jobs: Iterable[Job],
    *,
    address: str | None,
    timeout: float,
    memory_mb: int,
    num_cpus: int | None = None,
    max_pages: int = 0,
    extract: ExtractFn = extract_bytes,
) -> Iterator[Outcome]:
    """Yield one Outcome per job as its task finishes (not in input order).

    Connects (or starts a local Ray with `num_cpus`) now, so a missing extra or an unreachable
    cluster fails at the call, not at the first result, as RayUnavailable with one sentence.
    A Ray the caller started is left running. `extract` is sent with every task; tests pass a slow
    or crashing one.
    """
    ray = require_ray()
    pending = list(jobs)
    if not pending:  # a nightly run with nothing new should not pay Ray's start-up
        return iter(())
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            try:
                ray.init(address=address, log_to_driver=False)
            except (ConnectionError, ValueError) as exc:
                raise RayUnavailable(f"cannot connect to the Ray cluster at {address} ({exc})") from exc
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    try:
        window = _window(ray, memory_mb)
    except RayUnavailable:
        if started_here:
            ray.shutdown()
        raise
    return _stream(ray, pending, window, timeout, memory_mb, max_pages, extract, started_here)


def _window(ray: ModuleType, memory_mb: int) -> int:
    """Tasks in flight: as many as the cluster can run at once, so none waits in a queue on its clock."""
    nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
    largest = max((r.get("memory", 0) for r in nodes), default=0) / _MB
    if memory_mb > largest:  # such a task would never be scheduled: every file would time out
        raise RayUnavailable(
            f"no Ray node offers {memory_mb} MB for one parse (rules/limits.toml memory_mb); "
            f"the largest offers {largest:.0f} MB"
        )
    slots = sum(
        min(int(r.get("CPU", 0)), int(r.get("memory", 0) // (memory_mb * _MB)) if memory_mb > 0 else 1 << 30)
        for r in nodes
    )
    return max(1, slots)


def _stream(
    ray: ModuleType,
    pending: list[Job],
    window: int,
    timeout: float,
    memory_mb: int,
    max_pages: int,
    extract: ExtractFn,
    started_here: bool,
) -> Iterator[Outcome]:
    task = ray.remote(parse_file).options(
        num_cpus=1, memory=max(0, memory_mb) * _MB, max_retries=0, retry_exceptions=False
    )
    running: dict[Any, tuple[Job, float]] = {}
    pending.reverse()
    try:
        while pending or running:
            while pending and len(running) < window:
                job = pending.pop()
                ref = task.remote(job.path, job.source_path, max_pages, extract)
                running[ref] = (job, time.monotonic() + timeout)
            nearest = min(deadline for _, deadline in running.values())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=max(0.0, nearest - time.monotonic()))
            for ref in ready:
                job, _ = running.pop(ref)
                yield _collect(ray, ref, job)
            now = time.monotonic()
            for ref, (job, deadline) in list(running.items()):
                if now >= deadline:
                    ray.cancel(ref, force=True)
                    del running[ref]
                    yield timeout_outcome(job, timeout)
    finally:
        # The consumer stopped early (an error, Ctrl-C): no task outlives the run.
        for ref in running:
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()


def _collect(ray: ModuleType, ref: Any, job: Job) -> Outcome:
    try:
        status, payload = ray.get(ref)
    except ray.exceptions.RayError as exc:  # the worker died: memory monitor, segfault, lost node
        # The same kind the local pool gives a parser process that dies.
        return Outcome(
            job,
            error_kind="crashed",
            message=f"{job.source_path}: the Ray worker parsing it died ({type(exc).__name__}); "
            "the file is probably damaged or too large to parse: check that it opens, or give the workers "
            "more memory.",
        )
    if status != "ok":
        kind, message = payload
        return Outcome(job, error_kind=kind, message=message)
    versions = {d["parser_version"] for d in payload["documents"]} - {PARSER_VERSION}
    if versions:
        return Outcome(
            job,
            error_kind="parse_error",
            message=f"{job.source_path}: was parsed by parser version {', '.join(sorted(versions))} on a "
            f"Ray node, not {PARSER_VERSION}; install the same version of the project on every node.",
        )
    return Outcome(job, extraction=FileExtraction.model_validate(payload))

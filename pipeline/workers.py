"""Parse files in worker processes with a memory cap and a time limit.

Hostile PDFs are real (a Flate bomb inflating to gigabytes, pdfminer's quadratic fallback on a
damaged stream), so no file is parsed in the process that writes the store: a worker that runs
out of memory, crashes or overruns its time becomes an error for that file, never a dead run.
One process per file (forked, so start-up is milliseconds) keeps every file's limits its own.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
import traceback
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.extract import extract_bytes
from pipeline.read import ExtractionError
from schemas import FileExtraction


@dataclass(frozen=True)
class Job:
    path: str  # absolute path to read
    source_path: str  # path relative to the raw root, as stored
    sha256: str


@dataclass
class Outcome:
    job: Job
    extraction: FileExtraction | None = None
    error_kind: str | None = None
    message: str | None = None


def _child(conn: Connection, job: Job, memory_mb: int) -> None:
    try:
        if memory_mb > 0:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        with open(job.path, "rb") as fh:
            data = fh.read()
        result: tuple[str, Any] = ("ok", extract_bytes(data, job.source_path).model_dump(mode="json"))
    except ExtractionError as exc:
        result = ("error", (exc.kind, exc.message))
    except MemoryError:
        result = ("error", ("too_large", f"{job.source_path}: needs more than {memory_mb} MB to parse."))
    except Exception as exc:  # a parser bug on one file must not take the run down
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{os.path.basename(last.filename)}:{last.lineno}"
        result = (
            "error",
            (
                "parse_error",
                f"{job.source_path}: the parser failed ({type(exc).__name__} at {where}: {exc}).",
            ),
        )
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("error", ("too_large", f"{job.source_path}: its records do not fit in {memory_mb} MB.")))
    finally:
        conn.close()


def _inline(job: Job) -> Outcome:
    try:
        with open(job.path, "rb") as fh:
            data = fh.read()
        return Outcome(job, extraction=extract_bytes(data, job.source_path))
    except ExtractionError as exc:
        return Outcome(job, error_kind=exc.kind, message=exc.message)


def run_jobs(jobs: Iterable[Job], *, processes: int, timeout: float, memory_mb: int) -> Iterator[Outcome]:
    """Yield one Outcome per job as workers finish (not in input order). processes=0 parses inline."""
    pending = list(jobs)
    if processes <= 0:
        for job in pending:
            yield _inline(job)
        return
    ctx = mp.get_context("fork")
    running: dict[Connection, tuple[Job, Any, float]] = {}
    pending.reverse()
    while pending or running:
        while pending and len(running) < processes:
            job = pending.pop()
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(send, job, memory_mb), daemon=True)
            proc.start()
            send.close()
            running[recv] = (job, proc, time.monotonic() + timeout)
        now = time.monotonic()
        nearest = min(deadline for _, _, deadline in running.values())
        ready = wait(list(running), timeout=max(0.0, nearest - now))
        for ready_conn in ready:
            conn = typing.cast(Connection, ready_conn)
            job, proc, _ = running.pop(conn)
            try:
                status, payload = conn.recv()
            except (EOFError, OSError):
                proc.join(5)
                code = proc.exitcode
                yield Outcome(
                    job,
                    error_kind="parse_error",
                    message=f"{job.source_path}: the parser process died (exit code {code}); "
                    "the file is probably damaged or too large to parse.",
                )
                continue
            finally:
                conn.close()
            proc.join(5)
            if status == "ok":
                yield Outcome(job, extraction=FileExtraction.model_validate(payload))
            else:
                kind, message = payload
                yield Outcome(job, error_kind=kind, message=message)
        now = time.monotonic()
        for conn, (job, proc, deadline) in list(running.items()):
            if now >= deadline:
                proc.kill()
                proc.join(5)
                conn.close()
                del running[conn]
                yield Outcome(
                    job,
                    error_kind="timeout",
                    message=f"{job.source_path}: parsing took longer than {timeout:.0f} s and was stopped.",
                )

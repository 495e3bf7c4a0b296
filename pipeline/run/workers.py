"""Parse files in worker processes with a memory cap and a time limit.

Hostile PDFs are real (a Flate bomb inflating to gigabytes, pdfminer's quadratic fallback on a
damaged stream), so no file is parsed in the process that writes the store: a worker that runs
out of memory, crashes or overruns its time becomes an error for that file, never a dead run, and
is replaced. Workers are forked from a zygote (pipeline/run/zygote.py) forked from the writer at the
start of the run, so they share the warm parsers and none inherits what the writer holds later; each
parses one file at a time and retires after `MAX_JOBS_PER_WORKER` files or once it has grown by
`RETIRE_SHARE` of the cap. A worker dies with the zygote and the zygote with the writer
(PR_SET_PDEATHSIG), so a killed ingest leaves no parser running on.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import logging
import os
import resource
import signal
import time
import traceback
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.extract import extract_bytes, warm_up
from pipeline.model import PDF_SUFFIXES, ExtractionError
from pipeline.run.zygote import Zygote
from pipeline.store import access
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


def _mapped_bytes() -> int:
    """Address space inherited from the parent (DuckDB's thread stacks, Arrow's arenas): mapped, not used."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _limit_memory(memory_mb: int) -> None:
    if memory_mb > 0:
        limit = _mapped_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def check_pages(data: bytes, source_path: str, max_pages: int) -> None:
    """Refuse a PDF with too many pages before parsing it: counting pages reads only the page tree."""
    if max_pages <= 0 or not (source_path.lower().endswith(PDF_SUFFIXES) or data[:5] == b"%PDF-"):
        return
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return  # the parser reports why it cannot be opened
    try:
        pages = len(doc)
    finally:
        doc.close()
    if pages > max_pages:
        raise ExtractionError(
            "too_large",
            f"{source_path}: has {pages} pages, over the {max_pages}-page limit "
            "(rules/limits.toml max_pages); split it or raise the limit.",
        )


def _parse(job: Job, memory_mb: int, max_pages: int) -> tuple[str, Any]:
    try:
        with open(job.path, "rb") as fh:
            data = fh.read()
        check_pages(data, job.source_path, max_pages)
        return "ok", extract_bytes(data, job.source_path).model_dump(mode="json")
    except ExtractionError as exc:
        return "error", (exc.kind, exc.message)
    except MemoryError:
        return "error", ("too_large", _memory_message(job, memory_mb))
    except OSError as exc:
        return "error", ("unreadable", f"{job.source_path}: cannot be read ({exc.strerror}).")
    except Exception as exc:  # a parser bug on one file must not take the run down
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{os.path.basename(last.filename)}:{last.lineno}"
        said = " ".join(str(exc).split())
        said = said if len(said) <= 160 else said[:160] + "…"  # pdfminer quotes whole dictionaries
        return "error", (
            "parse_error",
            f"{job.source_path}: the parser failed ({type(exc).__name__} at {where}: {said}); "
            "report the file to the pipeline's maintainers.",
        )


def _memory_message(job: Job, memory_mb: int) -> str:
    return (
        f"{job.source_path}: needs more than {memory_mb} MB to parse (rules/limits.toml memory_mb); "
        "the file is probably damaged or hostile: remove it, or raise the limit if it is a real packet."
    )


def _serve(conn: Connection, memory_mb: int, max_pages: int, max_jobs: int) -> None:
    """A worker: parse the jobs the writer sends, one at a time, until told to stop or until its
    memory has grown enough that the next file would not get the whole cap (then it retires)."""
    # A crash or a damaged file is reported as the file's ingest_errors row; a C stack dump or
    # pdfminer's warnings about each broken object would only clutter the nightly log.
    faulthandler.disable()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    access.close_inherited_locks()
    _limit_memory(memory_mb)
    baseline = _mapped_bytes()
    for done in range(1, max_jobs + 1):
        try:
            job = conn.recv()
        except (EOFError, OSError):
            break
        if job is None:
            break
        status, payload = _parse(job, memory_mb, max_pages)
        grown = _mapped_bytes() - baseline
        retire = done == max_jobs or grown > memory_mb * 1024 * 1024 * RETIRE_SHARE
        try:
            conn.send((status, payload, retire))
        except MemoryError:
            conn.send(("error", ("too_large", _memory_message(job, memory_mb)), True))
            break
        if retire:
            break
    conn.close()


def _inline(job: Job, max_pages: int) -> Outcome:
    status, payload = _parse(job, 0, max_pages)
    if status == "ok":
        return Outcome(job, extraction=FileExtraction.model_validate(payload))
    kind, message = payload
    return Outcome(job, error_kind=kind, message=message)


def _died(job: Job, code: int | None, memory_mb: int) -> Outcome:
    if code is not None and code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with code {code}"
    return Outcome(
        job,
        error_kind="crashed",
        message=f"{job.source_path}: the parser process {how} before it finished; the file is "
        f"probably damaged, or needs more than the {memory_mb} MB memory cap: check that it opens, "
        "or raise memory_mb in rules/limits.toml.",
    )


def timeout_outcome(job: Job, timeout: float) -> Outcome:
    """The one outcome of a file whose parse overran its time, whichever executor ran it."""
    return Outcome(
        job,
        error_kind="timeout",
        message=f"{job.source_path}: parsing took longer than {timeout:g} s and was stopped "
        "(rules/limits.toml timeout_seconds); it is tried again on the next run.",
    )


# A worker parses files one after another; it is replaced once it has parsed this many, or once its
# address space has grown by this share of the memory cap, so every file still gets (nearly) the
# whole cap and a slow leak cannot build up. Forking one process per file instead cost more than
# the parse of a small file: page tables of a parent that holds a large store are copied each time.
MAX_JOBS_PER_WORKER = 500
RETIRE_SHARE = 0.1


@dataclass
class _Worker:
    pid: int
    conn: Connection
    job: Job | None = None
    deadline: float = 0.0
    exitcode: int | None = None


def _warm() -> None:
    # Objects that exist now are never collected in a worker, so its collector does not touch (and
    # copy) the zygote's pages: frozen before the warm-up (what the writer had) and after it.
    gc.freeze()
    warm_up()
    gc.freeze()


def start_zygote(memory_mb: int, max_pages: int) -> Zygote:
    """The process a run's workers are forked from (pipeline/run/zygote.py). It warms the parsers up
    in its own process, so a run that starts it before planning finds it warm when the parse begins."""
    max_jobs = MAX_JOBS_PER_WORKER  # read now: a test may have changed it
    return Zygote(lambda conn: _serve(conn, memory_mb, max_pages, max_jobs), warm=_warm)


def run_jobs(
    jobs: Iterable[Job],
    *,
    processes: int,
    timeout: float,
    memory_mb: int,
    max_pages: int = 0,
    zygote: Zygote | None = None,
) -> Iterator[Outcome]:
    """Yield one Outcome per job as workers finish (not in input order). processes=0 parses inline.
    Workers are forked from `zygote` (start_zygote, with the same limits), or from one of the call's own."""
    pending = list(jobs)
    if processes <= 0:
        for job in pending:
            yield _inline(job, max_pages)
        return
    if not pending:
        return
    own = zygote is None
    zygote = zygote or start_zygote(memory_mb, max_pages)
    workers: list[_Worker] = []
    pending.reverse()

    def spawn() -> _Worker:
        w = _Worker(*zygote.spawn())
        workers.append(w)
        return w

    def kill(w: _Worker) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(w.pid, signal.SIGKILL)

    def discard(w: _Worker) -> None:
        workers.remove(w)
        w.conn.close()
        w.exitcode = zygote.wait(w.pid, 5)
        if w.exitcode is None:
            kill(w)
            w.exitcode = zygote.wait(w.pid, 5)

    def fill() -> None:
        idle = [w for w in workers if w.job is None]
        while pending and (idle or len(workers) < processes):
            w = idle.pop() if idle else spawn()
            job = pending.pop()
            try:
                w.conn.send(job)
            except OSError:  # it died while idle: give the job to a new worker
                pending.append(job)
                discard(w)
                continue
            w.job, w.deadline = job, time.monotonic() + timeout

    try:
        while True:
            fill()
            busy = [w for w in workers if w.job is not None]
            if not busy:
                break
            nearest = min(w.deadline for w in busy)
            ready = set(wait([w.conn for w in busy], timeout=max(0.0, nearest - time.monotonic())))
            # Results are collected first and handed over only once the freed workers are busy again:
            # the consumer (the store's writer) takes time, and workers must not wait for it.
            finished: list[Outcome | tuple[Job, Any]] = []
            for w in busy:
                job = typing.cast(Job, w.job)
                if w.conn in ready:
                    try:
                        status, payload, retire = w.conn.recv()
                    except (EOFError, OSError):
                        discard(w)
                        finished.append(_died(job, w.exitcode, memory_mb))
                        continue
                    w.job = None
                    if retire:
                        discard(w)
                    if status == "ok":
                        finished.append((job, payload))
                    else:
                        kind, message = payload
                        finished.append(Outcome(job, error_kind=kind, message=message))
                elif time.monotonic() >= w.deadline:
                    kill(w)
                    discard(w)
                    finished.append(timeout_outcome(job, timeout))
            fill()
            for item in finished:
                if isinstance(item, Outcome):
                    yield item
                else:
                    yield Outcome(item[0], extraction=FileExtraction.model_validate(item[1]))
    finally:
        # Done, or the consumer stopped early (an error, Ctrl-C): no parser outlives the run.
        for w in list(workers):
            kill(w)
            discard(w)
        if own:
            zygote.close()

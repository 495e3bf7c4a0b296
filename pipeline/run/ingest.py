"""The nightly job: every new or changed file under the raw root → the store, all of a file or none.

Order of work, and why:
1. take the ingest lock (one writer) and open the working copy of the store (pipeline/store/:
   analysts keep reading the published store, untouched until the end of the run);
2. hash every file; skip those whose sha256 and parser version are already loaded, or already
   failed (a failure is retried when the file or the parser changes, on `--reparse`, or for the
   error kinds in rules/limits.toml `retry_error_kinds`). Identical files are parsed once: the
   first path in sorted order owns the documents, so the outcome never depends on timing;
3. parse the rest in worker processes (pipeline/run/workers.py), and load the results as they arrive,
   committed in batches of whole files (`BATCH_FILES`, `BATCH_SECONDS`): all of a file's rows or
   none; a batch the store refuses is retried file by file; a bad file becomes an
   `ingest_errors` row and the run goes on;
4. re-plan dedupe where mentions changed (pipeline/dedupe/apply.py: the scopes the loads marked in
   `store_state.dedupe_pending`, which survives a crash, so the next run finishes the job), close
   the run row, publish the copy.

A run killed at any point leaves the published store as it was; the next run resumes from the
working copy (every file committed there stays committed) and ends where an uninterrupted run
would have. A small run (rules/limits.toml `in_place_max_files`) skips the copy: when no reader
holds the store, steps 2-4 are one transaction on the published file (`_in_place`), all or nothing.
Files that disappear from the raw folder keep their documents: a missing mount must not empty the
store.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import duckdb

from pipeline.dedupe import apply as dedupe_store
from pipeline.model import ExtractionError
from pipeline.readonly import RAW_ROOT
from pipeline.rules import limits
from pipeline.run.load import (
    FileStat,
    load_departments,
    load_extraction,
    load_extractions,
    now,
    parser_version,
)
from pipeline.run.scan import file_sha256, walk
from pipeline.run.workers import Job, Outcome, run_jobs, start_zygote
from pipeline.run.zygote import Zygote
from pipeline.store import access, files, migrate, schema
from schemas import FileExtraction, IngestError, IngestRun


@dataclass
class Options:
    raw_dir: Path
    db: Path
    jobs: int = 0  # 0: all cores
    reparse: bool = False
    timeout: float = float(limits()["timeout_seconds"])
    memory_mb: int = int(limits()["memory_mb"])
    max_file_mb: float = float(limits()["max_file_mb"])
    max_pages: int = int(limits()["max_pages"])
    writer_memory_mb: int = int(limits()["writer_memory_mb"])
    lock_wait: float = 60.0
    executor: str = "local"  # "local": process pool on this machine; "ray": pipeline/run/ray.py
    ray_address: str | None = None  # None: a local Ray on `jobs` CPUs (0: all)


@dataclass
class Summary:
    run_id: str
    status: str = "ok"
    files_seen: int = 0
    files_new: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    documents: int = 0
    case_mentions: int = 0
    cases: int = 0
    suspect: int = 0  # documents stored in this run with a failed check
    resumed: bool = False
    errors: Counter[str] = field(default_factory=Counter)
    doc_types: Counter[str] = field(default_factory=Counter)
    # The first `notices_kept` notices of the run; the rest are only counted (`notices_more`). A
    # backfill of 10,000 packets makes ~150,000 (mostly 課名 outside a registry), 40 MB of strings held
    # to the end of the run, and a page of them helps a reader more than a log of them: each is
    # also in the store (extraction_checks, the warnings columns, ingested_files).
    notices: list[str] = field(default_factory=list)
    notices_more: int = 0
    notices_kept: ClassVar[int] = int(limits()["notices_kept"])

    def notice(self, *texts: str) -> None:
        room = max(0, self.notices_kept - len(self.notices))
        self.notices.extend(texts[:room])
        self.notices_more += max(0, len(texts) - room)

    def line(self) -> str:
        """One line a log watcher can parse: key=value pairs."""
        errs = ",".join(f"{k}:{v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"ingest status={self.status} run_id={self.run_id} files_seen={self.files_seen} "
            f"files_new={self.files_new} files_skipped={self.files_skipped} files_failed={self.files_failed} "
            f"documents={self.documents} case_mentions={self.case_mentions} cases={self.cases} "
            f"suspect={self.suspect} errors={errs}"
        )


ProgressFn = Callable[[int, int, str], None]


def run_dedupe(con: duckdb.DuckDBPyConnection) -> int:
    """Re-plan cases over every mention in the store and apply the plan; returns the number of cases."""
    return dedupe_store.run(con, full=True)


@dataclass
class _Run:
    """What one ingest carries between its steps.

    `in_place`: the run is one transaction on the published store (access.open_in_place), so its steps
    neither begin nor commit one of their own, and a step that would roll back a batch abandons the
    attempt instead (_NotInPlace): the run is then made again on a working copy."""

    opts: Options
    con: duckdb.DuckDBPyConnection
    summary: Summary
    version: str
    limits: str  # the limits failures are decided under: raising one retries them
    in_place: bool = False
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, sha) of copies not parsed
    pending: list[FileExtraction] = field(default_factory=list)  # parsed, not yet committed
    stats: dict[str, FileStat] = field(default_factory=dict)  # rel path → what it was when hashed
    pending_since: float = 0.0

    def begin(self) -> None:
        if not self.in_place:
            self.con.execute("BEGIN")

    def commit(self) -> None:
        if not self.in_place:
            self.con.execute("COMMIT")

    def trim(self) -> None:
        if not self.in_place:  # inside the run's one transaction DuckDB cannot drop what it holds
            access.trim_cache(self.con, self.opts.writer_memory_mb)


class _NotInPlace(Exception):
    """A run begun in place that must be made on a working copy: too much to parse, or a batch refused."""


@dataclass(frozen=True)
class _Seen:
    path: str
    rel: str
    sha: str
    size: int


def ingest(opts: Options, progress: ProgressFn | None = None) -> Summary:
    if not opts.raw_dir.is_dir():
        raise access.StoreError(
            f"the raw folder {opts.raw_dir} does not exist; give the folder of packets as RAW_DIR"
        )
    with access.ingest_lock(opts.db, opts.lock_wait):
        if opts.executor == "local":
            summary = _in_place(opts, progress)
            if summary is not None:
                return summary
        con, resumed = access.open_work(opts.db, opts.writer_memory_mb)
        run = _new_run(opts, con)
        if resumed:
            run.summary.resumed = True
            run.summary.notice("resumed the working copy an interrupted ingest left; its loaded files stay")
        try:
            _work(run, progress)
        except BaseException:
            con.close()  # the working copy stays for the next run to resume
            raise
        access.publish(con, opts.db)
    return run.summary


def _new_run(opts: Options, con: duckdb.DuckDBPyConnection, in_place: bool = False) -> _Run:
    limits_key = f"{opts.max_file_mb:g} MB, {opts.max_pages} pages, {opts.timeout:g} s, {opts.memory_mb} MB"
    return _Run(opts, con, Summary(uuid.uuid4().hex[:12]), parser_version(), limits_key, in_place)


def _in_place(opts: Options, progress: ProgressFn | None) -> Summary | None:
    """A small run (rules/limits.toml `in_place_max_files`, `in_place_max_mb`) as one transaction on the
    published store, when no reader has it open: a nightly run that finds one new packet, or none,
    then costs what its work costs, not a copy of the whole store. None: make it on a working copy."""
    con = access.open_in_place(opts.db, opts.writer_memory_mb)
    if con is None:
        return None
    run = _new_run(opts, con, in_place=True)
    try:
        con.execute("BEGIN")
        _work(run, progress)
        con.execute("COMMIT")
    except _NotInPlace:
        con.execute("ROLLBACK")
        con.close()
        return None
    except BaseException:
        con.close()  # uncommitted: the store is as it was
        raise
    access.close_in_place(con)
    return run.summary


def _work(run: _Run, progress: ProgressFn | None) -> None:
    opts, con = run.opts, run.con
    run_row = IngestRun(
        run_id=run.summary.run_id, started_at=now(), status="running", parser_version=run.version
    )
    run.begin()
    migrate.ensure_schema(con)
    load_departments(con)
    access.set_state(con, RAW_ROOT, str(opts.raw_dir.resolve()))  # reextract's default root
    # A run that was killed never closed its row; the working copy it left is resumed now.
    con.execute("UPDATE ingest_runs SET status = 'failed' WHERE status = 'running'")
    schema.insert(con, "ingest_runs", [run_row])
    run.commit()
    # Forked now, so that it warms the parsers up while this process plans.
    zygote = start_zygote(opts.memory_mb, opts.max_pages) if opts.executor == "local" else None
    try:
        _parse_and_load(run, zygote, progress)
    finally:
        if zygote is not None:
            zygote.close()
    _finish(run)


def _parse_and_load(run: _Run, zygote: Zygote | None, progress: ProgressFn | None) -> None:
    opts = run.opts
    jobs = _plan(run)
    if run.in_place:
        lim = limits()
        size = sum(run.stats[j.source_path][0] for j in jobs)
        if len(jobs) > int(lim["in_place_max_files"]) or size > float(lim["in_place_max_mb"]) * 1e6:
            raise _NotInPlace(f"{len(jobs)} files, {size:,} bytes to parse")
    processes = opts.jobs if opts.jobs > 0 else (os.cpu_count() or 1)
    if opts.executor == "ray":
        from pipeline.run.ray import run_jobs_ray

        outcomes = run_jobs_ray(
            jobs,
            address=opts.ray_address,
            timeout=opts.timeout,
            memory_mb=opts.memory_mb,
            num_cpus=opts.jobs or None,
            max_pages=opts.max_pages,
        )
    else:
        outcomes = run_jobs(
            jobs,
            processes=min(processes, max(1, len(jobs))),
            timeout=opts.timeout,
            memory_mb=opts.memory_mb,
            max_pages=opts.max_pages,
            zygote=zygote,
        )
    for done, outcome in enumerate(outcomes, start=1):
        if progress:
            progress(done, len(jobs), outcome.job.source_path)
        _handle(run, outcome)
    _flush(run)


def _plan(run: _Run) -> list[Job]:
    """Hash every file and decide what to parse; refusals found here are recorded at once."""
    opts, summary = run.opts, run.summary
    known = files.known(run.con)
    retry = set(limits().get("retry_error_kinds", []))

    def skip(prev: files.FileRecord | None, f: _Seen) -> bool:
        if opts.reparse or prev is None or (prev.file_sha256, prev.parser_version) != (f.sha, run.version):
            return False
        if prev.status == "ok":
            return True
        # A failure recurs until the file, the parser or the limits change; some kinds may be passing.
        return prev.status == "failed" and prev.limits == run.limits and prev.error_kind not in retry

    seen: list[_Seen] = []
    restat: list[tuple[str, int, int]] = []  # unchanged files whose size or time changed (copied, touched)
    # A file modified less than this long before it is hashed may change again within the same
    # timestamp tick (git's "racy" files): its time is not recorded, so the next run reads it again.
    settled_before = time.time_ns() - 2_000_000_000
    for path, rel in walk(opts.raw_dir):
        summary.files_seen += 1
        try:
            st = os.stat(path)
            mtime = st.st_mtime_ns if st.st_mtime_ns < settled_before else None
            prev = known.get(rel)
            # Like make and rsync: a file whose size and modification time are those it had when it
            # was hashed is not read again (`--reparse` reads everything).
            if (
                not opts.reparse
                and prev is not None
                and prev.file_sha256
                and (prev.file_size, prev.file_mtime_ns) == (st.st_size, st.st_mtime_ns)
            ):
                sha = prev.file_sha256
            else:
                sha = file_sha256(path)
                if prev is not None and prev.file_sha256 == sha and mtime is not None:
                    restat.append((rel, st.st_size, mtime))
            seen.append(_Seen(path, rel, sha, st.st_size))
            run.stats[rel] = (st.st_size, mtime)
        except OSError as exc:
            _fail(
                run,
                rel,
                None,
                "unreadable",
                f"{rel}: cannot be read ({exc.strerror}); check its permissions.",
            )
    if restat:
        run.begin()
        files.restat(run.con, restat)
        run.commit()
    owner: dict[str, str] = {}  # sha → the path that is parsed for it
    parse: list[_Seen] = []
    for f in seen:
        prev = known.get(f.rel)
        refusal = _refusal(opts, f)
        if refusal is not None:
            if skip(prev, f):
                summary.files_skipped += 1  # already reported, nothing new to say
            else:
                _fail(run, f.rel, f.sha, *refusal)
            continue
        # scan order is sorted, so the first path of a sha is the smallest whatever the timing
        if owner.setdefault(f.sha, f.rel) != f.rel:
            summary.files_skipped += 1
            # A copy already recorded as one, unchanged, is not written again: a rerun rewrites nothing.
            as_recorded = (f.sha, run.version, "duplicate", *run.stats[f.rel])
            if (
                prev is None
                or (prev.file_sha256, prev.parser_version, prev.status, prev.file_size, prev.file_mtime_ns)
                != as_recorded
            ):
                run.duplicates.append((f.rel, f.sha))
            summary.notice(f"{f.rel}: same bytes as {owner[f.sha]}; its documents are stored once, there")
            continue
        if skip(prev, f):
            summary.files_skipped += 1
            continue
        parse.append(f)
    return [Job(f.path, f.rel, f.sha) for f in parse]


def _refusal(opts: Options, f: _Seen) -> tuple[str, str] | None:
    """Files refused before parsing: (error_kind, message), or None."""
    if f.size == 0:
        return "not_a_packet", f"{f.rel}: is empty; export the packet again or remove the file."
    if f.size > opts.max_file_mb * 1e6:
        return (
            "too_large",
            f"{f.rel}: is {f.size:,} bytes, over the {opts.max_file_mb:g} MB limit "
            "(rules/limits.toml max_file_mb); split it or raise the limit.",
        )
    return None


def _fail(run: _Run, rel: str, sha: str | None, kind: str, message: str) -> None:
    """An ingest_errors row; with a sha, the file is remembered as failed so an unchanged copy is skipped."""
    run.summary.files_failed += 1
    run.summary.errors[kind] += 1
    con = run.con
    run.begin()
    ((kept,),) = con.execute(
        "SELECT count(*) FROM documents WHERE source_path = ? AND file_sha256 IS DISTINCT FROM ?", [rel, sha]
    ).fetchall()
    if kept:
        message = message.rstrip(".") + "; the documents of its previous version stay in the store."
    schema.insert(
        con,
        "ingest_errors",
        [
            IngestError(
                run_id=run.summary.run_id, source_path=rel, file_sha256=sha, error_kind=kind, message=message
            )
        ],
    )
    if sha is not None:
        size, mtime = run.stats.get(rel, (None, None))
        files.put(
            con, [files.FileRecord(rel, sha, run.version, "failed", 0, now(), kind, run.limits, size, mtime)]
        )
    run.commit()


# Parsed files are committed in batches of this many, or after this many seconds: one transaction
# per file made the single writer the bottleneck of a large first ingest.
BATCH_FILES = 32
BATCH_SECONDS = 2.0


def _handle(run: _Run, outcome: Outcome) -> None:
    job, ex = outcome.job, outcome.extraction
    if ex is None:
        _fail(run, job.source_path, job.sha256, outcome.error_kind or "parse_error", outcome.message or "")
        return
    if not run.pending:
        run.pending_since = time.monotonic()
    run.pending.append(ex)
    if len(run.pending) >= BATCH_FILES or time.monotonic() - run.pending_since >= BATCH_SECONDS:
        _flush(run)


def _flush(run: _Run) -> None:
    """Commit the parsed files waiting in `run.pending`; a batch the store refuses is retried file
    by file, so one bad file fails alone."""
    batch, run.pending = run.pending, []
    if not batch:
        return
    con = run.con
    run.begin()
    try:
        load_extractions(con, batch, run.stats)
        run.commit()
    except duckdb.Error as exc:
        if run.in_place:
            raise _NotInPlace(f"the store refused a batch: {exc}") from exc
        con.execute("ROLLBACK")
        if len(batch) > 1:
            for ex in batch:
                run.pending = [ex]
                _flush(run)
            return
        first = str(exc).splitlines()[0]
        path = batch[0].source_path
        _fail(
            run,
            path,
            batch[0].file_sha256,
            "load_error",
            f"{path}: the store refused its records ({first}); report the file to the pipeline's maintainers.",
        )
        return
    run.trim()
    for ex in batch:
        run.summary.files_new += 1
        run.summary.doc_types.update(d.doc_type for d in ex.documents)
        run.summary.suspect += sum(d.suspect for d in ex.documents)
        run.summary.notice(*ex.notices)


def _finish(run: _Run) -> None:
    con, summary = run.con, run.summary
    run.begin()
    if dedupe_store.is_pending(con):
        # Committed batch by batch: a first ingest's re-plan of the whole store holds a batch's changes.
        dedupe_store.run(con, commit=not run.in_place, after_commit=run.trim)
    if summary.files_failed == 0:
        summary.status = "ok"
    else:
        summary.status = "partial" if summary.files_new else "failed"
    ((summary.documents, summary.case_mentions, summary.cases),) = con.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM case_mentions), (SELECT count(*) FROM cases)"
    ).fetchall()
    # Written last: loading a new owner of the same bytes may have removed an older row of these paths.
    files.put(
        con,
        (
            files.FileRecord(
                rel, sha, run.version, "duplicate", 0, now(), None, None, *run.stats.get(rel, (None, None))
            )
            for rel, sha in run.duplicates
        ),
    )
    con.execute(
        "UPDATE ingest_runs SET finished_at = ?, status = ?, files_seen = ?, files_new = ?, "
        "files_skipped = ?, files_failed = ? WHERE run_id = ?",
        [
            now(),
            summary.status,
            summary.files_seen,
            summary.files_new,
            summary.files_skipped,
            summary.files_failed,
            summary.run_id,
        ],
    )
    run.commit()


def reextract(path: Path, source_path: str, store_path: Path, lock_wait: float = 60.0) -> int:
    """Re-parse one file and replace all it contributed, dedupe included, in one transaction."""
    job = Job(str(path), source_path, file_sha256(path))
    lim = limits()
    (outcome,) = run_jobs(
        [job],
        processes=1,
        timeout=float(lim["timeout_seconds"]),
        memory_mb=int(lim["memory_mb"]),
        max_pages=int(lim["max_pages"]),
    )
    if outcome.extraction is None:
        raise ExtractionError(outcome.error_kind or "parse_error", outcome.message or "")
    with access.ingest_lock(store_path, lock_wait):
        # In place when no reader holds the store (one transaction either way); else on a working copy.
        con = access.open_in_place(store_path, int(lim["writer_memory_mb"]))
        in_place = con is not None
        if con is None:
            con, _ = access.open_work(store_path, int(lim["writer_memory_mb"]))
        try:
            con.execute("BEGIN")
            migrate.ensure_schema(con)
            load_extraction(con, outcome.extraction)
            dedupe_store.run(con)
            con.execute("COMMIT")
        except BaseException:
            con.close()
            raise
        if in_place:
            access.close_in_place(con)
        else:
            access.publish(con, store_path)
    return len(outcome.extraction.documents)

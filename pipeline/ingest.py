"""The nightly job: every new or changed file under the raw root → the store, one transaction per file.

Order of work, and why:
1. take the ingest lock (one writer), write the run's `ingest_runs` row;
2. hash every file; skip those whose sha256 and parser version are already loaded;
3. parse the rest in worker processes (pipeline/workers.py), and load each result as it arrives
   in its own short transaction (all of a file's rows or none), so a crash loses at most the file
   being written and readers are locked out only for the length of one commit;
4. re-plan dedupe over the whole store when anything changed (`store_state.dedupe_pending`
   survives a crash, so the next run finishes the job), then close the run row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import dedupe, store
from pipeline.extract import PARSER_VERSION
from pipeline.read import PDF_SUFFIXES, TEXT_SUFFIXES
from pipeline.rules import department_registry, limits
from pipeline.workers import Job, Outcome, run_jobs
from schemas import CaseMention, Department, FileExtraction, IngestError, IngestRun

SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES


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
    lock_wait: float = 60.0


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
    errors: Counter[str] = field(default_factory=Counter)
    doc_types: Counter[str] = field(default_factory=Counter)
    notices: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line a log watcher can parse: key=value pairs."""
        errs = ",".join(f"{k}:{v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"ingest status={self.status} run_id={self.run_id} files_seen={self.files_seen} "
            f"files_new={self.files_new} files_skipped={self.files_skipped} files_failed={self.files_failed} "
            f"documents={self.documents} case_mentions={self.case_mentions} cases={self.cases} errors={errs}"
        )


ProgressFn = Callable[[int, int, str], None]


def scan(raw_dir: Path) -> list[Path]:
    """Every candidate file below the raw root, in a stable order; hidden files are ignored."""
    found = []
    for dirpath, dirnames, filenames in os.walk(raw_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                found.append(Path(dirpath) / name)
    return found


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def load_departments(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        Department(municipality=e.municipality, name=e.name, bureau=e.bureau, aliases=list(e.aliases))
        for e in department_registry()
    ]
    con.execute("DELETE FROM departments")
    store.insert(con, "departments", rows)


def delete_file_rows(con: duckdb.DuckDBPyConnection, source_path: str) -> None:
    """Everything a file contributed: its documents and every row hanging off them."""
    ids = "SELECT document_id FROM documents WHERE source_path = ?"
    for table in store.FILE_TABLES:
        con.execute(f"DELETE FROM {table} WHERE document_id IN ({ids})", [source_path])
    con.execute("DELETE FROM documents WHERE source_path = ?", [source_path])
    con.execute("DELETE FROM ingested_files WHERE source_path = ?", [source_path])


def load_extraction(con: duckdb.DuckDBPyConnection, ex: FileExtraction) -> None:
    """Replace what the file contributed, in the caller's transaction."""
    delete_file_rows(con, ex.source_path)
    # The same bytes under another name give the same document ids: the newest name owns them.
    doc_ids = [d.document_id for d in ex.documents]
    if doc_ids:
        holders = con.execute(
            f"SELECT DISTINCT source_path FROM documents WHERE document_id IN ({','.join('?' * len(doc_ids))})",
            doc_ids,
        ).fetchall()
        for (other,) in holders:
            delete_file_rows(con, other)
    now = _now()
    for d in ex.documents:
        d.ingested_at = now
    store.insert(con, "documents", ex.documents)
    store.insert(con, "case_mentions", ex.case_mentions)
    store.insert(con, "outsourcing_entries", ex.outsourcing_entries)
    store.insert(con, "institution_counts", ex.institution_counts)
    store.insert(con, "sensitive_items", ex.sensitive_items)
    store.insert(con, "incidents", ex.incidents)
    con.execute(
        "INSERT INTO ingested_files VALUES (?, ?, ?, 'ok', ?, ?)",
        [ex.source_path, ex.file_sha256, PARSER_VERSION, len(ex.documents), now],
    )
    if ex.case_mentions:
        store.set_state(con, "dedupe_pending", "1")


def run_dedupe(con: duckdb.DuckDBPyConnection) -> int:
    """Re-plan cases over every mention in the store and apply the plan; returns the number of cases."""
    rel = con.execute(
        """SELECT m.*, d.municipality AS _municipality, d.fiscal_year AS _fiscal_year,
                  d.source_format AS _source_format
           FROM case_mentions m JOIN documents d USING (document_id)
           ORDER BY m.mention_id"""
    )
    names = [c[0] for c in rel.description]
    pairs = []
    for row in rel.fetchall():
        rec = dict(zip(names, row, strict=True))
        info = dedupe.DocInfo(rec.pop("_municipality"), rec.pop("_fiscal_year"), rec.pop("_source_format"))
        pairs.append((CaseMention(**rec), info))
    plan = dedupe.plan(pairs)
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _case_of (mention_id VARCHAR, case_id VARCHAR)")
    con.execute("DELETE FROM _case_of")
    if plan.case_of:
        import pyarrow as pa

        tbl = pa.table({"mention_id": list(plan.case_of), "case_id": list(plan.case_of.values())})
        con.register("_case_of_in", tbl)
        con.execute("INSERT INTO _case_of SELECT * FROM _case_of_in")
        con.unregister("_case_of_in")
    con.execute(
        "UPDATE case_mentions SET case_id = c.case_id FROM _case_of c WHERE case_mentions.mention_id = c.mention_id"
    )
    con.execute("DELETE FROM cases")
    con.execute("DELETE FROM case_links")
    store.insert(con, "cases", plan.cases)
    store.insert(con, "case_links", plan.links)
    store.set_state(con, "dedupe_pending", "0")
    return len(plan.cases)


def _record_error(db: Path, run_id: str, err: IngestError) -> None:
    with store.writer(db) as con:
        con.execute("BEGIN")
        store.insert(con, "ingest_errors", [err])
        con.execute("COMMIT")


def ingest(opts: Options, progress: ProgressFn | None = None) -> Summary:
    if not opts.raw_dir.is_dir():
        raise store.StoreError(f"the raw folder {opts.raw_dir} does not exist")
    run = IngestRun(
        run_id=uuid.uuid4().hex[:12],
        started_at=_now(),
        status="running",
        parser_version=PARSER_VERSION,
    )
    summary = Summary(run.run_id)
    with store.ingest_lock(opts.db, opts.lock_wait):
        with store.writer(opts.db) as con:
            con.execute("BEGIN")
            store.ensure_schema(con)
            load_departments(con)
            store.insert(con, "ingest_runs", [run])
            con.execute("COMMIT")
            known = {
                p: (sha, ver, status)
                for p, sha, ver, status in con.execute(
                    "SELECT source_path, file_sha256, parser_version, status FROM ingested_files"
                ).fetchall()
            }

        jobs: list[Job] = []
        for path in scan(opts.raw_dir):
            rel = path.relative_to(opts.raw_dir).as_posix()
            summary.files_seen += 1
            try:
                size_mb = path.stat().st_size / 1e6
                if size_mb > opts.max_file_mb:
                    raise _Reject(
                        "too_large", f"{rel}: is {size_mb:.0f} MB, over the {opts.max_file_mb:.0f} MB limit."
                    )
                sha = file_sha256(path)
            except _Reject as rej:
                _fail(opts, summary, run.run_id, rel, None, rej.kind, rej.message)
                continue
            except OSError as exc:
                _fail(
                    opts,
                    summary,
                    run.run_id,
                    rel,
                    None,
                    "unreadable",
                    f"{rel}: cannot be read ({exc.strerror}).",
                )
                continue
            if not opts.reparse and known.get(rel) == (sha, PARSER_VERSION, "ok"):
                summary.files_skipped += 1
                continue
            jobs.append(Job(str(path), rel, sha))

        processes = opts.jobs if opts.jobs > 0 else (os.cpu_count() or 1)
        processes = min(processes, max(1, len(jobs)))
        done = 0
        for outcome in run_jobs(jobs, processes=processes, timeout=opts.timeout, memory_mb=opts.memory_mb):
            done += 1
            if progress:
                progress(done, len(jobs), outcome.job.source_path)
            _handle(opts, summary, run.run_id, outcome)

        with store.writer(opts.db) as con:
            con.execute("BEGIN")
            if store.get_state(con, "dedupe_pending") == "1":
                run_dedupe(con)
            con.execute("COMMIT")
            summary.status = (
                "ok" if summary.files_failed == 0 else ("partial" if summary.files_new else "failed")
            )
            if summary.files_failed and summary.files_failed == summary.files_seen - summary.files_skipped:
                summary.status = "failed"
            counts = con.execute(
                "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM case_mentions), "
                "(SELECT count(*) FROM cases)"
            ).fetchone()
            assert counts is not None
            summary.documents, summary.case_mentions, summary.cases = (int(c) for c in counts)
            con.execute(
                "UPDATE ingest_runs SET finished_at = ?, status = ?, files_seen = ?, files_new = ?, "
                "files_skipped = ?, files_failed = ? WHERE run_id = ?",
                [
                    _now(),
                    summary.status,
                    summary.files_seen,
                    summary.files_new,
                    summary.files_skipped,
                    summary.files_failed,
                    run.run_id,
                ],
            )
    return summary


class _Reject(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def _fail(
    opts: Options, summary: Summary, run_id: str, rel: str, sha: str | None, kind: str, message: str
) -> None:
    summary.files_failed += 1
    summary.errors[kind] += 1
    _record_error(
        opts.db,
        run_id,
        IngestError(run_id=run_id, source_path=rel, file_sha256=sha, error_kind=kind, message=message),
    )


def _handle(opts: Options, summary: Summary, run_id: str, outcome: Outcome) -> None:
    job = outcome.job
    ex = outcome.extraction
    if ex is None:
        _fail(
            opts,
            summary,
            run_id,
            job.source_path,
            job.sha256,
            outcome.error_kind or "parse_error",
            outcome.message or "",
        )
        return
    pages = max((d.page_count or 0 for d in ex.documents), default=0)
    if pages > opts.max_pages:
        _fail(
            opts,
            summary,
            run_id,
            job.source_path,
            job.sha256,
            "too_large",
            f"{job.source_path}: has {pages} pages, over the {opts.max_pages}-page limit.",
        )
        return
    with store.writer(opts.db) as con:
        con.execute("BEGIN")
        try:
            load_extraction(con, ex)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            _fail(
                opts,
                summary,
                run_id,
                job.source_path,
                job.sha256,
                "load_error",
                f"{job.source_path}: its records could not be written to the store ({exc}).",
            )
            return
    summary.files_new += 1
    summary.doc_types.update(d.doc_type for d in ex.documents)
    summary.notices.extend(ex.notices)


def reextract(path: Path, source_path: str, db: Path, lock_wait: float = 60.0) -> int:
    """Re-parse one file and replace all it contributed, dedupe included, in one transaction."""
    job = Job(str(path), source_path, file_sha256(path))
    lim = limits()
    (outcome,) = run_jobs(
        [job], processes=1, timeout=float(lim["timeout_seconds"]), memory_mb=int(lim["memory_mb"])
    )
    if outcome.extraction is None:
        from pipeline.read import ExtractionError

        raise ExtractionError(outcome.error_kind or "parse_error", outcome.message or "")
    with store.ingest_lock(db, lock_wait), store.writer(db) as con:
        con.execute("BEGIN")
        store.ensure_schema(con)
        load_extraction(con, outcome.extraction)
        run_dedupe(con)
        con.execute("COMMIT")
    return len(outcome.extraction.documents)

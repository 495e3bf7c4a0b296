"""Connections, the ingest lock and snapshot publishing of the DuckDB store.

Why snapshots: DuckDB lets one process open a file read-write and then refuses every other
process, readers included; and a process that has the file open read-only keeps a writer out. Short
write transactions on the analysts' file would still lock readers out for each commit, and an
analyst's notebook left open overnight would stop the nightly ingest. So the ingest never writes
the file analysts read (`council.duckdb`):

* under the ingest lock (`council.duckdb.ingest.lock`, one writer at a time) it copies the store to
  a working copy (`council.duckdb.work`) and writes there: one transaction per file, so the copy
  only ever holds whole files;
* at the end it checkpoints the copy and renames it over `council.duckdb` (an atomic replace).
  A reader that opens the store sees the state before the run or after it, never part of a file
  and never a lock; a reader that was already connected keeps reading the old snapshot (the
  replaced file stays alive for it) until it reconnects (DuckDB's Python client shares one
  database per process: all of that process's connections must close).
* After a crash (`kill -9`, power loss) the published store is untouched and opens as before; the
  working copy holds every file committed so far and the next run resumes from it, provided the
  published store is still the one it was copied from (`store_state.base`), else it is discarded.

The cost: each run copies the store once (a 500 MB store: seconds, with the fsync and the old
file's blocks freed at the rename) and needs twice its size on disk while it runs; analysts see a
run's files when the run ends, not one by one. Hence `open_in_place`: a run small enough to be one
transaction is written on the published file itself when no other process has it open, which is as
atomic, since no reader can open the file while the writer holds it. Only `council ingest` and `council reextract` may write the store: changes made to
`council.duckdb` directly by another program are lost at the next publish.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

# Defined in the light module `council --help` and `council sql` import (they must not wait for DuckDB).
from pipeline.readonly import DEFAULT_DB as DEFAULT_DB
from pipeline.readonly import StoreError

# Internal bookkeeping (not part of the contract): which file version produced which documents, or
# failed with which error under which limits, or is a copy of another file (status `ok` | `failed` |
# `duplicate`); and key/value state: `dedupe_pending` (dedupe has not caught up with the loaded
# mentions), `base` (which published store a working copy came from).
INTERNAL_DDL = """
CREATE TABLE IF NOT EXISTS ingested_files (
    source_path VARCHAR PRIMARY KEY, file_sha256 VARCHAR, parser_version VARCHAR,
    status VARCHAR, document_count INTEGER, ingested_at TIMESTAMP, error_kind VARCHAR, limits VARCHAR);
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS error_kind VARCHAR;
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS limits VARCHAR;
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS file_size BIGINT;
ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS file_mtime_ns BIGINT;
CREATE TABLE IF NOT EXISTS store_state (key VARCHAR PRIMARY KEY, value VARCHAR);
"""


# --------------------------------------------------------------------------- connections


def _connect(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            # Another program holds the file read-write for a moment: wait, then give up clearly.
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise StoreError(f"cannot open the store {path}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextlib.contextmanager
def writer(path: Path, wait_seconds: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection on `path` itself, for tools and tests; the ingest writes a working copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only=False, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def reader(path: Path, wait_seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: never blocked by an ingest, which only ever renames a new file into place."""
    if not path.exists():
        raise StoreError(f"there is no store at {path}; run `council ingest` first")
    con = _connect(path, read_only=True, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


# Lock descriptors this process holds: a forked parser closes them, so that a parser which outlives
# its ingest (it should not: see workers.py) cannot keep the next ingest waiting.
HELD_LOCKS: set[int] = set()


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".ingest.lock")


@contextlib.contextmanager
def ingest_lock(path: Path, wait_seconds: float) -> Iterator[None]:
    """One writer at a time: a second ingest waits up to `wait_seconds`, then fails with a clear message.

    flock is released by the kernel when the process dies, so a killed ingest never leaves a stale lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(path), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"another ingest is writing to {path}; try again when it has finished"
                    ) from None
                time.sleep(min(0.2, max(0.01, deadline - time.monotonic())))
        HELD_LOCKS.add(fd)
        yield
    finally:
        HELD_LOCKS.discard(fd)
        os.close(fd)


def close_inherited_locks() -> None:
    """In a forked child: drop the parent's lock descriptors (the parent keeps its lock)."""
    for fd in list(HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    HELD_LOCKS.clear()


# --------------------------------------------------------------------------- the working copy


def work_path(path: Path) -> Path:
    return path.with_name(path.name + ".work")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _signature(path: Path) -> str:
    """Which published file a working copy was made from: a publish always brings a new inode."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "absent"
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _remove(path: Path) -> None:
    for p in (path, _wal(path)):
        p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(src: Path, dst: Path) -> None:
    """The bytes of `src` in a new file `dst`, on disk when it returns.

    copy_file_range copies inside the kernel (no pass through this process), and on a filesystem that
    shares extents (XFS, btrfs) it shares them instead of copying: the working copy of a large store
    then costs next to nothing. Elsewhere, or where the call is refused, the bytes are read and written.
    """
    copy_range = getattr(os, "copy_file_range", None)  # Linux only
    with src.open("rb") as fin, dst.open("wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        done = 0
        try:
            while copy_range is not None and done < size:
                n = copy_range(fin.fileno(), fout.fileno(), size - done)
                if n == 0:
                    break
                done += n
        except OSError:
            pass  # refused by this kernel or filesystem: what is left is copied by hand
        if done < size:
            fin.seek(done)
            fout.seek(done)
            while chunk := fin.read(1 << 22):
                fout.write(chunk)
            fout.flush()
        os.fsync(fout.fileno())


def _resume(work: Path, base: str) -> duckdb.DuckDBPyConnection | None:
    try:
        con = _connect_work(work)
    except duckdb.Error:
        return None
    try:
        tables = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_state'"
        ).fetchall()
        if tables == [(1,)] and get_state(con, "base") == base:
            return con
    except duckdb.Error:
        pass
    con.close()
    return None


def open_work(path: Path, memory_mb: int = 0) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A read-write connection on the working copy of the store at `path`, and whether it resumes an
    interrupted run. Call it under `ingest_lock`; end with `publish`, or just close the connection to
    leave the copy for the next run. `memory_mb` > 0 caps DuckDB's memory on that connection."""
    con, resumed = _open_work(path)
    if memory_mb > 0:
        con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
    return con, resumed


# No row-group merging at checkpoints. DuckDB's vacuum merged the small row group that the files
# loaded since the last checkpoint append into the one before, so each checkpoint decompressed and
# rewrote every document stored so far: with 50-150 KB of text a document, the checkpoint's memory
# grew with the archive (+250 MB at 1,024 documents of 138 KB) and a first ingest's time with its
# square; and the checkpoint that records which store a working copy came from merged what the last
# run appended (0.3 CPU-s of every run on a 1,000-packet store). Row groups left without a live row
# are still dropped; rows deleted from a row group that keeps others stay until it empties.
_WRITER_CONFIG: dict[str, str | bool | int | float | list[str]] = {"max_vacuum_tasks": 0}


def _connect_work(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), config=_WRITER_CONFIG)


# The blocks the writer's DuckDB may keep between steps (batches of files, batches of a re-plan): once
# it holds more than CACHE_TRIM_MB it drops what it can down to CACHE_KEEP_MB.
CACHE_TRIM_MB = 64
CACHE_KEEP_MB = 32


def trim_cache(con: duckdb.DuckDBPyConnection, memory_mb: int) -> None:
    """Between two steps of a long run, outside any transaction: DuckDB keeps every block it has read or
    written until it reaches its memory limit (`memory_mb`, 0: none), so the writer's memory grew with
    the store up to that limit (+194 MB at 6,600 packets of a first ingest, +64 MB after re-planning
    800). Lowering the limit for a moment makes it drop them; the limit is then given back for the
    next step's queries."""
    if memory_mb <= 0:
        return
    ((used,),) = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchall()
    if used <= CACHE_TRIM_MB * 2**20:
        return
    try:
        con.execute(f"SET memory_limit = '{CACHE_KEEP_MB}MB'")
    except duckdb.Error:
        pass  # what it cannot drop yet stays
    finally:
        con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")


def _open_work(path: Path) -> tuple[duckdb.DuckDBPyConnection, bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    work = work_path(path)
    base = _signature(path)
    if work.exists():
        con = _resume(work, base)
        if con is not None:
            return con, True
        _remove(work)
    # Built under a temporary name, so a copy interrupted half-way is never mistaken for a working copy.
    tmp = path.with_name(path.name + ".work-tmp")
    _remove(tmp)
    try:
        if path.exists():
            _copy(path, tmp)
            if _wal(path).exists():
                _copy(_wal(path), _wal(tmp))
        con = _connect_work(tmp)
        con.execute(INTERNAL_DDL)
        set_state(con, "base", base)
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp, work)
        return _connect_work(work), False
    except (OSError, duckdb.Error) as exc:
        _remove(tmp)
        raise StoreError(f"cannot make a working copy of the store {path}: {exc}") from exc


def open_in_place(path: Path, memory_mb: int = 0) -> duckdb.DuckDBPyConnection | None:
    """A read-write connection on the published store itself, for a run small enough to be one
    transaction; None when that cannot be had at once: no store yet, a working copy an interrupted run
    left (it must be resumed), or another process has the store open (a reader's lock). Call it under
    `ingest_lock`; end with `close_in_place` after the run's one COMMIT, or close the connection after
    a ROLLBACK: the store is then as it was.

    Why: copying a 500 MB store to write one packet costs seconds (a copy, an fsync, and the old file's
    blocks freed by the rename); a single transaction is as atomic, and while the writer holds the file
    no reader can open it, so no reader sees the run half done either."""
    if not path.exists() or work_path(path).exists():
        return None
    try:
        con = _connect_work(path)
    except duckdb.Error:
        # Held by a reader, or not a store this process can open as a writer: the working copy is
        # the way, and it reports an unreadable store in its own words.
        return None
    try:
        if memory_mb > 0:
            con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
        con.execute(INTERNAL_DDL)
    except duckdb.Error:
        con.close()
        return None
    return con


def close_in_place(con: duckdb.DuckDBPyConnection) -> None:
    """After the run's COMMIT: fold the log into the file, so that readers open a store without one."""
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Close the working copy and make it the store readers see, in one atomic rename."""
    work = work_path(path)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if _wal(work).exists():
        raise StoreError(f"the working copy {work} still has a write-ahead log after its checkpoint")
    try:
        _fsync(work)
        # A log left by another writer was copied into the working copy: it must not be replayed
        # onto the new file.
        _wal(path).unlink(missing_ok=True)
        os.replace(work, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise StoreError(f"cannot publish the working copy {work} as {path}: {exc}") from exc


def set_state(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO store_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def get_state(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    # fetchall, not fetchone: DuckDB refuses other work while a result is left unfinished.
    rows = con.execute("SELECT value FROM store_state WHERE key = ?", [key]).fetchall()
    return str(rows[0][0]) if rows else None

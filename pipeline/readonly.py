"""What `council sql` may do with the store: read it, and nothing else.

Kept to DuckDB and the standard library: `council sql` is the command analysts run all day, and
importing the store's pydantic models and Arrow (pipeline.store) would double its start-up time.
DuckDB itself is imported by the functions that connect: the CLI imports this module for
DEFAULT_DB, and `council --help` should not wait for DuckDB.

Two locks, DuckDB's own first:
* the store is attached READ_ONLY to a private in-memory DuckDB (not the process-wide instance a
  plain `duckdb.connect(path)` shares, so nothing another connection of the process did, or does
  later, changes what this one may do), then external access is switched off (no file, URL or
  database other than the store can be read or written: COPY … TO, EXPORT DATABASE, ATTACH,
  read_csv('/any/file'), INSTALL and LOAD all fail), extensions are neither installed nor loaded
  automatically, and the configuration is locked so no statement can switch any of that back;
* every statement of the query is parsed first and only reads are run (`READS`), so a write is
  refused with a sentence that says what to use instead, before anything executes.
DuckDB may still spill a large sort to its temporary folder; that is a private folder under the
system's temporary directory, removed when the connection closes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

DEFAULT_DB = Path("data/out/council.duckdb")
# store_state key: the raw folder the last ingest read (absolute), which `council reextract` takes
# as its default so a file keeps the stored path that is its identity.
RAW_ROOT = "raw_root"


class StoreError(Exception):
    """The store cannot be opened or written; the message is a sentence a person can act on."""


class Refused(Exception):
    """A statement `council sql` will not run; the message is the sentence to show."""


# Statement types that only read. DESCRIBE, SHOW, SUMMARIZE, FROM …, VALUES are SELECT to DuckDB's
# parser; PIVOT is MULTI; PRAGMA and CALL cover table_info, storage_info, pragma_version and the
# like (those that would change a setting fail on the locked configuration).
READS = {"SELECT", "EXPLAIN", "PRAGMA", "CALL", "MULTI", "TRANSACTION"}

_NOT_A_READ = (
    "`sql` runs reads only (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA); leave the statement out."
)
_CHANGES_STORE = (
    "`sql` opens the store read-only, so statements that change it are refused; "
    "the store is written by `council ingest` and `council reextract` only."
)
_REFUSALS = {
    "COPY": "`sql` writes no files, so COPY is refused; use `--format csv --output FILE` or `council export`.",
    "EXPORT": "`sql` writes no files, so EXPORT DATABASE is refused; use `council export`.",
    "ATTACH": "`sql` reads the store only, so ATTACH is refused; open other databases with DuckDB itself.",
    "DETACH": "`sql` reads the store only, so DETACH is refused; leave the statement out.",
    "LOAD": "`sql` installs and loads no extensions, so INSTALL and LOAD are refused; "
    "use DuckDB itself for queries that need one.",
    "SET": "`sql` runs with fixed settings, so SET, RESET and USE are refused; leave the statement out.",
}
_OUTSIDE = (
    "`sql` reads the store only: other files, URLs, databases and extensions are out of its reach "
    "({detail}); query those with DuckDB itself."
)
_LOCKED = (
    "`sql` runs with fixed settings, so a statement that changes one is refused ({detail}); leave it out."
)


def check(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Raise Refused unless every statement of `query` only reads; a syntax error is left to DuckDB."""
    for statement in con.extract_statements(query):
        try:
            kind = statement.type.name
        except ValueError:
            # A statement type the Python client does not know (UPDATE EXTENSIONS): not a read.
            kind = "UNKNOWN"
        if kind not in READS:
            raise Refused(_REFUSALS.get(kind, _NOT_A_READ if kind == "UNKNOWN" else _CHANGES_STORE))


def explain(exc: duckdb.Error) -> str | None:
    """The sentence for an error that one of the locks raised while a read ran, else None."""
    import duckdb

    first = str(exc).splitlines()[0]
    detail = first.split(": ", 1)[-1].rstrip(".")
    if isinstance(exc, duckdb.PermissionException):
        return _OUTSIDE.format(detail=detail)
    if "configuration has been locked" in first:
        return _LOCKED.format(detail=detail)
    if "read-only" in first.lower() or "read only" in first.lower():
        return _CHANGES_STORE
    return None


def _attach(con: duckdb.DuckDBPyConnection, path: Path, wait_seconds: float) -> None:
    import duckdb

    deadline = time.monotonic() + wait_seconds
    delay = 0.02
    literal = "'" + str(path).replace("'", "''") + "'"
    # The file's stem names the catalog, as when DuckDB opens the file directly: `council.main.cases`.
    alias = '"' + path.stem.replace('"', '""') + '"'
    while True:
        try:
            con.execute(f"ATTACH {literal} AS {alias} (READ_ONLY)")
            con.execute(f"USE {alias}")
            # The empty in-memory database the connection started with would be somewhere to write.
            con.execute("DETACH memory")
            return
        except duckdb.Error as exc:
            # Another program holds the file read-write for a moment: wait, then give up clearly.
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise StoreError(f"cannot open the store {path}: {str(exc).splitlines()[0]}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextlib.contextmanager
def sandbox(path: Path, wait_seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that can read the store at `path` and nothing else (see the module's docstring)."""
    import duckdb

    if not path.exists():
        raise StoreError(f"there is no store at {path}; run `council ingest` first")
    spill = Path(tempfile.gettempdir()) / f"council-sql-{os.getpid()}"
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "temp_directory": str(spill),
        },
    )
    try:
        _attach(con, path, wait_seconds)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        yield con
    finally:
        con.close()


def recorded(path: Path, key: str) -> str | None:
    """A value of the store's store_state table, None when the store or the key has none."""
    import duckdb

    with sandbox(path) as con:
        try:
            rows = con.execute("SELECT value FROM store_state WHERE key = ?", [key]).fetchall()
        except duckdb.CatalogException:
            return None
    return str(rows[0][0]) if rows else None

"""council: a thin command line over `pipeline` (argument parsing, output formatting, exit codes).

Data goes to stdout; logs, progress and errors to stderr. Exit codes: 0 ok, 1 some files failed
or a domain error, 2 a usage error or a store that cannot be opened.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from pipeline.cli_support import Command, Group
from pipeline.readonly import DEFAULT_DB, StoreError

# Only typer and the light modules above are imported at start-up: `council --help` and `council sql`
# are run all day, and the parsers, the PDF stack, pydantic and Arrow (about three times DuckDB's own
# start-up) are imported by the commands that use them (bench/startup_bench.py measures this).


app = typer.Typer(
    cls=Group,
    help="Turn council packets on personal-information protection into a DuckDB store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich's boxes cost a third of the start-up and carried the type placeholders.
    rich_markup_mode=None,
)

DbOption = Annotated[Path, typer.Option("--db", metavar="PATH", help="The DuckDB store.")]


def _err(message: str, code: int) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _sentence(text: str) -> str:
    return text.rstrip("!. ") + "."


class Executor(StrEnum):
    local = "local"
    ray = "ray"


class SqlFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _by_type(counts: Mapping[str, int]) -> str:
    """`deliberation_list 2, incident_report 1`: the registered types in their order, then any other."""
    from pipeline.documents import registered

    order = [kind.doc_type for kind in registered()]
    names = [*(t for t in order if counts.get(t)), *sorted(t for t in counts if t not in order and counts[t])]
    return ", ".join(f"{t} {counts[t]}" for t in names) or "none new"


@app.command(cls=Command)
def ingest(
    raw_dir: Annotated[Path, typer.Argument(metavar="RAW_DIR", help="Folder of packets (any depth).")] = Path(
        "data/raw"
    ),
    db: DbOption = DEFAULT_DB,
    jobs: Annotated[int, typer.Option("--jobs", metavar="N", help="Parser processes; 0 = all cores.")] = 0,
    reparse: Annotated[bool, typer.Option("--reparse", help="Re-parse every file, changed or not.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No progress bar (also off when stderr is not a terminal).")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="S",
            help="Seconds one file may take to parse (rules/limits.toml timeout_seconds).",
        ),
    ] = None,
    lock_wait: Annotated[
        float, typer.Option("--lock-wait", metavar="S", help="Seconds to wait for another ingest to finish.")
    ] = 60.0,
    executor: Annotated[
        Executor,
        typer.Option(
            "--executor",
            metavar="local|ray",
            help="Where files are parsed: local processes, or Ray tasks (extra: ray).",
        ),
    ] = Executor.local,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            metavar="ADDRESS",
            help="Ray cluster for --executor ray (host:port or auto); default: a local Ray.",
        ),
    ] = None,
) -> None:
    """Load every new or changed file under RAW_DIR into the store.

    All of a file's rows or none; unchanged files are skipped; a bad file is recorded in
    ingest_errors and the run goes on.
    """
    from pipeline.run import ingest as ingest_mod
    from pipeline.run.ray import RayUnavailable, require_ray
    from pipeline.store import access

    if executor is Executor.ray:
        try:
            require_ray()  # before the store is touched
        except RayUnavailable as exc:
            _err(str(exc), 2)
    opts = ingest_mod.Options(
        raw_dir=raw_dir,
        db=db,
        jobs=jobs,
        reparse=reparse,
        lock_wait=lock_wait,
        executor=executor.value,
        ray_address=ray_address,
    )
    if timeout is not None:
        opts.timeout = timeout
    show = not quiet and sys.stderr.isatty()
    try:
        if show:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("parsing", total=None)

                def progress(done: int, total: int, name: str) -> None:
                    bar.update(task, completed=done, total=total, description=name[-40:])

                summary = ingest_mod.ingest(opts, progress)
        else:
            summary = ingest_mod.ingest(opts)
    except (StoreError, RayUnavailable) as exc:  # Ray: cluster unreachable, or no node fits memory_mb
        _err(_sentence(str(exc)), 2)
    for notice in summary.notices:
        typer.echo(f"notice: {notice}", err=True)
    if summary.notices_more:
        typer.echo(
            f"notice: {summary.notices_more} more notice{'s' if summary.notices_more > 1 else ''} not shown (a run prints its first "
            f"{len(summary.notices)}); the store holds what they say: extraction_checks (suspect documents, "
            "課名 outside a registry), documents.warnings and case_mentions.warnings, ingested_files (copies)",
            err=True,
        )
    if summary.errors:
        from pipeline.store import access

        with access.reader(db) as con:
            rows = con.execute(
                "SELECT source_path, error_kind, message FROM ingest_errors WHERE run_id = ? ORDER BY source_path",
                [summary.run_id],
            ).fetchall()
        for path, kind, message in rows:
            typer.echo(f"failed: {path} [{kind}] {message}", err=True)
    typer.echo(f"documents by type (this run): {_by_type(summary.doc_types)}", err=True)
    typer.echo(summary.line())
    raise typer.Exit(1 if summary.files_failed else 0)


def _records(path: Path) -> dict[str, Any]:
    import logging

    from pipeline.extract import extract_bytes
    from pipeline.model import ExtractionError

    # pdfminer (the PDF reader's fallback) logs a warning for every font it finds odd, e.g. `Could
    # not get FontBBox from font descriptor`: noise about the file, not about its records.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        data = path.read_bytes()
    except OSError as exc:
        _err(f"cannot read {path}: {exc.strerror}; check the path.", 2)
    try:
        return extract_bytes(data, path.name).model_dump(mode="json")
    except ExtractionError as exc:
        _err(exc.message, 1)


@app.command(cls=Command)
def extract(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="One packet (.pdf, .txt, .md).")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines: one record per line.")] = False,
) -> None:
    """Print the records of one file, without touching the store."""
    import json

    from schemas import FILE_TABLES

    result = _records(file)
    tables = ["documents", *FILE_TABLES]
    if as_json:
        for table in tables:
            for rec in result[table]:
                typer.echo(json.dumps({"table": table, "record": rec}, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Piped output is not cut to 80 columns: Japanese titles are long.
    console = Console(width=None if sys.stdout.isatty() else 200)
    for doc in result["documents"]:
        console.print(
            f"[bold]{doc['document_id']}[/] {doc['doc_type']} {doc['municipality'] or ''} "
            f"{escape(doc['title'] or '')} fiscal_year={doc['fiscal_year']} issued_on={doc['issued_on']}"
            + (" [bold red]suspect[/]" if doc["suspect"] else ""),
            soft_wrap=True,
        )
    if result["case_mentions"]:
        t = Table("No", "title", "departments", "categories", "deliberated_on", "result", "program_name")
        for m in result["case_mentions"]:
            t.add_row(
                str(m["seq_no"]),
                escape(m["title"] or ""),
                escape("、".join(m["departments"])),
                "、".join(m["categories"]),
                str(m["deliberated_on"] or ""),
                m["result"] or "",
                escape(m["program_name"] or ""),
            )
        console.print(t)
    for table in tables:
        if table not in ("documents", "case_mentions", "extraction_checks") and result[table]:
            console.print(f"{table}: {len(result[table])} rows")
    checks = result["extraction_checks"]
    failed = [c for c in checks if not c["passed"]]
    console.print(f"extraction_checks: {len(checks) - len(failed)} of {len(checks)} passed")
    for c in failed:
        console.print(
            f"[bold red]failed[/] {c['document_id']} {c['check_name']}: expected {escape(c['expected'] or '')}, "
            f"found {escape(c['found'] or '')}. {escape(c['detail'] or '')}",
            soft_wrap=True,
        )
    for notice in result["notices"]:
        typer.echo(f"notice: {notice}", err=True)


@app.command(cls=Command)
def reextract(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A file under the raw folder.")],
    db: DbOption = DEFAULT_DB,
    raw_dir: Annotated[
        Path | None,
        typer.Option(
            "--raw",
            metavar="DIR",
            help="The raw folder FILE's stored path is relative to; default: the folder the last "
            "ingest read (recorded in the store), else data/raw.",
        ),
    ] = None,
) -> None:
    """Re-parse one file and replace what it contributed.

    In one transaction, dedupe included. FILE must lie under the raw folder: its path there is
    its identity in the store.
    """
    from pipeline import readonly
    from pipeline.model import ExtractionError
    from pipeline.run import ingest as ingest_mod

    if not file.is_file():
        _err(f"{file} does not exist or is not a file; give the path of one packet under the raw folder.", 2)
    if raw_dir is None:
        recorded = readonly.recorded(db, readonly.RAW_ROOT) if db.exists() else None
        raw_dir = Path(recorded) if recorded else Path("data/raw")
    try:
        # The stored path is the file's identity: a path relative to another folder would be a new file.
        rel = file.resolve().relative_to(raw_dir.resolve()).as_posix()
    except ValueError:
        _err(
            f"{file} is not under the raw folder {raw_dir}; move it there, or pass the folder it was "
            "ingested from with --raw.",
            2,
        )
    try:
        n = ingest_mod.reextract(file, rel, db)
    except ExtractionError as exc:
        _err(exc.message, 1)
    except StoreError as exc:
        _err(_sentence(str(exc)), 2)
    typer.echo(f"reextracted {rel}: {n} documents")


def _format_rows(
    columns: list[str], rows: list[tuple[Any, ...]], fmt: SqlFormat, width: int | None = None
) -> str:
    from pipeline.publish.rows import format_rows

    return format_rows(columns, rows, fmt.value, width)


@app.command(cls=Command)
def sql(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="SQL to run (reads only).")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[
        SqlFormat, typer.Option("--format", metavar="table|csv|json", help="A table, CSV or JSON lines.")
    ] = SqlFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Run SQL that reads the store, and nothing else.

    Tables and views (v_cases_per_month_category, v_series …; see docs/schema.md). Statements that
    write (INSERT, CREATE, COPY … TO, EXPORT), reach other files or databases (read_csv, ATTACH) or
    install and load extensions are refused.
    """
    import shutil

    import duckdb

    from pipeline import readonly

    try:
        with readonly.sandbox(db) as con:
            try:
                readonly.check(con, query)
                rel = con.execute(query)
                columns = [c[0] for c in rel.description] if rel.description else []
                rows = rel.fetchall() if rel.description else []
            except readonly.Refused as exc:
                _err(_sentence(str(exc)), 1)
            except duckdb.Error as exc:
                _err(readonly.explain(exc) or f"the query failed: {str(exc).splitlines()[0]}", 1)
    except StoreError as exc:
        _err(_sentence(str(exc)), 2)
    except duckdb.Error as exc:
        _err(_sentence(f"cannot open the store {db}: {str(exc).splitlines()[0]}"), 2)
    if not columns:
        return
    to_terminal = output is None and sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if to_terminal and fmt is SqlFormat.table else None
    text = _format_rows(columns, rows, fmt, width)
    if output is None:
        typer.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        _err(f"cannot write {output}: {exc.strerror}; choose a file in a folder you can write to.", 1)


@app.command(cls=Command)
def export(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Folder to write to.")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", metavar="parquet|csv", help="Parquet or CSV.")
    ] = ExportFormat.parquet,
) -> None:
    """Write every table to Parquet or CSV files.

    Parquet is partitioned by municipality and fiscal_year where a table has them; CSV is UTF-8 with
    a BOM, lists and structs written as JSON arrays.
    """
    import duckdb

    from pipeline.publish import export as export_mod

    try:
        written = export_mod.export(db, out, fmt.value)
    except StoreError as exc:
        _err(_sentence(str(exc)), 2)
    except OSError as exc:
        _err(f"cannot write to {out}: {exc.strerror or exc}; choose a folder you can write to.", 1)
    except duckdb.Error as exc:
        _err(f"the export failed: {str(exc).splitlines()[0]}; check the free space under {out}.", 1)
    for table, n in written.items():
        typer.echo(f"{table}: {n} rows")


@app.command(cls=Command)
def report(
    out: Annotated[Path, typer.Option("--out", metavar="FILE.html", help="The HTML file to write.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write one HTML page of charts for a first look at the store.

    Self-contained: no scripts, no network; it opens anywhere and can be mailed as one file.
    """
    from pipeline.publish import report as report_mod

    try:
        report_mod.write_report(db, out)
    except StoreError as exc:
        _err(_sentence(str(exc)), 2)
    except OSError as exc:
        _err(f"cannot write {out}: {exc.strerror or exc}; choose a file in a folder you can write to.", 1)
    typer.echo(f"wrote {out}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

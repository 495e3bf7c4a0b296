"""council: a thin command line over `pipeline` (argument parsing, output formatting, exit codes).

Data goes to stdout; logs, progress and errors to stderr. Exit codes: 0 ok, 1 some files failed
or a domain error, 2 a usage error or a store that cannot be opened.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from pipeline.store import access

# The stages are imported inside the commands that need them: `council sql` is called often and
# should not pay for the PDF stack and the parsers at start-up.

app = typer.Typer(
    help="Turn council packets on personal-information protection into a DuckDB store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[Path, typer.Option("--db", help="The DuckDB store.")]


def _err(message: str, code: int) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


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


@app.command()
def ingest(
    raw_dir: Annotated[Path, typer.Argument(help="Folder of packets (any depth).")] = Path("data/raw"),
    db: DbOption = access.DEFAULT_DB,
    jobs: Annotated[int, typer.Option(help="Parser processes; 0 = all cores.")] = 0,
    reparse: Annotated[bool, typer.Option(help="Re-parse every file, changed or not.")] = False,
    quiet: Annotated[
        bool, typer.Option(help="No progress bar (also off when stderr is not a terminal).")
    ] = False,
    timeout: Annotated[float | None, typer.Option(help="Seconds one file may take to parse.")] = None,
    lock_wait: Annotated[float, typer.Option(help="Seconds to wait for another ingest to finish.")] = 60.0,
    executor: Annotated[
        Executor, typer.Option(help="Where files are parsed: local processes, or Ray tasks (extra: ray).")
    ] = Executor.local,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster for --executor ray (host:port or auto); default: a local Ray."),
    ] = None,
) -> None:
    """Parse every new or changed file under RAW_DIR and load it: all of a file's rows or none."""
    from pipeline.run import ingest as ingest_mod
    from pipeline.run.ray import RayUnavailable, require_ray

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
    except (
        access.StoreError,
        RayUnavailable,
    ) as exc:  # Ray: cluster unreachable, or no node fits memory_mb
        _err(str(exc), 2)
    for notice in summary.notices:
        typer.echo(f"notice: {notice}", err=True)
    if summary.errors:
        with access.reader(db) as con:
            rows = con.execute(
                "SELECT source_path, error_kind, message FROM ingest_errors WHERE run_id = ? ORDER BY source_path",
                [summary.run_id],
            ).fetchall()
        for path, kind, message in rows:
            typer.echo(f"failed: {path} [{kind}] {message}", err=True)
    types = ", ".join(f"{k} {v}" for k, v in sorted(summary.doc_types.items())) or "none new"
    typer.echo(f"documents by type (this run): {types}", err=True)
    typer.echo(summary.line())
    raise typer.Exit(1 if summary.files_failed else 0)


def _records(path: Path) -> dict[str, Any]:
    from pipeline.extract import extract_bytes
    from pipeline.model import ExtractionError

    try:
        data = path.read_bytes()
    except OSError as exc:
        _err(f"cannot read {path}: {exc.strerror}.", 2)
    try:
        return extract_bytes(data, path.name).model_dump(mode="json")
    except ExtractionError as exc:
        _err(exc.message, 1)


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="One packet (.pdf, .txt, .md).")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines: one record per line.")] = False,
) -> None:
    """Parse one file and print its records, without touching the store."""

    result = _records(file)
    result["extraction_checks"] = result.pop("checks")
    tables = [
        "documents",
        "case_mentions",
        "outsourcing_entries",
        "institution_counts",
        "sensitive_items",
        "incidents",
        "extraction_checks",
    ]
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
    for table in tables[2:-1]:
        if result[table]:
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


@app.command()
def reextract(
    file: Annotated[Path, typer.Argument(help="A file under the raw folder.")],
    db: DbOption = access.DEFAULT_DB,
    raw_dir: Annotated[
        Path, typer.Option("--raw", help="The raw root the file's stored path is relative to.")
    ] = Path("data/raw"),
) -> None:
    """Re-parse one file and replace everything it contributed, in one transaction."""
    from pipeline.model import ExtractionError
    from pipeline.run import ingest as ingest_mod

    if not file.is_file():
        _err(f"{file} does not exist or is not a file.", 2)
    try:
        rel = file.resolve().relative_to(raw_dir.resolve()).as_posix()
    except ValueError:
        rel = file.name
    try:
        n = ingest_mod.reextract(file, rel, db)
    except ExtractionError as exc:
        _err(exc.message, 1)
    except access.StoreError as exc:
        _err(str(exc), 2)
    typer.echo(f"reextracted {rel}: {n} documents")


def _sentence(text: str) -> str:
    return text.rstrip("!. ") + "."


def _plain(value: Any) -> Any:
    """A value as JSON would hold it: dates in ISO form, lists and structs kept as such."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _text(value: Any) -> str:
    """One cell of the table or CSV: NULL is empty, lists and structs are JSON, booleans as SQL prints them."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _format_rows(
    columns: list[str], rows: list[tuple[Any, ...]], fmt: SqlFormat, width: int | None = None
) -> str:
    """Rows as JSON lines, CSV, or a table aligned by display width (so 課名 line up with ASCII).

    `width` None draws every column at its natural width (files, pipes); a terminal passes its width
    and long cells fold onto further lines rather than being cut.
    """
    if fmt is SqlFormat.json:
        return "\n".join(
            json.dumps({c: _plain(v) for c, v in zip(columns, r, strict=True)}, ensure_ascii=False)
            for r in rows
        )
    if fmt is SqlFormat.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([_text(v) for v in r] for r in rows)
        return buf.getvalue().rstrip("\n")
    from rich import box
    from rich.console import Console
    from rich.table import Table

    # ASCII borders: box-drawing characters are "ambiguous width" and CJK terminals draw them double.
    t = Table(box=box.ASCII_DOUBLE_HEAD)
    for i, c in enumerate(columns):
        values = [r[i] for r in rows if r[i] is not None]
        numeric = bool(values) and all(
            isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values
        )
        t.add_column(c, overflow="fold", no_wrap=width is None, justify="right" if numeric else "left")
    for r in rows:
        t.add_row(*(_text(v) for v in r))
    console = Console(
        file=io.StringIO(), width=width or 100_000, force_terminal=False, color_system=None, markup=False
    )
    console.print(t, crop=False)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in str(out).splitlines())


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    db: DbOption = access.DEFAULT_DB,
    fmt: Annotated[SqlFormat, typer.Option("--format", help="table, csv or json lines.")] = SqlFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Run read-only SQL against the store (tables, views such as v_cases_per_month_category)."""
    import duckdb

    try:
        with access.reader(db) as con:
            try:
                rel = con.execute(query)
                columns = [c[0] for c in rel.description] if rel.description else []
                rows = rel.fetchall() if rel.description else []
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                if "read-only" in first.lower() or "read only" in first.lower():
                    _err("`sql` opens the store read-only, so statements that change it are refused.", 1)
                _err(f"the query failed: {first}", 1)
    except access.StoreError as exc:
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
        _err(f"cannot write {output}: {exc.strerror}.", 1)


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder to write to.")],
    db: DbOption = access.DEFAULT_DB,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="parquet or csv.")] = ExportFormat.parquet,
) -> None:
    """Write every table to files: Parquet (partitioned by municipality, fiscal_year) or CSV (UTF-8 + BOM)."""
    import duckdb

    from pipeline.publish import export as export_mod

    try:
        written = export_mod.export(db, out, fmt.value)
    except access.StoreError as exc:
        _err(_sentence(str(exc)), 2)
    except OSError as exc:
        _err(_sentence(f"cannot write to {out}: {exc.strerror or exc}"), 1)
    except duckdb.Error as exc:
        _err(_sentence(f"the export failed: {str(exc).splitlines()[0]}"), 1)
    for table, n in written.items():
        typer.echo(f"{table}: {n} rows")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    db: DbOption = access.DEFAULT_DB,
) -> None:
    """One self-contained HTML page of charts and tables for a first look at the store."""
    from pipeline.publish import report as report_mod

    try:
        report_mod.write_report(db, out)
    except access.StoreError as exc:
        _err(_sentence(str(exc)), 2)
    except OSError as exc:
        _err(_sentence(f"cannot write {out}: {exc.strerror or exc}"), 1)
    typer.echo(f"wrote {out}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

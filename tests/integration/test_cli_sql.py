"""`council sql` as analysts call it: a readable table by default, CSV and JSON lines for machines,
read-only, and one clear sentence when something is wrong."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from cli import SqlFormat, _format_rows, app
from pipeline import readonly
from pipeline.cli_support import HEAVY_MODULES

runner = CliRunner()


def display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


TOP = "SELECT department, count(*) AS cases FROM v_case_departments GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 4"


def test_table_lines_up_japanese_text(corpus_store: Path) -> None:
    result = runner.invoke(app, ["sql", TOP, "--db", str(corpus_store)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").splitlines()
    # Counted in the 001 and 002 lists (see test_views.py).
    assert lines == [
        "+----------------+-------+",
        "| department     | cases |",
        "+================+=======+",
        "| 情報システム課 |    10 |",
        "| 医療保険年金課 |     8 |",
        "| 行政管理課     |     8 |",
        "| 総務課         |     7 |",
        "+----------------+-------+",
    ]
    assert {display_width(line) for line in lines} == {26}


def test_wide_japanese_rows_line_up(corpus_store: Path) -> None:
    """Long titles, lists and NULLs: still one display width for every line, nothing cut."""
    q = (
        "SELECT seq_no, title, departments, deliberated_on, program_name FROM cases "
        "WHERE fiscal_year = 2023 ORDER BY deliberated_on DESC, seq_no DESC LIMIT 5"
    )
    result = runner.invoke(app, ["sql", q, "--db", str(corpus_store)])
    assert result.exit_code == 0
    lines = result.stdout.rstrip("\n").splitlines()
    assert len({display_width(line) for line in lines}) == 1
    assert "私立学校就学者等支援給付金給付事業に係るシステム構築等について" in result.stdout
    assert '["教育調整課"]' in result.stdout


def test_table_folds_to_a_terminal_width() -> None:
    text = _format_rows(
        ["title"], [("東京共同電子申請・届出サービスの利用に係る外部結合等について",)], SqlFormat.table, 30
    )
    lines = text.splitlines()
    assert max(display_width(line) for line in lines) <= 30
    assert len({display_width(line) for line in lines}) == 1
    assert (
        "".join(line.strip("| ") for line in lines[3:-1])
        == "東京共同電子申請・届出サービスの利用に係る外部結合等について"
    )


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "csv",
            # Lists as compact JSON, the cell `council export --format csv` writes.
            'seq_no,deliberated_on,categories,departments\n1,2023-04-03,"[""外部結合"",""業務委託""]",'
            '"[""行政管理課"",""情報システム課""]"\n',
        ),
        (
            "json",
            '{"seq_no": 1, "deliberated_on": "2023-04-03", "categories": ["外部結合", "業務委託"], '
            '"departments": ["行政管理課", "情報システム課"]}\n',
        ),
    ],
)
def test_machine_formats(corpus_store: Path, fmt: str, expected: str) -> None:
    q = (
        "SELECT seq_no, deliberated_on, categories, departments FROM cases "
        "WHERE deliberated_on = DATE '2023-04-03' AND seq_no = 1"
    )
    result = runner.invoke(app, ["sql", q, "--db", str(corpus_store), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout == expected


def test_json_lines_hold_structs_and_booleans(corpus_store: Path) -> None:
    q = "SELECT events[1] AS first_event, true AS flag, NULL AS nothing FROM incidents"
    result = runner.invoke(app, ["sql", q, "--db", str(corpus_store), "--format", "json"])
    row = json.loads(result.stdout)
    assert row["first_event"]["date"] == "2023-06-26"
    assert row["flag"] is True and row["nothing"] is None


def test_output_file(corpus_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "top.csv"
    result = runner.invoke(
        app, ["sql", TOP, "--db", str(corpus_store), "--format", "csv", "--output", str(out)]
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == (
        "department,cases\n情報システム課,10\n医療保険年金課,8\n行政管理課,8\n総務課,7\n"
    )


CHANGES_STORE = (
    "Error: `sql` opens the store read-only, so statements that change it are refused; "
    "the store is written by `council ingest` and `council reextract` only.\n"
)
OUTSIDE = (
    "Error: `sql` reads the store only: other files, URLs, databases and extensions are out of its reach ("
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM cases",
        "INSERT INTO departments VALUES ('新宿区', '架空課', NULL, [])",
        "DROP VIEW v_series",
        "CREATE TABLE scratch AS SELECT 1",
        # Nothing is written even where nothing would last: the store is all `sql` touches.
        "CREATE TEMP TABLE scratch AS SELECT 1",
        "CREATE MACRO twice(x) AS x * 2",
        "SELECT 1; UPDATE cases SET title = 'x'",
    ],
)
def test_write_statements_are_refused(corpus_store: Path, statement: str) -> None:
    before = _digest(corpus_store)
    result = runner.invoke(app, ["sql", statement, "--db", str(corpus_store)])
    assert result.exit_code == 1
    # The sentence says where writing is done instead (it used to end at "refused.").
    assert result.stderr == CHANGES_STORE
    assert result.stdout == ""
    count = runner.invoke(
        app, ["sql", "SELECT count(*) FROM cases", "--db", str(corpus_store), "--format", "csv"]
    )
    assert count.stdout == "count_star()\n82\n"
    assert _digest(corpus_store) == before


@pytest.mark.parametrize(
    ("statement", "sentence"),
    [
        (
            "COPY cases TO '{tmp}/cases.csv'",
            "`sql` writes no files, so COPY is refused; use `--format csv --output FILE` or `council export`.",
        ),
        (
            "COPY (SELECT * FROM cases) TO '{tmp}/cases.parquet' (FORMAT PARQUET)",
            "`sql` writes no files, so COPY is refused; use `--format csv --output FILE` or `council export`.",
        ),
        (
            "EXPORT DATABASE '{tmp}/dump'",
            "`sql` writes no files, so EXPORT DATABASE is refused; use `council export`.",
        ),
        (
            "ATTACH '{tmp}/other.duckdb' AS other",
            "`sql` reads the store only, so ATTACH is refused; open other databases with DuckDB itself.",
        ),
        (
            "ATTACH '{tmp}/other.duckdb' AS other; CREATE TABLE other.t AS SELECT * FROM cases",
            "`sql` reads the store only, so ATTACH is refused; open other databases with DuckDB itself.",
        ),
        (
            "INSTALL httpfs",
            "`sql` installs and loads no extensions, so INSTALL and LOAD are refused; "
            "use DuckDB itself for queries that need one.",
        ),
        (
            "FORCE INSTALL httpfs",
            "`sql` installs and loads no extensions, so INSTALL and LOAD are refused; "
            "use DuckDB itself for queries that need one.",
        ),
        (
            "LOAD httpfs",
            "`sql` installs and loads no extensions, so INSTALL and LOAD are refused; "
            "use DuckDB itself for queries that need one.",
        ),
        (
            "SET enable_external_access = true",
            "`sql` runs with fixed settings, so SET, RESET and USE are refused; leave the statement out.",
        ),
        (
            # DuckDB parses `PRAGMA name = value` as SET.
            "PRAGMA profiling_output = '{tmp}/profile.json'",
            "`sql` runs with fixed settings, so SET, RESET and USE are refused; leave the statement out.",
        ),
        (
            "RESET lock_configuration",
            "`sql` runs with fixed settings, so SET, RESET and USE are refused; leave the statement out.",
        ),
        (
            "UPDATE EXTENSIONS",
            "`sql` runs reads only (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA); leave the statement out.",
        ),
    ],
)
def test_statements_that_reach_outside_are_refused(
    corpus_store: Path, tmp_path: Path, statement: str, sentence: str
) -> None:
    before = _digest(corpus_store)
    result = runner.invoke(app, ["sql", statement.format(tmp=tmp_path), "--db", str(corpus_store)])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {sentence}\n")
    assert list(tmp_path.iterdir()) == []
    assert _digest(corpus_store) == before


@pytest.mark.parametrize(
    ("statement", "detail"),
    [
        # Reads run, but DuckDB's locked settings keep them inside the store: no other file is read
        # (analysts query exports and other files with DuckDB itself) …
        ("SELECT * FROM read_csv('{tmp}/notes.csv')", 'Cannot access file "{tmp}/notes.csv"'),
        ("SELECT * FROM '{tmp}/notes.csv'", 'Cannot access file "{tmp}/notes.csv"'),
        ("SELECT * FROM glob('{tmp}/*')", 'Cannot access file "{tmp}/*"'),
        ("SELECT * FROM read_parquet('https://example.com/x.parquet')", "Cannot access file"),
        # … and a statement that only reads on its face cannot write either.
        ("EXPLAIN ANALYZE COPY cases TO '{tmp}/cases.csv'", 'Cannot access file "{tmp}/cases.csv"'),
        ("PRAGMA import_database('{tmp}')", "Cannot access file"),
    ],
)
def test_reads_beyond_the_store_are_refused(
    corpus_store: Path, tmp_path: Path, statement: str, detail: str
) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["sql", statement.format(tmp=tmp_path), "--db", str(corpus_store)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(OUTSIDE + detail.format(tmp=tmp_path))
    assert result.stderr.endswith("); query those with DuckDB itself.\n")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.csv"]


@pytest.mark.parametrize(
    "statement",
    ["PRAGMA enable_profiling", "PRAGMA disable_optimizer", "CALL enable_logging()"],
)
def test_settings_stay_locked(corpus_store: Path, statement: str) -> None:
    result = runner.invoke(app, ["sql", statement, "--db", str(corpus_store)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: `sql` runs with fixed settings, so a statement that changes one is refused ("
    )
    assert result.stderr.endswith("the configuration has been locked); leave it out.\n")


@pytest.mark.parametrize(
    ("statement", "first_lines"),
    [
        ("DESCRIBE cases", ["column_name,column_type,null,key,default,extra", "case_id,VARCHAR,NO,PRI,,"]),
        ("SHOW TABLES", ["name", "case_links"]),
        ("SUMMARIZE SELECT seq_no FROM cases", None),
        (
            "PRAGMA table_info('incidents')",
            ["cid,name,type,notnull,dflt_value,pk", "0,document_id,VARCHAR,false,,false"],
        ),
        ("EXPLAIN SELECT count(*) FROM cases", ["explain_key,explain_value"]),
        ("WITH c AS (SELECT * FROM cases WHERE seq_no = 18) SELECT count(*) AS n FROM c", ["n", "2"]),
        ("FROM v_series SELECT cases ORDER BY cases DESC LIMIT 1", ["cases", "6"]),
        (
            "PIVOT (SELECT municipality, doc_type FROM documents) ON doc_type USING count(*) ORDER BY municipality",
            [
                "municipality,council_item,deliberation_list,incident_report,outsourcing_report,review_status_report",
                "世田谷区,0,0,1,0,1",
                "新宿区,1,2,0,1,0",
            ],
        ),
        ("SELECT 1 AS a; SELECT 2 AS b", ["b", "2"]),
        ("SELECT count(*) AS n FROM council.main.cases", ["n", "82"]),
        ("BEGIN; SELECT count(*) AS n FROM documents; COMMIT", None),
    ],
)
def test_reads_stay_free(corpus_store: Path, statement: str, first_lines: list[str] | None) -> None:
    result = runner.invoke(app, ["sql", statement, "--db", str(corpus_store), "--format", "csv"])
    assert result.exit_code == 0, result.output
    if first_lines is not None:
        assert result.stdout.splitlines()[: len(first_lines)] == first_lines


def test_a_large_sort_spills_and_leaves_nothing(corpus_store: Path) -> None:
    """The one thing DuckDB may write is its own spill, under a private temporary folder it removes."""
    q = "SELECT count(*) AS n FROM (SELECT i::VARCHAR || repeat('x', 40) AS s FROM range(2000000) t(i) ORDER BY s DESC)"
    result = runner.invoke(app, ["sql", q, "--db", str(corpus_store), "--format", "csv"])
    assert result.stdout == "n\n2000000\n"
    assert not (Path(tempfile.gettempdir()) / f"council-sql-{os.getpid()}").exists()


def test_a_failing_query_is_one_sentence(corpus_store: Path) -> None:
    result = runner.invoke(app, ["sql", "SELECT no_such_column FROM cases", "--db", str(corpus_store)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        'Error: the query failed: Binder Error: Referenced column "no_such_column"'
    )
    assert result.stderr.count("\n") == 1


def test_missing_store(tmp_path: Path) -> None:
    db = tmp_path / "none.duckdb"
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(db)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: there is no store at {db}; run `council ingest` first.\n"
    assert not db.exists()


def test_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    db = tmp_path / "notes.duckdb"
    db.write_text("hello", encoding="utf-8")
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(db)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot open the store {db}: ")
    assert result.stderr.count("\n") == 1


def test_every_command_has_help_text() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert {"sql", "export", "report"} <= set(commands)
    for name, command in commands.items():
        assert command.help and len(command.help) > 20, name
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert command.help.split("\n")[0][:40] in " ".join(result.stdout.split())
        for param in command.params:
            if param.name != "help":
                assert getattr(param, "help", None), f"{name} {param.name} has no help"


@pytest.mark.parametrize(
    "statement",
    [
        "COPY cases TO '{tmp}/cases.csv'",
        "EXPORT DATABASE '{tmp}/dump'",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CREATE TABLE cases2 AS SELECT * FROM cases",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SET autoinstall_known_extensions = true",
    ],
)
def test_duckdb_itself_refuses_without_the_statement_check(
    corpus_store: Path, tmp_path: Path, statement: str
) -> None:
    """The statement check only words the refusal: DuckDB's locked settings refuse on their own."""
    before = _digest(corpus_store)
    with readonly.sandbox(corpus_store) as con:
        with pytest.raises(duckdb.Error):
            con.execute(statement.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []
    assert _digest(corpus_store) == before


HEAVY = HEAVY_MODULES


def _modules_after(argv: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after running `council *argv` (what it imported)."""
    cli = Path(__file__).resolve().parents[2] / "cli.py"
    probe = "\n".join(
        [
            "import runpy, sys",
            f"sys.argv = ['council', *{argv!r}]",
            "try:",
            f"    runpy.run_path({str(cli)!r}, run_name='__main__')",
            "except SystemExit:",
            "    pass",
            "print(' '.join(sorted(sys.modules)))",
        ]
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.splitlines()[-1].split())


def test_everyday_commands_start_without_the_heavy_modules(corpus_store: Path) -> None:
    """Start-up time itself is measured by bench/startup_bench.py; here, what it is made of."""
    help_modules = _modules_after(["--help"])
    assert not {m for m in help_modules if m.startswith((*HEAVY, "duckdb"))}
    sql_modules = _modules_after(["sql", "select count(*) from cases", "--db", str(corpus_store)])
    assert "duckdb" in sql_modules
    assert not {m for m in sql_modules if m.startswith(HEAVY)}

"""`council sql` as analysts call it: a readable table by default, CSV and JSON lines for machines,
read-only, and one clear sentence when something is wrong."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli import SqlFormat, _format_rows, app

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
            'seq_no,deliberated_on,categories,departments\n1,2023-04-03,"[""外部結合"", ""業務委託""]",'
            '"[""行政管理課"", ""情報システム課""]"\n',
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


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM cases",
        "INSERT INTO departments VALUES ('新宿区', '架空課', NULL, [])",
        "DROP VIEW v_series",
        "CREATE TABLE scratch AS SELECT 1",
    ],
)
def test_write_statements_are_refused(corpus_store: Path, statement: str) -> None:
    result = runner.invoke(app, ["sql", statement, "--db", str(corpus_store)])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: `sql` opens the store read-only, so statements that change it are refused.\n"
    )
    assert result.stdout == ""
    count = runner.invoke(
        app, ["sql", "SELECT count(*) FROM cases", "--db", str(corpus_store), "--format", "csv"]
    )
    assert count.stdout == "count_star()\n82\n"


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

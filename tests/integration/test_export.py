"""`council export`: Parquet datasets readable back by DuckDB and pyarrow, CSV in UTF-8 with a BOM;
both equal to the store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from cli import app
from pipeline.store import access, schema

runner = CliRunner()


def _query(sql: str) -> list[tuple[Any, ...]]:
    """A query outside the store, as an analyst reading the exported files would run it."""
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def counts(corpus_store: Path) -> dict[str, int]:
    with access.reader(corpus_store) as con:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in schema.TABLES}  # type: ignore[index]


@pytest.fixture(scope="module")
def parquet_dir(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "parquet"
    result = runner.invoke(app, ["export", "--db", str(corpus_store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def csv_dir(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "csv"
    result = runner.invoke(app, ["export", "--db", str(corpus_store), "--out", str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    return out


def test_export_reports_rows_per_table(corpus_store: Path, parquet_dir: Path, counts: dict[str, int]) -> None:
    result = runner.invoke(app, ["export", "--db", str(corpus_store), "--out", str(parquet_dir)])
    assert result.stdout.splitlines() == [f"{t}: {n} rows" for t, n in counts.items()]
    assert counts["cases"] == 82 and counts["sensitive_items"] == 434


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_parquet_reads_back_in_duckdb(parquet_dir: Path, counts: dict[str, int], table: str) -> None:
    glob = str(parquet_dir / table / "**" / "*.parquet")
    (n,) = _query(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning=true)")[0]
    assert n == counts[table]


def test_cases_and_documents_are_partitioned(parquet_dir: Path) -> None:
    folders = sorted(
        p.relative_to(parquet_dir / "cases").as_posix() for p in (parquet_dir / "cases").glob("*/*")
    )
    # Hive folder names are URL-encoded; the 004 council item has no fiscal year.
    assert folders == [
        "municipality=%E6%96%B0%E5%AE%BF%E5%8C%BA/fiscal_year=2023",
        "municipality=%E6%96%B0%E5%AE%BF%E5%8C%BA/fiscal_year=__HIVE_DEFAULT_PARTITION__",
    ]
    docs = {p.name for p in (parquet_dir / "documents").glob("*/*")}
    assert docs == {"fiscal_year=2021", "fiscal_year=2023", "fiscal_year=__HIVE_DEFAULT_PARTITION__"}
    assert [p.name for p in (parquet_dir / "case_mentions").iterdir()] == ["data.parquet"]


def test_partition_values_come_back_equal_to_the_store(parquet_dir: Path, corpus_store: Path) -> None:
    q = "SELECT municipality, fiscal_year::INTEGER, count(*) FROM {} GROUP BY ALL ORDER BY ALL"
    glob = str(parquet_dir / "cases" / "**" / "*.parquet")
    exported = _query(q.format(f"read_parquet('{glob}', hive_partitioning=true)"))
    with access.reader(corpus_store) as con:
        stored = con.execute(q.format("cases")).fetchall()
    assert exported == stored == [("新宿区", 2023, 81), ("新宿区", None, 1)]


def test_values_survive_the_round_trip(parquet_dir: Path, corpus_store: Path) -> None:
    cols = "case_id, series_id, title, departments, categories, deliberated_on, mention_count, document_ids"
    glob = str(parquet_dir / "cases" / "**" / "*.parquet")
    exported = _query(f"SELECT {cols} FROM read_parquet('{glob}', hive_partitioning=true) ORDER BY case_id")
    with access.reader(corpus_store) as con:
        stored = con.execute(f"SELECT {cols} FROM cases ORDER BY case_id").fetchall()
    assert exported == stored


def test_pyarrow_reads_the_partitioned_dataset(parquet_dir: Path) -> None:
    table = ds.dataset(parquet_dir / "cases", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 82
    groups = {
        (m, y)
        for m, y in zip(table["municipality"].to_pylist(), table["fiscal_year"].to_pylist(), strict=True)
    }
    assert groups == {("新宿区", 2023), ("新宿区", None)}
    rows = table.filter(ds.field("title") == "eLTAXシステムに係る外部結合等について(手続の追加)").to_pylist()
    # 001 No. 29: 税務課, 外部結合・業務委託, 6月30日.
    assert [(r["departments"], r["categories"], r["deliberated_on"]) for r in rows] == [
        (["税務課"], ["外部結合", "業務委託"], dt.date(2023, 6, 30))
    ]


def test_pyarrow_reads_an_unpartitioned_table(parquet_dir: Path, counts: dict[str, int]) -> None:
    table = ds.dataset(parquet_dir / "sensitive_items", format="parquet").to_table()
    assert table.num_rows == counts["sensitive_items"]
    assert set(table["review_category"].to_pylist()) == {"外部委託", "外部提供", "オンライン結合"}


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_csv_has_a_bom_and_every_row(csv_dir: Path, counts: dict[str, int], table: str) -> None:
    data = (csv_dir / f"{table}.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(schema.TABLES[table].model_fields)
    assert len(rows) - 1 == counts[table]


def test_csv_values(csv_dir: Path) -> None:
    with (csv_dir / "cases.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = [
            r for r in csv.DictReader(fh) if r["title"].startswith("新宿区立大久保公園周辺における防犯カメラ")
        ]
    # 002 No. 18: 危機管理課, 防犯カメラ, 10月20日, 承認.
    # Lists as JSON arrays (DuckDB's own `[危機管理課]` could not be told from a name holding `, `).
    assert [(r["departments"], r["categories"], r["deliberated_on"], r["result"]) for r in rows] == [
        ('["危機管理課"]', '["防犯カメラ"]', "2023-10-20", "承認")
    ]
    with (csv_dir / "documents.csv").open(encoding="utf-8-sig", newline="") as fh:
        texts = {r["doc_type"]: r["text"] for r in csv.DictReader(fh)}
    # Full texts with their line breaks survive CSV quoting.
    assert "報告第360号" in texts["incident_report"] and "\n" in texts["incident_report"]


def _canonical(text: str | None) -> str:
    """A JSON text in one spelling (NULL: the empty cell)."""
    return json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True) if text else ""


def test_csv_lists_and_structs_are_json(csv_dir: Path, corpus_store: Path) -> None:
    """Every list or struct cell of every table reads back with json.loads equal to the store's value."""
    with access.reader(corpus_store) as con:
        nested = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND (data_type LIKE '%[]' OR data_type LIKE 'STRUCT%') AND table_name IN "
            f"({', '.join(repr(t) for t in schema.TABLES)}) ORDER BY ALL"
        ).fetchall()
        assert ("incidents", "events") in nested and ("cases", "document_ids") in nested
        for table, column in nested:
            stored = con.execute(f"SELECT {column}::JSON::VARCHAR FROM {table}").fetchall()
            with (csv_dir / f"{table}.csv").open(encoding="utf-8-sig", newline="") as fh:
                cells = [r[column] for r in csv.DictReader(fh)]
            assert sorted(map(_canonical, cells)) == sorted(_canonical(v) for (v,) in stored), (table, column)
    with (csv_dir / "incidents.csv").open(encoding="utf-8-sig", newline="") as fh:
        (incident,) = csv.DictReader(fh)
    events = json.loads(incident["events"])
    # 報告第360号's 経過: seven dated events, the first the 平成30年度 records put into a box on 6月26日.
    assert [e["date"] for e in events] == [
        "2023-06-26",
        "2023-06-27",
        "2023-07-03",
        "2023-07-07",
        "2023-07-10",
        "2023-07-27",
        "2023-08-04",
    ]
    assert events[0]["text"].startswith("平成30年度中に相談が終結した")
    assert json.loads(incident["departments"]) == ["砧総合支所保健福祉センター健康づくり課", "区政情報課"]


def test_export_of_a_missing_store(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"Error: there is no store at {tmp_path / 'none.duckdb'}; run `council ingest` first.\n"
    )

"""The store explains itself: every table, column and view of the contract carries a COMMENT, and
docs/schema.md is what the generator makes of the models and those comments."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.publish import docgen
from pipeline.publish.docgen import split_comment
from pipeline.store import migrate, schema
from pipeline.store.catalog import VIEWS, apply_catalog, catalog


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """An empty store built the way ingest builds one (tables, then catalog)."""
    con = duckdb.connect()
    migrate.ensure_schema(con)
    return con


def _comments(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str | None]:
    rows = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [name]
    ).fetchall()
    return {c: m for c, m in rows}


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_every_contract_column_has_a_comment(con: duckdb.DuckDBPyConnection, table: str) -> None:
    comments = _comments(con, table)
    assert list(comments) == list(schema.TABLES[table].model_fields)
    for column, comment in comments.items():
        assert comment, f"{table}.{column} has no comment"
        term, named, meaning = split_comment(comment)
        assert named == column, comment
        assert any(ord(ch) > 0x2E7F for ch in term), f"{table}.{column}: no Japanese term in {comment!r}"
        assert len(meaning) > 5


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_every_table_has_a_comment(con: duckdb.DuckDBPyConnection, table: str) -> None:
    row = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()
    assert row and row[0]
    assert split_comment(row[0])[1] == table


def _store_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def test_catalog_names_no_column_the_models_lack(con: duckdb.DuckDBPyConnection) -> None:
    """A typo in rules/catalog.toml would otherwise break every ingest at COMMENT ON COLUMN."""
    tables, _ = catalog()
    # Every table of the store is described, the internal ones (ingested_files, store_state) included.
    assert set(tables) == _store_tables(con)
    assert {"ingested_files", "store_state"} <= set(tables) - set(schema.TABLES)
    for name, entry in tables.items():
        assert set(entry.columns) <= set(_comments(con, name)), name


@pytest.mark.parametrize("table", ["ingested_files", "store_state"])
def test_internal_tables_and_columns_have_comments(con: duckdb.DuckDBPyConnection, table: str) -> None:
    row = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()
    assert row and split_comment(row[0])[1] == table
    assert "not part of the contract" in row[0]
    for column, comment in _comments(con, table).items():
        assert comment, f"{table}.{column} has no comment"
        assert split_comment(comment)[1] == column


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_and_its_columns_have_comments(con: duckdb.DuckDBPyConnection, view: str) -> None:
    row = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = ?", [view]).fetchone()
    assert row and split_comment(row[0])[1] == view
    comments = _comments(con, view)
    assert comments and all(comments.values()), comments
    assert set(catalog()[1][view].columns) == set(comments), "catalog.toml lists a column the view lacks"
    for column, comment in comments.items():
        assert comment is not None and split_comment(comment)[1] == column


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        (
            "case_mentions",
            "deliberated_on",
            "付議日 (deliberated_on): the date the case was put to the council; year resolved from the "
            "document's fiscal year or period (1月15日 in a 令和5年度 list → 2024-01-15)",
        ),
        # cases takes the case_mentions texts for the columns it shares, with a note on merging.
        (
            "cases",
            "deliberated_on",
            "付議日 (deliberated_on): the date the case was put to the council; year resolved from the "
            "document's fiscal year or period (1月15日 in a 令和5年度 list → 2024-01-15); the best-supported "
            "value across the case's mentions",
        ),
        (
            "cases",
            "fiscal_year",
            "年度 (fiscal_year): Gregorian start year of the fiscal year of the list stating the case (令和5年度 → 2023)",
        ),
        (
            "sensitive_items",
            "ordinance_sensitive",
            "条例要配慮個人情報 (ordinance_sensitive): true when the list marks sensitive information under the ward's ordinance as 有",
        ),
        ("v_series", "dates", "付議日 (dates): every 付議日 of the series, in order (one per case)"),
    ],
)
def test_comment_texts(con: duckdb.DuckDBPyConnection, table: str, column: str, expected: str) -> None:
    assert _comments(con, table)[column] == expected


def test_applying_twice_keeps_views_and_comments(con: duckdb.DuckDBPyConnection) -> None:
    """ensure_schema runs at every ingest; CREATE OR REPLACE VIEW must not leave a view bare."""
    apply_catalog(con)
    apply_catalog(con)
    assert all(_comments(con, "v_case_departments").values())
    n = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'v\\_%' ESCAPE '\\'").fetchone()
    assert n == (len(VIEWS),)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("付議日 (deliberated_on): the date", ("付議日", "deliberated_on", "the date")),
        (
            "外N課 (unnamed_department_count): 外10課 → 10",
            ("外N課", "unnamed_department_count", "外10課 → 10"),
        ),
    ],
)
def test_split_comment(text: str, parts: tuple[str, str, str]) -> None:
    assert split_comment(text) == parts


@pytest.mark.parametrize("bad", ["deliberated_on: the date", "付議日 (deliberated_on) the date", ""])
def test_split_comment_rejects_other_forms(bad: str) -> None:
    with pytest.raises(ValueError):
        split_comment(bad)


def test_schema_md_is_up_to_date() -> None:
    """docs/schema.md is generated: edit rules/catalog.toml or schemas/records.py, then
    run `python -m pipeline.publish.docgen`."""
    assert docgen.SCHEMA_MD.read_text(encoding="utf-8") == docgen.render()


def test_schema_md_lists_types_from_the_models() -> None:
    text = docgen.render()
    assert "| `deliberated_on` | 付議日 | DATE | yes |" in text
    assert "| `events` | 経過 | STRUCT(date DATE, text VARCHAR)[] | no |" in text
    assert "| `document_id` | 文書ID | VARCHAR PK | no |" in text
    assert "| `month` | 月 | DATE |" in text
    assert "| `file_mtime_ns` | 更新時刻 | BIGINT | yes |" in text
    assert "| `key` | キー | VARCHAR | no | raw_root (the raw folder the last ingest read" in text
    assert "pdfplumber" not in text and "PDFium through pypdfium2" in text


def test_docgen_check_reports_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "schema.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(docgen, "SCHEMA_MD", stale)
    assert docgen.main(["--check"]) == 1
    assert docgen.main([]) == 0
    assert docgen.main(["--check"]) == 0

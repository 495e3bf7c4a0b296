"""The store explains itself: COMMENTs on every table and column, and the views analysts ask for.

Comment texts are data (rules/catalog.toml); the views' SQL is here. Both are applied by
`migrate.ensure_schema` at the start of every ingest, so an older store gains new views and texts
on its next run. `CREATE OR REPLACE VIEW` drops a view's comments, hence the order below.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from pipeline.rules import RULES_DIR, RuleError
from pipeline.store.schema import TABLES

CATALOG_FILE = RULES_DIR / "catalog.toml"

# The registry may list a name once per municipality only; any_value keeps a join from
# multiplying rows should it ever list one twice.
_REGISTRY = "(SELECT municipality, name, any_value(bureau) AS bureau FROM departments GROUP BY ALL)"

VIEWS: dict[str, str] = {
    "v_cases_per_month_category": """
        SELECT municipality, fiscal_year, month, category, count(*) AS cases
        FROM (
            SELECT municipality, fiscal_year, date_trunc('month', deliberated_on)::DATE AS month,
                   unnest(CASE WHEN len(categories) = 0 THEN [NULL::VARCHAR] ELSE categories END) AS category
            FROM cases
        )
        GROUP BY ALL
        ORDER BY municipality, month NULLS LAST, cases DESC, category
    """,
    "v_case_departments": f"""
        SELECT c.case_id, c.series_id, c.municipality, c.fiscal_year, c.deliberated_on,
               d.department, r.bureau, d.position, len(c.departments) AS department_count,
               c.unnamed_department_count, c.title, c.categories
        FROM (
            SELECT case_id, unnest(departments) AS department,
                   generate_subscripts(departments, 1) AS position
            FROM cases
        ) d
        JOIN cases c USING (case_id)
        LEFT JOIN {_REGISTRY} r ON r.municipality = c.municipality AND r.name = d.department
        ORDER BY c.municipality, c.deliberated_on NULLS LAST, c.case_id, d.position
    """,
    "v_series": """
        SELECT series_id, municipality,
               list(title ORDER BY deliberated_on NULLS LAST, seq_no, case_id)[1] AS title,
               count(*) AS cases,
               min(deliberated_on) AS first_on, max(deliberated_on) AS last_on,
               list(deliberated_on ORDER BY deliberated_on NULLS LAST, seq_no, case_id) AS dates,
               list(case_id ORDER BY deliberated_on NULLS LAST, seq_no, case_id) AS case_ids,
               list_sort(list_distinct(flatten(list(departments)))) AS departments
        FROM cases
        GROUP BY series_id, municipality
        HAVING count(*) > 1
        ORDER BY cases DESC, first_on, series_id
    """,
    "v_outsourcing_by_department": f"""
        SELECT d.municipality, d.fiscal_year, o.department, r.bureau,
               count(*) FILTER (WHERE o.section = 'new') AS new,
               count(*) FILTER (WHERE o.section = 'discontinued') AS discontinued,
               count(*) FILTER (WHERE o.section = 'changed') AS changed,
               count(*) AS entries,
               count(*) FILTER (WHERE o.specific_personal_info) AS specific_personal_info
        FROM outsourcing_entries o
        JOIN documents d USING (document_id)
        LEFT JOIN {_REGISTRY} r ON r.municipality = d.municipality AND r.name = o.department
        GROUP BY ALL
        ORDER BY d.municipality, d.fiscal_year, entries DESC, o.department
    """,
    "v_suspect_documents": """
        SELECT d.document_id, d.source_path, d.doc_type, d.municipality, d.title,
               list(c.check_name ORDER BY c.check_name) AS failed_checks,
               list(c.check_name || ': expected ' || coalesce(c.expected, '') || '; found '
                    || coalesce(c.found, '') || '. ' || coalesce(c.detail, '') ORDER BY c.check_name) AS details
        FROM documents d
        JOIN extraction_checks c USING (document_id)
        WHERE NOT c.passed
        GROUP BY ALL
        ORDER BY d.source_path, d.document_id
    """,
    "v_sensitive_by_category_bureau": """
        SELECT d.municipality, d.fiscal_year, s.review_category, s.bureau,
               count(*) AS items,
               count(*) FILTER (WHERE s.sensitive) AS sensitive,
               count(*) FILTER (WHERE s.ordinance_sensitive) AS ordinance_sensitive
        FROM sensitive_items s
        JOIN documents d USING (document_id)
        GROUP BY ALL
        ORDER BY d.municipality, d.fiscal_year, s.review_category, items DESC, s.bureau
    """,
}


@dataclass(frozen=True)
class Entry:
    """The comment of one table or view and of each of its columns."""

    name: str
    comment: str
    columns: dict[str, str]


def _entry(name: str, raw: dict[str, Any], tables: dict[str, Any]) -> Entry:
    if not isinstance(raw.get("comment"), str):
        raise RuleError(f"{CATALOG_FILE.name}: {name} has no comment")
    columns = dict(raw.get("columns", {}))
    source = raw.get("columns_from")
    if source is not None:
        if source not in tables:
            raise RuleError(f"{CATALOG_FILE.name}: {name}.columns_from names unknown table {source!r}")
        note = raw.get("columns_from_note", "")
        own = TABLES[name].model_fields if name in TABLES else {}
        for col, text in tables[source].get("columns", {}).items():
            if col in own:
                columns.setdefault(col, text + note)
    return Entry(name, raw["comment"], columns)


@cache
def catalog() -> tuple[dict[str, Entry], dict[str, Entry]]:
    """(tables, views) as described in rules/catalog.toml."""
    try:
        with CATALOG_FILE.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{CATALOG_FILE}: {exc}") from exc
    tables = raw.get("tables", {})
    views = raw.get("views", {})
    return (
        {n: _entry(n, t, tables) for n, t in tables.items()},
        {n: _entry(n, v, tables) for n, v in views.items()},
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def apply_catalog(con: duckdb.DuckDBPyConnection) -> None:
    """Comment every table and column that the catalog describes, then (re)create and comment the views."""
    tables, views = catalog()
    for table in tables.values():
        con.execute(f"COMMENT ON TABLE {table.name} IS {_quote(table.comment)}")
        for col, text in table.columns.items():
            con.execute(f"COMMENT ON COLUMN {table.name}.{col} IS {_quote(text)}")
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        view = views[name]
        con.execute(f"COMMENT ON VIEW {name} IS {_quote(view.comment)}")
        for col, text in view.columns.items():
            con.execute(f"COMMENT ON COLUMN {name}.{col} IS {_quote(text)}")

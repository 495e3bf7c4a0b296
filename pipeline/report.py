"""`council report`: one self-contained HTML page (no scripts, no network) for a first look at a store.

Charts are inline SVG bars drawn from query results, so the page opens anywhere, offline.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from pipeline import store

SECTIONS: list[tuple[str, str]] = [
    (
        "Cases per month",
        "SELECT strftime(deliberated_on, '%Y-%m') AS month, count(*) AS cases FROM cases "
        "WHERE deliberated_on IS NOT NULL GROUP BY 1 ORDER BY 1",
    ),
    (
        "Cases per 区分",
        "SELECT c AS category, count(*) AS cases FROM (SELECT unnest(categories) AS c FROM cases) "
        "GROUP BY 1 ORDER BY 2 DESC, 1",
    ),
    (
        "Top departments (cases)",
        "SELECT d AS department, count(*) AS cases FROM (SELECT unnest(departments) AS d FROM cases) "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
    ),
    (
        "Recurring series",
        "SELECT any_value(title) AS title, count(*) AS cases, min(deliberated_on)::VARCHAR AS first, "
        "max(deliberated_on)::VARCHAR AS last FROM cases GROUP BY series_id HAVING count(*) > 1 ORDER BY 2 DESC",
    ),
    (
        "Documents by type",
        "SELECT doc_type, count(*) AS documents FROM documents GROUP BY 1 ORDER BY 2 DESC",
    ),
    (
        "Ingest health (last 10 runs)",
        "SELECT started_at::VARCHAR AS started_at, status, files_seen, files_new, files_skipped, files_failed "
        "FROM ingest_runs ORDER BY started_at DESC LIMIT 10",
    ),
    (
        "Errors by kind",
        "SELECT error_kind, count(*) AS files FROM ingest_errors GROUP BY 1 ORDER BY 2 DESC",
    ),
]


def _bars(rows: list[tuple[Any, ...]]) -> str:
    """A horizontal bar chart of (label, value) rows, as inline SVG."""
    if not rows:
        return ""
    peak = max(int(r[1]) for r in rows) or 1
    height = 22 * len(rows) + 10
    parts = [f'<svg role="img" width="640" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, *_rest) in enumerate(rows):
        y = 5 + 22 * i
        w = int(380 * int(value) / peak)
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{html.escape(str(label))[:28]}</text>'
            f'<rect class="bar" x="230" y="{y + 2}" width="{w}" height="16" fill="#4a7ab5" data-value="{value}"/>'
            f'<text x="{236 + w}" y="{y + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in r) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(db: Path) -> str:
    sections = []
    with store.reader(db) as con:
        totals = con.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM case_mentions), "
            "(SELECT count(*) FROM cases), (SELECT count(*) FROM ingest_errors)"
        ).fetchone()
        for title, query in SECTIONS:
            rel = con.execute(query)
            columns = [c[0] for c in rel.description]
            rows = rel.fetchall()
            chart = _bars(rows) if len(columns) == 2 and rows else ""
            sections.append(
                f"<section><h2>{html.escape(title)}</h2>{chart}{_table(columns, rows) if not chart else ''}</section>"
            )
    assert totals is not None
    summary = (
        f"<p id='totals'>documents {totals[0]} · case mentions {totals[1]} · cases {totals[2]} · "
        f"ingest errors {totals[3]}</p>"
    )
    style = (
        "body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}"
    )
    return (
        f"<!doctype html><html lang='ja'><head><meta charset='utf-8'><title>council store</title>"
        f"<style>{style}</style></head><body><h1>council store: {html.escape(str(db))}</h1>{summary}"
        + "".join(sections)
        + "</body></html>"
    )


def write_report(db: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(db), encoding="utf-8")

"""`council report`: one self-contained HTML page for a first look at a store.

No scripts, no fonts or styles from the network: charts are inline SVG drawn from the views, so the
page opens anywhere, offline, and can be mailed as one file. Every mark carries its number in
`data-*` attributes (and a hover <title>), which is also how the tests read the charts back.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from pipeline.store import access
from pipeline.store.catalog import VIEWS

PALETTE = ["#4a7ab5", "#e08a3c", "#5aa469", "#c8553d", "#8e6cb8", "#c4a000", "#3aa6a6", "#b05f8a", "#7f7f7f"]
TOP_DEPARTMENTS = 20
NO_DATE = "付議日なし"
LABEL_WIDTH = 240
CHART_WIDTH = 420


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    rel = con.execute(sql)
    return [c[0] for c in rel.description], rel.fetchall()


def _table(columns: list[str], rows: list[tuple[Any, ...]], empty: str = "none") -> str:
    if not rows:
        return f"<p class='empty'>{_e(empty)}</p>"
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bars(rows: list[tuple[str, int]], chart: str) -> str:
    """Horizontal bars of (label, value)."""
    if not rows:
        return "<p class='empty'>no data</p>"
    peak = max(v for _, v in rows) or 1
    height = 22 * len(rows) + 6
    parts = [f"<svg class='chart' data-chart='{_e(chart)}' role='img' width='760' height='{height}'>"]
    for i, (label, value) in enumerate(rows):
        y = 3 + 22 * i
        w = max(1, round(CHART_WIDTH * value / peak))
        parts.append(
            f"<text x='0' y='{y + 14}'>{_e(label)}</text>"
            f"<rect class='bar' x='{LABEL_WIDTH}' y='{y + 2}' width='{w}' height='16' fill='{PALETTE[0]}' "
            f"data-label='{_e(label)}' data-value='{value}'><title>{_e(label)}: {value}</title></rect>"
            f"<text x='{LABEL_WIDTH + w + 6}' y='{y + 14}'>{value}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _month_label(month: dt.date | None) -> str:
    return NO_DATE if month is None else month.strftime("%Y-%m")


def _cases_per_month(con: duckdb.DuckDBPyConnection) -> str:
    """Stacked bars: one row per month of 付議日, one segment per 区分 (all wards together)."""
    _, rows = _rows(
        con,
        "SELECT month, coalesce(category, '(区分なし)'), sum(cases)::BIGINT FROM v_cases_per_month_category "
        "GROUP BY ALL ORDER BY 1 NULLS LAST, 2",
    )
    if not rows:
        return "<p class='empty'>no cases</p>"
    _, per_month = _rows(
        con, "SELECT date_trunc('month', deliberated_on)::DATE, count(*) FROM cases GROUP BY 1"
    )
    cases = {_month_label(m): int(n) for m, n in per_month}
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for month, category, n in rows:
        by_month[_month_label(month)][category] = int(n)
        totals[category] += int(n)
    categories = sorted(totals, key=lambda c: (-totals[c], c))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}
    peak = max(sum(v.values()) for v in by_month.values())
    height = 22 * len(by_month) + 6
    parts = [f"<svg class='chart' data-chart='cases-per-month' role='img' width='760' height='{height}'>"]
    for i, (month, counts) in enumerate(by_month.items()):
        y = 3 + 22 * i
        x = 80
        parts.append(f"<text x='0' y='{y + 14}'>{_e(month)}</text>")
        for category in categories:
            n = counts.get(category)
            if not n:
                continue
            w = max(1, round(560 * n / peak))
            parts.append(
                f"<rect class='seg' x='{x}' y='{y + 2}' width='{w}' height='16' fill='{colour[category]}' "
                f"data-month='{_e(month)}' data-category='{_e(category)}' data-value='{n}'>"
                f"<title>{_e(month)} {_e(category)}: {n}</title></rect>"
            )
            x += w
        n_cases = cases.get(month, 0)
        parts.append(
            f"<text class='total' x='{x + 6}' y='{y + 14}' data-cases='{n_cases}'>"
            f"{n_cases} {'case' if n_cases == 1 else 'cases'}</text>"
        )
    parts.append("</svg>")
    legend = "".join(
        f"<span class='key'><span class='swatch' style='background:{colour[c]}'></span>{_e(c)} {totals[c]}</span>"
        for c in categories
    )
    grid = _table(
        ["month", *categories],
        [(m, *(counts.get(c, "") for c in categories)) for m, counts in by_month.items()],
    )
    return (
        f"<p class='legend'>{legend}</p>{''.join(parts)}"
        f"<details><summary>numbers</summary>{grid}</details>"
        "<p class='note'>A case with several 区分 counts once under each; the number after a bar is the "
        "month's cases.</p>"
    )


def _top_departments(con: duckdb.DuckDBPyConnection) -> str:
    _, rows = _rows(
        con,
        "SELECT coalesce(municipality || ' ', '') || department, count(DISTINCT case_id) AS cases "
        f"FROM v_case_departments GROUP BY ALL ORDER BY cases DESC, 1 LIMIT {TOP_DEPARTMENTS}",
    )
    return _bars([(str(label), int(n)) for label, n in rows], "top-departments")


def _ticks(lo: dt.date, hi: dt.date) -> list[dt.date]:
    """First days of the months after `lo` up to `hi`; only Januaries when that is more than two years."""
    out = []
    m = dt.date(lo.year, lo.month, 1)
    while True:
        m = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)
        if m > hi:
            break
        out.append(m)
    return out if len(out) <= 24 else [m for m in out if m.month == 1]


def _series(con: duckdb.DuckDBPyConnection) -> str:
    """One timeline per recurring series, a dot on each 付議日, on a shared time axis.

    The title goes above its line in full: series titles often share a long prefix
    (地方公共団体情報システム標準化に対応した…), so a cut label would not tell them apart.
    """
    _, rows = _rows(con, "SELECT series_id, municipality, title, cases, dates FROM v_series")
    dated = [d for r in rows for d in r[4] if d is not None]
    if not dated:
        return "<p class='empty'>no recurring series</p>"
    lo, hi = min(dated), max(dated)
    span = max((hi - lo).days, 1)
    x0, width = 10, 720
    height = 40 * len(rows) + 24
    parts = [f"<svg class='chart' data-chart='series' role='img' width='760' height='{height}'>"]
    axis_y = 40 * len(rows) + 16
    for m in _ticks(lo, hi):
        x = x0 + round(width * (m - lo).days / span)
        parts.append(
            f"<line x1='{x}' y1='0' x2='{x}' y2='{axis_y - 12}' stroke='#f0f0f0'/>"
            f"<text class='tick' x='{x}' y='{axis_y}' text-anchor='middle'>{m.strftime('%Y-%m')}</text>"
        )
    for i, (series_id, municipality, title, cases, dates) in enumerate(rows):
        y = 40 * i
        label = f"{municipality or ''} {title or series_id} ({cases})".strip()
        parts.append(
            f"<g class='series' data-series='{_e(series_id)}' data-cases='{cases}'>"
            f"<text x='0' y='{y + 13}'>{_e(label)}</text>"
            f"<line x1='{x0}' y1='{y + 26}' x2='{x0 + width}' y2='{y + 26}' stroke='#ddd'/>"
        )
        for d in dates:
            if d is None:
                continue
            cx = x0 + round(width * (d - lo).days / span)
            parts.append(
                f"<circle cx='{cx}' cy='{y + 26}' r='5' fill='{PALETTE[0]}' data-date='{d.isoformat()}'>"
                f"<title>{d.isoformat()}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    listing = _table(
        ["title", "cases", "dates"],
        [(r[2], r[3], ", ".join(d.isoformat() for d in r[4] if d is not None)) for r in rows],
    )
    return "".join(parts) + f"<details><summary>dates</summary>{listing}</details>"


def _health(con: duckdb.DuckDBPyConnection) -> str:
    runs = _table(
        *_rows(
            con,
            "SELECT started_at::VARCHAR AS started_at, finished_at::VARCHAR AS finished_at, status, files_seen, "
            "files_new, files_skipped, files_failed, parser_version FROM ingest_runs ORDER BY started_at DESC "
            "LIMIT 10",
        ),
        empty="no ingest runs",
    )
    _, doc_types = _rows(con, "SELECT doc_type, count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC, 1")
    errors = _table(
        *_rows(
            con,
            "SELECT e.source_path, e.error_kind, e.message FROM ingest_errors e "
            "WHERE e.run_id = (SELECT run_id FROM ingest_runs ORDER BY started_at DESC LIMIT 1) "
            "ORDER BY e.source_path",
        ),
        empty="no errors in the last run",
    )
    _, warned = _rows(
        con,
        "SELECT 'case_mentions', count(*) FILTER (WHERE len(warnings) > 0), count(*) FROM case_mentions "
        "UNION ALL SELECT 'outsourcing_entries', count(*) FILTER (WHERE len(warnings) > 0), count(*) "
        "FROM outsourcing_entries UNION ALL SELECT 'sensitive_items', count(*) FILTER (WHERE len(warnings) > 0), "
        "count(*) FROM sensitive_items",
    )
    return (
        f"<h3>Runs (latest 10)</h3>{runs}"
        f"<h3>Documents by type</h3>{_bars([(str(t), int(n)) for t, n in doc_types], 'doc-types')}"
        f"<h3>Files that failed in the latest run</h3>{errors}"
        f"<h3>Rows with warnings</h3>{_table(['table', 'rows with warnings', 'rows'], warned)}"
    )


def _suspect(con: duckdb.DuckDBPyConnection) -> str:
    """Documents stored with a failed check: what a person should read against the packet first."""
    _, rows = _rows(
        con,
        "SELECT source_path, document_id, doc_type, failed_checks, details FROM v_suspect_documents "
        "ORDER BY source_path, document_id",
    )
    return _table(
        ["file", "document", "type", "failed checks", "details"],
        [(p, d, t, ", ".join(f), " / ".join(x)) for p, d, t, f, x in rows],
        empty="no suspect documents: every check passed",
    )


STYLE = (
    'body{font-family:"Hiragino Sans","Yu Gothic",Meiryo,"Noto Sans CJK JP",sans-serif;max-width:960px;margin:2em auto;color:#222}'
    "h2{border-bottom:1px solid #ccc;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;text-align:left}"
    "svg text{font-size:12px}svg .tick{font-size:10px;fill:#666}.legend .key{margin-right:1em;font-size:13px;white-space:nowrap}"
    ".swatch{display:inline-block;width:10px;height:10px;margin-right:4px}.note,.empty{color:#666;font-size:13px}"
)


def render(db: Path) -> str:
    with access.reader(db) as con:
        missing = set(VIEWS) - {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        if missing:
            # The store is opened read-only, and views are added by ingest (migrate.ensure_schema).
            raise access.StoreError(
                f"the store {db} has no view {sorted(missing)[0]} yet; run `council ingest` once to add the views"
            )
        row = con.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM case_mentions), "
            "(SELECT count(*) FROM cases), (SELECT count(*) FROM ingest_errors)"
        ).fetchone()
        assert row is not None
        sections = [
            ("cases-per-month", "Cases per month by 区分", _cases_per_month(con)),
            ("top-departments", f"Top {TOP_DEPARTMENTS} departments (cases)", _top_departments(con)),
            ("series", "Recurring series", _series(con)),
            ("ingest-health", "Ingest health", _health(con)),
            ("suspect-documents", "Suspect documents (a check failed)", _suspect(con)),
        ]
    totals = (
        f"<p id='totals' data-documents='{row[0]}' data-case-mentions='{row[1]}' data-cases='{row[2]}' "
        f"data-ingest-errors='{row[3]}'>documents {row[0]} · case mentions {row[1]} · cases {row[2]} · "
        f"ingest errors {row[3]}</p>"
    )
    body = "".join(
        f"<section id='{sid}'><h2>{_e(title)}</h2>{content}</section>" for sid, title, content in sections
    )
    return (
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>"
        f"<title>council store: {_e(db.name)}</title><style>{STYLE}</style></head>"
        f"<body><h1>council store: {_e(db)}</h1>{totals}{body}</body></html>\n"
    )


def write_report(db: Path, out: Path) -> None:
    text = render(db)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")

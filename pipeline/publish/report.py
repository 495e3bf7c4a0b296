"""`council report`: one self-contained HTML page for a first look at a store.

No scripts, no fonts or styles from the network: charts are inline SVG drawn from the views, so the
page opens anywhere, offline, and can be mailed as one file. Every mark carries its number in
`data-*` attributes (and a hover <title>), which is also how the tests read the charts back.

Every bar is drawn to one scale per chart, so its length is the number written after it; a period
with nothing in it is drawn as a zero, not left out. A section is a function of the connection that
returns its HTML, or None to leave the section out (a store without the tables it reads).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from pipeline.publish import charts
from pipeline.store import access
from pipeline.store.catalog import VIEWS

TOP_DEPARTMENTS = 20
TOP_BUREAUS = 25
NO_BUREAU = "(部なし)"
SECTIONS = {"new": "new 新規", "discontinued": "discontinued 終了", "changed": "changed 変更"}


def _cases_per_month(con: duckdb.DuckDBPyConnection) -> str:
    """Cases per month of 付議日 (every month between the first and the last, empty ones as zero),
    then the same months by 区分, where a case with two 区分 counts under each."""
    _, per_month = charts.query(
        con, "SELECT date_trunc('month', deliberated_on)::DATE, count(*) FROM cases GROUP BY 1 ORDER BY 1"
    )
    if not per_month:
        return "<p class='empty'>no cases</p>"
    cases = {m: int(n) for m, n in per_month}
    dated = [m for m in cases if m is not None]
    labels = [charts.month_label(m) for m in (charts.months(min(dated), max(dated)) if dated else [])]
    if None in cases:
        labels.append(charts.NO_DATE)
    by_label = {charts.month_label(m): n for m, n in cases.items()}
    bars = charts.bars([(label, by_label.get(label, 0)) for label in labels], "cases-per-month", key="month")

    _, rows = charts.query(
        con,
        "SELECT month, coalesce(category, '(区分なし)'), sum(cases)::BIGINT FROM v_cases_per_month_category "
        "GROUP BY ALL",
    )
    grid: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for month, category, n in rows:
        grid[charts.month_label(month)][category] = int(n)
        totals[category] += int(n)
    categories = sorted(totals, key=lambda c: (-totals[c], c))
    peak = max((n for counts in grid.values() for n in counts.values()), default=1)
    head = "<th>month</th>" + "".join(f"<th>{charts.esc(c)}</th>" for c in categories) + "<th>cases</th>"
    body = []
    for label in labels:
        cells = []
        for c in categories:
            n = grid[label].get(c, 0)
            shade = f" style='background:rgba(74,122,181,{0.08 + 0.6 * n / peak:.2f})'" if n else ""
            cells.append(
                f"<td class='n' data-month='{charts.esc(label)}' data-category='{charts.esc(c)}' data-value='{n}'{shade}>"
                f"{n or ''}</td>"
            )
        body.append(
            f"<tr><th>{charts.esc(label)}</th>{''.join(cells)}<td class='n'>{by_label.get(label, 0)}</td></tr>"
        )
    breakdown = f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return (
        f"{bars}<h3>By 区分</h3>{breakdown}"
        "<p class='note'>All wards together. A case with several 区分 counts once under each of them, so a "
        "row of 区分 can add up to more than the month's cases (the last column, the length of its bar).</p>"
    )


def _top_departments(con: duckdb.DuckDBPyConnection) -> str:
    _, rows = charts.query(
        con,
        "SELECT coalesce(municipality || ' ', '') || department, count(DISTINCT case_id) AS cases "
        f"FROM v_case_departments GROUP BY ALL ORDER BY cases DESC, 1 LIMIT {TOP_DEPARTMENTS}",
    )
    return charts.bars([(str(label), int(n)) for label, n in rows], "top-departments")


def _series(con: duckdb.DuckDBPyConnection) -> str:
    """One timeline per recurring series, a dot on each 付議日, on a shared time axis.

    The title goes above its line in full: series titles often share a long prefix
    (地方公共団体情報システム標準化に対応した…), so a cut label would not tell them apart.
    """
    _, rows = charts.query(con, "SELECT series_id, municipality, title, cases, dates FROM v_series")
    dated = [d for r in rows for d in r[4] if d is not None]
    if not dated:
        return "<p class='empty'>no recurring series</p>"
    lo, hi = min(dated), max(dated)
    span = max((hi - lo).days, 1)
    x0, width = 10, 720
    height = 40 * len(rows) + 24
    parts = [f"<svg class='chart' data-chart='series' role='img' width='760' height='{height}'>"]
    axis_y = 40 * len(rows) + 16
    for m in charts.ticks(lo, hi):
        x = x0 + round(width * (m - lo).days / span)
        parts.append(
            f"<line x1='{x}' y1='0' x2='{x}' y2='{axis_y - 12}' stroke='#f0f0f0'/>"
            f"<text class='tick' x='{x}' y='{axis_y}' text-anchor='middle'>{m.strftime('%Y-%m')}</text>"
        )
    for i, (series_id, municipality, title, cases, dates) in enumerate(rows):
        y = 40 * i
        label = f"{municipality or ''} {title or series_id} ({cases})".strip()
        parts.append(
            f"<g class='series' data-series='{charts.esc(series_id)}' data-cases='{cases}'>"
            f"<text x='0' y='{y + 13}'>{charts.esc(label)}</text>"
            f"<line x1='{x0}' y1='{y + 26}' x2='{x0 + width}' y2='{y + 26}' stroke='#ddd'/>"
        )
        for d in dates:
            if d is None:
                continue
            cx = x0 + round(width * (d - lo).days / span)
            parts.append(
                f"<circle cx='{cx}' cy='{y + 26}' r='5' fill='{charts.PALETTE[0]}' data-date='{d.isoformat()}'>"
                f"<title>{d.isoformat()}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    listing = charts.table(
        ["title", "cases", "dates"],
        [(r[2], r[3], ", ".join(d.isoformat() for d in r[4] if d is not None)) for r in rows],
    )
    return "".join(parts) + f"<details><summary>dates</summary>{listing}</details>"


def _outsourcing(con: duckdb.DuckDBPyConnection) -> str:
    """Outsourcing entries by list (new, discontinued, changed) and by department."""
    _, rows = charts.query(
        con,
        "SELECT municipality, fiscal_year, department, new, discontinued, changed, entries, "
        "specific_personal_info FROM v_outsourcing_by_department",
    )
    if not rows:
        return "<p class='empty'>no outsourcing reports in the store</p>"
    _, scope = charts.query(
        con,
        "SELECT d.municipality, d.fiscal_year, count(*) FROM outsourcing_entries o JOIN documents d "
        "USING (document_id) GROUP BY ALL ORDER BY ALL",
    )
    covers = ", ".join(f"{m or '?'} {fy or '年度不明'}年度: {n} entries" for m, fy, n in scope)
    per_section = {s: sum(int(r[3 + i]) for r in rows) for i, s in enumerate(SECTIONS)}
    by_department: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for municipality, _, department, *counts in rows:
        label = f"{municipality or ''} {department or '(課なし)'}".strip()
        for section, n in zip(SECTIONS, counts[:3], strict=True):
            by_department[label][section] += int(n)
    ranked = sorted(by_department.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:TOP_DEPARTMENTS]
    details = charts.table(
        [
            "municipality",
            "fiscal_year",
            "department",
            "new",
            "discontinued",
            "changed",
            "entries",
            "マイナンバー(○)",
        ],
        rows,
    )
    return (
        f"<p>{charts.esc(covers)}</p>"
        f"<h3>By list</h3>{charts.bars([(SECTIONS[s], n) for s, n in per_section.items()], 'outsourcing-sections')}"
        f"<h3>Top {TOP_DEPARTMENTS} departments (entries)</h3>"
        f"{charts.stacked([(label, dict(c)) for label, c in ranked], list(SECTIONS), 'outsourcing-departments')}"
        f"<details><summary>every department</summary>{details}</details>"
    )


def _sensitive(con: duckdb.DuckDBPyConnection) -> str:
    """Items of review-status reports handling sensitive information, per review category and 部,
    one block per ward and fiscal year."""
    _, rows = charts.query(
        con,
        "SELECT municipality, fiscal_year, review_category, bureau, items, sensitive, ordinance_sensitive "
        "FROM v_sensitive_by_category_bureau",
    )
    if not rows:
        return "<p class='empty'>no review-status reports in the store</p>"
    blocks: dict[tuple[Any, Any], list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        blocks[(r[0], r[1])].append(r)
    out = []
    for (municipality, fiscal_year), block in blocks.items():
        categories: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        bureaus: dict[str, dict[str, int]] = defaultdict(dict)
        for _, _, category, bureau, items, sensitive, ordinance in block:
            totals = categories[category]
            totals[0] += int(items)
            totals[1] += int(sensitive)
            totals[2] += int(ordinance)
            bureaus[bureau or NO_BUREAU][category] = int(items)
        order = sorted(categories, key=lambda c: (-categories[c][0], c))
        ranked = sorted(bureaus.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        key = f"{municipality}-{fiscal_year}"
        numbers = charts.table(
            ["審査の種類", "items", "要配慮個人情報 有", "条例要配慮個人情報 有"],
            [(c, *categories[c]) for c in order],
        )
        more = len(ranked) - TOP_BUREAUS
        out.append(
            f"<h3>{charts.esc(municipality)} {charts.esc(fiscal_year)}年度</h3>"
            f"{charts.bars([(c, categories[c][0]) for c in order], f'sensitive-categories-{key}')}{numbers}"
            f"<h4>By 部 (top {TOP_BUREAUS}{f'; {more} more in the numbers' if more > 0 else ''})</h4>"
            f"{charts.stacked(ranked[:TOP_BUREAUS], order, f'sensitive-bureaus-{key}')}"
            f"<details><summary>numbers by 部</summary>"
            f"{charts.table(['部', *order], [(b, *(c.get(k, 0) for k in order)) for b, c in ranked])}</details>"
        )
    return "".join(out)


def _timeline(events: list[dict[str, Any]], discovered: dt.date | None) -> str:
    """The 経過 on a time axis: a dot per event, day counts from the first; the day it was found out in red."""
    dated = [e["date"] for e in events if e["date"] is not None]
    if not dated:
        return ""
    lo, hi = min(dated), max(dated)
    span = max((hi - lo).days, 1)
    x0, width = 20, 700
    parts = ["<svg class='chart timeline' data-chart='incident-timeline' role='img' width='760' height='64'>"]
    parts.append(f"<line x1='{x0}' y1='24' x2='{x0 + width}' y2='24' stroke='#bbb'/>")
    for i, d in enumerate(sorted(set(dated))):
        x = x0 + round(width * (d - lo).days / span)
        found = d == discovered
        fill = charts.PALETTE[3] if found else charts.PALETTE[0]
        parts.append(
            f"<circle cx='{x}' cy='24' r='{7 if found else 5}' fill='{fill}' data-date='{d.isoformat()}'>"
            f"<title>{d.isoformat()}{' (発覚)' if found else ''}</title></circle>"
            f"<text class='tick' x='{x}' y='{10 if i % 2 else 48}' text-anchor='middle'>{d.strftime('%m-%d')}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _incidents(con: duckdb.DuckDBPyConnection) -> str:
    """Each incident report: what, how many, who, and its course of events."""
    _, rows = charts.query(
        con,
        "SELECT d.municipality, i.report_no, i.title, i.departments, i.incident_kind, i.affected_count, "
        "i.affected_unit, i.records, i.occurred_on, i.discovered_on, i.events "
        "FROM incidents i JOIN documents d USING (document_id) "
        "ORDER BY i.occurred_on NULLS LAST, i.report_no, i.document_id",
    )
    if not rows:
        return "<p class='empty'>no incident reports in the store</p>"
    out = []
    for (
        municipality,
        report_no,
        title,
        departments,
        kind,
        count,
        unit,
        records,
        occurred,
        discovered,
        events,
    ) in rows:
        heading = f"{municipality or ''} {f'報告第{report_no}号 ' if report_no else ''}{title or ''}".strip()
        facts = [
            ("種類 kind", kind),
            ("件数 affected", f"{count}{unit or ''}" if count is not None else None),
            ("対象 records", records),
            ("担当課 departments", "、".join(departments or [])),
            ("発生日 occurred", occurred),
            ("発覚日 discovered", discovered),
        ]
        dl = "".join(
            f"<dt>{charts.esc(k)}</dt><dd>{charts.esc(v if v not in (None, '') else '—')}</dd>"
            for k, v in facts
        )
        first = min((e["date"] for e in events if e["date"] is not None), default=None)
        items = []
        for event in events:
            day: dt.date | None = event["date"]
            when = f"{day.isoformat()} (+{(day - first).days} 日)" if day and first else "日付なし"
            items.append(
                f"<li data-date='{day.isoformat() if day else ''}'><span class='date'>{charts.esc(when)}</span>"
                f"{charts.esc(event['text'])}</li>"
            )
        out.append(
            f"<article class='incident' data-report-no='{charts.esc(report_no)}' data-events='{len(events)}'>"
            f"<h3>{charts.esc(heading)}</h3><dl>{dl}</dl>{_timeline(events, discovered)}"
            f"<ol class='events'>{''.join(items)}</ol></article>"
        )
    return "".join(out)


def _suspect_documents(con: duckdb.DuckDBPyConnection) -> str | None:
    """Documents stored with a failed check: what a person should read against the packet first.
    Nothing, not even the section, in a store without the checks (an older store before its next ingest)."""
    if not charts.exists(con, "v_suspect_documents"):
        return None
    _, rows = charts.query(
        con,
        "SELECT source_path, document_id, doc_type, failed_checks, details FROM v_suspect_documents "
        "ORDER BY source_path, document_id",
    )
    return charts.table(
        ["file", "document", "type", "failed checks", "details"],
        [(p, d, k, ", ".join(f), " / ".join(x)) for p, d, k, f, x in rows],
        empty="no suspect documents: every check passed",
    )


def _health(con: duckdb.DuckDBPyConnection) -> str:
    runs = charts.table(
        *charts.query(
            con,
            "SELECT started_at::VARCHAR AS started_at, finished_at::VARCHAR AS finished_at, status, files_seen, "
            "files_new, files_skipped, files_failed, parser_version FROM ingest_runs ORDER BY started_at DESC "
            "LIMIT 10",
        ),
        empty="no ingest runs",
    )
    _, doc_types = charts.query(con, "SELECT doc_type, count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC, 1")
    errors = charts.table(
        *charts.query(
            con,
            "SELECT e.source_path, e.error_kind, e.message FROM ingest_errors e "
            "WHERE e.run_id = (SELECT run_id FROM ingest_runs ORDER BY started_at DESC LIMIT 1) "
            "ORDER BY e.source_path",
        ),
        empty="no errors in the last run",
    )
    _, warned = charts.query(
        con,
        "SELECT 'case_mentions', count(*) FILTER (WHERE len(warnings) > 0), count(*) FROM case_mentions "
        "UNION ALL SELECT 'outsourcing_entries', count(*) FILTER (WHERE len(warnings) > 0), count(*) "
        "FROM outsourcing_entries UNION ALL SELECT 'sensitive_items', count(*) FILTER (WHERE len(warnings) > 0), "
        "count(*) FROM sensitive_items",
    )
    return (
        f"<h3>Runs (latest 10)</h3>{runs}"
        f"<h3>Documents by type</h3>{charts.bars([(str(t), int(n)) for t, n in doc_types], 'doc-types')}"
        f"<h3>Files that failed in the latest run</h3>{errors}"
        f"<h3>Rows with warnings</h3>{charts.table(['table', 'rows with warnings', 'rows'], warned)}"
    )


Section = tuple[str, str, Callable[[duckdb.DuckDBPyConnection], str | None]]
SECTION_LIST: list[Section] = [
    ("cases-per-month", "Cases per month (付議日)", _cases_per_month),
    ("top-departments", f"Top {TOP_DEPARTMENTS} departments (cases)", _top_departments),
    ("series", "Recurring series", _series),
    ("outsourcing", "Outsourcing entries (個人情報業務委託)", _outsourcing),
    (
        "sensitive-items",
        "Items handling sensitive information, by review category and 部 (要配慮個人情報)",
        _sensitive,
    ),
    ("incidents", "Incidents and their course (事故報告・経過)", _incidents),
    ("suspect-documents", "Suspect documents (a check failed)", _suspect_documents),
    ("ingest-health", "Ingest health", _health),
]

# The page names its fonts: Japanese text needs a font with kana and kanji, and a browser left to
# its default may pick one without them (every character an empty box).
FONTS = '"Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic",Meiryo,"Noto Sans CJK JP","IPAexGothic","IPAPGothic",sans-serif'
STYLE = (
    f"body{{font-family:{FONTS};max-width:960px;margin:2em auto;color:#222}}"
    "h2{border-bottom:1px solid #ccc;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;text-align:left}td.n{text-align:right}"
    "svg text{font-size:12px}svg .tick{font-size:10px;fill:#666}.legend .key{margin-right:1em;font-size:13px;white-space:nowrap}"
    ".swatch{display:inline-block;width:10px;height:10px;margin-right:4px}.note,.empty{color:#666;font-size:13px}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px}dt{color:#666}dd{margin:0}"
    "ol.events{font-size:13px;padding-left:1.5em}ol.events .date{font-weight:bold;margin-right:.5em;white-space:nowrap}"
    "article.incident{border-left:3px solid #c8553d;padding-left:12px;margin:1em 0}"
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
        sections = [(sid, title, draw(con)) for sid, title, draw in SECTION_LIST]
    totals = (
        f"<p id='totals' data-documents='{row[0]}' data-case-mentions='{row[1]}' data-cases='{row[2]}' "
        f"data-ingest-errors='{row[3]}'>documents {row[0]} · case mentions {row[1]} · cases {row[2]} · "
        f"ingest errors {row[3]}</p>"
    )
    body = "".join(
        f"<section id='{sid}'><h2>{charts.esc(title)}</h2>{content}</section>"
        for sid, title, content in sections
        if content is not None
    )
    return (
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>"
        f"<title>council store: {charts.esc(db.name)}</title><style>{STYLE}</style></head>"
        f"<body><h1>council store: {charts.esc(db)}</h1>{totals}{body}</body></html>\n"
    )


def write_report(db: Path, out: Path) -> None:
    text = render(db)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")

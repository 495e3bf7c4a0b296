"""The drawing of `council report`: HTML tables and inline SVG bar charts, no scripts, no network.

Every bar of a chart is drawn to one scale, so its length is the number written after it, and every
mark carries its number in `data-*` attributes (and a hover <title>): that is how the tests read the
charts back.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import duckdb

PALETTE = ["#4a7ab5", "#e08a3c", "#5aa469", "#c8553d", "#8e6cb8", "#c4a000", "#3aa6a6", "#b05f8a", "#7f7f7f"]
NO_DATE = "付議日なし"
LABEL_WIDTH = 240
CHART_WIDTH = 420


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def query(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    rel = con.execute(sql)
    return [c[0] for c in rel.description], rel.fetchall()


def exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = ? UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = ?",
        [name, name],
    ).fetchall()
    return bool(found)


def _td(value: Any) -> str:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return f"<td class='n'>{value}</td>" if number else f"<td>{esc(value)}</td>"


def table(columns: list[str], rows: list[tuple[Any, ...]], empty: str = "none") -> str:
    if not rows:
        return f"<p class='empty'>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_td(v) for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def width(value: int, peak: int) -> int:
    """A bar's length: one scale for the whole chart, zero for zero."""
    return round(CHART_WIDTH * value / peak) if peak else 0


def bars(rows: list[tuple[str, int]], chart: str, key: str = "label") -> str:
    """Horizontal bars of (label, value); `key` names the data attribute that carries the label."""
    if not rows:
        return "<p class='empty'>no data</p>"
    peak = max(v for _, v in rows)
    height = 22 * len(rows) + 6
    parts = [f"<svg class='chart' data-chart='{esc(chart)}' role='img' width='760' height='{height}'>"]
    for i, (label, value) in enumerate(rows):
        y = 3 + 22 * i
        w = width(value, peak)
        parts.append(
            f"<text x='0' y='{y + 14}'>{esc(label)}</text>"
            f"<rect class='bar' x='{LABEL_WIDTH}' y='{y + 2}' width='{w}' height='16' fill='{PALETTE[0]}' "
            f"data-{key}='{esc(label)}' data-value='{value}'><title>{esc(label)}: {value}</title></rect>"
            f"<text class='value' x='{LABEL_WIDTH + w + 6}' y='{y + 14}'>{value}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def legend(colour: dict[str, str]) -> str:
    keys = "".join(
        f"<span class='key'><span class='swatch' style='background:{c}'></span>{esc(k)}</span>"
        for k, c in colour.items()
    )
    return f"<p class='legend'>{keys}</p>"


def stacked(rows: list[tuple[str, dict[str, int]]], segments: list[str], chart: str) -> str:
    """Horizontal bars of (label, {segment: value}), segments side by side: the bar's length is the
    sum, written after it. Each row is counted once per segment, so the sum is the row's total."""
    if not rows:
        return "<p class='empty'>no data</p>"
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(segments)}
    peak = max(sum(r.values()) for _, r in rows)
    height = 22 * len(rows) + 6
    parts = [f"<svg class='chart' data-chart='{esc(chart)}' role='img' width='760' height='{height}'>"]
    for i, (label, counts) in enumerate(rows):
        y = 3 + 22 * i
        parts.append(f"<text x='0' y='{y + 14}'>{esc(label)}</text>")
        x, done = LABEL_WIDTH, 0
        for segment in segments:
            n = counts.get(segment, 0)
            if not n:
                continue
            # Ends placed on the scale of the running sum, so rounding never adds up along a bar.
            w = width(done + n, peak) - width(done, peak)
            parts.append(
                f"<rect class='seg' x='{x}' y='{y + 2}' width='{w}' height='16' fill='{colour[segment]}' "
                f"data-label='{esc(label)}' data-segment='{esc(segment)}' data-value='{n}'>"
                f"<title>{esc(label)} {esc(segment)}: {n}</title></rect>"
            )
            x += w
            done += n
        parts.append(
            f"<text class='total' x='{x + 6}' y='{y + 14}' data-label='{esc(label)}' data-total='{done}'>{done}</text>"
        )
    parts.append("</svg>")
    return legend(colour) + "".join(parts)


def month_label(month: dt.date | None) -> str:
    return NO_DATE if month is None else month.strftime("%Y-%m")


def months(lo: dt.date, hi: dt.date) -> list[dt.date]:
    """First days of every month from lo's to hi's."""
    out: list[dt.date] = []
    m = dt.date(lo.year, lo.month, 1)
    while m <= hi:
        out.append(m)
        m = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return out


def ticks(lo: dt.date, hi: dt.date) -> list[dt.date]:
    """First days of the months after `lo` up to `hi`; only Januaries when that is more than two years."""
    out = [m for m in months(lo, hi) if m > lo]
    return out if len(out) <= 24 else [m for m in out if m.month == 1]

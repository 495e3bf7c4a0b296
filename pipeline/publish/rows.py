"""Query results as text: an aligned table for people, CSV and JSON lines for programs.

Drawn here rather than with rich: `council sql` is run all day and rich's import alone costs about
as much as the rest of the command's start-up. The table is measured in display columns (a CJK
character takes two), so 課名 line up with ASCII, and its borders are ASCII: box-drawing characters
are "ambiguous width" and CJK terminals draw them double.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """A value as JSON would hold it: dates in ISO form, lists and structs kept as such."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def cell(value: Any, compact: bool = False) -> str:
    """One cell of the table or CSV: NULL is empty, lists and structs are JSON, booleans as SQL prints them.
    `compact` JSON (no spaces) is what `council export` writes in CSV: the same cell either way."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":") if compact else None)
    return str(value)


def char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cf", "Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def _fold(line: str, width: int) -> list[str]:
    """`line` cut into pieces at most `width` display columns wide (at any character: 課名 have no spaces)."""
    out: list[str] = []
    piece: list[str] = []
    used = 0
    for ch in line:
        w = char_width(ch)
        if used + w > width and piece:
            out.append("".join(piece))
            piece, used = [], 0
        piece.append(ch)
        used += w
    out.append("".join(piece))
    return out


def _fit(natural: list[int], room: int) -> list[int]:
    """Column widths within `room` columns: the widest are narrowed to one common cap, the rest kept."""
    if sum(natural) <= room:
        return natural
    cap = max(natural)
    while cap > 2 and sum(min(w, cap) for w in natural) > room:
        cap -= 1
    widths = [min(w, cap) for w in natural]
    # What the common cap leaves unused goes back to the narrowed columns, one column each.
    spare = room - sum(widths)
    for i, w in enumerate(natural):
        if spare <= 0:
            break
        if w > widths[i]:
            widths[i] += 1
            spare -= 1
    return widths


def table(columns: list[str], rows: list[tuple[Any, ...]], width: int | None = None) -> str:
    """An ASCII table; numbers right-aligned. `width` None: every column at its natural width (files,
    pipes); a terminal's width: long cells fold onto further lines rather than being cut."""
    cells = [[cell(v).replace("\t", " ").replace("\r", "").split("\n") for v in r] for r in rows]
    heads = [c.split("\n") for c in columns]
    numeric = []
    for i in range(len(columns)):
        values = [r[i] for r in rows if r[i] is not None]
        numeric.append(
            bool(values)
            and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values)
        )
    natural = [
        max(text_width(line) for c in [heads[i], *(r[i] for r in cells)] for line in c)
        for i in range(len(columns))
    ]
    widths = natural if width is None else _fit(natural, max(width - 3 * len(columns) - 1, 2 * len(columns)))

    def rule(ch: str) -> str:
        return "+" + "+".join(ch * (w + 2) for w in widths) + "+"

    def block(row: list[list[str]]) -> list[str]:
        folded = [
            [piece for line in lines for piece in _fold(line, widths[i])] for i, lines in enumerate(row)
        ]
        height = max((len(f) for f in folded), default=1)
        out = []
        for k in range(height):
            parts = []
            for i, f in enumerate(folded):
                text = f[k] if k < len(f) else ""
                pad = " " * (widths[i] - text_width(text))
                parts.append(pad + text if numeric[i] else text + pad)
            out.append("| " + " | ".join(parts) + " |")
        return out

    lines = [rule("-"), *block(heads), rule("=")]
    for r in cells:
        lines += block(r)
    lines.append(rule("-"))
    return "\n".join(line.rstrip() for line in lines)


def format_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, width: int | None = None) -> str:
    """Rows as JSON lines (`json`), CSV (`csv`; lists and structs as JSON) or an aligned table (`table`)."""
    if fmt == "json":
        return "\n".join(
            json.dumps({c: plain(v) for c, v in zip(columns, r, strict=True)}, ensure_ascii=False)
            for r in rows
        )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([cell(v, compact=True) for v in r] for r in rows)
        return buf.getvalue().rstrip("\n")
    return table(columns, rows, width)

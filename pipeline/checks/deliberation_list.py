"""Checks of a case list (審議案件一覧): its rows, its detail sheets, and how the two agree.

Not checked: a row count printed in a caption or summary (`row_count_matches_caption`): the parsed
records do not carry such a count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rapidfuzz import fuzz

from pipeline.checks.base import (
    CheckFn,
    DocRecords,
    count,
    nos,
    numbering_problems,
    out_of_sequence,
    result,
    rules,
    runs,
    unreadable,
    warn,
)
from pipeline.normalise.departments import DepartmentList, split_departments
from pipeline.normalise.text import match_key
from pipeline.rules import vocabulary
from schemas import CaseMention, ExtractionCheck


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def rows_read(r: DocRecords) -> ExtractionCheck:
    n = len(r.rows)
    return result(
        r,
        "rows_read",
        n > 0,
        "at least 1 row",
        count(n, "row"),
        f"The case list has {count(n, 'row')}."
        if n
        else "No row of the case list was read: its layout is one the parser does not know.",
    )


def numbering_contiguous(r: DocRecords) -> ExtractionCheck | None:
    rows = r.rows
    if not rows:
        return None
    numbers = [m.seq_no for m in rows]
    problems = numbering_problems(numbers)
    for i in out_of_sequence(numbers):
        warn(rows[i], f"seq_no: {numbers[i]}: out of sequence in the list")
    detail = (
        f"The {len(rows)} rows are numbered 1..{len(rows)} in order."
        if not problems
        else f"The list's numbers are not 1..{len(rows)}: {'; '.join(problems)}; a row may be lost, "
        "merged into its neighbour or misnumbered."
    )
    return result(r, "numbering_contiguous", not problems, f"1..{len(rows)}", runs(numbers), detail)


# (field, label, whether a row has it). 付議日 printed but unreadable is already a warning of its
# own; 担当課 and 区分 the row lacks but its sheet supplied are in the store, so they count.
_FIELDS: tuple[tuple[str, str, Callable[[CaseMention], bool]], ...] = (
    ("deliberated_on", "付議日", lambda m: m.deliberated_on is not None or unreadable(m, "deliberated_on")),
    ("result", "審議結果", lambda m: bool(m.result)),
    ("departments", "担当課", lambda m: bool(m.departments) or m.unnamed_department_count > 0),
    ("categories", "区分", lambda m: bool(m.categories)),
)


def rows_complete(r: DocRecords) -> ExtractionCheck | None:
    """付議日, 審議結果, 担当課 and 区分 on every row, for each column the list's rows mostly fill."""
    rows = r.rows
    if not rows:
        return None
    share = float(rules()["common"]["column_min_share"])
    checked, gaps = [], []
    for name, label, has in _FIELDS:
        present = [m for m in rows if has(m)]
        if not present or len(present) < share * len(rows):
            continue
        checked.append(label)
        missing = [m for m in rows if not has(m)]
        if missing:
            gaps.append(f"{label} missing on {nos(missing)}")
            for m in missing:
                warn(m, f"{name}: : missing where the list's other rows have it")
    if not checked:
        return None
    expected = f"{', '.join(checked)} on all {len(rows)} rows"
    detail = (
        "Every row has a value in each column the list prints."
        if not gaps
        else "Cells the other rows fill are empty: they were lost in reading or left blank in print; "
        "compare the rows with the packet."
    )
    return result(r, "rows_complete", not gaps, expected, "; ".join(gaps) or expected, detail)


def titles_plausible(r: DocRecords) -> ExtractionCheck | None:
    """No title longer than any a list prints: a longer one ran into the next row or into a sheet."""
    rows = [m for m in r.rows if m.title]
    if not rows:
        return None
    limit = int(rules()["deliberation_list"]["title_max_chars"])
    long = [m for m in rows if len(m.title or "") > limit]
    for m in long:
        warn(
            m,
            f"title: {(m.title or '')[:40]}…: {len(m.title or '')} characters; probably run into what follows",
        )
    longest = max(len(m.title or "") for m in rows)
    return result(
        r,
        "titles_plausible",
        not long,
        f"titles of at most {limit} characters",
        f"longest title {longest} characters" + (f" ({nos(long)} over)" if long else ""),
        "Every title is of a plausible length."
        if not long
        else f"Titles of {nos(long)} are longer than any a list prints: each ran into the next row or "
        "a sheet, and the rows it swallowed are missing.",
    )


def _sheet_starts(text: str) -> int:
    """How many detail sheets the document's text shows: a line starting with a 事業名 label
    followed within two lines by one starting with a 担当課 label (rules/vocabulary.toml
    `sheet_labels`). A lower bound: a sheet printed in another shape is not counted."""
    labels = vocabulary()["sheet_labels"]
    names, depts = tuple(labels["program_name"]), tuple(labels["detail_departments_raw"])
    lines = ["".join(ln.split()) for ln in text.split("\n") if ln.strip()]
    return sum(
        1
        for i, ln in enumerate(lines)
        if ln.startswith(names) and any(nxt.startswith(depts) for nxt in lines[i + 1 : i + 3])
    )


def sheets_read(r: DocRecords) -> ExtractionCheck | None:
    """Sheets the text shows were read as sheets: a layout whose sheets the parser cannot take
    apart loses all of them, and nothing else would say so."""
    printed = _sheet_starts(r.document.text)
    if not printed:
        return None
    read = sum(1 for m in r.mentions if m._has_sheet)
    ok = read >= printed
    return result(
        r,
        "sheets_read",
        ok,
        f"at least {count(printed, 'sheet')}",
        f"{count(read, 'sheet')} read",
        f"The text shows {count(printed, 'sheet')} (事業名 and 担当課 rows); {read} were read."
        if ok
        else f"The text shows {count(printed, 'sheet')} (事業名 and 担当課 rows) but {read} were read as "
        "sheets: their layout is one the sheet parser does not know, and their fields are missing.",
    )


def sheets_match_rows(r: DocRecords) -> ExtractionCheck | None:
    """Every detail sheet matches a row, and every row up to the last sheet's number has a sheet.

    Rows after the last sheet are not counted against it: a packet may be published in parts
    (the corpus' 002 keeps the sheets of cases 26-51 back), so a sheet lost from the very end of a
    packet goes unnoticed here. Sheets start at No.1 in every packet seen; a packet that prints
    sheets for a few cases in the middle of its list fails.
    """
    sheets = [m for m in r.mentions if m._has_sheet]
    if not sheets:
        return None
    rows = r.rows
    unmatched = [m for m in sheets if not m._listed]
    numbered = [m.seq_no for m in sheets if m.seq_no is not None]
    last = max(numbered) if numbered else None
    covered = [m for m in rows if last is None or (m.seq_no is not None and m.seq_no <= last)]
    bare = [m for m in covered if not m._has_sheet]
    for m in bare:
        warn(m, "sheet: : none for this row, though sheets follow for later rows")
    problems = []
    if bare:
        problems.append(f"no sheet for row {nos(bare)}")
    if unmatched:
        problems.append(f"the sheet of {nos(unmatched)} matches no list row")
    tail = [m for m in rows if m not in covered]
    note = f" Rows {nos(tail)} have no sheet: the packet's sheets stop at No.{last}." if tail else ""
    detail = (
        _sentence(problems) + ": a sheet or a row was lost or misnumbered in reading." + note
        if problems
        else f"Each of the {len(covered)} rows up to the last sheet has its sheet." + note
    )
    return result(
        r,
        "sheets_match_rows",
        not problems,
        f"rows with a sheet: {len(covered)}; sheets without a row: 0",
        f"rows with a sheet: {len(covered) - len(bare)}; sheets without a row: {len(unmatched)}",
        detail,
    )


def _same_departments(a: DepartmentList, b: DepartmentList) -> bool:
    """The same departments, one side perhaps naming some and counting the rest (`A、B外4課`)."""
    if (set(a.names), a.unnamed_count) == (set(b.names), b.unnamed_count):
        return True
    few, many = sorted((a, b), key=lambda d: len(d.names))
    return (
        few.unnamed_count > 0
        and set(few.names) <= set(many.names)
        and len(few.names) + few.unnamed_count == len(many.names) + many.unnamed_count
    )


def list_agrees_with_sheet(r: DocRecords) -> ExtractionCheck | None:
    """A row's title and 担当課 agree with its sheet's heading and 担当課 (folded, within a threshold)."""
    pairs = [m for m in r.rows if m._has_sheet]
    if not pairs:
        return None
    threshold = float(rules()["deliberation_list"]["title_min_ratio"])
    muni = r.document.municipality
    problems: list[str] = []
    differing = 0
    for m in pairs:
        bad = False
        heading = m._sheet_heading
        if m.title and heading:
            score = fuzz.ratio(match_key(m.title), match_key(heading))
            if score < threshold:
                bad = True
                problems.append(
                    f"No.{m.seq_no} title 「{m.title}」, sheet 「{heading}」 ({score:.0f} < {threshold:g})"
                )
                warn(m, f"title: {m.title}: differs from its detail sheet's heading 「{heading}」")
        if m.departments_raw and m.detail_departments_raw:
            # The row's own 担当課 were split by the parser (departments come from the sheet only
            # when the row has none, which this branch excludes).
            listed = DepartmentList(m.departments, m.unnamed_department_count)
            sheet = split_departments(m.detail_departments_raw, muni)
            if not _same_departments(listed, sheet):
                bad = True
                problems.append(
                    f"No.{m.seq_no} 担当課 「{m.departments_raw}」, sheet 「{m.detail_departments_raw}」"
                )
                warn(
                    m,
                    f"departments: {m.departments_raw}: differs from its detail sheet's 「{m.detail_departments_raw}」",
                )
        differing += bad
    n, agree = len(pairs), len(pairs) - differing
    detail = (
        f"The {n} rows with a sheet agree with it in title and 担当課."
        if not problems
        else "Rows differ from their sheets: " + "; ".join(problems) + "; one of the two was misread "
        "(a title run into the next row, a row matched to another case's sheet)."
    )
    return result(
        r,
        "list_agrees_with_sheet",
        not problems,
        f"{n} of {n} rows agree with their sheets",
        f"{agree} of {n} rows agree with their sheets",
        detail,
    )


def _bounds(r: DocRecords) -> tuple[dt.date, dt.date, str] | None:
    d = r.document
    if d.period_start is not None and d.period_end is not None:
        return d.period_start, d.period_end, "period"
    if d.fiscal_year is not None:
        return dt.date(d.fiscal_year, 4, 1), dt.date(d.fiscal_year + 1, 3, 31), "fiscal year"
    return None


def dates_in_period(r: DocRecords) -> ExtractionCheck | None:
    """Every 付議日 inside the document's period, else its fiscal year."""
    dated = [m for m in r.rows if m.deliberated_on is not None]
    bounds = _bounds(r)
    if not dated or bounds is None:
        return None
    start, end, what = bounds
    outside = [m for m in dated if m.deliberated_on is not None and not start <= m.deliberated_on <= end]
    for m in outside:
        warn(m, f"deliberated_on: {m.deliberated_on}: outside the document's {what} {start}..{end}")
    days = sorted(m.deliberated_on for m in dated if m.deliberated_on is not None)
    detail = (
        f"Every 付議日 lies in the document's {what}."
        if not outside
        else f"{nos(outside)}: 付議日 outside the document's {what} {start}..{end}; the date or the "
        f"{what} was misread."
    )
    return result(r, "dates_in_period", not outside, f"{start}..{end}", f"{days[0]}..{days[-1]}", detail)


def dates_cover_period(r: DocRecords) -> ExtractionCheck | None:
    """A list of what was deliberated from month A to month B has rows of month A and of month B.

    The period sentence (`令和5年7月から令和6年1月に審議した`) names the months of the first and the
    last meeting, so a list whose dates stop short of them lost rows at its start or end (a list
    cut short, the second half of a PDF not read).
    """
    d = r.document
    dated = sorted(m.deliberated_on for m in r.rows if m.deliberated_on is not None)
    if not dated or d.period_start is None or d.period_end is None:
        return None
    expected = f"{d.period_start:%Y-%m}..{d.period_end:%Y-%m}"
    found = f"{dated[0]:%Y-%m}..{dated[-1]:%Y-%m}"
    problems = []
    if f"{dated[0]:%Y-%m}" != f"{d.period_start:%Y-%m}":
        problems.append(f"the first 付議日 is {dated[0]}, the period starts {d.period_start:%Y-%m}")
    if f"{dated[-1]:%Y-%m}" != f"{d.period_end:%Y-%m}":
        problems.append(f"the last 付議日 is {dated[-1]}, the period runs to {d.period_end:%Y-%m}")
    detail = (
        "The list's first and last 付議日 fall in the first and last months of its period."
        if not problems
        else _sentence(problems) + ": the list may have lost rows at that end, or the period was misread."
    )
    return result(r, "dates_cover_period", not problems, expected, found, detail)


CHECKS: tuple[CheckFn, ...] = (
    rows_read,
    numbering_contiguous,
    rows_complete,
    titles_plausible,
    sheets_read,
    sheets_match_rows,
    list_agrees_with_sheet,
    dates_in_period,
    dates_cover_period,
)

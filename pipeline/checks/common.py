"""Checks every document gets: a title, a ward and a fiscal year or period read; every 課名 registered (in a ward
with no registry, of a 課名's form)."""

from __future__ import annotations

from pipeline.checks.base import DocRecords, result, rules, warn
from pipeline.normalise.departments import canonical, has_department_form, has_registry, split_departments
from schemas import ExtractionCheck


def title_read(r: DocRecords) -> ExtractionCheck:
    title = r.document.title
    return result(
        r,
        "title_read",
        bool(title),
        "a title",
        title or "none",
        "The title was read."
        if title
        else "No title was read: the document's first lines (documents.text) hold none the parser knows.",
    )


def ward_read(r: DocRecords) -> ExtractionCheck:
    ward = r.document.municipality
    return result(
        r,
        "ward_read",
        bool(ward),
        "a ward",
        ward or "none",
        "The ward was read."
        if ward
        else "No ward was read: the text names none of rules/vocabulary.toml `municipalities`.",
    )


def period_read(r: DocRecords) -> ExtractionCheck | None:
    """A fiscal year or a period read, and neither printed in a form that could not be read."""
    d = r.document
    if d.doc_type not in rules()["common"]["period_types"]:
        return None
    parts = []
    if d.fiscal_year is not None:
        parts.append(f"fiscal year {d.fiscal_year}")
    if d.period_start is not None and d.period_end is not None:
        parts.append(f"period {d.period_start}..{d.period_end}")
    # a value read through OCR damage (`…: read as 令和5年4月から6月`) was read, with its warning
    unread = [
        w.split(": ")
        for w in d.warnings
        if w.startswith(("period: ", "fiscal_year: ")) and not w.split(": ")[-1].startswith("read as ")
    ]
    parts += [f"{w[0].replace('_', ' ')} unread ({w[1] if len(w) > 2 else w[-1]})" for w in unread]
    ok = d.fiscal_year is not None or d.period_start is not None
    ok = ok and not unread
    if ok:
        detail = "The document's fiscal year or period was read."
    elif unread:
        detail = (
            "The document prints a period or fiscal year that could not be read (documents.warnings); "
            "dates without a year were placed by what was read, if anything."
        )
    else:
        detail = "Neither a fiscal year nor a period was read: dates without a year cannot be placed."
    return result(r, "period_read", ok, "a fiscal year or a period", "; ".join(parts) or "none", detail)


def known_departments(r: DocRecords) -> ExtractionCheck | None:
    """Every 課名 the document's rows hold is registered (rules/departments/), aliases included. A
    ward with no registry cannot fail for that: there every name must have a 課名's form (`…課`,
    `…センター`, a post such as `…副所長`; not a title or a date run into the cell), which is what a
    misread list breaks."""
    muni = r.document.municipality
    registry = has_registry(muni)
    names: list[str] = []
    unknown: list[str] = []
    known: dict[str, bool] = {}  # a report names the same few 課 hundreds of times
    problem = "not in the 課名 registry" if registry else f"not a 課名's form ({muni} has no registry)"

    def look(name: str | None) -> bool:
        if not name:
            return True
        names.append(name)
        if name not in known:
            known[name] = canonical(name, muni) is not None if registry else has_department_form(name)
        if not known[name]:
            unknown.append(name)
        return known[name]

    for m in r.mentions:
        sheet = split_departments(m.detail_departments_raw, muni).names
        for name in dict.fromkeys([*m.departments, *sheet]):
            if not look(name):
                warn(m, f"departments: {name}: {problem}")
    for e in r.entries:
        if not look(e.department):
            warn(e, f"department: {e.department}: {problem}")
    for s in r.items:
        if not look(s.department):
            warn(s, f"department: {s.department}: {problem}")
    for i in r.incidents:
        for name in i.departments:
            look(name)
    distinct, bad = list(dict.fromkeys(names)), list(dict.fromkeys(unknown))
    if not distinct:
        return None
    n = len(distinct)
    if registry:
        counted = "課名 registered"
        detail = (
            "Every 課名 is in the registry."
            if not bad
            else f"Not in the 課名 registry (rules/departments/): {'、'.join(bad)}; register the name or an "
            "alias if it is real, else the list was misread."
        )
    else:
        counted = "課名 of a 課名's form"
        unchecked = (
            f"{muni} has no 課名 registry (rules/departments/), so no name could be checked against one"
        )
        detail = (
            f"{unchecked}; every 課名 has a 課名's form."
            if not bad
            else f"Not of a 課名's form: {'、'.join(bad)}; the list was likely misread ({unchecked})."
        )
    return result(
        r,
        "known_departments",
        not bad,
        f"{n} of {n} {counted}",
        f"{n - len(bad)} of {n} {counted}",
        detail,
    )


CHECKS = (title_read, ward_read, period_read, known_departments)

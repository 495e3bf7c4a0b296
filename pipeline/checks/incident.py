"""Checks of an incident report: its 経過 in date order, found on or after it happened."""

from __future__ import annotations

import itertools

from pipeline.checks.base import CheckFn, DocRecords, result
from schemas import ExtractionCheck


def events_in_order(r: DocRecords) -> ExtractionCheck | None:
    """The 経過 lists events as they happened: a date earlier than its predecessor's was misread
    (or took the wrong year: events without a year are placed before the date of issue)."""
    dated = [(i, e.date) for inc in r.incidents for i, e in enumerate(inc.events, start=1) if e.date]
    if len(dated) < 2:
        return None
    back = [
        f"event {i} ({d}) after event {pi} ({pd})" for (pi, pd), (i, d) in itertools.pairwise(dated) if d < pd
    ]
    n = len(dated)
    return result(
        r,
        "events_in_order",
        not back,
        f"{n} dated events in date order",
        f"{n} dated events in date order" if not back else "; ".join(back),
        "The 経過 runs in date order."
        if not back
        else "The 経過 goes back in time: a date was misread or given the wrong year.",
    )


def discovered_after_occurred(r: DocRecords) -> ExtractionCheck | None:
    pairs = [(i.occurred_on, i.discovered_on) for i in r.incidents if i.occurred_on and i.discovered_on]
    if not pairs:
        return None
    occurred, discovered = pairs[0]
    ok = discovered >= occurred
    return result(
        r,
        "discovered_after_occurred",
        ok,
        f"on or after {occurred}",
        str(discovered),
        "The incident was found on or after its first event."
        if ok
        else f"Found on {discovered}, before its first event on {occurred}: one of the dates was misread.",
    )


CHECKS: tuple[CheckFn, ...] = (events_in_order, discovered_after_occurred)

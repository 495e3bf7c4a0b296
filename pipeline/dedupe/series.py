"""Recurring families (series) and the scopes every dedupe decision lives in."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz

from pipeline.dedupe.keys import fold_key, series_title
from pipeline.normalise.dates import fiscal_year_of
from schemas import CaseLink


class Representative(Protocol):
    """What a series link shows of a case's cleanest mention: a CaseMention, or only these of its
    columns read back from the store (a relink reads thousands of mentions; all their columns cost ten
    times more than these)."""

    @property
    def mention_id(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def deliberated_on(self) -> dt.date | None: ...
    @property
    def departments(self) -> list[str]: ...


@dataclass(frozen=True)
class Shown:
    """A Representative read back from the store."""

    mention_id: str
    title: str | None
    deliberated_on: dt.date | None
    departments: list[str]


@dataclass(frozen=True)
class SeriesEntry:
    series_id: str
    case_id: str
    deliberated_on: dt.date | None  # the case's
    representative: Representative  # the case's cleanest mention (`quality`)


def series_links(entries: Iterable[SeriesEntry]) -> list[CaseLink]:
    """A recurring family: consecutive cases of one series (by 付議日, then id) are linked so an analyst
    can walk the chain. Each link joins the two cases' representative mentions."""
    chains: dict[str, list[SeriesEntry]] = defaultdict(list)
    for e in entries:
        chains[e.series_id].append(e)
    links = []
    for series_id in sorted(chains):
        chain = sorted(chains[series_id], key=lambda e: (str(e.deliberated_on or ""), e.case_id))
        for x, y in itertools.pairwise(chain):
            a, b = x.representative, y.representative
            links.append(
                CaseLink(
                    left_mention_id=a.mention_id,
                    right_mention_id=b.mention_id,
                    decision="same_series",
                    rule="series_title",
                    score=float(fuzz.ratio(fold_key(a.title), fold_key(b.title))),
                    details=json.dumps(
                        {
                            "series_title": series_title(a.title),
                            "title": [a.title, b.title],
                            "deliberated_on": [a.deliberated_on, b.deliberated_on],
                            "departments": [a.departments, b.departments],
                        },
                        ensure_ascii=False,
                        default=str,
                    ),
                )
            )
    return links


# --------------------------------------------------------------------------- scopes

Scope = tuple[str, int | None]  # (municipality, fiscal year)


def scopes(municipality: str | None, fiscal_year: int | None, deliberated_on: dt.date | None) -> list[Scope]:
    """The scopes a mention's decisions live in: its document's municipality and fiscal year, and the
    fiscal year of its 付議日. Every comparison, every claim on an anchor key and every document-wide
    check involves mentions that share a scope: blocks are keyed by municipality + 付議日 (one fiscal
    year) or municipality + the document's fiscal year + number or title; anchors carry the same fields; a
    document has one municipality and fiscal year. So the plan of the mentions of a set of scopes
    closed under "a mention holds both" is exactly the whole store's plan restricted to them."""
    muni = municipality or ""
    out: list[Scope] = [(muni, fiscal_year)]
    if deliberated_on is not None and fiscal_year_of(deliberated_on) != fiscal_year:
        out.append((muni, fiscal_year_of(deliberated_on)))
    return out

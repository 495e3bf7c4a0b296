"""Stage 5: case mentions → cases. A plan first (decisions with their reasons), then applied.

The same deliberation reaches the store more than once (PDF and text of one packet, a re-issue,
a re-encoded copy); many different deliberations look alike (the recurring 共同電子申請 item,
one business under five 総合支所). So:

* candidate pairs come from blocks (municipality + 付議日; municipality + fiscal year + case
  number), never from all pairs;
* a pair is the same case only when date, number and departments agree and the titles score
  high on folded text; two mentions of one document are never the same case; a mention that
  would merge with two mentions of one other document merges with neither (ambiguity never merges);
* ids derive from content (the cluster's smallest identity key), so re-running gives the same ids;
* every pair that was compared and came close is written to `case_links` with rule and score.

Thresholds live in `rules/dedupe.toml`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rapidfuzz import fuzz

from pipeline.normalise import match_key
from pipeline.rules import dedupe_thresholds
from schemas import Case, CaseLink, CaseMention


@dataclass(frozen=True)
class DocInfo:
    municipality: str | None
    fiscal_year: int | None
    source_format: str


@dataclass
class Plan:
    case_of: dict[str, str] = field(default_factory=dict)  # mention_id → case_id
    cases: list[Case] = field(default_factory=list)
    links: list[CaseLink] = field(default_factory=list)


@cache
def _qualifier_re() -> re.Pattern[str]:
    return re.compile(str(dedupe_thresholds()["series_qualifier_pattern"]))


def series_title(title: str | None) -> str:
    """The title without its trailing qualifier: `…について（手続の追加）` → `…について`."""
    t = (title or "").strip()
    pattern = _qualifier_re()
    while True:
        stripped = pattern.sub("", t).strip()
        if stripped == t:
            return t
        t = stripped


def _hash(prefix: str, key: str) -> str:
    return f"{prefix}{hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]}"


@dataclass
class _M:
    m: CaseMention
    doc: DocInfo
    title_key: str
    dept_key: str

    @property
    def identity(self) -> str:
        d = self.m.deliberated_on.isoformat() if self.m.deliberated_on else ""
        return f"{self.doc.municipality or ''}|{self.doc.fiscal_year or ''}|{d}|{self.m.seq_no or ''}|{self.title_key}"


def _prepare(mentions: Iterable[tuple[CaseMention, DocInfo]]) -> list[_M]:
    out = []
    for m, doc in mentions:
        depts = "、".join(sorted(match_key(d) for d in m.departments))
        out.append(_M(m, doc, match_key(m.title), depts))
    return out


def _blocks(items: list[_M]) -> dict[tuple[Any, ...], list[int]]:
    blocks: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        muni = it.doc.municipality or ""
        if it.m.deliberated_on is not None:
            blocks[("date", muni, it.m.deliberated_on)].append(i)
        if it.m.seq_no is not None and it.doc.fiscal_year is not None:
            blocks[("number", muni, it.doc.fiscal_year, it.m.seq_no)].append(i)
    return blocks


def _decide(a: _M, b: _M) -> tuple[str, str, float, dict[str, Any]]:
    th = dedupe_thresholds()
    title_score = float(fuzz.ratio(a.title_key, b.title_key))
    dept_score = float(fuzz.token_set_ratio(a.dept_key, b.dept_key)) if a.dept_key and b.dept_key else 100.0
    details: dict[str, Any] = {
        "title": [a.m.title, b.m.title],
        "deliberated_on": [str(a.m.deliberated_on or ""), str(b.m.deliberated_on or "")],
        "seq_no": [a.m.seq_no, b.m.seq_no],
        "departments": [a.m.departments, b.m.departments],
        "title_score": title_score,
        "departments_score": dept_score,
    }
    if a.m.document_id == b.m.document_id:
        return "distinct", "same_document", title_score, details
    if (a.doc.municipality or "") != (b.doc.municipality or ""):
        return "distinct", "municipality_differs", title_score, details
    da, db = a.m.deliberated_on, b.m.deliberated_on
    if da is not None and db is not None and da != db:
        return "distinct", "date_differs", title_score, details
    if dept_score < th["departments_agree"]:
        return "distinct", "departments_differ", title_score, details
    same_number = a.m.seq_no is not None and a.m.seq_no == b.m.seq_no
    dates_agree = da is not None and da == db
    if dates_agree and same_number and title_score >= th["same_case_title_when_date_and_number_agree"]:
        return "same_case", "date_number_title", title_score, details
    if dates_agree and title_score >= th["same_case_title"]:
        return "same_case", "date_title_departments", title_score, details
    if (da is None or db is None) and same_number and title_score >= th["same_case_title"]:
        return "same_case", "fiscal_year_number_title", title_score, details
    return "distinct", "title_differs", title_score, details


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _quality(it: _M) -> tuple[int, int]:
    """Fewer warnings first; text before PDF on a tie (the converter's text has fewer OCR defects)."""
    return (len(it.m.warnings), 0 if it.doc.source_format == "text" else 1)


def _best(values: list[tuple[Any, tuple[int, int]]]) -> Any:
    """The best-supported value: most mentions agree on it; a tie goes to the cleanest source."""
    present = [(v, q) for v, q in values if v not in (None, [], "")]
    if not present:
        return None
    counts = Counter(json.dumps(v, ensure_ascii=False, default=str, sort_keys=True) for v, _ in present)
    return min(
        present,
        key=lambda vq: (-counts[json.dumps(vq[0], ensure_ascii=False, default=str, sort_keys=True)], vq[1]),
    )[0]


CASE_FIELDS = [
    "seq_no",
    "title",
    "departments",
    "departments_raw",
    "unnamed_department_count",
    "categories",
    "deliberated_on",
    "result",
    "program_name",
    "detail_departments_raw",
    "purpose",
    "target",
    "summary",
    "target_count",
    "target_count_unit",
]


def plan(mentions: Iterable[tuple[CaseMention, DocInfo]]) -> Plan:
    items = _prepare(mentions)
    th = dedupe_thresholds()
    link_floor = float(th["link_title"])
    compared: dict[tuple[int, int], tuple[str, str, float, dict[str, Any]]] = {}
    for members in _blocks(items).values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                key = (min(i, j), max(i, j))
                if key not in compared:
                    compared[key] = _decide(items[key[0]], items[key[1]])

    # Ambiguity never merges: one mention matching two mentions of the same other document.
    partners: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    for (i, j), (decision, *_rest) in compared.items():
        if decision == "same_case":
            partners[(i, items[j].m.document_id)].append((i, j))
            partners[(j, items[i].m.document_id)].append((i, j))
    for pairs in partners.values():
        if len(pairs) > 1:
            for pair in pairs:
                _d, _r, score, details = compared[pair]
                compared[pair] = ("distinct", "ambiguous", score, details)

    uf = _UnionFind(len(items))
    out = Plan()
    for (i, j), (decision, rule, score, details) in sorted(compared.items()):
        if decision == "same_case":
            uf.union(i, j)
        if decision == "same_case" or score >= link_floor:
            out.links.append(
                CaseLink(
                    left_mention_id=items[i].m.mention_id,
                    right_mention_id=items[j].m.mention_id,
                    decision=decision,
                    rule=rule,
                    score=score,
                    details=json.dumps(details, ensure_ascii=False, default=str),
                )
            )

    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        clusters[uf.find(i)].append(i)

    series_members: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for members in clusters.values():
        its = [items[i] for i in members]
        case_id = _hash("case-", min(it.identity for it in its))
        first = min(its, key=_quality)
        series_key = f"{first.doc.municipality or ''}|{match_key(series_title(first.m.title))}"
        series_id = _hash("series-", series_key)
        values = {f: _best([(getattr(it.m, f), _quality(it)) for it in its]) for f in CASE_FIELDS}
        values["departments"] = values["departments"] or []
        values["categories"] = values["categories"] or []
        values["unnamed_department_count"] = values["unnamed_department_count"] or 0
        fys = [it.doc.fiscal_year for it in its if it.doc.fiscal_year is not None]
        out.cases.append(
            Case(
                case_id=case_id,
                series_id=series_id,
                municipality=first.doc.municipality,
                fiscal_year=Counter(fys).most_common(1)[0][0] if fys else None,
                mention_count=len(its),
                document_ids=sorted({it.m.document_id for it in its}),
                **values,
            )
        )
        for it in its:
            out.case_of[it.m.mention_id] = case_id
        series_members[series_id].append((str(values["deliberated_on"] or ""), members[0]))

    # A recurring family: link consecutive cases of one series so an analyst sees the chain.
    for chain in series_members.values():
        if len(chain) < 2:
            continue
        chain.sort()
        for (_, i), (_, j) in itertools.pairwise(chain):
            a, b = items[i], items[j]
            out.links.append(
                CaseLink(
                    left_mention_id=a.m.mention_id,
                    right_mention_id=b.m.mention_id,
                    decision="same_series",
                    rule="series_title",
                    score=float(fuzz.ratio(a.title_key, b.title_key)),
                    details=json.dumps(
                        {"series_title": series_title(a.m.title), "title": [a.m.title, b.m.title]},
                        ensure_ascii=False,
                    ),
                )
            )
    out.cases.sort(key=lambda c: c.case_id)
    return out

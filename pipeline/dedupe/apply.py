"""The dedupe stage's edge: which mentions a load touched, reading them back, writing their plan.

`plan.plan` is a function of a set of mentions, and its decisions never cross a scope (a
municipality and a fiscal year: see `scopes`). So a load marks the scopes it touched, and
the next `run` re-plans only the mentions of those scopes, closed under mentions that join two
scopes (a document of one fiscal year listing a 付議日 of another). The result is exactly what a
re-plan of the whole store gives (tests/test_dedupe_store.py compares them), at the cost of the
touched scopes, not of the archive: one new packet no longer re-plans every ward and year.

Series chains span scopes (a recurring item over many years), so the series whose cases changed are
re-linked over all their cases, read back from the store.

What is pending survives a crash: it is `store_state.dedupe_pending`, written in the transaction
that loads the mentions: `"0"` nothing, `"all"` (or the `"1"` of older stores) everything, or a JSON
object of scopes and series ids. A change of rules/dedupe.toml re-plans everything once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb

from pipeline.dedupe import plan
from pipeline.dedupe.keys import quality
from pipeline.dedupe.series import Scope, SeriesEntry, scopes, series_links
from pipeline.rules import dedupe_thresholds
from pipeline.store import access, schema
from schemas import Case, CaseLink, CaseMention

PENDING = "dedupe_pending"
RULES = "dedupe_rules"
# Plans are written once this many cases wait (a full re-plan streams scope by scope).
WRITE_CASES = 5_000
FETCH_ROWS = 5_000

ALL = "all"


def _rules_fingerprint() -> str:
    return hashlib.sha1(json.dumps(dedupe_thresholds(), sort_keys=True).encode()).hexdigest()[:16]


def _read(con: duckdb.DuckDBPyConnection) -> tuple[set[Scope], set[str]] | str:
    raw = access.get_state(con, PENDING)
    if raw in (None, "0", ""):
        return set(), set()
    if raw in ("1", ALL):
        return ALL
    data = json.loads(str(raw))
    return {(str(m), fy) for m, fy in data["scopes"]}, set(data["series"])


def _write(con: duckdb.DuckDBPyConnection, scopes: set[Scope], series: set[str]) -> None:
    if not scopes and not series:
        access.set_state(con, PENDING, "0")
        return
    ordered = sorted(scopes, key=_order)
    access.set_state(
        con, PENDING, json.dumps({"scopes": ordered, "series": sorted(series)}, ensure_ascii=False)
    )


def mark(con: duckdb.DuckDBPyConnection, scopes: Iterable[Scope], series: Iterable[str] = ()) -> None:
    """Remember, in the caller's transaction, that these scopes and series need a re-plan."""
    current = _read(con)
    if current == ALL:
        return
    assert not isinstance(current, str)
    new_scopes, new_series = set(scopes), set(series)
    if new_scopes <= current[0] and new_series <= current[1]:
        return
    _write(con, current[0] | new_scopes, current[1] | new_series)


def is_pending(con: duckdb.DuckDBPyConnection) -> bool:
    return _read(con) != (set(), set()) or access.get_state(con, RULES) != _rules_fingerprint()


def scopes_of(mentions: Iterable[CaseMention], docs: dict[str, tuple[str | None, int | None]]) -> set[Scope]:
    """Scopes of mentions not yet in the store; `docs` maps document_id → (municipality, fiscal_year)."""
    out: set[Scope] = set()
    for m in mentions:
        muni, fy = docs[m.document_id]
        out.update(scopes(muni, fy, m.deliberated_on))
    return out


_DATE_FY = "year(m.deliberated_on) - CASE WHEN month(m.deliberated_on) < 4 THEN 1 ELSE 0 END"


def _scope_pairs(
    con: duckdb.DuckDBPyConnection, where: str = "", params: list[Any] | None = None
) -> set[tuple[Scope, Scope | None]]:
    """(its document's scope, its 付議日's scope when that is another) of every stored mention
    matching `where`: the store's side of `scopes`."""
    rows = con.execute(
        f"""SELECT DISTINCT coalesce(d.municipality, ''), d.fiscal_year, {_DATE_FY}
            FROM case_mentions m JOIN documents d USING (document_id) {where}""",
        params or [],
    ).fetchall()
    return {((muni, fy), (muni, dfy) if dfy is not None and dfy != fy else None) for muni, fy, dfy in rows}


def forget(con: duckdb.DuckDBPyConnection, document_ids_sql: str, params: list[Any]) -> None:
    """Before the mentions of these documents are deleted: mark their scopes and series, and drop the
    cases and links they took part in (the cases' other mentions share their scopes, so the next run
    plans them again)."""
    mentions = f"SELECT mention_id FROM case_mentions WHERE document_id IN ({document_ids_sql})"
    pairs = _scope_pairs(con, f"WHERE m.document_id IN ({document_ids_sql})", params)
    scopes = {s for pair in pairs for s in pair if s is not None}
    if not scopes:
        return
    cases = f"SELECT case_id FROM case_mentions WHERE document_id IN ({document_ids_sql})"
    series = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT series_id FROM cases WHERE case_id IN ({cases})", params
        ).fetchall()
    ]
    mark(con, scopes, series)
    con.execute(f"DELETE FROM cases WHERE case_id IN ({cases})", params)
    con.execute(
        f"DELETE FROM case_links WHERE left_mention_id IN ({mentions}) OR right_mention_id IN ({mentions})",
        params + params,
    )


# --------------------------------------------------------------------------- the run


def _components(con: duckdb.DuckDBPyConnection) -> dict[Scope, int]:
    """Every scope of the store → its component: scopes joined by a mention that holds both."""
    parent: dict[Scope, Scope] = {}

    def find(x: Scope) -> Scope:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for own, other in _scope_pairs(con):
        a = find(own)
        if other is not None:
            b = find(other)
            if a != b:
                parent[max(a, b, key=_order)] = min(a, b, key=_order)
    roots = sorted({find(s) for s in parent}, key=_order)
    number = {r: k for k, r in enumerate(roots)}
    return {s: number[find(s)] for s in parent}


def _order(s: Scope) -> tuple[str, int]:
    return (s[0], -1 if s[1] is None else s[1])


def _groups(con: duckdb.DuckDBPyConnection, table: str, order: str) -> Iterator[list[dict[str, Any]]]:
    """The rows of a temporary table whose first column `_group` numbers its groups, one whole group
    at a time. Fetched a few groups per query and never left open: the caller writes to the store
    between groups, and a new statement on the connection would cut an open result short."""
    sizes = con.execute(f"SELECT _group, count(*) FROM {table} GROUP BY 1 ORDER BY 1").fetchall()
    ranges: list[tuple[int, int]] = []
    start, rows = None, 0
    for group, n in sizes:
        start = group if start is None else start
        rows += n
        if rows >= FETCH_ROWS:
            ranges.append((start, group))
            start, rows = None, 0
    if start is not None:
        ranges.append((start, sizes[-1][0]))
    for first, last in ranges:
        rel = con.execute(
            f"SELECT * FROM {table} WHERE _group BETWEEN ? AND ? ORDER BY {order}", [first, last]
        )
        names = [c[0] for c in rel.description]
        current: list[dict[str, Any]] = []
        for row in rel.fetchall():
            rec = dict(zip(names, row, strict=True))
            if current and rec["_group"] != current[0]["_group"]:
                yield current
                current = []
            current.append(rec)
        if current:
            yield current


def _mentions(con: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[CaseMention, plan.DocInfo]]]:
    """The mentions of the scopes in `_replan_scope`, one component at a time."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _replan_rows AS
           SELECT s.component AS _group, m.*, d.municipality AS _municipality,
                  d.fiscal_year AS _fiscal_year, d.source_format AS _source_format
           FROM case_mentions m JOIN documents d USING (document_id)
           JOIN _replan_scope s ON s.municipality = coalesce(d.municipality, '')
                AND s.fiscal_year = coalesce(d.fiscal_year, -1)"""
    )
    for rows in _groups(con, "_replan_rows", "_group, mention_id"):
        group = []
        for rec in rows:
            del rec["_group"]
            info = plan.DocInfo(rec.pop("_municipality"), rec.pop("_fiscal_year"), rec.pop("_source_format"))
            group.append((CaseMention(**rec), info))
        yield group
    con.execute("DROP TABLE _replan_rows")


def _replace_temp(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list[Any]], types: str
) -> None:
    import pyarrow as pa

    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({types})")
    if any(columns.values()):
        con.register("_incoming_temp", pa.table(columns))
        con.execute(f"INSERT INTO {name} SELECT * FROM _incoming_temp")
        con.unregister("_incoming_temp")


def _write_plans(
    con: duckdb.DuckDBPyConnection, case_of: dict[str, str], cases: list[Case], links: list[CaseLink]
) -> None:
    _replace_temp(
        con,
        "_case_of",
        {"mention_id": list(case_of), "case_id": list(case_of.values())},
        "mention_id VARCHAR, case_id VARCHAR",
    )
    con.execute(
        "UPDATE case_mentions SET case_id = c.case_id FROM _case_of c WHERE case_mentions.mention_id = c.mention_id"
    )
    schema.insert(con, "cases", cases)
    schema.insert(con, "case_links", links)


def _relink_series(con: duckdb.DuckDBPyConnection, series: set[str] | None) -> None:
    """Rebuild the chains of these series (None: of every series) over all their cases."""
    if series is None:
        con.execute("CREATE OR REPLACE TEMP TABLE _replan_series AS SELECT DISTINCT series_id FROM cases")
    else:
        _replace_temp(con, "_replan_series", {"series_id": sorted(series)}, "series_id VARCHAR")
    members = """SELECT m.mention_id FROM case_mentions m JOIN cases c USING (case_id)
                 JOIN _replan_series USING (series_id)"""
    con.execute(
        f"""DELETE FROM case_links WHERE decision = 'same_series'
            AND (left_mention_id IN ({members}) OR right_mention_id IN ({members}))"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _relink_rows AS
           SELECT dense_rank() OVER (ORDER BY c.series_id) AS _group, c.series_id AS _series_id,
                  c.deliberated_on AS _case_date, d.source_format AS _source_format, m.*
           FROM cases c JOIN _replan_series USING (series_id)
           JOIN case_mentions m USING (case_id) JOIN documents d USING (document_id)"""
    )
    links: list[CaseLink] = []
    for rows in _groups(con, "_relink_rows", "_group, case_id, mention_id"):
        best: dict[str, tuple[tuple[int, int, str], SeriesEntry]] = {}
        for rec in rows:
            del rec["_group"]
            series_id, case_date, fmt = (
                rec.pop("_series_id"),
                rec.pop("_case_date"),
                rec.pop("_source_format"),
            )
            m = CaseMention(**rec)
            q = quality(m, fmt)
            case_id = m.case_id or ""
            if case_id not in best or q < best[case_id][0]:
                best[case_id] = (q, SeriesEntry(series_id, case_id, case_date, m))
        links.extend(series_links(entry for _, entry in best.values()))
        if len(links) >= WRITE_CASES:
            schema.insert(con, "case_links", links)
            links = []
    con.execute("DROP TABLE _relink_rows")
    schema.insert(con, "case_links", links)


def run(con: duckdb.DuckDBPyConnection, *, full: bool = False) -> int:
    """Re-plan what is pending (everything when `full`, when marked so, or when the rules changed),
    in the caller's transaction; returns the number of cases in the store."""
    pending = _read(con)
    if full or pending == ALL or access.get_state(con, RULES) != _rules_fingerprint():
        scopes: set[Scope] | None = None
        series: set[str] | None = None
    else:
        assert not isinstance(pending, str)
        scopes, series = pending
    components = _components(con)
    if scopes is None:
        chosen = components
        con.execute("DELETE FROM cases")
        con.execute("DELETE FROM case_links")
    else:
        wanted = {components[s] for s in scopes if s in components}
        chosen = {s: c for s, c in components.items() if c in wanted}
    _replace_temp(
        con,
        "_replan_scope",
        {
            "municipality": [s[0] for s in chosen],
            "fiscal_year": [-1 if s[1] is None else s[1] for s in chosen],
            "component": list(chosen.values()),
        },
        "municipality VARCHAR, fiscal_year INTEGER, component INTEGER",
    )
    if scopes is not None and chosen:
        replan = """SELECT m.mention_id FROM case_mentions m JOIN documents d USING (document_id)
                    JOIN _replan_scope s ON s.municipality = coalesce(d.municipality, '')
                         AND s.fiscal_year = coalesce(d.fiscal_year, -1)"""
        con.execute(f"CREATE OR REPLACE TEMP TABLE _replan_mentions AS {replan}")
        old_cases = (
            "SELECT case_id FROM case_mentions WHERE mention_id IN (SELECT mention_id FROM _replan_mentions)"
        )
        assert series is not None
        series |= {
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT series_id FROM cases WHERE case_id IN ({old_cases})"
            ).fetchall()
        }
        con.execute(f"DELETE FROM cases WHERE case_id IN ({old_cases})")
        con.execute(
            """DELETE FROM case_links WHERE left_mention_id IN (SELECT mention_id FROM _replan_mentions)
               OR right_mention_id IN (SELECT mention_id FROM _replan_mentions)"""
        )
    case_of: dict[str, str] = {}
    cases: list[Case] = []
    links: list[CaseLink] = []
    for group in _mentions(con):
        p = plan.plan(group, series=False)
        case_of.update(p.case_of)
        cases.extend(p.cases)
        links.extend(p.links)
        if series is not None:
            series.update(c.series_id for c in p.cases if c.series_id)
        if len(cases) >= WRITE_CASES:
            _write_plans(con, case_of, cases, links)
            case_of, cases, links = {}, [], []
    _write_plans(con, case_of, cases, links)
    _relink_series(con, series)
    access.set_state(con, PENDING, "0")
    access.set_state(con, RULES, _rules_fingerprint())
    ((count,),) = con.execute("SELECT count(*) FROM cases").fetchall()
    return int(count)

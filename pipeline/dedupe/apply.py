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
object of scopes and series ids (`"series": "all"`: every series). A change of rules/dedupe.toml
re-plans everything once.

A re-plan, of a few scopes or of the whole store (a first ingest, `--reparse`, a rules change), works
through the scopes in batches of about `BATCH_MENTIONS` mentions, whole components at a time, then
through the series in batches of `RELINK_MENTIONS` (it holds a few columns of each): what it holds
(rows read back, plans, DuckDB's temporary tables) is a batch's, never the store's. The ingest also lets it commit after each batch
(`commit=True`), so the transaction's own changes, which DuckDB keeps in memory until the commit, stay
a batch's too; what is still pending is recorded with each commit, and a run cut short resumes there.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.dedupe import plan
from pipeline.dedupe.keys import quality_of
from pipeline.dedupe.series import Scope, SeriesEntry, Shown, scopes, series_links
from pipeline.rules import dedupe_thresholds
from pipeline.store import access, schema
from schemas import Case, CaseLink, CaseMention

PENDING = "dedupe_pending"
RULES = "dedupe_rules"
# Scopes (whole components of them) and series are re-planned in batches of about this many mentions;
# plans are written once this many cases wait; rows are read back this many at a time. A batch of
# 2,000 mentions (about 40 packets) holds some 15 MB of Python objects: re-planning 400 packets of
# distinct ward-years peaked at 247 MB with it, 340 MB with 5,000, at the same CPU.
BATCH_MENTIONS = 2_000
WRITE_CASES = 2_000
FETCH_ROWS = 2_000
# A relink reads a few narrow columns of a mention and holds one small entry per case, so its batches
# are larger: each costs a scan of the series' cases and a commit whatever its size.
RELINK_MENTIONS = 4 * BATCH_MENTIONS

ALL = "all"


def _rules_fingerprint() -> str:
    return hashlib.sha1(json.dumps(dedupe_thresholds(), sort_keys=True).encode()).hexdigest()[:16]


Series = set[str] | None  # series ids to re-link; None: every series


def _read(con: duckdb.DuckDBPyConnection) -> tuple[set[Scope], Series] | str:
    raw = access.get_state(con, PENDING)
    if raw in (None, "0", ""):
        return set(), set()
    if raw in ("1", ALL):
        return ALL
    data = json.loads(str(raw))
    scopes = {(str(m), fy) for m, fy in data["scopes"]}
    return scopes, None if data["series"] == ALL else set(data["series"])


def _write(con: duckdb.DuckDBPyConnection, scopes: set[Scope], series: Series) -> None:
    if not scopes and series is not None and not series:
        access.set_state(con, PENDING, "0")
        return
    ordered = sorted(scopes, key=_order)
    listed = ALL if series is None else sorted(series)
    access.set_state(con, PENDING, json.dumps({"scopes": ordered, "series": listed}, ensure_ascii=False))


def mark(con: duckdb.DuckDBPyConnection, scopes: Iterable[Scope], series: Iterable[str] = ()) -> None:
    """Remember, in the caller's transaction, that these scopes and series need a re-plan."""
    current = _read(con)
    if current == ALL:
        return
    assert not isinstance(current, str)
    known, known_series = current
    new_scopes, new_series = set(scopes), set(series)
    if new_scopes <= known and (known_series is None or new_series <= known_series):
        return
    _write(con, known | new_scopes, None if known_series is None else known_series | new_series)


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


def _components(
    con: duckdb.DuckDBPyConnection, municipalities: set[str] | None = None
) -> tuple[dict[Scope, int], Counter[int]]:
    """Every scope of the store (of these municipalities only, if given: a mention joins two scopes of
    one municipality, so theirs are whole components) → its component (scopes joined by a mention that
    holds both), and the number of mentions of each component."""
    parent: dict[Scope, Scope] = {}

    def find(x: Scope) -> Scope:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    own: Counter[Scope] = Counter()
    where, params = "", []
    if municipalities is not None:
        # One parameter, a list: an empty one (only series were pending) matches no mention.
        where = "WHERE coalesce(d.municipality, '') IN (SELECT unnest(?::VARCHAR[]))"
        params = [sorted(municipalities)]
    rows = con.execute(
        f"""SELECT coalesce(d.municipality, ''), d.fiscal_year, {_DATE_FY}, count(*)
            FROM case_mentions m JOIN documents d USING (document_id) {where} GROUP BY ALL""",
        params,
    ).fetchall()
    for muni, fy, dfy, n in rows:
        own[(muni, fy)] += n
        a = find((muni, fy))
        if dfy is not None and dfy != fy:
            b = find((muni, dfy))
            if a != b:
                parent[max(a, b, key=_order)] = min(a, b, key=_order)
    roots = sorted({find(s) for s in parent}, key=_order)
    number = {r: k for k, r in enumerate(roots)}
    component = {s: number[find(s)] for s in parent}
    sizes: Counter[int] = Counter()
    for s, n in own.items():
        sizes[component[s]] += n
    return component, sizes


def _order(s: Scope) -> tuple[str, int]:
    return (s[0], -1 if s[1] is None else s[1])


def _ranges(sizes: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """(first, last) runs of consecutive groups, given as (group, rows) in order, of about `limit` rows."""
    ranges: list[tuple[int, int]] = []
    start, rows = None, 0
    for group, n in sizes:
        start = group if start is None else start
        rows += n
        if rows >= limit:
            ranges.append((start, group))
            start, rows = None, 0
    if start is not None:
        ranges.append((start, sizes[-1][0]))
    return ranges


def _by_rowid(
    con: duckdb.DuckDBPyConnection, located: list[tuple[int, int]], select: str, order: str
) -> Iterator[list[dict[str, Any]]]:
    """The rows of `select` (a query whose rows have a case_mentions row `m` and a first column `_group`)
    whose mention is one of `located`, (group, m's rowid) pairs in order of group, one whole group at a
    time. Two steps: DuckDB reads every projected column of case_mentions before a join drops the
    rows of other batches, so a query of all the columns of a batch's mentions cost a scan of the
    whole table (some 10 times a scan of the columns that choose the batch), and a filter on rowid
    reads only the row groups that hold the rows. Rowids hold within the transaction (an UPDATE of
    case_id keeps them), and the caller's commits come between batches, never inside one. Fetched a
    few groups per query and never left open: the caller writes to the store between groups, and a
    new statement on the connection would cut an open result short."""
    sizes = sorted(Counter(g for g, _ in located).items())
    at = 0
    for _first, last in _ranges(sizes, FETCH_ROWS):
        rowids = []
        while at < len(located) and located[at][0] <= last:
            rowids.append(located[at][1])
            at += 1
        rel = con.execute(
            f"{select} WHERE m.rowid IN (SELECT unnest(?::BIGINT[])) ORDER BY {order}", [rowids]
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


_MENTIONS_OF_SCOPES = """FROM case_mentions m JOIN documents d USING (document_id)
    JOIN _replan_scope s ON s.municipality = coalesce(d.municipality, '')
         AND s.fiscal_year = coalesce(d.fiscal_year, -1)"""


def _mentions(con: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[CaseMention, plan.DocInfo]]]:
    """The mentions of the scopes in `_replan_scope`, one component at a time."""
    located = con.execute(
        f"SELECT s.component, m.rowid {_MENTIONS_OF_SCOPES} ORDER BY s.component, m.mention_id"
    ).fetchall()
    select = f"""SELECT s.component AS _group, m.*, d.municipality AS _municipality,
                        d.fiscal_year AS _fiscal_year, d.source_format AS _source_format
                 {_MENTIONS_OF_SCOPES}"""
    for rows in _by_rowid(con, located, select, "_group, mention_id"):
        group = []
        for rec in rows:
            del rec["_group"]
            info = plan.DocInfo(rec.pop("_municipality"), rec.pop("_fiscal_year"), rec.pop("_source_format"))
            group.append((CaseMention(**rec), info))
        yield group


def _replace_temp(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list[Any]], types: str
) -> None:
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
        # A mention whose case kept its id is not rewritten (most of a re-plan after a load).
        " AND case_mentions.case_id IS DISTINCT FROM c.case_id"
    )
    schema.insert(con, "cases", cases)
    schema.insert(con, "case_links", links)


def _batches(
    components: dict[Scope, int], sizes: Counter[int], todo: set[Scope]
) -> Iterator[dict[Scope, int]]:
    """The scopes of `todo` (unions of whole components), a few components at a time: about
    BATCH_MENTIONS mentions, in the order of the components."""
    by_component: dict[int, list[Scope]] = defaultdict(list)
    for s in todo:
        by_component[components[s]].append(s)
    batch: dict[Scope, int] = {}
    mentions = 0
    for c in sorted(by_component):
        batch.update((s, c) for s in by_component[c])
        mentions += sizes[c]
        if mentions >= BATCH_MENTIONS:
            yield batch
            batch, mentions = {}, 0
    if batch:
        yield batch


def _replan(
    con: duckdb.DuckDBPyConnection, batch: dict[Scope, int], *, forget_old: bool, series: Series
) -> None:
    """Plan the mentions of a batch of scopes and write the plans. With `forget_old`, the cases and links
    the mentions had are dropped first. The series of old and new cases join `series` (unless None)."""
    _replace_temp(
        con,
        "_replan_scope",
        {
            "municipality": [s[0] for s in batch],
            "fiscal_year": [-1 if s[1] is None else s[1] for s in batch],
            "component": list(batch.values()),
        },
        "municipality VARCHAR, fiscal_year INTEGER, component INTEGER",
    )
    if forget_old:
        replan = """SELECT m.mention_id FROM case_mentions m JOIN documents d USING (document_id)
                    JOIN _replan_scope s ON s.municipality = coalesce(d.municipality, '')
                         AND s.fiscal_year = coalesce(d.fiscal_year, -1)"""
        con.execute(f"CREATE OR REPLACE TEMP TABLE _replan_mentions AS {replan}")
        old_cases = (
            "SELECT case_id FROM case_mentions WHERE mention_id IN (SELECT mention_id FROM _replan_mentions)"
        )
        if series is not None:
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
        con.execute("DROP TABLE _replan_mentions")
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


def _relink_series(
    con: duckdb.DuckDBPyConnection, series: Series, progress: Callable[[Series], None]
) -> None:
    """Rebuild the chains of these series (None: of every series) over all their cases, a batch of series
    at a time; `progress` is told after each batch which series are still to do."""
    if series is None:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _replan_series AS
               SELECT series_id, dense_rank() OVER (ORDER BY series_id) AS _group
               FROM (SELECT DISTINCT series_id FROM cases WHERE series_id IS NOT NULL)"""
        )
        ordered: list[str] = []
    else:
        ordered = sorted(series)
        _replace_temp(
            con,
            "_replan_series",
            {"series_id": ordered, "_group": list(range(1, len(ordered) + 1))},
            "series_id VARCHAR, _group INTEGER",
        )
    sizes = con.execute(
        """SELECT s._group, count(*) FROM _replan_series s JOIN cases c USING (series_id)
           JOIN case_mentions m USING (case_id) GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    members = """SELECT m.mention_id FROM case_mentions m JOIN cases c USING (case_id)
                 JOIN _replan_series s USING (series_id) WHERE s._group BETWEEN ? AND ?"""
    if series is None:
        # Every chain is rebuilt: one statement instead of one per batch, each of which joined the
        # batch's mentions against the whole store (the relink then grew as batches x store).
        con.execute("DELETE FROM case_links WHERE decision = 'same_series'")
    for first, last in _ranges(sizes, RELINK_MENTIONS):
        if series is not None:
            con.execute(
                f"""DELETE FROM case_links WHERE decision = 'same_series'
                    AND (left_mention_id IN ({members}) OR right_mention_id IN ({members}))""",
                [first, last, first, last],
            )
        # In two steps, as _by_rowid reads: which mentions, then their columns.
        rowids = [
            r[0]
            for r in con.execute(
                """SELECT m.rowid FROM _replan_series s JOIN cases c USING (series_id)
                   JOIN case_mentions m USING (case_id) WHERE s._group BETWEEN ? AND ?""",
                [first, last],
            ).fetchall()
        ]
        rows = con.execute(
            """SELECT c.series_id, c.case_id, c.deliberated_on, d.source_format,
                      m.mention_id, m.title, m.deliberated_on, m.departments, len(m.warnings)
               FROM _replan_series s JOIN cases c USING (series_id)
               JOIN case_mentions m USING (case_id) JOIN documents d USING (document_id)
               WHERE s._group BETWEEN ? AND ? AND m.rowid IN (SELECT unnest(?::BIGINT[]))""",
            [first, last, rowids],
        ).fetchall()
        best: dict[str, tuple[tuple[int, int, str], SeriesEntry]] = {}
        for series_id, case_id, case_date, fmt, mention_id, title, on, departments, warned in rows:
            q = quality_of(warned or 0, fmt, mention_id)
            if case_id not in best or q < best[case_id][0]:
                shown = Shown(mention_id, title, on, list(departments or []))
                best[case_id] = (q, SeriesEntry(series_id, case_id, case_date, shown))
        schema.insert(con, "case_links", series_links(entry for _, entry in best.values()))
        progress(None if series is None else set(ordered[last:]))
    con.execute("DROP TABLE _replan_series")


def run(
    con: duckdb.DuckDBPyConnection,
    *,
    full: bool = False,
    commit: bool = False,
    after_commit: Callable[[], None] | None = None,
) -> int:
    """Re-plan what is pending (everything when `full`, when marked so, or when the rules changed), in
    the caller's transaction; returns the number of cases in the store. With `commit`, that transaction
    is committed after each batch and a new one begun, which the caller ends; `after_commit` is called
    after each of those commits."""
    pending = _read(con)
    everything = full or pending == ALL or access.get_state(con, RULES) != _rules_fingerprint()
    series: Series
    if everything:
        components, sizes = _components(con)
        con.execute("DELETE FROM cases")
        con.execute("DELETE FROM case_links")
        todo, series = set(components), None
    else:
        assert not isinstance(pending, str)
        scopes, series = pending
        components, sizes = _components(con, {s[0] for s in scopes})
        wanted = {components[s] for s in scopes if s in components}
        todo = {s for s, c in components.items() if c in wanted}
    # From here on what is left is recorded as scopes and series: a resumed run does only the rest.
    access.set_state(con, RULES, _rules_fingerprint())

    def save() -> None:
        if commit:
            _write(con, todo, series)
            con.execute("COMMIT")
            if after_commit is not None:
                after_commit()
            con.execute("BEGIN")

    def relinked(left: Series) -> None:
        nonlocal series
        series = left
        save()

    save()
    for batch in _batches(components, sizes, todo):
        _replan(con, batch, forget_old=not everything, series=series)
        todo.difference_update(batch)
        save()
    _relink_series(con, series, relinked)
    access.set_state(con, PENDING, "0")
    ((count,),) = con.execute("SELECT count(*) FROM cases").fetchall()
    return int(count)

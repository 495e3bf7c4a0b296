"""Dedupe after a load re-plans only the scopes it touched, and ends exactly where a re-plan of the
whole store ends: same cases, same ids, same links."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ingest_support import load_make_corpus, run

from pipeline.dedupe import apply as dedupe_store
from pipeline.dedupe import plan as dedupe
from pipeline.dedupe import series
from pipeline.extract import extract_bytes
from pipeline.run import ingest, load
from pipeline.store import access, migrate
from schemas import FileExtraction

mc = load_make_corpus()
# 001 as text and as PDF (two scopes) merge into 30 cases of two mentions; 002 gives 51 of one.
COUNTS_ACROSS_SCOPES = [(1, 51), (2, 30)]


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "cases": sorted(con.execute("SELECT * FROM cases").fetchall(), key=repr),
        "case_links": sorted(con.execute("SELECT * FROM case_links").fetchall(), key=repr),
        "case_of": sorted(con.execute("SELECT mention_id, case_id FROM case_mentions").fetchall()),
    }


def _full_replan(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    con.execute("BEGIN")
    ingest.run_dedupe(con)
    full = _state(con)
    con.execute("ROLLBACK")
    return full


def _assert_same_as_full(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(db))
    try:
        assert access.get_state(con, dedupe_store.PENDING) == "0"
        incremental = _state(con)
        assert incremental == _full_replan(con)
    finally:
        con.close()
    return incremental


@pytest.mark.parametrize(
    ("municipality", "fiscal_year", "deliberated_on", "expected"),
    [
        ("新宿区", 2023, dt.date(2023, 4, 3), [("新宿区", 2023)]),
        ("新宿区", 2023, dt.date(2024, 3, 31), [("新宿区", 2023)]),
        ("新宿区", 2023, dt.date(2024, 4, 1), [("新宿区", 2023), ("新宿区", 2024)]),
        ("新宿区", 2023, dt.date(2023, 3, 31), [("新宿区", 2023), ("新宿区", 2022)]),
        ("新宿区", 2023, None, [("新宿区", 2023)]),
        ("新宿区", None, dt.date(2023, 6, 1), [("新宿区", None), ("新宿区", 2023)]),
        (None, None, None, [("", None)]),
    ],
)
def test_scopes(
    municipality: str | None, fiscal_year: int | None, deliberated_on: dt.date | None, expected: list[Any]
) -> None:
    assert series.scopes(municipality, fiscal_year, deliberated_on) == expected


@pytest.fixture(scope="module")
def archive(corpus: Path) -> Any:
    # Many copies and look-alikes: the case where a partial re-plan could go wrong.
    return mc.build(40, 11, pdf_share=0.0, dup_share=0.4, look_share=0.3)


def test_loads_in_steps_end_as_a_full_replan(
    archive: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small reads, writes and batches, so plans are written while later groups are still to be read
    # and a re-plan is committed in many batches of scopes and of series.
    monkeypatch.setattr(dedupe_store, "FETCH_ROWS", 40)
    monkeypatch.setattr(dedupe_store, "WRITE_CASES", 25)
    monkeypatch.setattr(dedupe_store, "BATCH_MENTIONS", 60)
    monkeypatch.setattr(dedupe_store, "RELINK_MENTIONS", 60)
    raw, db = tmp_path / "raw", tmp_path / "council.duckdb"
    paths = sorted(archive.files)
    steps = [paths[k::4] for k in range(4)]  # each step touches scopes the others already hold
    for step in steps:
        for rel in step:
            (raw / rel).parent.mkdir(parents=True, exist_ok=True)
            (raw / rel).write_bytes(archive.files[rel])
        summary = run(raw, db)
        assert summary.files_failed == 0 and summary.files_new > 0
        _assert_same_as_full(db)
    # A changed file replaces what it contributed: another packet's text under its name.
    donor = next(p for p in paths if archive.files[p] != archive.files[paths[0]] and p.endswith(".txt"))
    (raw / paths[0]).write_bytes(archive.files[donor])
    assert run(raw, db).files_new >= 1
    final = _assert_same_as_full(db)
    assert len(final["cases"]) > 100 and final["case_links"]


def test_a_replan_cut_short_resumes_where_it_stopped(
    archive: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first ingest's re-plan commits batch by batch; killed half-way, the next run plans only the
    scopes still pending and ends where an uninterrupted run ends."""
    monkeypatch.setattr(dedupe_store, "BATCH_MENTIONS", 60)
    raw, db = tmp_path / "raw", tmp_path / "council.duckdb"
    for rel, data in archive.files.items():
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_bytes(data)
    real = dedupe.plan
    planned: list[int] = []

    def killed_at_the_sixth_component(ms: Any, **kw: Any) -> Any:
        if len(planned) == 5:
            raise KeyboardInterrupt
        planned.append(len(ms))
        return real(ms, **kw)

    monkeypatch.setattr(dedupe, "plan", killed_at_the_sixth_component)
    with pytest.raises(KeyboardInterrupt):
        run(raw, db)
    assert not db.exists() and access.work_path(db).exists()
    first = sum(planned)
    planned.clear()
    monkeypatch.setattr(dedupe, "plan", lambda ms, **kw: planned.append(len(ms)) or real(ms, **kw))
    summary = run(raw, db)
    assert summary.resumed and summary.files_new == 0
    con = duckdb.connect(str(db), read_only=True)
    ((mentions,),) = con.execute("SELECT count(*) FROM case_mentions").fetchall()
    con.close()
    # Only what the interrupted run had not committed is planned again.
    assert 0 < sum(planned) < mentions and first + sum(planned) >= mentions
    _assert_same_as_full(db)


def _extraction(data: bytes, name: str, fiscal_year: int | None) -> FileExtraction:
    ex = extract_bytes(data, name)
    for d in ex.documents:
        d.fiscal_year = fiscal_year
    return ex


def test_scopes_joined_by_a_mention_are_planned_together(
    corpus_text: Any, corpus_pdf: Path, tmp_path: Path
) -> None:
    """The PDF copy of 001 filed under the previous fiscal year (and a copy of 002 with no fiscal year)
    joins two scopes: the text of 001 (its own year) and the PDF must still merge, whichever order
    they arrive in, and the result must equal the whole store's plan."""
    name, text = corpus_text("001")
    fy = extract_bytes(text, name).documents[0].fiscal_year
    assert fy is not None
    loads = [
        _extraction(corpus_pdf.read_bytes(), "pdf/001.pdf", fy - 1),
        _extraction(text, "text/001.txt", fy),
        _extraction(corpus_text("002")[1], "text/002.txt", None),
    ]
    results = []
    for order in ([0, 1, 2], [1, 2, 0], [2, 0, 1]):
        db = tmp_path / f"{order}.duckdb"
        con = duckdb.connect(str(db))
        con.execute("BEGIN")
        migrate.ensure_schema(con)
        con.execute("COMMIT")
        for k in order:
            con.execute("BEGIN")
            load.load_extractions(con, [loads[k].model_copy(deep=True)])
            dedupe_store.run(con)
            con.execute("COMMIT")
        con.close()
        results.append(_assert_same_as_full(db))
    assert results[0] == results[1] == results[2]
    con = duckdb.connect(str(tmp_path / "[0, 1, 2].duckdb"), read_only=True)
    counts = con.execute("""SELECT mention_count, count(*) FROM cases GROUP BY 1 ORDER BY 1""").fetchall()
    con.close()
    assert counts == COUNTS_ACROSS_SCOPES


def test_only_touched_scopes_are_replanned(
    archive: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, db = tmp_path / "raw", tmp_path / "council.duckdb"
    paths = sorted(p for p in archive.files if p.endswith(".txt"))
    for rel in paths[:-1]:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_bytes(archive.files[rel])
    run(raw, db)
    planned: list[int] = []
    real = dedupe.plan
    monkeypatch.setattr(dedupe, "plan", lambda ms, **kw: planned.append(len(ms)) or real(ms, **kw))
    new = paths[-1]
    (raw / new).parent.mkdir(parents=True, exist_ok=True)
    (raw / new).write_bytes(archive.files[new])
    run(raw, db, jobs=0)
    con = duckdb.connect(str(db))
    scopes = con.execute(
        """SELECT d.municipality, d.fiscal_year, d.source_path = ? FROM case_mentions m
           JOIN documents d USING (document_id)""",
        [new],
    ).fetchall()
    con.close()
    touched = {(muni, fy) for muni, fy, is_new in scopes if is_new}
    in_scopes = sum(1 for muni, fy, _ in scopes if (muni, fy) in touched)
    assert touched and sum(planned) == in_scopes < len(scopes)
    _assert_same_as_full(db)


def test_a_change_of_dedupe_rules_replans_everything(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    (raw / "text").mkdir(parents=True)
    for f in sorted((corpus / "text").glob("00[12]*.txt")):
        shutil.copy(f, raw / "text" / f.name)
    db = tmp_path / "council.duckdb"
    run(raw, db)
    planned: list[int] = []
    real = dedupe.plan
    monkeypatch.setattr(dedupe, "plan", lambda ms, **kw: planned.append(len(ms)) or real(ms, **kw))
    run(raw, db, jobs=0)
    assert planned == []  # nothing changed, nothing planned
    monkeypatch.setattr(dedupe_store, "_rules_fingerprint", lambda: "edited")
    run(raw, db, jobs=0)
    assert sum(planned) == 81

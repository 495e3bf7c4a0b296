"""`council report`: one self-contained HTML page whose charts hold the store's numbers.

The page is parsed back (html.parser) and every mark of each chart compared with the store."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from pipeline.store import access, schema

runner = CliRunner()
CHROMIUM = Path("/usr/bin/chromium")


class Page(HTMLParser):
    """Every element as (section id, tag, attributes), and the text of each section."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str | None, str, dict[str, str]]] = []
        self.section: str | None = None
        self.text: dict[str | None, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.section = a.get("id")
        self.elements.append((self.section, tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        self.text[self.section] = self.text.get(self.section, "") + data

    def marks(self, section: str, tag: str) -> list[dict[str, str]]:
        """The chart marks (elements carrying a number) of one section."""
        return [a for s, t, a in self.elements if s == section and t == tag and "data-value" in a]


@pytest.fixture(scope="module")
def report(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Page]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = runner.invoke(app, ["report", "--db", str(corpus_store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}\n"
    html = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    return html, page


@pytest.fixture(scope="module")
def con(corpus_store: Path):
    with access.reader(corpus_store) as con:
        yield con


def test_cases_per_month_by_category(report: tuple[str, Page], con: duckdb.DuckDBPyConnection) -> None:
    _, page = report
    drawn = {
        (a["data-month"], a["data-category"]): int(a["data-value"])
        for a in page.marks("cases-per-month", "rect")
    }
    # Straight from the cases table, not through the view the chart is drawn from.
    rows = con.execute(
        "SELECT coalesce(strftime(deliberated_on, '%Y-%m'), '付議日なし'), c, count(*) "
        "FROM (SELECT deliberated_on, unnest(categories) AS c FROM cases) GROUP BY ALL"
    ).fetchall()
    assert drawn == {(m, c): n for m, c, n in rows}
    # Counted in the printed lists (see test_views.py).
    assert drawn[("2023-12", "業務委託")] == 10 and drawn[("2023-10", "防犯カメラ")] == 1
    assert drawn[("付議日なし", "業務委託")] == 1


def test_month_totals_count_cases_not_segments(report: tuple[str, Page]) -> None:
    """A case with two 区分 is two segments but one case: the label after each bar is the month's cases,
    as counted in the printed lists (001: 14, 14, 2; 002: 6, 9, 9, 2, 15, 10; 004: no 付議日)."""
    _, page = report
    totals = [
        int(a["data-cases"])
        for s, t, a in page.elements
        if s == "cases-per-month" and t == "text" and "data-cases" in a
    ]
    assert totals == [14, 14, 2, 6, 9, 9, 2, 15, 10, 1]


def test_top_departments(report: tuple[str, Page], con: duckdb.DuckDBPyConnection) -> None:
    _, page = report
    bars = [(a["data-label"], int(a["data-value"])) for a in page.marks("top-departments", "rect")]
    rows = con.execute(
        "SELECT municipality || ' ' || d, count(*) FROM (SELECT municipality, unnest(departments) AS d FROM cases) "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20"
    ).fetchall()
    assert bars == rows
    assert bars[:4] == [
        ("新宿区 情報システム課", 10),
        ("新宿区 医療保険年金課", 8),
        ("新宿区 行政管理課", 8),
        ("新宿区 総務課", 7),
    ]


def test_series_timelines(report: tuple[str, Page], con: duckdb.DuckDBPyConnection) -> None:
    _, page = report
    drawn: dict[str, list[str]] = {}
    for section, tag, a in page.elements:
        if section == "series" and tag == "g":
            current = a["data-series"]
            drawn[current] = []
        if section == "series" and tag == "circle":
            drawn[current].append(a["data-date"])
    stored = {
        s: [d.isoformat() for d in dates]
        for s, dates in con.execute(
            "SELECT series_id, list(deliberated_on ORDER BY deliberated_on) FROM cases GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
    }
    assert drawn == stored
    # 東京共同電子申請・届出サービス…: six meetings of 令和5年度.
    assert [
        "2023-04-03",
        "2023-05-31",
        "2023-07-28",
        "2023-09-01",
        "2023-10-20",
        "2024-01-15",
    ] in drawn.values()


def test_ingest_health(report: tuple[str, Page], con: duckdb.DuckDBPyConnection) -> None:
    _, page = report
    types = {a["data-label"]: int(a["data-value"]) for a in page.marks("ingest-health", "rect")}
    assert types == {
        "deliberation_list": 2,
        "outsourcing_report": 1,
        "review_status_report": 1,
        "incident_report": 1,
        "council_item": 1,
    }
    text = page.text["ingest-health"]
    assert "no errors in the last run" in text
    (status, seen, new) = con.execute("SELECT status, files_seen, files_new FROM ingest_runs").fetchone()  # type: ignore[misc]
    assert (status, seen, new) == ("ok", 5, 5)
    totals = next(a for _, t, a in page.elements if t == "p" and a.get("id") == "totals")
    assert (totals["data-documents"], totals["data-cases"], totals["data-ingest-errors"]) == ("6", "82", "0")


def test_page_is_self_contained(report: tuple[str, Page]) -> None:
    html, page = report
    tags = {t for _, t, _ in page.elements}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for _, _, attrs in page.elements:
        assert not {"src", "href"} & set(attrs), attrs
    for needle in ("http://", "https://", "url(", "@import", "//cdn"):
        assert needle not in html
    assert html.startswith("<!doctype html>") and "<meta charset='utf-8'>" in html


def test_a_store_without_views_says_what_to_do(tmp_path: Path) -> None:
    """A store from before the views existed: the report cannot add them (read-only), ingest can."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    for table in schema.TABLES:
        con.execute(schema.ddl(table))
    con.close()
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: the store {db} has no view v_case_departments yet; run `council ingest` once to add the views.\n"
    )


def test_missing_store(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--db", str(tmp_path / "x.duckdb"), "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2
    assert (
        result.stderr == f"Error: there is no store at {tmp_path / 'x.duckdb'}; run `council ingest` first.\n"
    )


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed here when missing (root and apt-get needed); else a clear skip."""
    if not CHROMIUM.exists() and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        ):
            try:
                subprocess.run(cmd, capture_output=True, timeout=600, check=True, env=env)
            except (subprocess.SubprocessError, OSError):
                break
    if not CHROMIUM.exists():
        pytest.skip(
            "/usr/bin/chromium is not installed and could not be installed: the page is checked by parsing only"
        )
    return CHROMIUM


def test_renders_in_headless_chromium(report: tuple[str, Page], tmp_path: Path, chromium: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(report[0], encoding="utf-8")
    dom = subprocess.run(
        [str(chromium), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    # The DOM the browser built carries the same chart marks as the page we wrote.
    rendered = Page()
    rendered.feed(dom)
    _, written = report
    for section in ("cases-per-month", "top-departments"):
        assert rendered.marks(section, "rect") == written.marks(section, "rect")
        assert rendered.marks(section, "rect")

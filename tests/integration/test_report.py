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
from pipeline.publish.charts import CHART_WIDTH
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
    cells = {
        (a["data-month"], a["data-category"]): int(a["data-value"])
        for a in page.marks("cases-per-month", "td")
    }
    # Straight from the cases table, not through the view the chart is drawn from.
    rows = con.execute(
        "SELECT coalesce(strftime(deliberated_on, '%Y-%m'), '付議日なし'), c, count(*) "
        "FROM (SELECT deliberated_on, unnest(categories) AS c FROM cases) GROUP BY ALL"
    ).fetchall()
    assert {k: n for k, n in cells.items() if n} == {(m, c): n for m, c, n in rows}
    # Counted in the printed lists (see test_views.py).
    assert cells[("2023-12", "業務委託")] == 10 and cells[("2023-10", "防犯カメラ")] == 1
    assert cells[("付議日なし", "業務委託")] == 1
    # A month without cases is a row of zeros, not a missing row.
    assert {c: n for (m, c), n in cells.items() if m == "2023-08"} == {
        "業務委託": 0,
        "外部結合": 0,
        "電算処理": 0,
        "外部提供": 0,
        "指定管理者": 0,
        "防犯カメラ": 0,
    }


def test_month_bars_are_as_long_as_their_cases(report: tuple[str, Page]) -> None:
    """One bar per month from the first 付議日 to the last, its length the month's cases (not its 区分
    entries), as counted in the printed lists (001: 14, 14, 2; 002: 6, none in August, 9, 9, 2, 15,
    10; 004: no 付議日)."""
    _, page = report
    bars = page.marks("cases-per-month", "rect")
    assert [(a["data-month"], int(a["data-value"])) for a in bars] == [
        ("2023-04", 14),
        ("2023-05", 14),
        ("2023-06", 2),
        ("2023-07", 6),
        ("2023-08", 0),
        ("2023-09", 9),
        ("2023-10", 9),
        ("2023-11", 2),
        ("2023-12", 15),
        ("2024-01", 10),
        ("付議日なし", 1),
    ]
    _assert_one_scale(bars)


def _assert_one_scale(marks: list[dict[str, str]]) -> None:
    """Every bar's length is its value on the chart's one scale (the longest bar is CHART_WIDTH)."""
    peak = max(int(a["data-value"]) for a in marks)
    for a in marks:
        assert int(a["width"]) == round(CHART_WIDTH * int(a["data-value"]) / peak), a


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


def test_outsourcing(report: tuple[str, Page]) -> None:
    _, page = report
    lists = {
        a["data-label"]: int(a["data-value"])
        for a in page.marks("outsourcing", "rect")
        if "data-segment" not in a
    }
    # 000 (新宿区, 令和3年度): (2) new Nos. 1-53, (3) not outsourced Nos. 1-24, (4) changed Nos. 1-6.
    assert lists == {"new 新規": 53, "discontinued 終了": 24, "changed 変更": 6}
    segments = [a for a in page.marks("outsourcing", "rect") if "data-segment" in a]
    by_department: dict[str, dict[str, int]] = {}
    for a in segments:
        by_department.setdefault(a["data-label"], {})[a["data-segment"]] = int(a["data-value"])
    # 保健予防課: new Nos. 30-39, and No. 18 of the not-outsourced list.
    assert next(iter(by_department.items())) == ("新宿区 保健予防課", {"new": 10, "discontinued": 1})
    assert by_department["新宿区 地域包括ケア推進課"] == {"new": 4, "changed": 3}
    totals = {
        a["data-label"]: int(a["data-total"])
        for s, t, a in page.elements
        if s == "outsourcing" and t == "text" and "data-total" in a
    }
    assert totals == {label: sum(c.values()) for label, c in by_department.items()}
    assert "新宿区 2021年度: 83 entries" in page.text["outsourcing"]


def test_sensitive_items_by_category_and_bureau(
    report: tuple[str, Page], con: duckdb.DuckDBPyConnection
) -> None:
    _, page = report
    marks = page.marks("sensitive-items", "rect")
    categories = {a["data-label"]: int(a["data-value"]) for a in marks if "data-segment" not in a}
    # 003 報告第359号 (世田谷区, 令和5年4月1日時点): the lists of 外部委託, 外部提供 and オンライン結合.
    assert categories == {"外部委託": 319, "外部提供": 58, "オンライン結合": 57}
    _assert_one_scale([a for a in marks if "data-segment" not in a])
    by_bureau: dict[str, dict[str, int]] = {}
    for a in marks:
        if "data-segment" in a:
            by_bureau.setdefault(a["data-label"], {})[a["data-segment"]] = int(a["data-value"])
    stored = con.execute(
        "SELECT coalesce(bureau, '(部なし)'), review_category, count(*) FROM sensitive_items GROUP BY ALL"
    ).fetchall()
    assert by_bureau == {b: {c: n for bb, c, n in stored if bb == b} for b in {b for b, _, _ in stored}}
    # 障害福祉部: 58 outsourced businesses and 4 online links (62 rows of the lists name it).
    assert by_bureau["障害福祉部"] == {"外部委託": 58, "オンライン結合": 4}
    assert sum(sum(c.values()) for c in by_bureau.values()) == 434


def test_incidents_with_their_course(report: tuple[str, Page]) -> None:
    _, page = report
    (article,) = [a for s, t, a in page.elements if s == "incidents" and t == "article"]
    assert (article["data-report-no"], article["data-events"]) == ("360", "7")
    # 報告第360号's 経過, each event dated in full; found out on 7月7日 (drawn larger, in red).
    events = [a["data-date"] for s, t, a in page.elements if s == "incidents" and t == "li"]
    dots = [a["data-date"] for s, t, a in page.elements if s == "incidents" and t == "circle"]
    dates = ["2023-06-26", "2023-06-27", "2023-07-03", "2023-07-07", "2023-07-10", "2023-07-27", "2023-08-04"]
    assert events == dots == dates
    found = [a for s, t, a in page.elements if s == "incidents" and t == "circle" and a["r"] == "7"]
    assert [a["data-date"] for a in found] == ["2023-07-07"]
    text = page.text["incidents"]
    assert "世田谷区 報告第360号 個人情報を含む保存期間中の文書の誤廃棄について" in text
    assert "誤廃棄" in text and "40件" in text and "精神保健相談記録" in text
    assert "2023-07-07 (+11 日)他自治体より照会があり、文書庫を確認したところ" in text


def test_suspect_documents_are_listed_with_their_failed_checks(corpus_store: Path, tmp_path: Path) -> None:
    """The corpus passes every check; a document with a failed check is listed with it."""
    html = tmp_path / "clean.html"
    assert runner.invoke(app, ["report", "--db", str(corpus_store), "--out", str(html)]).exit_code == 0
    page = Page()
    page.feed(html.read_text(encoding="utf-8"))
    assert "no suspect documents: every check passed" in page.text["suspect-documents"]
    db = tmp_path / "council.duckdb"
    shutil.copy(corpus_store, db)
    with access.writer(db) as w:
        w.execute(
            "UPDATE extraction_checks SET passed = false, found = '1..14, 5, 16..30' WHERE check_name = "
            "'numbering_contiguous' AND document_id IN (SELECT document_id FROM documents WHERE "
            "doc_type = 'deliberation_list' AND source_path LIKE '001_%')"
        )
    after = tmp_path / "after.html"
    assert runner.invoke(app, ["report", "--db", str(db), "--out", str(after)]).exit_code == 0
    page = Page()
    page.feed(after.read_text(encoding="utf-8"))
    section = page.text["suspect-documents"]
    assert "001_1994ceeb1dad16c3.txt" in section and "numbering_contiguous" in section
    assert "found 1..14, 5, 16..30" in section


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
    for section in ("cases-per-month", "top-departments", "outsourcing", "sensitive-items", "ingest-health"):
        assert rendered.marks(section, "rect") == written.marks(section, "rect")
        assert rendered.marks(section, "rect")
    assert rendered.marks("cases-per-month", "td") == written.marks("cases-per-month", "td")
    circles = [a for s, t, a in rendered.elements if s == "incidents" and t == "circle"]
    assert len(circles) == 7
    # And a picture of it: the whole page drawn, not an empty or broken one.
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1000,5200",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    image = pytest.importorskip("PIL.Image").open(shot).convert("L")
    assert image.size == (1000, 5200)
    # Ink in every band of 400 px down to the ingest-health section: no section came out blank.
    for top in range(0, 4400, 400):
        band = image.crop((0, top, 1000, top + 400))
        assert band.getextrema()[0] < 128, f"nothing drawn between {top} and {top + 400} px"

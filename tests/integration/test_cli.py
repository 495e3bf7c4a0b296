"""The CLI as users call it: exit codes, summary lines and error sentences; the store meets the contract."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from schemas import (
    CaseMention,
    Document,
    ExtractionCheck,
    Incident,
    InstitutionCount,
    OutsourcingEntry,
    SensitiveItem,
)

runner = CliRunner()
SUMMARY = re.compile(
    r"^ingest status=(\w+) run_id=\w+ files_seen=(\d+) files_new=(\d+) files_skipped=(\d+) "
    r"files_failed=(\d+) documents=(\d+) case_mentions=(\d+) cases=(\d+) suspect=(\d+) errors=(\S+)$",
    re.M,
)


@pytest.fixture()
def raw(tmp_path: Path, corpus: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(corpus / "text", raw / "text")
    return raw


def _summary(output: str) -> tuple[str, ...]:
    m = SUMMARY.search(output)
    assert m, output
    return m.groups()


def test_ingest_then_rerun_skips_everything(raw: Path, tmp_path: Path) -> None:
    db = tmp_path / "out" / "council.duckdb"
    first = runner.invoke(app, ["ingest", str(raw), "--db", str(db), "--jobs", "2"])
    assert first.exit_code == 0, first.output
    # 5 files; 003 holds two documents; 81 list cases + 1 council item.
    assert _summary(first.stdout) == ("ok", "5", "5", "0", "0", "6", "82", "82", "0", "none")
    assert "suspect" not in first.stderr
    again = runner.invoke(app, ["ingest", str(raw), "--db", str(db)])
    assert again.exit_code == 0
    assert _summary(again.stdout) == ("ok", "5", "0", "5", "0", "6", "82", "82", "0", "none")


def test_store_conforms_to_the_contract(raw: Path, tmp_path: Path) -> None:
    db = tmp_path / "council.duckdb"
    assert runner.invoke(app, ["ingest", str(raw), "--db", str(db)]).exit_code == 0
    checker = Path(__file__).resolve().parents[3] / "shared" / "tools" / "check_contract.py"
    if not checker.exists():
        pytest.skip("../shared/tools/check_contract.py is not present")
    proc = subprocess.run(
        [sys.executable, str(checker), str(db), "--all"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the store conforms to the contract" in proc.stdout


def test_a_bad_file_is_recorded_and_the_run_goes_on(raw: Path, tmp_path: Path) -> None:
    (raw / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a pdf")
    (raw / "empty.txt").write_bytes(b"")
    db = tmp_path / "council.duckdb"
    result = runner.invoke(app, ["ingest", str(raw), "--db", str(db)])
    assert result.exit_code == 1
    status, seen, new, skipped, failed, *_ = _summary(result.stdout)
    assert (status, seen, new, skipped, failed) == ("partial", "7", "5", "0", "2")
    assert (
        "failed: empty.txt [not_a_packet] empty.txt: is empty; export the packet again or remove the file."
        in result.stderr
    )
    assert "failed: broken.pdf [unreadable] broken.pdf:" in result.stderr
    out = runner.invoke(
        app,
        [
            "sql",
            "select source_path, error_kind from ingest_errors order by 1",
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert out.stdout.splitlines() == [
        "source_path,error_kind",
        "broken.pdf,unreadable",
        "empty.txt,not_a_packet",
    ]


def test_missing_raw_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: the raw folder {tmp_path / 'nope'} does not exist; give the folder of packets as RAW_DIR.\n"
    )


TABLE_MODELS = {
    "documents": Document,
    "case_mentions": CaseMention,
    "outsourcing_entries": OutsourcingEntry,
    "institution_counts": InstitutionCount,
    "sensitive_items": SensitiveItem,
    "incidents": Incident,
    "extraction_checks": ExtractionCheck,
}


def test_extract_json_validates_against_the_schemas(corpus: Path) -> None:
    counts: dict[str, int] = {}
    for path in sorted((corpus / "text").glob("*.txt")):
        result = runner.invoke(app, ["extract", str(path), "--json"])
        assert result.exit_code == 0, result.output
        for line in result.stdout.splitlines():
            rec = json.loads(line)
            TABLE_MODELS[rec["table"]].model_validate(rec["record"])
            counts[rec["table"]] = counts.get(rec["table"], 0) + 1
    assert counts == {
        "documents": 6,
        "case_mentions": 82,
        "outsourcing_entries": 83,
        "institution_counts": 102,
        "sensitive_items": 434,
        "incidents": 1,
        # 000: 10, 001: 13, 002: 13, 003: 9 + 6, 004: 3 (tests/unit/test_checks.py names them)
        "extraction_checks": 54,
    }


def test_extract_prints_a_readable_table(corpus_text, corpus: Path) -> None:
    path = next((corpus / "text").glob("001_*.txt"))
    result = runner.invoke(app, ["extract", str(path)])
    assert result.exit_code == 0
    assert (
        "deliberation_list 新宿区 令和5年度新宿区個人情報保護管理運営会議における審議案件一覧"
        in result.stdout
    )
    assert "extraction_checks: 13 of 13 passed" in result.stdout
    assert "suspect" not in result.stdout + result.stderr


def test_extract_shows_what_was_not_understood(corpus: Path, tmp_path: Path) -> None:
    """A person trying a damaged packet sees the failed checks at once, readable and as JSON lines."""
    text = next((corpus / "text").glob("001_*.txt")).read_text(encoding="utf-8")
    damaged = tmp_path / "renumbered.txt"
    # 15 printed as 3: two edits from the number its place calls for, so not read back
    damaged.write_text(text.replace("\n15\t東京共同", "\n3\t東京共同", 1), encoding="utf-8")
    result = runner.invoke(app, ["extract", str(damaged)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].endswith("fiscal_year=2023 issued_on=None suspect")
    doc_id = lines[0].split(" ")[0]
    assert "extraction_checks: 11 of 13 passed" in lines
    assert (
        f"failed {doc_id} numbering_contiguous: expected 1..30, found 1..14, 3, 16..30. The list's numbers "
        "are not 1..30: 15 missing; 3 repeated; a row may be lost, merged into its neighbour or misnumbered."
    ) in lines
    assert (
        f"notice: renumbered.txt document {doc_id} (deliberation_list) is suspect: numbering_contiguous"
        in (result.stderr)
    )
    as_json = runner.invoke(app, ["extract", str(damaged), "--json"])
    checks = [json.loads(ln)["record"] for ln in as_json.stdout.splitlines() if '"extraction_checks"' in ln]
    failed = [(c["check_name"], c["expected"], c["found"]) for c in checks if not c["passed"]]
    assert failed == [
        ("numbering_contiguous", "1..30", "1..14, 3, 16..30"),
        (
            "sheets_match_rows",
            "rows with a sheet: 30; sheets without a row: 0",
            "rows with a sheet: 29; sheets without a row: 1",
        ),
    ]


def test_extract_of_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: cannot read {tmp_path / 'missing.txt'}: No such file or directory; check the path.\n"
    )


def test_extract_of_an_unusable_file_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x81\xff\x00\x00\xfe" * 50)
    result = runner.invoke(app, ["extract", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: bad.txt: ")


def test_reextract_replaces_what_a_file_contributed(raw: Path, tmp_path: Path) -> None:
    db = tmp_path / "council.duckdb"
    assert runner.invoke(app, ["ingest", str(raw), "--db", str(db)]).exit_code == 0
    target = next((raw / "text").glob("001_*.txt"))
    # Drop the last list row: the re-extracted file contributes 29 list cases, not 30.
    text = target.read_text(encoding="utf-8").replace(
        "30\t福祉サービス第三者評価に係る業務の委託について\t保育指導課\t業務委託\t6月30日\t承認\n", ""
    )
    target.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["reextract", str(target), "--db", str(db), "--raw", str(raw)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"reextracted text/{target.name}: 1 documents"
    q = "select count(*) from case_mentions m join documents d using (document_id) where d.source_path like 'text/001%'"
    out = runner.invoke(app, ["sql", q, "--db", str(db), "--format", "csv"])
    # The sheet of No.30 is kept as a mention of its own (flagged), never dropped.
    assert out.stdout.splitlines()[1] == "30"
    flagged = runner.invoke(
        app,
        [
            "sql",
            "select seq_no, warnings[1] from case_mentions where seq_no = 30 and departments_raw is null",
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert "no list row has case number 30" in flagged.stdout


def _stored_paths(db: Path) -> list[str]:
    out = runner.invoke(
        app, ["sql", "select source_path from documents order by 1", "--db", str(db), "--format", "csv"]
    )
    return out.stdout.splitlines()[1:]


def test_reextract_defaults_to_the_raw_folder_ingest_read(raw: Path, tmp_path: Path) -> None:
    """Without --raw, the stored path stays relative to the folder the ingest read (recorded in the
    store), not to data/raw: `text/001_….txt`, not `001_….txt` (which the next ingest took for a new file)."""
    db = tmp_path / "council.duckdb"
    assert runner.invoke(app, ["ingest", str(raw), "--db", str(db)]).exit_code == 0
    recorded = runner.invoke(
        app,
        ["sql", "select value from store_state where key = 'raw_root'", "--db", str(db), "--format", "csv"],
    )
    assert recorded.stdout.splitlines() == ["value", str(raw.resolve())]
    before = _stored_paths(db)
    target = next((raw / "text").glob("001_*.txt"))
    result = runner.invoke(app, ["reextract", str(target), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"reextracted text/{target.name}: 1 documents\n"
    assert _stored_paths(db) == before
    again = runner.invoke(app, ["ingest", str(raw), "--db", str(db)])
    assert _summary(again.stdout)[:5] == ("ok", "5", "0", "5", "0")


def test_reextract_refuses_a_file_outside_the_raw_folder(raw: Path, tmp_path: Path) -> None:
    db = tmp_path / "council.duckdb"
    assert runner.invoke(app, ["ingest", str(raw), "--db", str(db)]).exit_code == 0
    outside = tmp_path / "elsewhere" / "001.txt"
    outside.parent.mkdir()
    shutil.copy(next((raw / "text").glob("001_*.txt")), outside)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    for args, root in (([], raw.resolve()), (["--raw", str(raw / "text")], raw / "text")):
        result = runner.invoke(app, ["reextract", str(outside), "--db", str(db), *args])
        assert result.exit_code == 2
        assert result.stderr == (
            f"Error: {outside} is not under the raw folder {root}; move it there, or pass the folder it "
            "was ingested from with --raw.\n"
        )
        assert result.stdout == ""
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "council.duckdb",
        "council.duckdb.ingest.lock",
        "elsewhere",
        "raw",
    ]


def test_every_command_has_help() -> None:
    for command in ("ingest", "extract", "reextract", "sql", "export", "report"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert len(result.stdout.strip()) > 50


def test_help_screens_show_values_and_defaults_without_placeholders() -> None:
    screens = {
        c: runner.invoke(app, [c, "--help"], prog_name="council").stdout
        for c in ("ingest", "extract", "reextract", "sql")
    }
    screens["council"] = runner.invoke(app, ["--help"], prog_name="council").stdout
    for name, text in screens.items():
        assert not re.search(r"<\w+>|\{\w+\}|╭", text), (name, text)
    assert "Usage: council ingest [OPTIONS] [RAW_DIR]" in screens["ingest"]
    assert "Usage: council sql [OPTIONS] QUERY\n" in screens["sql"]
    assert "Usage: council extract [OPTIONS] FILE\n" in screens["extract"]
    ingest = " ".join(screens["ingest"].split())
    for line in (
        "--db PATH The DuckDB store. [default: data/out/council.duckdb]",
        "--jobs N Parser processes; 0 = all cores. [default: 0]",
        "--reparse Re-parse every file, changed or not. --quiet",
        "--timeout S Seconds one file may take to parse (rules/limits.toml timeout_seconds). [default: 120]",
        "--lock-wait S Seconds to wait for another ingest to finish. [default: 60]",
        "--executor local|ray",
    ):
        assert line in ingest
    assert "--format table|csv|json A table, CSV or JSON lines. [default: table]" in " ".join(
        screens["sql"].split()
    )
    assert "--json JSON lines: one record per line." in " ".join(screens["extract"].split())


def test_a_bad_value_is_one_usage_error() -> None:
    result = runner.invoke(app, ["sql", "select 1", "--format", "xml"])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--format': 'xml' is not one of 'table', 'csv', 'json'.\n"
    )
    result = runner.invoke(app, ["ingest", "--jobs", "many"])
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Invalid value for '--jobs': 'many' is not an integer.\n")


def test_ingest_on_ray_without_the_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    db = tmp_path / "x.duckdb"
    r = runner.invoke(app, ["ingest", str(tmp_path), "--db", str(db), "--executor", "ray"])
    assert r.exit_code == 2
    assert (
        r.stderr == "Error: the Ray executor needs the optional extra: pip install 'council-packets[ray]'\n"
    )
    assert not db.exists()


def test_a_run_prints_its_first_notices_and_counts_the_rest(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four copies of one packet: three "same bytes" notices, of which two are printed.
    packet = sorted((raw / "text").iterdir())[0]
    for k in range(3):
        shutil.copy(packet, raw / f"copy_{k}{packet.suffix}")
    from pipeline.run.ingest import Summary

    monkeypatch.setattr(Summary, "notices_kept", 2)
    result = runner.invoke(app, ["ingest", str(raw), "--db", str(tmp_path / "council.duckdb")])
    assert result.exit_code == 0, result.output
    notices = [ln for ln in result.stderr.splitlines() if ln.startswith("notice: ")]
    assert len(notices) == 3
    assert all("same bytes as" in n for n in notices[:2])
    assert notices[2].startswith("notice: 1 more notice not shown (a run prints its first 2); ")
    assert _summary(result.stdout)[:5] == ("ok", "8", "5", "3", "0")

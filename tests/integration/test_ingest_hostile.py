"""Bad input never stops an ingest: every hostile file ends as one `ingest_errors` row a person can act on."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from ingest_support import FIXTURES, copy_corpus, deflate_zeros, pdf_with_content, query, run, snapshot

import pipeline.run.workers
from pipeline.rules import limits
from pipeline.store import access

DOCS_SQL = """SELECT d.source_path, d.doc_type, count(m.mention_id) FROM documents d
              LEFT JOIN case_mentions m USING (document_id) GROUP BY ALL ORDER BY 1, 2"""


def _bad_raw(raw: Path, corpus: Path) -> dict[str, tuple[str, str]]:
    """A folder of one good packet and every kind of bad file; returns name → (error_kind, message)."""
    raw.mkdir(parents=True)
    good = next((corpus / "text").glob("004_*.txt")).read_bytes()
    pdf = next((corpus / "pdf").glob("*.pdf")).read_bytes()
    rnd = random.Random(8)
    files = {
        "good.txt": good,
        "notes.md": "打ち合わせメモ: 来週までに資料を確認する\n".encode(),
        "empty.txt": b"",
        "empty.pdf": b"",
        "truncated.pdf": pdf[: len(pdf) // 2],
        "random.pdf": bytes(rnd.randrange(256) for _ in range(4000)),
        "random.txt": bytes(rnd.randrange(256) for _ in range(4000)),
        "nul.txt": b"\0" * 1000,
        "damaged-utf8.txt": good[:1000] + b"\xff" + good[1001:],
        "encrypted.pdf": (FIXTURES / "pdf" / "encrypted.pdf").read_bytes(),
        "scanned.pdf": (FIXTURES / "pdf" / "scanned.pdf").read_bytes(),
    }
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return {
        "empty.txt": ("not_a_packet", "empty.txt: is empty; export the packet again or remove the file."),
        "empty.pdf": ("not_a_packet", "empty.pdf: is empty; export the packet again or remove the file."),
        "truncated.pdf": (
            "unreadable",
            "truncated.pdf: is not a readable PDF (damaged or truncated); export or download it again.",
        ),
        "random.pdf": (
            "unreadable",
            "random.pdf: is not a readable PDF (damaged or truncated); export or download it again.",
        ),
        "random.txt": (
            "unreadable",
            "random.txt: is neither UTF-8, UTF-16, Shift_JIS (CP932) nor EUC-JP text; re-save it as UTF-8.",
        ),
        "nul.txt": (
            "unreadable",
            "nul.txt: is binary data, not text (it is full of NUL bytes); export the packet's text again.",
        ),
        "damaged-utf8.txt": (
            "unreadable",
            "damaged-utf8.txt: is UTF-8 text with 3 invalid byte(s), the first at byte 1000; "
            "the file is damaged: download or convert it again.",
        ),
        "encrypted.pdf": (
            "encrypted",
            "encrypted.pdf: is encrypted with a password; save an unprotected copy and ingest that.",
        ),
        "scanned.pdf": (
            "no_text_layer",
            "scanned.pdf: has 2 page(s) but no text layer (a scan); run OCR on it first.",
        ),
    }


def test_bad_files_are_recorded_and_the_run_goes_on(tmp_path: Path, corpus: Path) -> None:
    raw, db = tmp_path / "raw", tmp_path / "council.duckdb"
    expected = _bad_raw(raw, corpus)
    summary = run(raw, db)
    assert (summary.status, summary.files_seen, summary.files_new, summary.files_failed) == (
        "partial",
        11,
        2,
        9,
    )
    errors = query(db, "SELECT source_path, file_sha256 IS NOT NULL, error_kind, message FROM ingest_errors")
    assert {path: (kind, msg) for path, has_sha, kind, msg in errors if has_sha} == expected
    assert len(errors) == len(expected)
    # A text that is not a packet is kept as an `unknown` document, never dropped.
    assert query(db, DOCS_SQL) == [("good.txt", "council_item", 1), ("notes.md", "unknown", 0)]
    # Unchanged bad files are not parsed or reported again: a rerun changes nothing.
    before = snapshot(db)
    again = run(raw, db)
    assert (again.status, again.files_skipped, again.files_failed) == ("ok", 11, 0)
    assert snapshot(db) == before


# --------------------------------------------------------------------------- limits and dying parsers


def test_size_and_page_limits(tmp_path: Path, corpus: Path) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", ("004", "000"), pdf=True)
    db = tmp_path / "council.duckdb"
    summary = run(raw, db, max_file_mb=0.02, max_pages=2)
    assert (summary.files_new, summary.files_failed) == (1, 2)
    assert query(db, "SELECT source_path, error_kind, message FROM ingest_errors ORDER BY 1") == [
        (
            "pdf/001_1994ceeb1dad16c3.rendered.pdf",
            "too_large",
            "pdf/001_1994ceeb1dad16c3.rendered.pdf: is 135,513 bytes, over the 0.02 MB limit "
            "(rules/limits.toml max_file_mb); split it or raise the limit.",
        ),
        (
            "text/000_3cc04f1daad86607.txt",
            "too_large",
            "text/000_3cc04f1daad86607.txt: is 23,412 bytes, over the 0.02 MB limit "
            "(rules/limits.toml max_file_mb); split it or raise the limit.",
        ),
    ]
    # The same limits: nothing to retry. A higher size limit: both are tried again, and the PDF
    # now meets the page limit.
    assert run(raw, db, max_file_mb=0.02, max_pages=2).files_skipped == 3
    again = run(raw, db, max_file_mb=1, max_pages=2)
    assert (again.files_new, again.files_failed) == (1, 1)
    assert query(db, "SELECT message FROM ingest_errors ORDER BY rowid DESC LIMIT 1") == [
        (
            "pdf/001_1994ceeb1dad16c3.rendered.pdf: has 32 pages, over the 2-page limit "
            "(rules/limits.toml max_pages); split it or raise the limit.",
        )
    ]


_real_extract = pipeline.run.workers.extract_bytes


def _misbehaving(data: bytes, source_path: str):  # type: ignore[no-untyped-def]
    """Stands in for the parser in forked workers; the file name says how to misbehave."""
    name = Path(source_path).stem
    if name == "slow":
        time.sleep(60)
    elif name == "exits":
        os._exit(3)
    elif name == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
    elif name == "raises":
        raise ValueError("boom")
    return _real_extract(data, source_path)


def test_parsers_that_hang_die_or_raise_become_errors(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = next((corpus / "text").glob("004_*.txt")).read_bytes()
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("good", "slow", "exits", "killed", "raises"):
        (raw / f"{name}.txt").write_bytes(good + name.encode())  # distinct bytes
    # Patched before the workers fork, so they inherit it.
    monkeypatch.setattr(pipeline.run.workers, "extract_bytes", _misbehaving)
    db = tmp_path / "council.duckdb"
    started = time.monotonic()
    summary = run(raw, db, timeout=1.5, jobs=4)
    assert time.monotonic() - started < 10
    assert (summary.status, summary.files_new, summary.files_failed) == ("partial", 1, 4)
    rows = dict(
        (p, (k, m)) for p, k, m in query(db, "SELECT source_path, error_kind, message FROM ingest_errors")
    )
    cap = int(limits()["memory_mb"])
    assert rows["slow.txt"] == (
        "timeout",
        "slow.txt: parsing took longer than 1.5 s and was stopped (rules/limits.toml timeout_seconds); "
        "it is tried again on the next run.",
    )
    assert rows["exits.txt"] == (
        "crashed",
        "exits.txt: the parser process exited with code 3 before it finished; the file is probably damaged, "
        f"or needs more than the {cap} MB memory cap: check that it opens, or raise memory_mb in rules/limits.toml.",
    )
    assert rows["killed.txt"] == (
        "crashed",
        "killed.txt: the parser process was killed by SIGKILL before it finished; the file is probably "
        f"damaged, or needs more than the {cap} MB memory cap: check that it opens, or raise memory_mb in "
        "rules/limits.toml.",
    )
    kind, message = rows["raises.txt"]
    assert kind == "parse_error"
    assert message.startswith("raises.txt: the parser failed (ValueError at test_ingest_hostile.py:")
    assert message.endswith(": boom); report the file to the pipeline's maintainers.")
    assert query(db, "SELECT source_path FROM documents") == [("good.txt",)]
    # A timeout may have been a busy machine: it is the one kind tried again on an unchanged file.
    again = run(raw, db, timeout=1.5, jobs=4)
    assert (again.files_skipped, again.files_failed, dict(again.errors)) == (4, 1, {"timeout": 1})


def test_a_flate_bomb_hits_the_memory_cap_not_the_run(tmp_path: Path, corpus: Path) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", ("004",))
    bomb = pdf_with_content(deflate_zeros(2 << 30))  # ~2 MB that inflate to 2 GiB
    assert len(bomb) < 3_000_000
    (raw / "bomb.pdf").write_bytes(bomb)
    db = tmp_path / "council.duckdb"
    summary = run(raw, db)  # the memory cap of rules/limits.toml
    assert (summary.status, summary.files_new, summary.files_failed) == ("partial", 1, 1)
    ((kind, message),) = query(db, "SELECT error_kind, message FROM ingest_errors")
    cap = int(limits()["memory_mb"])
    # PDFium aborts when an allocation fails; Python code would raise MemoryError instead.
    assert (kind, message) in {
        (
            "crashed",
            "bomb.pdf: the parser process was killed by SIGABRT before it finished; the file is probably "
            f"damaged, or needs more than the {cap} MB memory cap: check that it opens, or raise memory_mb in "
            "rules/limits.toml.",
        ),
        (
            "too_large",
            f"bomb.pdf: needs more than {cap} MB to parse (rules/limits.toml memory_mb); the file is "
            "probably damaged or hostile: remove it, or raise the limit if it is a real packet.",
        ),
    }


def test_the_raw_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(access.StoreError, match=r"the raw folder .*/nowhere does not exist"):
        run(tmp_path / "nowhere", tmp_path / "council.duckdb")

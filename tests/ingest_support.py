"""Helpers of the ingest tests: run an ingest, snapshot the contract tables, build hostile files."""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from pipeline.run import ingest
from pipeline.store import access, schema

CONTRACT_TABLES = tuple(schema.TABLES)
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(raw: Path, db: Path, **options: Any) -> ingest.Summary:
    options.setdefault("jobs", 2)
    return ingest.ingest(ingest.Options(raw_dir=raw, db=db, **options))


def snapshot(
    db: Path, skip: tuple[str, ...] = ("ingest_runs",), drop: tuple[str, ...] = ()
) -> dict[str, list[tuple[Any, ...]]]:
    """Every contract table (but `skip`) as sorted rows, without the columns in `drop`."""
    out = {}
    with access.reader(db) as con:
        for table in CONTRACT_TABLES:
            if table in skip:
                continue
            cols = [c for c in schema.TABLES[table].model_fields if c not in drop]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
    return out


def orphans(db: Path) -> dict[str, int]:
    """Rows that point at something no longer in the store; all zero in a healthy store."""
    checks = {
        f"{t}.document_id": f"SELECT count(*) FROM {t} WHERE document_id NOT IN (SELECT document_id FROM documents)"
        for t in schema.FILE_TABLES
    }
    checks["case_mentions.case_id"] = (
        "SELECT count(*) FROM case_mentions WHERE case_id IS NULL OR case_id NOT IN (SELECT case_id FROM cases)"
    )
    checks["cases.document_ids"] = (
        "SELECT count(*) FROM (SELECT unnest(document_ids) AS d FROM cases) "
        "WHERE d NOT IN (SELECT document_id FROM documents)"
    )
    checks["case_links"] = (
        "SELECT count(*) FROM case_links WHERE left_mention_id NOT IN (SELECT mention_id FROM case_mentions) "
        "OR right_mention_id NOT IN (SELECT mention_id FROM case_mentions)"
    )
    with access.reader(db) as con:
        return {name: con.execute(sql).fetchall()[0][0] for name, sql in checks.items()}


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with access.reader(db) as con:
        return con.execute(sql, params or []).fetchall()


def copy_corpus(corpus: Path, raw: Path, prefixes: tuple[str, ...] = (), pdf: bool = False) -> Path:
    """Corpus text files (those starting with one of `prefixes`, or all) into raw/text/, the PDF into raw/pdf/."""
    (raw / "text").mkdir(parents=True, exist_ok=True)
    for f in sorted((corpus / "text").glob("*.txt")):
        if not prefixes or f.name.startswith(prefixes):
            shutil.copy(f, raw / "text" / f.name)
    if pdf:
        (raw / "pdf").mkdir(parents=True, exist_ok=True)
        for f in sorted((corpus / "pdf").glob("*.pdf")):
            shutil.copy(f, raw / "pdf" / f.name)
    return raw


def deflate_zeros(total: int, chunk: int = 64 << 20) -> bytes:
    """A zlib stream of `total` zero bytes, built in well under a second: after a full flush the
    compressor has no history, so every further chunk compresses to the same bytes."""
    c = zlib.compressobj(9)
    first = c.compress(b"\0" * chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(b"\0" * chunk) + c.flush(zlib.Z_FULL_FLUSH)
    n = total // chunk
    adler = (n * chunk) % 65521 << 16 | 1  # Adler-32 of n*chunk zero bytes
    return first + again * (n - 1) + b"\x03\x00" + struct.pack(">I", adler)


def pdf_with_content(stream: bytes, filtered: bool = True) -> bytes:
    """A one-page PDF whose page content is `stream` (FlateDecode when `filtered`)."""
    flt = b" /Filter /FlateDecode" if filtered else b""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), flt) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def many_packets(corpus: Path, raw: Path, copies: int, pdf: bool = True) -> Path:
    """`copies` distinct versions of every corpus file: each copy has a line appended, so its sha256
    (and its document ids) differ while it parses to the same records."""
    sources = sorted((corpus / "text").glob("*.txt")) + (
        sorted((corpus / "pdf").glob("*.pdf")) if pdf else []
    )
    for k in range(copies):
        folder = raw / f"batch{k:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for src in sources:
            data = src.read_bytes()
            # After %%EOF a PDF reader ignores a comment line; a text file gains a last line.
            tail = f"\n% copy {k}\n" if src.suffix == ".pdf" else f"\n\n(写し{k})\n"
            (folder / src.name).write_bytes(data + tail.encode())
    return raw


def load_make_corpus() -> Any:
    """bench/make_corpus.py as a module (bench/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "bench" / "make_corpus.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


def start_ingest(raw: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    """`council ingest` as cron runs it, in a process of its own, with two parsers."""
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "cli.py"),
            "ingest",
            str(raw),
            "--db",
            str(db),
            "--jobs",
            "2",
            "--quiet",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def descendants(pid: int) -> list[int]:
    """Every process below `pid`: the zygote the parsers are forked from, and the parsers."""
    try:
        direct = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return direct + [p for c in direct for p in descendants(c)]

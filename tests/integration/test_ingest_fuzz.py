"""Fuzz: hundreds of damaged copies of the corpus in one run. The run survives, every file ends loaded
or in ingest_errors, and nothing loaded before changes."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ingest_support import copy_corpus, query, run

from pipeline.store import schema

N_MUTANTS = 200
SEED = 20240801


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 3, 30, 300))):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    rng.shuffle(lines)
    return b"\n".join(lines)


def _cut_out(rng: random.Random, data: bytes) -> bytes:
    a = rng.randrange(len(data))
    return data[:a] + data[a + rng.randrange(1, 20_000) :]


def _reencode(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return text.encode(rng.choice(("cp932", "utf-16", "utf-16-le", "utf-16-be", "euc-jp")), errors="replace")


def _nuls(rng: random.Random, data: bytes) -> bytes:
    a = rng.randrange(len(data))
    return data[:a] + b"\0" * rng.randrange(1, 5000) + data[a:]


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "truncated": _truncate,
    "flipped": _flip,
    "shuffled": _shuffle_lines,
    "cut": _cut_out,
    "reencoded": _reencode,
    "nuls": _nuls,
}


def _mutants(corpus: Path, raw: Path) -> list[str]:
    rng = random.Random(SEED)
    sources = sorted((corpus / "text").glob("*.txt")) + sorted((corpus / "pdf").glob("*.pdf"))
    originals = {src: src.read_bytes() for src in sources}
    seen = {hashlib.sha256(d).hexdigest() for d in originals.values()}
    names: list[str] = []
    (raw / "fuzz").mkdir()
    while len(names) < N_MUTANTS:
        src = rng.choice(sources)
        kind = rng.choice(list(MUTATIONS))
        data = MUTATIONS[kind](rng, originals[src])
        if src.suffix == ".pdf" and kind in ("shuffled", "reencoded"):
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in seen:  # a copy of a file already there is stored once, not the point here
            continue
        seen.add(sha)
        # Now and then a name that lies about the content.
        suffix = rng.choice((".txt", ".md", ".pdf")) if rng.random() < 0.1 else src.suffix
        name = f"fuzz/{len(names):03d}_{kind}_{src.name[:3]}{suffix}"
        (raw / name).write_bytes(data)
        names.append(name)
    return names


def _loaded_rows(db: Path, doc_ids: list[str]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the given documents, in every per-file table (case ids aside: dedupe may regroup)."""
    marks = ",".join("?" * len(doc_ids))
    out = {}
    for table in ("documents", *schema.FILE_TABLES):
        cols = [c for c in schema.TABLES[table].model_fields if c not in ("case_id",)]
        rows = query(db, f"SELECT {', '.join(cols)} FROM {table} WHERE document_id IN ({marks})", doc_ids)
        out[table] = sorted(rows, key=repr)
    return out


def test_hundreds_of_damaged_files_never_stop_the_run(tmp_path: Path, corpus: Path) -> None:
    raw = copy_corpus(corpus, tmp_path / "raw", pdf=True)
    db = tmp_path / "council.duckdb"
    run(raw, db)
    doc_ids = [d for (d,) in query(db, "SELECT document_id FROM documents")]
    before = _loaded_rows(db, doc_ids)
    names = _mutants(corpus, raw)

    summary = run(raw, db, jobs=2, timeout=20)

    assert (summary.files_seen, summary.files_skipped) == (6 + N_MUTANTS, 6)
    assert summary.files_new + summary.files_failed == N_MUTANTS
    loaded = {p for (p,) in query(db, "SELECT DISTINCT source_path FROM documents")}
    failed = {
        p for (p,) in query(db, "SELECT source_path FROM ingest_errors WHERE run_id = ?", [summary.run_id])
    }
    assert not loaded & failed
    assert set(names) <= loaded | failed
    assert len(failed) == summary.files_failed
    assert _loaded_rows(db, doc_ids) == before
    # Every error is a sentence about its own file.
    for path, kind, message in query(db, "SELECT source_path, error_kind, message FROM ingest_errors"):
        assert message.startswith(f"{path}: ") and message.endswith("."), (kind, message)
    # The mix the seed produced, so a change in it is noticed (and the fuzz is not all one outcome).
    kinds = Counter(k for (k,) in query(db, "SELECT error_kind FROM ingest_errors"))
    assert summary.files_new > N_MUTANTS // 4 and summary.files_failed > N_MUTANTS // 10, (
        summary.files_new,
        kinds,
    )
    assert set(kinds) <= {"unreadable", "not_a_packet", "no_text_layer", "parse_error", "load_error"}, kinds

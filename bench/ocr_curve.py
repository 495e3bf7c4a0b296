"""The OCR-damage curve: how much of each corpus packet the pipeline still reads as damage grows.

    .venv/bin/python bench/ocr_curve.py                  # 3 seeds, rates 0 / 0.5 / 1 / 2 / 5 %
    .venv/bin/python bench/ocr_curve.py --seeds 2 --files 002 --rates 0.02

For each corpus text file and each (rate, seed), the file is damaged with `ocr_damage.damage` and
both copies go through `pipeline.extract.extract_bytes`, each in a forked child with a wall-clock
limit, so a damaged file that hangs costs its limit and nothing else. The clean extraction is the
truth (it is golden-tested). Records of the damaged one are aligned to it by key (`KEYS`), then,
per document type:
- rows found / rows expected (a row whose key was damaged is not found; damaged rows that match no
  clean row are counted as `extra`);
- structured-field accuracy and free-text accuracy, apart (`FIELDS`), over the rows found: a field
  counts where either side has a value, so fields that are always empty do not pad the score;
  free text also gets a mean similarity (rapidfuzz ratio), since it is kept as printed and an exact
  match falls with any damage;
- parse seconds clean vs damaged, wall clock (what the limit applies to) and CPU time of the child
  (what a busy machine does not inflate), and whether the damaged file timed out or raised.
Writes bench/results/ocr_curve.json and prints Markdown tables.

To reproduce one case: `bench/ocr_damage.py FILE --rate R --seed S > x.txt; council extract x.txt`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ocr_damage import damage  # noqa: E402

import schemas  # noqa: E402
from pipeline.extract import extract_bytes  # noqa: E402

RATES = (0.0, 0.005, 0.01, 0.02, 0.05)
CLEAN_REPS = 3
TABLES = (
    "documents",
    "case_mentions",
    "outsourcing_entries",
    "institution_counts",
    "sensitive_items",
    "incidents",
)

K, S, F, X = "key", "structured", "free", "ignored"
# Every column of every table, classified. Structured = values an analyst filters or sums on, which
# issue 17 wants read through damage; free = text kept as printed (including the `*_raw` columns,
# which keep the printed form by contract); key = used to align the rows (their damage shows as a
# lost row); ignored = provenance and identity, which a damaged copy changes by design (a new
# sha256, new ids) or which are not read from the text at all.
FIELDS: dict[str, dict[str, str]] = {
    "documents": {
        "document_id": X, "file_sha256": X, "source_path": X, "source_format": X, "encoding": X,
        "municipality": S, "doc_type": S, "report_no": S, "title": F, "issued_on": S, "fiscal_year": S,
        "period_start": S, "period_end": S, "page_count": X, "text": X, "parser_version": X,
        "ingested_at": X, "warnings": X, "suspect": X,
    },
    "case_mentions": {
        "mention_id": X, "document_id": K, "case_id": X, "seq_no": K, "title": F, "departments": S,
        "departments_raw": F, "unnamed_department_count": S, "categories": S, "deliberated_on": S,
        "result": S, "program_name": F, "detail_departments_raw": F, "purpose": F, "target": F,
        "summary": F, "target_count": S, "target_count_unit": S, "page_start": X, "page_end": X,
        "line_start": X, "line_end": X, "warnings": X,
    },
    "outsourcing_entries": {
        "document_id": K, "section": K, "seq_no": K, "department": S, "registration_numbers": S,
        "business_name": F, "content": F, "specific_personal_info": S, "start_fiscal_year": S,
        "end_fiscal_year": S, "change_fiscal_year": S, "reason": F, "warnings": X,
    },
    "institution_counts": {
        "document_id": K, "table_name": K, "institution": K, "metric": K, "value": S,
    },
    "sensitive_items": {
        "document_id": K, "seq_no": K, "review_category": K, "description": F, "department": S,
        "bureau": S, "institution": S, "sensitive": S, "ordinance_sensitive": S, "extra": F, "warnings": X,
    },
    "incidents": {
        "document_id": K, "report_no": S, "title": F, "departments": S, "incident_kind": S,
        "affected_count": S, "affected_unit": S, "records": F, "occurred_on": S, "discovered_on": S,
        # the 経過 is split: its dates are structured, its sentences are text
        "events": X, "events.date": S, "events.text": F,
    },
}  # fmt: skip

MODELS = {
    "documents": schemas.Document,
    "case_mentions": schemas.CaseMention,
    "outsourcing_entries": schemas.OutsourcingEntry,
    "institution_counts": schemas.InstitutionCount,
    "sensitive_items": schemas.SensitiveItem,
    "incidents": schemas.Incident,
}


def _value(row: Any, name: str) -> Any:
    if name == "events.date":
        return [e.date for e in row.events]
    if name == "events.text":
        return [e.text for e in row.events]
    return getattr(row, name)


def _has_value(v: Any) -> bool:
    return v is not None and v != "" and v != []


def _as_text(v: Any) -> str:
    if v is None:
        return ""
    return "\n".join(map(str, v)) if isinstance(v, list) else str(v)


# How rows are aligned: (document position, what identifies the row inside its document). Rows
# keyed by position use their ordinal among the rows of the same document.
KEYS: dict[str, Callable[[Any], tuple[Any, ...]] | None] = {
    "documents": None,
    "case_mentions": lambda r: (r.seq_no,),
    "outsourcing_entries": lambda r: (r.section, r.seq_no),
    "institution_counts": lambda r: (r.table_name, r.institution, r.metric),
    "sensitive_items": lambda r: (r.review_category, r.seq_no),
    "incidents": None,
}


@dataclass
class FieldTally:
    correct: int = 0
    compared: int = 0
    similarity: float = 0.0  # sum of rapidfuzz ratios / 100, for free text


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    extra: int = 0
    # structured values of the rows not found: the per-file score counts them as misread
    lost_structured: int = 0
    fields: dict[str, FieldTally] = field(default_factory=lambda: defaultdict(FieldTally))

    def add(self, other: Tally) -> None:
        self.expected += other.expected
        self.found += other.found
        self.extra += other.extra
        self.lost_structured += other.lost_structured
        for name, ft in other.fields.items():
            mine = self.fields[name]
            mine.correct += ft.correct
            mine.compared += ft.compared
            mine.similarity += ft.similarity

    def accuracy(self, kind: str, table: str | None = None) -> float | None:
        """Share of compared fields of this kind (structured / free) that came out right."""
        correct = compared = 0
        for name, ft in self.fields.items():
            t, f = name.split(":", 1)
            if FIELDS[t][f] == kind and table in (None, t):
                correct += ft.correct
                compared += ft.compared
        return correct / compared if compared else None

    def free_similarity(self) -> float | None:
        sim = compared = 0.0
        for name, ft in self.fields.items():
            t, f = name.split(":", 1)
            if FIELDS[t][f] == F:
                sim += ft.similarity
                compared += ft.compared
        return sim / compared if compared else None


def _keyed(fx: schemas.FileExtraction, table: str) -> dict[tuple[Any, ...], list[Any]]:
    """Rows of one table grouped by alignment key (document position first)."""
    docpos = {d.document_id: i for i, d in enumerate(fx.documents)}
    rows = getattr(fx, table)
    out: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    if table == "documents":
        for i, r in enumerate(rows):
            out[(i,)].append(r)
        return out
    key = KEYS[table]
    ordinal: dict[int, int] = defaultdict(int)
    for r in rows:
        pos = docpos.get(r.document_id, -1)
        if key is None or (table == "case_mentions" and r.seq_no is None):
            # by position: a council_item's mention has no number
            out[(pos, "#", ordinal[pos])].append(r)
            ordinal[pos] += 1
        else:
            out[(pos, *key(r))].append(r)
    return out


def _compare(table: str, clean: Any, dmg: Any, tally: Tally) -> None:
    for name, kind in FIELDS[table].items():
        if kind not in (S, F):
            continue
        a, b = _value(clean, name), _value(dmg, name)
        if not (_has_value(a) or _has_value(b)):
            continue
        ft = tally.fields[f"{table}:{name}"]
        ft.compared += 1
        ft.correct += a == b
        if kind == F:
            ft.similarity += fuzz.ratio(_as_text(a), _as_text(b)) / 100


def _agreement(table: str, a: Any, b: Any) -> int:
    return sum(_value(a, n) == _value(b, n) for n, k in FIELDS[table].items() if k in (S, F))


def score(
    clean: schemas.FileExtraction, damaged: schemas.FileExtraction | None
) -> dict[str, dict[str, Tally]]:
    """Tallies per document type (of the clean document a row belongs to) and table.

    `damaged=None` (the file timed out or raised) finds nothing.
    """
    types = [d.doc_type for d in clean.documents]
    dtypes = [d.doc_type for d in damaged.documents] if damaged else []
    out: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))

    def doc_type(pos: int) -> str:
        if 0 <= pos < len(types):
            return types[pos]
        return dtypes[pos] if 0 <= pos < len(dtypes) else "unknown"

    for table in TABLES:
        want = _keyed(clean, table)
        got = _keyed(damaged, table) if damaged else {}
        for key, rows in want.items():
            tally = out[doc_type(key[0])][table]
            pool = list(got.get(key, []))
            for c in rows:
                tally.expected += 1
                if not pool:
                    tally.lost_structured += sum(
                        k == S and _has_value(_value(c, n)) for n, k in FIELDS[table].items()
                    )
                    continue
                # a repeated key (a renumbered row): the copy that agrees most is the row's reading
                best = max(pool, key=lambda d, c=c: _agreement(table, c, d))
                pool.remove(best)
                tally.found += 1
                _compare(table, c, best, tally)
            tally.extra += len(pool)
        for key, rows in got.items():
            if key not in want:
                out[doc_type(key[0])][table].extra += len(rows)
    return out


# --- running extractions with a limit ---------------------------------------------------------


def _child(conn: Any, data: bytes, name: str) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        fx = extract_bytes(data, name)
        conn.send(("ok", time.perf_counter() - t0, time.process_time() - c0, fx, None))
    except BaseException as exc:  # the bench reports whatever a damaged file raises
        err = f"{type(exc).__name__}: {exc}"
        conn.send(("error", time.perf_counter() - t0, time.process_time() - c0, None, err))
    finally:
        conn.close()


def _cpu_seconds(pid: int) -> float | None:
    """CPU time a live process has used so far (Linux), for a child about to be killed."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Run:
    status: str  # ok | timeout | error | crashed
    seconds: float  # wall clock: what the limit applies to
    cpu_seconds: float | None  # of the child alone: what a busy machine does not inflate
    extraction: schemas.FileExtraction | None
    error: str | None = None


def run_limited(data: bytes, name: str, timeout: float) -> Run:
    """extract_bytes in a forked child: a hang is killed at `timeout`, a crash is reported."""
    ctx = mp.get_context("fork")  # the child inherits the warmed caches: its time is parse time
    parent, child = ctx.Pipe(duplex=False)
    t0 = time.perf_counter()
    p = ctx.Process(target=_child, args=(child, data, name), daemon=True)
    p.start()
    child.close()
    try:
        if not parent.poll(timeout):
            cpu = _cpu_seconds(p.pid) if p.pid else None
            p.kill()
            return Run("timeout", time.perf_counter() - t0, cpu, None, f"no result within {timeout:g} s")
        try:
            status, secs, cpu, fx, err = parent.recv()
        except EOFError:
            wall = time.perf_counter() - t0
            return Run("crashed", wall, None, None, f"child exited with code {p.exitcode}")
        return Run(status, secs, cpu, fx, err)
    finally:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join()
        parent.close()


# --- the bench ----------------------------------------------------------------------------------


def _tally_json(t: Tally) -> dict[str, Any]:
    return {
        "expected": t.expected,
        "found": t.found,
        "extra": t.extra,
        "lost_structured": t.lost_structured,
        "structured_accuracy": t.accuracy(S),
        "free_exact": t.accuracy(F),
        "free_similarity": t.free_similarity(),
        "fields": {k: asdict(v) for k, v in sorted(t.fields.items())},
    }


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _pct(rate: float) -> str:
    return f"{rate * 100:g} %"


def bench(corpus: Path, files: list[str], rates: list[float], seeds: int, timeout: float) -> dict[str, Any]:
    paths = sorted(p for p in (corpus / "text").glob("*.txt") if not files or p.name[:3] in files)
    if not paths:
        sys.exit(f"no corpus text files under {corpus / 'text'}")
    # Fill the pipeline's caches (rules, every ward's registry) in the parent, so every forked
    # child starts warm and its time is parse time.
    for path in paths:
        extract_bytes(path.read_bytes(), path.name)
    runs: list[dict[str, Any]] = []
    totals: dict[tuple[str, float], dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    parser_version = None
    for path in paths:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
        truth = run_limited(data, path.name, timeout)
        if truth.extraction is None:
            sys.exit(f"{path.name}: the clean file did not parse ({truth.status}: {truth.error})")
        # a clean parse takes 0.02–0.6 s: one timing is too noisy to divide by
        reps = [truth, *(run_limited(data, path.name, timeout) for _ in range(CLEAN_REPS - 1))]
        clean_seconds = statistics.median(r.seconds for r in reps)
        clean_cpu = statistics.median(r.cpu_seconds or 0.0 for r in reps)
        parser_version = parser_version or next((d.parser_version for d in truth.extraction.documents), None)
        print(f"{path.name}: clean {clean_seconds:.2f} s, {clean_cpu:.2f} cpu-s", file=sys.stderr)
        for rate in rates:
            for seed in range(1, seeds + 1):
                dmg = damage(text, rate, seed).encode("utf-8")
                r = run_limited(dmg, path.name, timeout)
                tallies = score(truth.extraction, r.extraction)
                for dt_, per_table in tallies.items():
                    for table, t in per_table.items():
                        totals[(dt_, rate)][table].add(t)
                runs.append(
                    {
                        "file": path.name,
                        "rate": rate,
                        "seed": seed,
                        "status": r.status,
                        "error": r.error,
                        "clean_seconds": clean_seconds,
                        "seconds": r.seconds,
                        "ratio": r.seconds / clean_seconds,
                        "clean_cpu_seconds": clean_cpu,
                        "cpu_seconds": r.cpu_seconds,
                        "cpu_ratio": r.cpu_seconds / clean_cpu
                        if r.cpu_seconds is not None and clean_cpu
                        else None,
                        "tallies": {
                            d: {t: _tally_json(v) for t, v in pt.items()} for d, pt in tallies.items()
                        },
                    }
                )
                print(
                    f"  rate {_pct(rate)} seed {seed}: {r.status} {r.seconds:.2f} s, {r.cpu_seconds or 0:.2f} cpu-s"
                    + (f" ({r.error})" if r.error else ""),
                    file=sys.stderr,
                )
    summary = []
    for (dt_, rate), per_table in sorted(totals.items()):
        total = Tally()
        for t in per_table.values():
            total.add(t)
        summary.append(
            {
                "doc_type": dt_,
                "rate": rate,
                **{k: v for k, v in _tally_json(total).items() if k != "fields"},
                "tables": {t: _tally_json(v) for t, v in sorted(per_table.items())},
            }
        )
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": _git_head(),
        "parser_version": parser_version,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "settings": {
            "rates": rates,
            "seeds": seeds,
            "timeout_seconds": timeout,
            "files": [p.name for p in paths],
        },
        "summary": summary,
        "runs": runs,
    }


def _git_head() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def strict_accuracy(run: dict[str, Any]) -> float | None:
    """A file's structured fields read right, over those of the clean copy: over the rows found, plus
    every structured value of a row not found (a lost row is as wrong as a misread one)."""
    correct = compared = 0
    for per_table in run["tallies"].values():
        for table, t in per_table.items():
            compared += t.get("lost_structured", 0)
            for name, ft in t["fields"].items():
                if FIELDS[table][name.split(":", 1)[1]] == S:
                    correct += ft["correct"]
                    compared += ft["compared"]
    return correct / compared if compared else None


def markdown(result: dict[str, Any]) -> str:
    rates = result["settings"]["rates"]
    seeds = result["settings"]["seeds"]
    by = {(s["doc_type"], s["rate"]): s for s in result["summary"]}
    types = sorted({s["doc_type"] for s in result["summary"]})
    head = " | ".join(_pct(r) for r in rates)
    rule = "---|" * len(rates)
    lines: list[str] = []

    def pivot(title: str, cell: Callable[[dict[str, Any]], str]) -> None:
        lines.extend(["", title, "", f"| doc type | {head} |", f"|---|{rule}"])
        for t in types:
            cells = [cell(by[(t, r)]) if (t, r) in by else "" for r in rates]
            lines.append(f"| {t} | " + " | ".join(cells) + " |")

    pivot(
        f"Rows found / rows expected (all tables of the type, summed over {seeds} seeds; + extra rows)",
        lambda s: f"{s['found']}/{s['expected']}" + (f" +{s['extra']}" if s["extra"] else ""),
    )
    pivot("Structured-field accuracy (over the rows found)", lambda s: _fmt(s["structured_accuracy"]))
    pivot(
        "Free text: exact match (mean similarity)",
        lambda s: f"{_fmt(s['free_exact'])} ({_fmt(s['free_similarity'])})",
    )

    # Structured fields one by one, to see which collapse first.
    lines.extend(["", "Structured fields one by one (accuracy over the rows found)", ""])
    lines.extend([f"| doc type | field | {head} |", f"|---|---|{rule}"])
    for t in types:
        names = sorted(
            {
                (table, name)
                for r in rates
                for table, tt in by.get((t, r), {}).get("tables", {}).items()
                for name in tt["fields"]
                if FIELDS[table][name.split(":", 1)[1]] == S
            }
        )
        for table, name in names:
            cells = []
            for r in rates:
                ft = by.get((t, r), {}).get("tables", {}).get(table, {}).get("fields", {}).get(name)
                cells.append(_fmt(ft["correct"] / ft["compared"]) if ft and ft["compared"] else "–")
            lines.append(f"| {t} | {name.replace(':', '.')} | " + " | ".join(cells) + " |")

    lines.extend(["", "Rows found / rows expected per file (every table, summed over the seeds)", ""])
    lines.extend([f"| file | {head} |", f"|---|{rule}"])
    for f in result["settings"]["files"]:
        cells = []
        for r in rates:
            tallies = [
                t
                for x in result["runs"]
                if x["file"] == f and x["rate"] == r
                for per_table in x["tallies"].values()
                for t in per_table.values()
            ]
            cells.append(f"{sum(t['found'] for t in tallies)}/{sum(t['expected'] for t in tallies)}")
        lines.append(f"| {f[:3]} | " + " | ".join(cells) + " |")

    lines.extend(
        [
            "",
            "Structured fields per file, rows lost counted as misread: worst seed (mean over the seeds)",
            "",
        ]
    )
    lines.extend([f"| file | {head} |", f"|---|{rule}"])
    for f in result["settings"]["files"]:
        cells = []
        for r in rates:
            scores = [strict_accuracy(x) for x in result["runs"] if x["file"] == f and x["rate"] == r]
            known = [a for a in scores if a is not None]
            cells.append(f"{min(known):.3f} ({statistics.mean(known):.3f})" if known else "–")
        lines.append(f"| {f[:3]} | " + " | ".join(cells) + " |")

    lines.extend(
        [
            "",
            "Parse CPU time: clean CPU seconds; damaged / clean (median, max over seeds); "
            "failures with their wall and CPU seconds",
            "",
        ]
    )
    lines.extend([f"| file | clean cpu-s | {head} |", f"|---|---|{rule}"])
    for f in result["settings"]["files"]:
        rs = [x for x in result["runs"] if x["file"] == f]
        cells = []
        for r in rates:
            xs = [x for x in rs if x["rate"] == r]
            ratios = [x["cpu_ratio"] for x in xs if x["status"] == "ok" and x["cpu_ratio"] is not None]
            parts = [f"×{statistics.median(ratios):.1f}, ×{max(ratios):.1f}"] if ratios else []
            parts += [
                f"**{x['status']}** (seed {x['seed']}, {x['seconds']:.0f} s, {x['cpu_seconds'] or 0:.0f} cpu-s)"
                for x in xs
                if x["status"] != "ok"
            ]
            cells.append(", ".join(parts))
        lines.append(f"| {f[:3]} | {rs[0]['clean_cpu_seconds']:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines).strip()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 1..N per rate")
    ap.add_argument("--rates", default=",".join(map(str, RATES)), help="fractions, comma-separated")
    ap.add_argument("--files", default="", help="corpus file prefixes, comma-separated (default: all)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per extraction")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ocr_curve.json")
    args = ap.parse_args(argv)
    files = [f for f in args.files.split(",") if f]
    rates = [float(r) for r in args.rates.split(",")]
    result = bench(args.corpus, files, rates, args.seeds, args.timeout)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )
    print(markdown(result))
    print(f"\nwritten to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

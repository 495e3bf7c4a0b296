"""Field accuracy of the PDF reader on the generated layouts (issue 15).

    python bench/layout_accuracy.py [--dir tests/fixtures/layouts] [--out bench/results/layouts.json]

Each PDF listed in the directory's manifest.json is read with `extract_bytes`; its case mentions are
aligned with the layout's truth (tests/tools/make_layouts.py) by seq_no. A missing case counts every
one of its fields wrong; mentions with no seq_no or a seq_no seen twice are reported as extra. List
fields and sheet fields are scored apart (sheet fields only over cases the layout prints a sheet for,
plus any sheet value read for a case that has none). Prints a Markdown table per family and per
file; writes the details as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import schemas  # noqa: E402
from pipeline.extract import extract_bytes  # noqa: E402

# The case fields as schemas defines them; seq_no aligns a case with its truth and is not scored.
LIST_FIELDS = [f for f in schemas.LIST_FIELDS if f != "seq_no"]
SHEET_FIELDS = list(schemas.SHEET_FIELDS)
# The knobs of tests/tools/make_layouts.Layout other than the family's.
KNOBS = [
    "face",
    "embed",
    "source",
    "title",
    "cols",
    "words",
    "date",
    "num",
    "fullwidth",
    "narrow",
    "justify",
    "split_rows",
    "repeat_header",
    "cover",
    "furniture",
    "sheets",
    "sheet_rules",
]
DEFAULT_DIR = ROOT / "tests" / "fixtures" / "layouts"


def load(directory: Path) -> tuple[list[dict], list[dict]]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    truth = [json.loads(line) for line in (directory / "truth.jsonl").open(encoding="utf-8")]
    return manifest, truth


def layout_truth(truth: list[dict], layout: dict) -> list[dict]:
    """The records a layout must extract to (the same rule as make_layouts.layout_truth)."""
    out = []
    for rec in truth:
        if rec["source"] != layout["source"] or (layout["rows"] and rec["seq_no"] > layout["rows"]):
            continue
        sheet = rec["sheet"] if rec["seq_no"] in layout["sheet_seqs"] else None
        row = {"seq_no": rec["seq_no"], **{f: rec[f] for f in LIST_FIELDS}}
        row.update({f: (sheet or {}).get(f) for f in SHEET_FIELDS})
        out.append(row)
    return out


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def extracted(path: Path) -> list[dict]:
    fx = extract_bytes(path.read_bytes(), path.name)
    return [
        {k: _plain(v) for k, v in m.model_dump(include={"seq_no", *LIST_FIELDS, *SHEET_FIELDS}).items()}
        for m in fx.case_mentions
    ]


def score(expected: list[dict], got: list[dict]) -> dict:
    """Align by seq_no and count right fields; keep every wrong value for the report."""
    by_no: dict[int, dict] = {}
    extra: list[Any] = []
    for m in got:
        if m["seq_no"] is None or m["seq_no"] in by_no:
            extra.append(m["seq_no"])
        else:
            by_no[m["seq_no"]] = m
    known = {t["seq_no"] for t in expected}
    extra += sorted(n for n in by_no if n not in known)
    out: dict[str, Any] = {"cases": len(expected), "missing": [], "extra": extra, "wrong": []}
    right = {"list": 0, "sheet": 0}
    total = {"list": 0, "sheet": 0}
    for t in expected:
        m = by_no.get(t["seq_no"])
        if m is None:
            out["missing"].append(t["seq_no"])
        has_sheet = t["program_name"] is not None
        for kind, fields in (("list", LIST_FIELDS), ("sheet", SHEET_FIELDS)):
            for f in fields:
                value = None if m is None else m[f]
                if kind == "sheet" and not has_sheet and value is None:
                    continue  # no sheet printed, none read: not counted
                total[kind] += 1
                if value == t[f]:
                    right[kind] += 1
                elif m is not None:
                    out["wrong"].append({"seq_no": t["seq_no"], "field": f, "expected": t[f], "got": value})
    for kind in ("list", "sheet"):
        out[f"{kind}_right"], out[f"{kind}_total"] = right[kind], total[kind]
        out[f"{kind}_accuracy"] = round(right[kind] / total[kind], 4) if total[kind] else None
    return out


def _acc(r: int, t: int) -> str:
    return f"{r / t:.3f}" if t else "–"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "layouts.json")
    args = ap.parse_args()
    manifest, truth = load(args.dir)
    files = []
    for layout in manifest:
        path = args.dir / layout["file"]
        start = time.perf_counter()
        try:
            res = score(layout_truth(truth, layout), extracted(path))
        except Exception as exc:  # a reader crash scores 0, and says why
            expected = layout_truth(truth, layout)
            res = score(expected, [])
            res["error"] = f"{type(exc).__name__}: {exc}"
        res["seconds"] = round(time.perf_counter() - start, 3)
        files.append({"file": layout["file"], "family": layout["family"], **res})

    fams: dict[str, list[dict]] = defaultdict(list)
    for f in files:
        fams[f["family"]].append(f)

    def row(name: str, group: list[dict]) -> str:
        lr, lt = sum(f["list_right"] for f in group), sum(f["list_total"] for f in group)
        sr, st = sum(f["sheet_right"] for f in group), sum(f["sheet_total"] for f in group)
        cases = sum(f["cases"] for f in group)
        missing = sum(len(f["missing"]) for f in group)
        extra = sum(len(f["extra"]) for f in group)
        return f"| {name} | {len(group)} | {cases} | {missing} | {extra} | {_acc(lr, lt)} | {_acc(sr, st)} |"

    head = "| {} | files | cases | missing | extra | list fields | sheet fields |\n|---|---:|---:|---:|---:|---:|---:|"
    print("## Layout accuracy per family\n")
    print(head.format("family"))
    for name in sorted(fams):
        print(row(name, fams[name]))
    print(row("**all**", files))
    print("\n## Per knob value (every layout with that value)\n")
    print("| knob | value | files | missing | list fields | sheet fields |\n|---|---|---:|---:|---:|---:|")
    by_file = {f["file"]: f for f in files}
    for knob in KNOBS:
        values: dict[str, list[dict]] = defaultdict(list)
        for layout in manifest:
            values[str(layout[knob])].append(by_file[layout["file"]])
        for value, group in sorted(values.items()):
            lr, lt = sum(f["list_right"] for f in group), sum(f["list_total"] for f in group)
            sr, st = sum(f["sheet_right"] for f in group), sum(f["sheet_total"] for f in group)
            missing = sum(len(f["missing"]) for f in group)
            print(f"| {knob} | {value} | {len(group)} | {missing} | {_acc(lr, lt)} | {_acc(sr, st)} |")
    print("\n## Per file\n")
    print(head.format("file"))
    for f in files:
        print(row(f["file"], [f]) + (f" {f['error']}" if "error" in f else ""))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        name: {
            "files": len(group),
            "list_accuracy": round(
                sum(f["list_right"] for f in group) / max(1, sum(f["list_total"] for f in group)), 4
            ),
            "sheet_accuracy": round(
                sum(f["sheet_right"] for f in group) / max(1, sum(f["sheet_total"] for f in group)), 4
            ),
        }
        for name, group in sorted(fams.items())
    }
    args.out.write_text(
        json.dumps({"families": summary, "files": files}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

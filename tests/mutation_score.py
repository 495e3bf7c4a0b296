"""Kill rates of `make mutation`, per mutated module, from the results mutmut left in mutants/.

Exits 1 when a module falls below the bar, so that the make target fails rather than scrolls by.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

MODULES = ("pipeline/normalise/dates.py", "pipeline/normalise/departments.py")
BAR = 0.95
# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code).
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 36: "timeout"}


def status(code: int | None) -> str:
    if code is None:
        return "not checked"
    return STATUS.get(code, "suspicious")


def main(root: Path = Path("mutants")) -> int:
    ok = True
    for module in MODULES:
        meta = root / f"{module}.meta"
        if not meta.exists():
            print(f"{module}: no results (run `mutmut run` first)")
            ok = False
            continue
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts = Counter(status(c) for c in codes.values())
        rate = counts["killed"] / len(codes) if codes else 0.0
        detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        print(f"{module}: {rate:.1%} killed of {len(codes)} mutants ({detail})")
        for name in sorted(k for k, c in codes.items() if status(c) != "killed"):
            print(f"    {name}: {status(codes[name])}")
        ok = ok and rate >= BAR
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

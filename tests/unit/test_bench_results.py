"""bench/run.py's results files: a later run of the same day must not overwrite the file the README cites."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ holds scripts, not a package

import run  # noqa: E402


def test_a_later_run_of_the_same_day_gets_its_own_file(tmp_path: Path) -> None:
    day = dt.date.today().isoformat()
    first = run.results_file(tmp_path / "results", "curve")
    assert first == tmp_path / "results" / f"curve-{day}.json"
    first.write_text("{}", encoding="utf-8")
    second = run.results_file(tmp_path / "results", "curve")
    assert re.fullmatch(rf"curve-{day}-\d{{4}}\.json", second.name)
    assert not second.exists()
    assert first.read_text(encoding="utf-8") == "{}"
